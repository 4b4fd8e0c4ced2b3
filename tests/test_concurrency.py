"""Two browser sessions working while two runs train: no lock error reaches either person and no
write is lost. Bounded: two runs of 30 s, two sessions of a few actions each, on loopback."""

import json
import threading
import time

import pytest
from playwright.sync_api import sync_playwright

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, _cli, server  # noqa: F401 - the app server fixture

pytestmark = pytest.mark.browser


def _session(url: str, user: str, csv, comments: int, found: dict) -> None:
    """One person: add a data set, then comment on the first run several times; what went wrong."""
    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        try:
            page.goto(f"{url}/data?user={user}")
            page.get_by_text("Add a data set").click()
            page.locator("input[type=file]").set_input_files(str(csv))
            page.get_by_text(csv.name).first.wait_for()
            page.get_by_role("button", name="Add data set").click()
            page.get_by_text(f"Added '{csv.stem}'").wait_for()
            page.goto(f"{url}/summary?user={user}&run={found['run']}")
            box = page.get_by_label("Your comment (or the reason for your decision)")
            for i in range(comments):
                box.wait_for()
                page.wait_for_timeout(1000)  # a click while the page reruns can be lost (Streamlit)
                box.fill(f"{user} note {i}")
                page.get_by_role("button", name="Add comment").click()
                # shown in the thread (st.text), not only in the box
                page.locator("[data-testid=stText]", has_text=f"{user} note {i}").wait_for()
            for text in ("busy", "Traceback", "Something went wrong"):
                if page.get_by_text(text).count():
                    problems.append(text)
        except Exception as exc:  # noqa: BLE001 - reported to the test below with the page's state
            problems.append(f"{type(exc).__name__}: {exc}")
            page.screenshot(path=str(csv.parent / f"{user}_failed.png"), full_page=True)
        finally:
            browser.close()
    found[user] = problems


def test_two_sessions_while_two_runs_train(server, tmp_path):  # noqa: F811
    _cli(server, "init")  # the demo data, as a first visit would load it
    shown = json.loads(_cli(server, "datasets", "list", "--json"))
    credit = next(d["dataset_id"] for d in shown if d["name"] == "German credit")
    finished = json.loads(_cli(server, "runs", "start", "--dataset", credit, "--target", "risk", "--quality", "fast",
                               "--time-limit", "15", "--family", "GBM", "--wait", "--json"))["run_id"]
    runs = [json.loads(_cli(server, "runs", "start", "--dataset", credit, "--target", "risk", "--quality", "fast",
                            "--time-limit", "30", "--seed", str(seed), "--json"))["run_id"] for seed in (1, 2)]
    found = {"run": finished}
    sessions = []
    for user in ("ana", "bruno"):
        csv = tmp_path / f"{user}_table.csv"
        csv.write_text("a,b\n" + "".join(f"{i},{user}{i % 3}\n" for i in range(50)))
        sessions.append(threading.Thread(target=_session, args=(server["url"], user, csv, 3, found)))
    for s in sessions:
        s.start()
    for s in sessions:
        s.join(timeout=300)
    assert found.get("ana") == [] and found.get("bruno") == [], found
    thread = json.loads(_cli(server, "runs", "comments", finished, "--json"))
    said = sorted(c["body"] for c in thread["comments"])
    assert said == sorted(f"{u} note {i}" for u in ("ana", "bruno") for i in range(3))  # no write lost
    names = {d["name"] for d in json.loads(_cli(server, "datasets", "list", "--json"))}
    assert {"ana_table", "bruno_table"} <= names
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        states = [json.loads(_cli(server, "runs", "show", r, "--json"))["status"] for r in runs]
        if all(s not in ("queued", "running") for s in states):
            break
        time.sleep(2)
    assert states == ["succeeded", "succeeded"], states
