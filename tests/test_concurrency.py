"""Two browser sessions working while two runs train: no lock error reaches either person and no
write is lost. Bounded: two runs of up to 60 s (stopped at the end), two sessions of a few actions each, on loopback."""

import threading

import pytest
from playwright.sync_api import sync_playwright

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, server  # noqa: F401 - the app server fixture

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


def test_two_sessions_while_two_runs_train(server, tmp_path, monkeypatch):  # noqa: F811
    from core.data import datasets
    from core.governance import decisions
    from core.training import lifecycle, views
    from core.training.spec import RunSpec

    # This process works in the server's workspace too: a third writer beside the two sessions.
    monkeypatch.setenv("COMMONGROUND_HOME", str(server["home"]))
    datasets.ensure_demo_data()  # the demo data, as a first visit loads it
    credit = next(d["dataset_id"] for d in datasets.list_datasets() if d["name"] == "German credit")
    finished = lifecycle.wait(lifecycle.start(RunSpec(credit, "risk", quality="fast", time_limit=10,
                                                      model_families=["GBM"], refit_for_use=False)).run_id).run_id
    runs = [lifecycle.start(RunSpec(credit, "risk", quality="fast", time_limit=60, seed=seed)).run_id
            for seed in (1, 2)]
    found = {"run": finished}
    sessions = []
    for user in ("ana", "bruno"):
        csv = tmp_path / f"{user}_table.csv"
        csv.write_text("a,b\n" + "".join(f"{i},{user}{i % 3}\n" for i in range(50)))
        sessions.append(threading.Thread(target=_session, args=(server["url"], user, csv, 2, found)))
    for s in sessions:
        s.start()
    for s in sessions:
        s.join(timeout=300)
    try:
        assert found.get("ana") == [] and found.get("bruno") == [], found
        said = sorted(c["body"] for c in decisions.thread(finished)["comments"])
        assert said == sorted(f"{u} note {i}" for u in ("ana", "bruno") for i in range(2))  # no write lost
        assert {"ana_table", "bruno_table"} <= {d["name"] for d in datasets.list_datasets()}
        states = [views.load(r).status for r in runs]  # they trained all along, and none failed
        assert set(states) <= {"queued", "running", "succeeded"}, states
    finally:  # no worker outlives the test
        for run in runs:
            if not views.load(run).ended:
                lifecycle.cancel(run)
