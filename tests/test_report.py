"""The model card: every section, its glossary, no external address, edits kept as versions and
escaped, both formats and both languages, a failed run's card, and the Summary page's downloads."""

import re
from html.parser import HTMLParser

import pytest

from core.data import datasets
from core.foundation.errors import InvalidInput
from core.governance import decisions
from core.reporting import render, report
from core.training import views
from core.training.spec import RunSpec
from tests.conftest import DATA, trained_in
from tests.test_cli import cli_json

pytestmark = pytest.mark.usefixtures("no_leftover_workers")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("report-home")

    def specs():
        credit = datasets.add(DATA / "german_credit.csv")["dataset_id"]
        bikes = datasets.add(DATA / "bikeshare.csv")["dataset_id"]
        tiny = {"quality": "fast", "time_limit": 10, "model_families": ["GBM"], "refit_for_use": False}
        return {"credit": RunSpec(credit, "risk", **tiny), "bikes": RunSpec(bikes, "bikers", **tiny)}

    return home, trained_in(home, specs)


@pytest.fixture
def runs(home, monkeypatch):
    monkeypatch.setenv("COMMONGROUND_HOME", str(home[0]))
    return {k: views.load(v) for k, v in home[1].items()}


class _Page(HTMLParser):
    """Section ids, every src/href, and the visible text of an HTML page."""

    def __init__(self):
        super().__init__()
        self.ids, self.links, self.text, self.tags = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k == "id":
                self.ids.append(v)
            if k in ("src", "href") or k.endswith(":href"):
                self.links.append(v)

    def handle_data(self, data):
        self.text.append(data)


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


@pytest.mark.parametrize("lang", ["en", "pt"])
@pytest.mark.parametrize("name", ["credit", "bikes"])
def test_the_html_card_has_every_section_its_glossary_and_no_outside_address(runs, tmp_path, name, lang):
    run = runs[name]
    out = cli_json("report", run.run_id, "--format", "html", "--output", str(tmp_path / "card.html"), "--lang", lang)
    text = (tmp_path / "card.html").read_text(encoding="utf-8")
    assert out["bytes"] == len(text.encode())
    page = _parse(text)
    assert page.ids[:len(report.SECTIONS)] == list(report.SECTIONS) and "glossary" in page.ids
    assert "script" not in page.tags and not [u for u in page.links if re.match(r"\w+:", u or "")]
    assert "<svg" in text and "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        'xmlns:xlink="http://www.w3.org/1999/xlink"', "")
    card = report.build(run.run_id, lang)
    listed = {g["term"].lower() for g in card["glossary"]}
    visible = " ".join(page.text).lower()
    # every glossary term whose name the card uses is explained in its glossary section
    from core.governance import vocabulary
    for entry in vocabulary.search("", lang=lang):
        used = re.search(rf"(?<!\w){re.escape(entry['term'].lower())}(?!\w)", visible.split(
            report_glossary_title(lang).lower())[0])
        assert not used or entry["term"].lower() in listed, entry["term"]
    expected = {"en": {"credit": "accuracy", "bikes": "mean absolute error"},
                "pt": {"credit": "acurácia", "bikes": "erro absoluto médio"}}[lang][name]
    assert any(term.startswith(expected) for term in listed), listed
    # The headline stands above the card once; the summary goes on from it, How good it is explains it.
    summary = next(s for s in card["sections"] if s["id"] == "summary")["text"]
    assert card["headline"] not in summary and visible.count(card["headline"].lower()[:60]) <= 2


def report_glossary_title(lang):
    import glossary
    return glossary.report("sec_glossary", lang)


