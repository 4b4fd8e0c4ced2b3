"""The real app in a real browser: Streamlit server + Playwright driving Debian's Chromium."""

import re
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import REPO

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("browser-home")
    port = _free_port()
    env = {**os.environ, "COMMONGROUND_HOME": str(home), "COMMONGROUND_USER": "browser"}
    log = open(home / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("Streamlit did not start: " + (home / "server.log").read_text())
    yield {"url": url, "home": home}
    proc.terminate()
    proc.wait(timeout=10)
    log.close()
    assert "Traceback" not in (home / "server.log").read_text()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run 'make browser' (apt-get install chromium)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    yield pg
    ctx.close()


def test_deep_link_uploads_a_csv_and_shows_its_profile(server, page, tmp_path):
    csv = tmp_path / "sales_2024.csv"
    csv.write_text("region,units,price\n" + "".join(
        f"{r},{i},{i * 1.5}\n" for i, r in zip(range(60), ["north", "south", "east"] * 20)))
    # A deep link straight to /data, as the very first request to a fresh server.
    page.goto(server["url"] + "/data")
    page.get_by_role("heading", name="Data").first.wait_for(timeout=30000)
    page.get_by_text("Add a data set").click()
    page.locator("input[type=file]").set_input_files(str(csv))
    page.get_by_role("button", name="Add data set").click()
    page.get_by_text("Added 'sales_2024': 60 rows, 3 columns.").wait_for(timeout=30000)
    page.get_by_role("heading", name="sales_2024").wait_for()
    page.get_by_text("units · Histogram").wait_for()
    page.get_by_text("region · Most common values").wait_for()
    assert page.locator("canvas, svg").count() > 0  # Vega charts rendered
    page.screenshot(path=str(server["home"] / "data_page.png"), full_page=True)


def test_a_bad_upload_shows_one_sentence_and_no_traceback(server, page, tmp_path):
    bad = tmp_path / "ragged.csv"
    bad.write_text("a,b,c\n1,2,3\n4,5\n")
    page.goto(server["url"] + "/data")
    page.get_by_text("Add a data set").click()
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_text("ragged.csv").first.wait_for(timeout=30000)  # uploaded before the form is sent
    page.get_by_role("button", name="Add data set").click()
    page.get_by_text("Line 3 of 'ragged.csv' has 2 values but the header has 3 columns").wait_for(timeout=30000)
    assert page.get_by_text("Traceback").count() == 0


def test_view_choice_survives_a_new_session(server, page, browser):
    page.goto(server["url"] + "/?user=carla")
    page.get_by_text("Expert", exact=True).click()
    page.wait_for_timeout(1500)
    other = browser.new_context().new_page()  # a second browser session, same user
    other.goto(server["url"] + "/data?user=carla")
    other.get_by_role("tab", name="Details").wait_for(timeout=30000)
    other.context.close()


def test_the_view_chosen_on_home_shows_in_the_sidebar_at_once(server, page):
    """The sidebar radio had a value already (the default view): it must follow the choice."""
    page.goto(server["url"] + "/?user=newcomer")
    page.get_by_role("button", name="I read results and decide").click()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("radio", name="Stakeholder")).to_be_checked(timeout=30000)
    page.get_by_role("link", name="Data").first.click()
    expect(page.get_by_role("heading", name="Data")).to_be_visible(timeout=30000)
    expect(sidebar.get_by_role("radio", name="Stakeholder")).to_be_checked()


def test_launch_a_run_and_watch_the_first_model_arrive(server, page):
    import re

    page.goto(server["url"] + "/train?user=trainer")
    page.get_by_role("button", name="Start training").wait_for(timeout=30000)
    page.get_by_text("Fast: a quick first answer").click()
    page.wait_for_timeout(1000)
    page.get_by_role("button", name="Start training").click()
    # The Runs page polls on its own: the first model shows up without any click.
    page.get_by_text(re.compile(r"[1-9]\d* models trained")).wait_for(
        timeout=60000)
    page.screenshot(path=str(server["home"] / "runs_page.png"), full_page=True)
    page.get_by_text(re.compile(r"Finished")).first.wait_for(timeout=120000)


def _cli(server, *args):
    env = {**os.environ, "COMMONGROUND_HOME": str(server["home"])}
    out = subprocess.run([sys.executable, "-m", "core", *args], cwd=REPO, env=env, check=True, capture_output=True,
                         text=True, timeout=300)
    return out.stdout


