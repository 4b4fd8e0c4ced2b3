"""The stakeholder Summary page through AppTest, on a real (tiny) run: language, edits, discussion."""

import pytest

from core.governance import decisions, vocabulary
from core.training.spec import RunSpec
from tests.conftest import train
from tests.test_app import errors, run_app, texts
from tests.test_app_runs import _button, _id

pytestmark = pytest.mark.usefixtures("no_leftover_workers")


@pytest.fixture
def run_id():
    spec = RunSpec(_id("German credit"), "risk", quality="fast", time_limit=30, model_families=["GBM", "LR"],
                   sensitive=["sex"])
    run = train(spec)
    assert run.status == "succeeded", run.error
    return run.run_id


def _plain(at):
    return texts(at).replace("\\", "")  # the page escapes Markdown in data and user text


def test_language_switch_changes_the_summary_and_an_edited_template_shows_up(run_id):
    at = run_app("pages/summary.py", audience="stakeholder")
    words = _plain(at)
    assert "Of every 100 cases, the model gets about" in words
    assert "“sex” was marked as sensitive" in words  # fairness headline: no report yet, and it says so
    at.sidebar.selectbox(key="pref_language").set_value("pt").run()
    at.switch_page("pages/summary.py").run()
    assert not at.exception
    words = _plain(at)
    assert "De cada 100 casos, o modelo acerta cerca de" in words and "Of every 100" not in words
    assert at.title[0].value == "Resumo"
    # An organisation's wording of a business template is what the summary says.
    vocabulary.edit("accuracy", lang="pt", field="business", text="Acerta {accuracy_per_100} de 100; chutar acerta "
                    "{baseline_accuracy_per_100}.", user="editor")
    vocabulary._forget()
    at.switch_page("pages/summary.py").run()
    assert "Acerta " in _plain(at) and "de 100; chutar acerta" in _plain(at)


def test_comments_and_decisions_are_recorded_and_script_is_shown_as_text(run_id):
    at = run_app("pages/summary.py", user="ana", audience="stakeholder")
    typed = "<script>alert(1)</script> see [this](http://evil.example)"
    at.text_area(key=f"comment_{run_id}_0").input(typed)
    _button(at, "Add comment").click().run()
    assert not at.exception
    at.switch_page("pages/summary.py").run()
    # st.text: shown as the characters typed, never parsed as HTML or Markdown.
    assert [e.value for e in at.text if "script" in e.value] == [typed]
    assert not any("script" in m.value for m in at.markdown)
    assert at.text_area(key=f"comment_{run_id}_1").value == ""  # a fresh box after the comment
    at.text_area(key=f"comment_{run_id}_1").input("Numbers checked against last year.")
    _button(at, "Mark as reviewed").click().run()
    at.switch_page("pages/summary.py").run()
    assert "Decision: Reviewed" in _plain(at)
    thread = decisions.thread(run_id)
    assert thread["decision"] == "reviewed" and thread["decided_by"] == "ana"
    assert thread["comments"][0]["body"] == "<script>alert(1)</script> see [this](http://evil.example)"
    # A rejection without a reason is refused with a message, and nothing is written.
    _button(at, "Reject").click().run()
    assert at.error and "needs a reason" in errors(at)[0]
    assert decisions.thread(run_id)["decision"] == "reviewed"
    at.text_area(key=f"comment_{run_id}_2").input("Too few rows for a decision.")
    _button(at, "Reject").click().run()
    assert decisions.thread(run_id)["decision"] == "rejected"


def test_a_link_opens_the_summary_of_one_run(run_id):
    at = run_app(audience="analyst")
    at.query_params["run"] = run_id
    at.switch_page("pages/summary.py").run()
    assert at.selectbox(key="summary_pick").value == run_id


def test_the_glossary_shows_live_examples_from_the_run_last_opened(run_id):
    at = run_app(audience="analyst")
    at.switch_page("pages/glossary.py").run()
    assert not at.info  # no run opened yet: nothing computed, no example
    at.switch_page("pages/summary.py").run()
    at.query_params["term"] = "recall"
    at.switch_page("pages/glossary.py").run()
    assert not at.exception
    example = " ".join(i.value for i in at.info).replace("\\", "")
    assert "Of every 100" in example and "the model finds about" in example