def test_edits_are_versions_escaped_in_html_and_kept_through_regeneration(runs, tmp_path):
    run = runs["credit"]
    mine = "Supports the credit desk's first look.\n\n- Never the final decision <script>alert(1)</script>"
    shown = cli_json("report-edit", run.run_id, "--section", "intended_use", "--text", mine, "--user", "ana")
    assert shown["text"] == mine and shown["edited"]["edited_by"] == "ana" and shown["edited"]["version"] == 1
    html_text = render.render(run.run_id, fmt="html")
    assert "<script>" not in html_text and "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text
    md = render.render(run.run_id, fmt="md")
    # the Markdown carries the edit escaped, so it shows as typed: the tag is text, not HTML
    escaped = "Supports the credit desk's first look.\n\n- Never the final decision \\<script\\>alert(1)\\</script\\>"
    assert escaped in md
    assert "<script>" not in md
    # regenerating (a new decision changes the generated trail) keeps the person's text
    decisions.comment(run.run_id, "Looks fine.", user="bea")
    card = report.build(run.run_id)
    section = next(s for s in card["sections"] if s["id"] == "intended_use")
    assert section["text"] == mine and section["generated"] != mine
    assert "Looks fine." in next(s for s in card["sections"] if s["id"] == "decisions")["text"]
    report.edit(run.run_id, "intended_use", "Second try.", user="ana")
    history = cli_json("report-versions", run.run_id, "--section", "intended_use")
    assert [h["version"] for h in history] == [2, 1]
    assert "+Second try." in history[0]["diff"] and any(line.startswith("-Not written yet") for line in history[0]["diff"])
    report.reset(run.run_id, "intended_use", user="ana")
    back = next(s for s in report.build(run.run_id)["sections"] if s["id"] == "intended_use")
    assert back["edited"] is None and back["text"] == back["generated"]
    assert report.build(run.run_id, "pt")["sections"][2]["edited"] is None  # edits belong to one language


def test_bad_report_input_is_refused_with_a_message(runs):
    run = runs["credit"]
    with pytest.raises(InvalidInput) as section:
        report.edit(run.run_id, "intended", "x")
    with pytest.raises(InvalidInput) as empty:
        report.edit(run.run_id, "caveats", "   ")
    with pytest.raises(InvalidInput) as fmt:
        render.render(run.run_id, fmt="pdf")
    assert (section.value.code, empty.value.code, fmt.value.code) == (
        "unknown_report_section", "report_edit_empty", "unknown_report_format")
    assert "intended_use" in str(section.value)


def test_a_failed_runs_card_says_what_failed(runs, home, monkeypatch):
    from core.foundation import db

    run = runs["bikes"]
    with db.transaction() as con:  # a copy of the run, recorded as failed
        con.execute("CREATE TEMP TABLE r AS SELECT * FROM runs WHERE run_id = ?", [run.run_id])
        con.execute("UPDATE r SET run_id = 'run_failed_copy', status = 'failed', "
                    "error = 'The worker ran out of memory.', holdout_metrics = NULL")
        con.execute("INSERT INTO runs SELECT * FROM r")
    card = report.build("run_failed_copy")
    perf = next(s for s in card["sections"] if s["id"] == "performance")
    assert "ran out of memory" in perf["text"]
    assert "<html" in render.render("run_failed_copy", fmt="html")


def test_a_stakeholder_edits_a_section_on_the_summary_page(runs):
    from tests.test_app import run_app

    run = runs["credit"]
    at = run_app("pages/summary.py", user="sol", audience="stakeholder")
    at.selectbox(key="summary_pick").set_value(run.run_id).run()
    assert not at.exception
    at.selectbox(key=f"report_section_{run.run_id}_en").set_value("Out-of-scope uses").run()
    box = next(x for x in at.text_area if x.label == "Text of the section")
    assert box.value.startswith("Not written yet")
    box.set_value("Not for loans above 50,000.")
    next(b for b in at.button if b.label == "Save this text").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    section = next(s for s in report.build(run.run_id)["sections"] if s["id"] == "out_of_scope")
    assert section["text"] == "Not for loans above 50,000." and section["edited"]["edited_by"] == "sol"
    assert any("Version 1, by sol" in c.value for c in at.caption)