@pytest.fixture(scope="module")
def credit_run(server):
    """One finished German credit run in the server's workspace, made through the CLI."""
    import json

    _cli(server, "init")
    out = _cli(server, "runs", "start", "--dataset", "German credit", "--target", "risk", "--quality", "fast",
               "--time-limit", "20", "--family", "GBM", "LR", "--sensitive", "sex", "--wait", "--json")
    return json.loads(out)["run_id"]


def test_moving_the_threshold_changes_the_confusion_matrix(server, page, credit_run):
    page.goto(server["url"] + "/results?user=thresholds")
    caption = page.get_by_text("found correctly")
    caption.wait_for(timeout=30000)
    before = caption.inner_text()
    page.get_by_role("slider").first.focus()
    for _ in range(30):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("(b) => { const e = [...document.querySelectorAll('p')].find("
                           "p => p.innerText.includes('found correctly')); return e && e.innerText !== b; }",
                           arg=before, timeout=30000)
    assert page.get_by_text("found correctly").inner_text() != before
    page.screenshot(path=str(server["home"] / "results_page.png"), full_page=True)


def test_stakeholder_summary_switches_language_and_shows_a_script_comment_as_text(server, page, credit_run):
    import re

    _cli(server, "preferences", "set", "--user", "dora", "audience", "stakeholder")
    page.goto(server["url"] + f"/summary?user=dora&run={credit_run}")
    page.get_by_text("Of every 100 cases, the model gets about").first.wait_for(timeout=60000)
    page.get_by_text("What happens to 100 cases").wait_for()
    # The language switch in the sidebar turns the whole summary into Portuguese.
    page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").first.click()
    page.get_by_role("option", name="Português").click()
    page.get_by_text("De cada 100 casos, o modelo acerta cerca de").first.wait_for(timeout=30000)
    expect(page.get_by_text("Of every 100 cases")).to_have_count(0, timeout=30000)  # once the rerun settles
    page.get_by_role("heading", name="Resumo").wait_for()
    page.get_by_text("Nenhum comentário ainda").wait_for()
    page.wait_for_timeout(1000)  # let the rerun after the switch settle before typing
    # A comment with a script tag and a link is shown as the characters typed, and nothing runs.
    typed = "<script>window.pwned = 1</script> see [this](http://evil.example)"
    page.get_by_label("Seu comentário").fill(typed)
    page.get_by_role("button", name="Comentar").click()
    page.get_by_text(re.compile(r"^dora · [\d-]+ [\d:]+$")).wait_for(timeout=30000)  # a comment, not a decision
    page.get_by_text(typed, exact=True).wait_for()
    assert page.evaluate("window.pwned") is None
    assert page.locator("a[href*='evil.example']").count() == 0
    page.get_by_role("button", name="Marcar como revisado").click()
    page.get_by_text("Decisão: Revisado").wait_for(timeout=30000)
    # The box was emptied after the comment: the text shows once, in the thread (retried while the page reruns).
    expect(page.get_by_text(typed, exact=True)).to_have_count(1, timeout=30000)
    page.screenshot(path=str(server["home"] / "summary_page.png"), full_page=True)


def test_a_suspect_run_is_bannered_renamed_and_needs_a_second_person_to_approve(server, page, tmp_path):
    """A leak kept in on purpose: the banner, a new name, value names in Portuguese, and the four-eyes rule."""
    import json

    from tests.test_defend import leaky_table

    leaky = leaky_table(tmp_path / "loans.csv")
    dataset = json.loads(_cli(server, "datasets", "add", str(leaky), "--name", "Loans", "--json"))["dataset_id"]
    _cli(server, "datasets", "name-values", dataset, "--column", "y", "--set", "1=paga o empréstimo",
         "--set", "0=não paga")
    run = json.loads(_cli(server, "runs", "start", "--dataset", dataset, "--target", "y", "--quality", "fast",
                          "--time-limit", "10", "--family", "GBM", "--keep", "final_status", "--wait", "--json",
                          "--user", "rita"))
    assert run["suspect"] is True
    page.goto(server["url"] + "/runs?user=rita")
    page.get_by_text("This run may be too good to be true").first.wait_for(timeout=60000)
    page.get_by_role("button", name="Run name").click()
    box = page.get_by_role("textbox", name="Run name")
    box.fill("Loans with the status column kept")
    box.press("Enter")
    page.get_by_role("button", name="Rename run").click()
    page.get_by_role("heading", name="Loans with the status column kept").wait_for(timeout=30000)
    # rita launched it and reviews it herself: she still cannot approve it alone.
    _cli(server, "runs", "decide", run["run_id"], "--decision", "reviewed", "--note", "checked", "--user", "rita")
    _cli(server, "preferences", "set", "--user", "rita", "language", "pt")
    page.goto(server["url"] + f"/summary?user=rita&run={run['run_id']}")
    page.get_by_text("“paga o empréstimo”").first.wait_for(timeout=60000)  # value names, in Portuguese
    page.get_by_label("Seu comentário").fill("Parece certo.")
    page.get_by_text("Confirmo que este modelo pode ser usado").click()
    page.get_by_label("Por que aprovar mesmo marcada como suspeita?").fill("O status é conhecido antes.")
    page.get_by_role("button", name="Aprovar para uso").click()
    page.get_by_text("não pode ser a única pessoa a aprová-la").wait_for(timeout=30000)  # core speaks her language
    page.screenshot(path=str(server["home"] / "four_eyes.png"), full_page=True)
    thread = json.loads(_cli(server, "runs", "comments", run["run_id"], "--json"))
    assert thread["decision"] == "reviewed"


