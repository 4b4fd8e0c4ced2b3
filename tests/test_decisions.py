"""The discussion around a run and its decision: who said what, when; only allowed steps."""

import pytest

from core.data import datasets
from core.governance import decisions
from core.training import lifecycle
from core.foundation.errors import InvalidInput, NotFound
from core.training.spec import RunSpec
from tests.conftest import DATA, look, train
from tests.test_cli import cli, cli_json

pytestmark = pytest.mark.usefixtures("no_leftover_workers")


@pytest.fixture
def run_id():
    """A real (tiny) finished run: only a run with a model can be reviewed or approved."""
    dataset = datasets.add(DATA / "penguins.csv")["dataset_id"]
    # no sensitive columns: approving them without a fairness check is tested in test_fairness.py
    run = train(RunSpec(dataset, "species", quality="fast", time_limit=10, model_families=["GBM"], sensitive=[]))
    assert run.status == "succeeded", run.error
    return run.run_id


def test_a_decision_moves_one_allowed_step_at_a_time_with_who_and_when(run_id):
    assert decisions.thread(run_id)["decision"] == "draft"
    with pytest.raises(InvalidInput, match="'draft'; it can move to reviewed or rejected, not to 'approved'"):
        decisions.decide(run_id, "approved", user="ana")
    decisions.comment(run_id, "Recall looks low for Chinstrap.", user="ana")
    decisions.decide(run_id, "reviewed", note="Checked the caveats.", user="bruno")
    done = decisions.decide(run_id, "approved", note="Recall is fine for our use.", user="carla", confirmed=True)
    assert done["decision"] == "approved" and done["decided_by"] == "carla" and done["decided_at"]
    assert [(c["author"], c["decision"]) for c in done["comments"]] == [
        ("ana", None), ("bruno", "reviewed"), ("carla", "approved")]
    assert done["next"] == ["draft"]


def test_bad_input_is_refused_and_leaves_no_row(run_id, snapshot):
    before = snapshot()
    with pytest.raises(InvalidInput, match="empty"):
        decisions.comment(run_id, "   ")
    with pytest.raises(InvalidInput, match="approving or rejecting needs a reason"):
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


def test_two_people_cannot_both_move_the_decision_from_the_same_step(run_id):
    import threading

    decisions.decide(run_id, "reviewed", user="ana")
    barrier, outcomes = threading.Barrier(2), []

    def move(step, who):
        barrier.wait()
        try:
            outcomes.append(decisions.decide(run_id, step, note="my call", user=who, confirmed=True)["decision"])
        except InvalidInput as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=move, args=a) for a in (("approved", "bo"), ("rejected", "cy"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = decisions.thread(run_id)
    moved = [o for o in outcomes if o in ("approved", "rejected")]
    assert len(moved) == 1 and final["decision"] == moved[0]
    assert [c["decision"] for c in final["comments"]] == ["reviewed", moved[0]]
    refused = next(o for o in outcomes if o not in ("approved", "rejected"))
    assert "changed the decision" in refused or "can move to" in refused


def test_an_unfinished_run_can_be_discussed_but_not_approved():
    dataset = datasets.add(DATA / "penguins.csv")["dataset_id"]
    run_id = lifecycle.start(RunSpec(dataset, "species", quality="fast", time_limit=30)).run_id
    lifecycle.cancel(run_id)
    if look(run_id).models:
        pytest.skip("a model finished before the cancel")
    decisions.comment(run_id, "Why was this stopped?", user="ana")
    with pytest.raises(InvalidInput, match="only a finished run with a model"):
        decisions.decide(run_id, "reviewed")
