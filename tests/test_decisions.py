"""The discussion around a run and its decision: who said what, when; only allowed steps."""

import pytest

from core import datasets, decisions, runs
from core.errors import InvalidInput, NotFound
from core.runspec import RunSpec
from tests.conftest import DATA
from tests.test_cli import cli, cli_json

pytestmark = pytest.mark.usefixtures("no_leftover_workers")


@pytest.fixture
def run_id():
    """A real run, cancelled at once: comments need a run, not a model."""
    dataset = datasets.add(DATA / "penguins.csv")["dataset_id"]
    run_id = runs.start(RunSpec(dataset, "species", quality="fast", time_limit=30))["run_id"]
    runs.cancel(run_id)
    return run_id


def test_a_decision_moves_one_allowed_step_at_a_time_with_who_and_when(run_id):
    assert decisions.thread(run_id)["decision"] == "draft"
    with pytest.raises(InvalidInput, match="'draft'; it can move to reviewed or rejected, not to 'approved'"):
        decisions.decide(run_id, "approved", user="ana")
    decisions.comment(run_id, "Recall looks low for Chinstrap.", user="ana")
    decisions.decide(run_id, "reviewed", note="Checked the caveats.", user="bruno")
    done = decisions.decide(run_id, "approved", user="carla")
    assert done["decision"] == "approved" and done["decided_by"] == "carla" and done["decided_at"]
    assert [(c["author"], c["decision"]) for c in done["comments"]] == [
        ("ana", None), ("bruno", "reviewed"), ("carla", "approved")]
    assert done["next"] == ["draft"]


def test_bad_input_is_refused_and_leaves_no_row(run_id, snapshot):
    before = snapshot()
    with pytest.raises(InvalidInput, match="empty"):
        decisions.comment(run_id, "   ")
    with pytest.raises(InvalidInput, match="a rejection needs a reason"):
        decisions.decide(run_id, "rejected")
    with pytest.raises(InvalidInput, match="Unknown decision 'approve'. Decisions are: draft, reviewed"):
        decisions.decide(run_id, "approve")
    with pytest.raises(InvalidInput, match="limit is 5,000"):
        decisions.comment(run_id, "x" * 5001)
    with pytest.raises(NotFound, match="No run 'nope'"):
        decisions.comment("nope", "hello")
    assert snapshot() == before


def test_user_text_is_kept_exactly_as_typed(run_id):
    text = "<script>alert('x')</script> [click](http://evil.example)"
    assert decisions.comment(run_id, text)["comments"][-1]["body"] == text


def test_cli_comment_decide_and_read_the_thread(run_id):
    cli_json("runs", "comment", run_id, "--text", "Looks fine", "--user", "dora")
    cli_json("runs", "decide", run_id, "--decision", "rejected", "--note", "Too few rows", "--user", "eli")
    thread = cli_json("runs", "comments", run_id)
    assert thread["decision"] == "rejected" and len(thread["comments"]) == 2
    bad = cli("runs", "decide", run_id, "--decision", "approved")
    assert bad.returncode == 2 and "it can move to draft" in bad.stderr and bad.stdout == ""