def test_fairness_page_checks_a_run_and_reads_it_out_as_a_stakeholder_would(server, page, credit_run):
    _cli(server, "preferences", "set", "--user", "fay", "audience", "stakeholder")
    page.goto(server["url"] + f"/fairness?user=fay&run={credit_run}")
    page.get_by_text("No fairness check has been made for this run yet").wait_for(timeout=60000)
    page.get_by_role("button", name="Check fairness").click()
    page.get_by_role("heading", name="What we found").wait_for(timeout=60000)
    page.get_by_text("By “sex”, it says").first.wait_for()
    page.get_by_role("heading", name="By sex").wait_for()
    page.locator("canvas, svg").first.wait_for()  # the group chart rendered
    page.get_by_text("Equal opportunity").first.wait_for()
    page.wait_for_timeout(1000)  # let the rerun settle before the picture
    page.screenshot(path=str(server["home"] / "fairness_page.png"), full_page=True)
    # The summary's fairness section now speaks from the stored analysis.
    page.goto(server["url"] + f"/summary?user=fay&run={credit_run}")
    page.get_by_text("Checked on").first.wait_for(timeout=60000)


def test_an_analyst_adopts_a_fairer_rule_for_scoring(server, page, credit_run):
    import json

    _cli(server, "preferences", "set", "--user", "al", "audience", "analyst")
    _cli(server, "fairness", credit_run, "--sensitive", "sex", "--user", "al")
    # Which constraint changes decisions depends on the model this run trained: ask the CLI first.
    typed = {"demographic_parity": "demographic parity", "equalized_odds": "equalized odds",
             "true_positive_rate_parity": "equal opportunity"}
    changing = [c for c in typed if json.loads(_cli(server, "fairness", credit_run, "--sensitive", "sex",
                                                    "--mitigate", c, "--json"))["changed_decisions"]]
    constraint = changing[0] if changing else "demographic_parity"
    page.goto(server["url"] + f"/fairness?user=al&run={credit_run}")
    page.get_by_text("Try a fairer decision rule").first.click()
    choice = page.get_by_role("combobox", name="What should be equal across groups")
    choice.click()
    choice.press_sequentially(typed[constraint])
    choice.press("Enter")
    page.get_by_role("button", name="Fit the rule and compare").click()
    page.get_by_text("the gap goes from").first.wait_for(timeout=60000)
    if not changing:  # every rule keeps every decision: the page says there is nothing to adopt
        page.get_by_text("so there is nothing to adopt").wait_for(timeout=30000)
        return
    page.get_by_label("Why adopt this rule").fill("Credit committee, 30 Nov")
    page.get_by_role("button", name="Adopt for scoring").click()
    page.get_by_text("Scoring decides with the fairer rule for sex").wait_for(timeout=30000)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(server["home"] / "fairness_adopted.png"), full_page=True)
    adopted = json.loads(_cli(server, "fairness", credit_run, "--withdraw-rule", "--reason", "test over", "--json"))
    assert adopted["adopted"] is None


def _download(page, url: str, button: str, target):
    """Open `url`, press the download button called `button`, save the file to `target`."""
    page.goto(url)
    pressed = page.get_by_role("button", name=button)
    pressed.wait_for(timeout=60000)
    with page.expect_download(timeout=60000) as got:
        pressed.click()
    got.value.save_as(target)
    return target.read_text(encoding="utf-8")


def test_the_report_and_the_code_download_from_the_app(server, page, credit_run):
    _cli(server, "preferences", "set", "--user", "rex", "audience", "expert")
    card = server["home"] / "card.html"
    text = _download(page, server["url"] + f"/summary?user=rex&run={credit_run}", "Download the report (HTML)", card)
    assert text.startswith("<!DOCTYPE html>") and 'id="fairness"' in text and "<svg" in text
    page.goto(card.as_uri())  # opens offline, as a stakeholder who was sent it would
    page.get_by_role("heading", name="Glossary").wait_for()
    page.screenshot(path=str(server["home"] / "report_card.png"), full_page=True)
    script = _download(page, server["url"] + f"/results?user=rex&run={credit_run}",
                       "Download the code behind this run", server["home"] / "run.py")
    assert "TabularPredictor(path=path, **PREDICTOR).fit(train, **FIT)" in script


def test_an_analyst_scores_a_file_and_follows_it_on_monitoring(server, page, credit_run):
    import pandas as pd

    _cli(server, "preferences", "set", "--user", "sam", "audience", "analyst")
    rows = pd.read_csv(REPO / "data" / "german_credit.csv").drop(columns=["risk"]).head(300)
    rows["age"] = rows["age"] + 12
    rows.loc[:40, "purpose"] = "crypto"
    path = server["home"] / "april.csv"
    rows.to_csv(path, index=False)
    page.goto(server["url"] + f"/score?user=sam&run={credit_run}")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_text("april.csv").first.wait_for(timeout=30000)
    page.get_by_role("button", name="Score these rows").click()
    page.get_by_text("Scored 300 rows of april.csv").wait_for(timeout=60000)
    page.get_by_text("never seen in training (for example 'crypto')").wait_for()
    page.wait_for_timeout(800)
    page.screenshot(path=str(server["home"] / "score_page.png"), full_page=True)
    page.goto(server["url"] + f"/monitoring?user=sam&run={credit_run}")
    page.get_by_text("One batch (300 rows) scored on").wait_for(timeout=60000)
    page.locator("canvas, svg").first.wait_for()
    page.wait_for_timeout(800)
    page.screenshot(path=str(server["home"] / "monitoring_page.png"), full_page=True)


def test_an_analyst_prepares_a_data_set_in_three_steps(server, page):
    """Fix a type, fill gaps, add a column: each step's effect in words, then a new version."""
    csv = server["home"] / "applications.csv"
    csv.write_text("ref,amount,income,city\n" + "".join(
        f"{i},{'unknown' if i % 11 == 0 else i * 40},{'' if i % 5 == 0 else 900 + i},{' Lisbon' if i % 2 else 'porto '}\n"
        for i in range(120)))
    _cli(server, "datasets", "add", str(csv))
    page.goto(server["url"] + "/prepare?user=pat")
    page.get_by_role("heading", name="Prepare").wait_for(timeout=30000)

    def choose(label, option):
        page.get_by_role("combobox", name=label).click()  # Streamlit's selectbox opens a list of options
        page.get_by_role("option", name=option).click()

    choose("Data set to prepare", re.compile(r"^applications \("))
    choose("What to do", "Fix a column's type")
    choose("Column", "amount")
    page.get_by_role("button", name="Add this step").click()
    page.get_by_text("values of 'amount' could not be read as a number").wait_for(timeout=30000)
    choose("What to do", "Fill missing values")
    page.get_by_text("The median or mean is measured").wait_for()  # the step's own form is drawn
    page.wait_for_timeout(500)
    choose("Column", "income")
    page.get_by_role("button", name="Add this step").click()
    page.get_by_text(re.compile(r"Fills \d+ missing values of .income. with")).wait_for(timeout=30000)
    choose("What to do", "Add a calculated column")
    page.get_by_text("An expression over the row's columns").wait_for()
    page.wait_for_timeout(500)
    page.get_by_label("New column's name").fill("city_clean")
    page.get_by_label("Expression").fill("lower(trim(city))")
    page.get_by_role("button", name="Add this step").click()
    page.get_by_text("Adds 'city_clean'").wait_for(timeout=30000)
    page.wait_for_timeout(800)
    page.screenshot(path=str(server["home"] / "prepare_page.png"), full_page=True)
    page.get_by_role("button", name="Make the prepared data set").click()
    page.get_by_text("Made 'applications prepared'").wait_for(timeout=30000)
    assert page.get_by_text("Traceback").count() == 0
