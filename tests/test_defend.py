"""Results you can defend: one set of defaults, suspect runs, honest thresholds and baselines,
weak spots, names people use, and decisions that mean something."""

import os

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from core.analysis import artifacts, compare, evaluation
from core.data import datasets, names
from core.foundation.errors import InvalidInput
from core.governance import decisions
from core.reporting import narrative, placeholders
from core.serving import scoring
from core.training import views
from core.training.spec import RunSpec
from tests.conftest import DATA, train
from tests.test_cli import cli, cli_json

pytestmark = pytest.mark.usefixtures("no_leftover_workers")
TINY = {"quality": "fast", "time_limit": 10, "model_families": ["GBM"]}


def leaky_table(path, n=1500, seed=0):
    """An outcome with an honest weak signal, and a status column recorded after the outcome."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    y = (x1 + rng.normal(size=n) > 0).astype(int)
    status = np.where(y == 1, "closed_paid", "closed_default")
    flip = rng.random(n) < 0.005
    status[flip] = np.where(y[flip] == 1, "closed_default", "closed_paid")
    pd.DataFrame({"x1": x1, "x2": rng.choice(list("abc"), n), "final_status": status, "y": y}).to_csv(path,
                                                                                                   index=False)
    return path


@pytest.fixture(scope="module")
def defended(tmp_path_factory):
    """One workspace: a leaky data set with a default run and a run that keeps the leak, and a
    German credit run trained for F1 (AutoGluon tunes its threshold on validation rows)."""
    home = tmp_path_factory.mktemp("defend-home")
    old = os.environ.get("COMMONGROUND_HOME"), os.environ.get("COMMONGROUND_USER")
    os.environ.update(COMMONGROUND_HOME=str(home), COMMONGROUND_USER="ana")
    try:
        leaky = datasets.add(leaky_table(home / "leaky.csv"))["dataset_id"]
        credit = datasets.add(DATA / "german_credit.csv")["dataset_id"]
        runs = {"clean": train(RunSpec(leaky, "y", **TINY)),
                "kept": train(RunSpec(leaky, "y", keep=["final_status"], **TINY)),
                # scored on its own holdout rows below: the tested model, not a copy refit on them
                "f1": train(RunSpec(credit, "risk", goal="catch_positives", quality="fast", time_limit=15,
                                    model_families=["GBM", "LR"], refit_for_use=False))}
    finally:
        os.environ["COMMONGROUND_HOME"], os.environ["COMMONGROUND_USER"] = old[0] or "", old[1] or ""
    assert all(r.status == "succeeded" for r in runs.values()), {k: r.error for k, r in runs.items()}
    return home, {k: r.run_id for k, r in runs.items()}, leaky


@pytest.fixture
def ws(defended, monkeypatch):
    home, ids, leaky = defended
    monkeypatch.setenv("COMMONGROUND_HOME", str(home))
    monkeypatch.setenv("COMMONGROUND_USER", "ana")
    return {"runs": ids, "leaky": leaky}


# --- one set of defaults ------------------------------------------------------------------------

def test_cli_and_form_share_the_recommended_exclusions_and_keep_overrides_them(ws):
    plan = cli_json("runs", "plan", "--dataset", ws["leaky"], "--target", "y")
    assert plan["excluded"] == ["final_status"]
    assert plan["exclusions"] == {"recommended": ["final_status"], "kept": [], "added": []}
    kept = cli_json("runs", "plan", "--dataset", ws["leaky"], "--target", "y", "--keep", "final_status",
                    "--exclude", "x2")
    assert kept["excluded"] == ["x2"] and "final_status" in kept["features"]
    assert kept["exclusions"] == {"recommended": ["final_status"], "kept": ["final_status"], "added": ["x2"]}
    from core.training import plan as runplan

    info = datasets.show(ws["leaky"], target="y")
    assert runplan.column_defaults(info, "y")["exclude"] == plan["excluded"]  # what the form pre-ticks


def test_a_leak_left_in_by_default_never_happens_and_the_holdout_is_realistic(ws):
    clean = views.load(ws["runs"]["clean"])
    assert "final_status" not in clean.features_used and clean.excluded == ["final_status"]
    assert 0.6 < clean.holdout_metrics["accuracy"] < 0.9  # x1 alone: good, not perfect
    assert clean.suspect is False and clean.suspect_reasons == []


# --- too good to be true ------------------------------------------------------------------------

def test_a_run_that_keeps_the_leak_is_suspect_with_the_reason(ws):
    kept = views.load(ws["runs"]["kept"])
    assert kept.suspect is True and kept.exclusions["kept"] == ["final_status"]
    codes = {r["code"]: r for r in kept.suspect_reasons}
    assert codes["flagged_column_dominates"]["column"] == "final_status"
    assert codes["flagged_column_dominates"]["share"] >= 0.5
    story = narrative.build(kept)
    assert story["headline"].startswith("Careful") and story["sections"][0]["id"] == "suspect"
    assert "final_status" in " ".join(story["sections"][0]["sentences"])


def test_a_suspect_run_is_never_called_best(ws):
    result = compare.compare([ws["runs"]["clean"], ws["runs"]["kept"]])
    kept = next(r for r in result["runs"] if r["run_id"] == ws["runs"]["kept"])
    clean = next(r for r in result["runs"] if r["run_id"] == ws["runs"]["clean"])
    assert kept["metrics"]["accuracy"] > clean["metrics"]["accuracy"]  # it scores higher...
    assert result["best_run_id"] == ws["runs"]["clean"]  # ...and is still not called best
    # by more than the holdout's noise: resampling the shared rows keeps the leaky run ahead
    behind, = result["margins"]
    assert behind["run_id"] == ws["runs"]["kept"] and behind["verdict"] == "behind"
    assert behind["margin"] == pytest.approx(clean["metrics"]["accuracy"] - kept["metrics"]["accuracy"])
    assert behind["low"] <= behind["margin"] <= behind["high"] < 0
    differs = {d["setting"]: d for d in result["spec_differences"]}
    assert set(differs) >= {"excluded", "keep"}  # what each run really left out, not only what was typed
    assert ["final_status"] in list(differs["excluded"].values()) and [] in list(differs["excluded"].values())


def test_a_run_against_itself_is_level(ws):
    run = views.load(ws["runs"]["clean"])
    predicted = compare.predicted_on(run, artifacts.holdout_rows(run))
    same = compare.margin(predicted, predicted, run.eval_metric)
    assert same["margin"] == same["low"] == same["high"] == 0 and same["verdict"] == "level"


def test_approving_a_suspect_run_needs_a_second_person_a_confirmation_and_an_override(ws, snapshot):
    run_id = ws["runs"]["kept"]
    decisions.decide(run_id, "reviewed", note="Looked at it.", user="ana")  # ana launched it
    before = snapshot()
    with pytest.raises(InvalidInput, match="needs a reason"):
        decisions.decide(run_id, "approved", user="bruno", confirmed=True, override="x")
    with pytest.raises(InvalidInput, match="Confirm") as not_confirmed:
        decisions.decide(run_id, "approved", note="fine", user="bruno")
    assert not_confirmed.value.code == "confirmation_needed"
    with pytest.raises(InvalidInput, match="cannot be its only approver") as alone:
        decisions.decide(run_id, "approved", note="fine", user="ana", confirmed=True, override="known")
    assert alone.value.code == "four_eyes"
    with pytest.raises(InvalidInput, match="marked suspect") as no_override:
        decisions.decide(run_id, "approved", note="fine", user="bruno", confirmed=True, override="   ")
    assert no_override.value.code == "override_needed"
    assert snapshot() == before  # nothing written by any refusal
    done = decisions.decide(run_id, "approved", note="fine", user="bruno", confirmed=True,
                            override="final_status is set when the loan is granted, in our process")
    assert done["decision"] == "approved"
    assert done["comments"][-1]["override_reason"].startswith("final_status is set")


def test_the_launcher_may_approve_after_someone_else_reviewed(ws):
    run_id = ws["runs"]["clean"]
    decisions.decide(run_id, "reviewed", note="Checked.", user="carla")
    done = decisions.decide(run_id, "approved", note="Good enough.", user="ana", confirmed=True)
    assert done["decided_by"] == "ana"


# --- honest numbers -----------------------------------------------------------------------------

def _holdout_csv(run, path):
    X, y = artifacts.holdout_frame(run)
    X.to_csv(path, index=False)
    return y


def test_runs_results_summary_score_and_cli_report_the_same_accuracy_and_f1(ws, tmp_path):
    run = views.load(ws["runs"]["f1"])
    assert run.eval_metric == "f1"
    # AutoGluon's own tuned threshold is the default everywhere.
    assert run.threshold == pytest.approx(run.details["decision_threshold"])
    runs_page = run.holdout_metrics
    results = evaluation.binary_report(run)
    c = results["confusion"]
    results_f1 = 2 * c["tp"] / (2 * c["tp"] + c["fp"] + c["fn"])
    summary = placeholders.compute(run)
    y = _holdout_csv(run, tmp_path / "holdout.csv")
    scored = scoring.score(run.run_id, input_path=tmp_path / "holdout.csv", output_path=tmp_path / "out.csv")
    predicted = pd.read_csv(tmp_path / "out.csv")["prediction"].astype(str)
    shown = cli_json("runs", "show", run.run_id)
    assert scored["threshold"] == run.threshold == shown["threshold"]
    for accuracy in (results["accuracy"], summary["accuracy"], float(np.mean(predicted == y.astype(str).to_numpy())),
                     shown["holdout_metrics"]["accuracy"]):
        assert accuracy == pytest.approx(runs_page["accuracy"])
    positive = str(run.details["positive_class"])
    scored_f1 = metrics.f1_score(y.astype(str) == positive, predicted == positive)
    for f1 in (results_f1, scored_f1, shown["holdout_metrics"]["f1"]):
        assert f1 == pytest.approx(runs_page["f1"])


def test_the_threshold_suggestion_never_reads_the_holdout_labels(ws, monkeypatch):
    run = views.load(ws["runs"]["f1"])
    honest = evaluation.binary_report(run, value_tp=3, cost_fp=1, cost_fn=2)
    assert honest["tuned_on"] in ("validation", "out_of_fold") and honest["tuned_rows"] > 0
    flipped = evaluation.predictions(run)
    labels = sorted(flipped["y_true"].astype(str).unique())
    flipped["y_true"] = flipped["y_true"].astype(str).map({labels[0]: labels[1], labels[1]: labels[0]})
    # The holdout labels now say the opposite.
    monkeypatch.setattr(evaluation, "predictions", lambda run, model=None: flipped.copy())
    tampered = evaluation.binary_report(views.load(run.run_id), value_tp=3, cost_fp=1, cost_fn=2)
    assert tampered["best_threshold"] == honest["best_threshold"]
    assert tampered["accuracy"] == pytest.approx(1 - honest["accuracy"])  # the report itself did read them


def test_the_baseline_is_fitted_on_the_training_rows(ws):
    run = views.load(ws["runs"]["f1"])
    data = pd.read_parquet(run.folder / "data.parquet")
    data = data[data["risk"].notna()].reset_index(drop=True)
    train_rows = data.drop(index=pd.read_parquet(run.folder / "holdout_rows.parquet")["row"])
    assert evaluation.baseline(run)["label"] == str(train_rows["risk"].astype(str).value_counts().idxmax())


# --- weak spots ---------------------------------------------------------------------------------

def test_weak_ranges_name_the_tenth_where_errors_are_large_and_the_ceiling():
    rng = np.random.default_rng(1)
    y = rng.uniform(0, 100, 1000)
    yhat = np.minimum(y + rng.normal(0, 2, 1000), 80)  # never above 80; far off for the top values
    spots = {s["kind"]: s for s in placeholders.weak_ranges(y, yhat)}
    assert spots["top_tenth"]["error"] > 2 * spots["top_tenth"]["overall_error"]
    top = y >= np.quantile(y, 0.9)
    assert spots["top_tenth"]["error"] == pytest.approx(np.mean(np.abs(y[top] - yhat[top])), rel=0.05)
    assert spots["ceiling"]["value"] == pytest.approx(80) and spots["ceiling"]["beyond_per_100"] == \
        round(100 * np.mean(y > 80))
    even = placeholders.weak_ranges(y, y + rng.normal(0, 2, 1000))
    assert not [s for s in even if s["kind"].endswith("tenth")]


def test_a_class_found_much_less_often_is_named(ws):
    story = narrative.build(views.load(ws["runs"]["f1"]))
    weak = next(s for s in story["sections"] if s["id"] == "weak")["sentences"]
    recalls = story["values"]["weak_spots"]
    if recalls:  # German credit: bad risks are found far less often than good ones
        assert any(f"only {s['recall_per_100']} of every 100" in w for s in recalls for w in weak)
    else:
        assert weak == ["No range of values or outcome stands out as much worse than the rest."]


# --- names people use ---------------------------------------------------------------------------

def test_value_names_reach_the_summary_in_both_languages(ws, snapshot):
    run = views.load(ws["runs"]["f1"])
    before = snapshot()
    for bad, code in (({"1": "  "}, "empty_value_name"), ({"1": "ok", "0": "OK"}, "duplicate_value_name"),
                      ({"7": "seven"}, "unknown_value")):
        with pytest.raises(InvalidInput) as refused:
            names.set_value_names(run.dataset_id, "risk", bad, user="ana")
        assert refused.value.code == code
    assert snapshot() == before
    names.set_value_names(run.dataset_id, "risk", {"1": "repays the loan", "0": "defaults"}, user="ana")
    assert "“repays the loan”" in narrative.build(run, "en")["text"]
    assert "“repays the loan”" in narrative.build(run, "pt")["text"]
    assert "“1”" not in narrative.build(run, "en")["text"]
    names.set_value_names(run.dataset_id, "risk", {}, user="ana")  # names removed: values again
    assert "“1”" in narrative.build(run, "en")["text"]


def test_descriptions_and_run_names_through_the_cli(ws):
    described = cli_json("datasets", "describe", ws["leaky"], "--column", "x1", "--text", "**Income** <b>score</b>")
    assert described["descriptions"]["x1"] == "**Income** <b>score</b>"  # stored as typed, shown as text
    renamed = cli_json("runs", "rename", ws["runs"]["clean"], "Loan outcome, leak left out")
    assert renamed["name"] == "Loan outcome, leak left out"
    assert any(r["name"] == "Loan outcome, leak left out" for r in views.list_runs())
    empty = cli("runs", "rename", ws["runs"]["clean"], "   ")
    assert empty.returncode == 2 and "cannot be empty" in empty.stderr
    named = cli_json("datasets", "name-values", ws["leaky"], "--column", "y", "--set", "1=repays", "--set",
                     "0=defaults")
    assert named["values"]["y"] == {"1": "repays", "0": "defaults"}


# --- the pages ----------------------------------------------------------------------------------

def _app(page, ws_user="ana", audience="analyst", language=None):
    from tests.test_app import run_app

    return run_app(page, user=ws_user, audience=audience, language=language)


def _errors(at):
    from tests.test_app import errors

    return errors(at)


@pytest.mark.parametrize("page, picker", [("pages/runs.py", "run_pick"), ("pages/results.py", "result_pick"),
                                          ("pages/summary.py", "summary_pick")])
def test_the_suspect_banner_is_on_every_page_that_shows_the_run(ws, page, picker):
    at = _app(page)
    at.selectbox(key=picker).set_value(ws["runs"]["kept"]).run()
    assert not at.exception
    assert any("too good to be true" in e for e in _errors(at))
    at.selectbox(key=picker).set_value(ws["runs"]["clean"]).run()
    assert not any("too good to be true" in e for e in _errors(at))


def test_compare_shows_the_banner_and_does_not_call_the_suspect_run_best(ws):
    at = _app("pages/compare.py")
    at.multiselect(key="compare_pick").set_value([ws["runs"]["clean"], ws["runs"]["kept"]]).run()
    assert not at.exception
    assert any("too good to be true" in e for e in _errors(at))
    sentence = next(m.value for m in at.markdown if "the best by" in m.value)
    assert views.load(ws["runs"]["clean"]).name.split(" · ")[0] in sentence.replace("\\", "")


def test_renaming_a_run_on_the_runs_page(ws):
    at = _app("pages/runs.py")
    at.selectbox(key="run_pick").set_value(ws["runs"]["f1"]).run()
    at.text_input(key=f"run_name_{ws['runs']['f1']}").set_value("Credit risk, F1 review")
    next(b for b in at.button if b.label == "Rename run").click().run()
    assert not at.exception
    assert views.load(ws["runs"]["f1"]).name == "Credit risk, F1 review"
    assert "Credit risk, F1 review" in at.selectbox(key="run_pick").format_func(ws["runs"]["f1"])


def test_four_eyes_on_the_summary_page(ws):
    run_id = ws["runs"]["f1"]
    if decisions.thread(run_id)["decision"] != "draft":
        decisions.decide(run_id, "draft", note="start over", user="ana")
    decisions.decide(run_id, "reviewed", note="my own review", user="ana")
    at = _app("pages/summary.py", audience="stakeholder")
    at.selectbox(key="summary_pick").set_value(run_id).run()
    box = next(a for a in at.text_area if a.key.startswith(f"comment_{run_id}_"))
    box.input("Looks right.")
    at.checkbox(key=f"confirm_{box.key}").check()
    next(b for b in at.button if b.label == "Approve for use").click().run()
    assert not at.exception
    assert any("cannot be its only approver" in e for e in _errors(at))
    assert decisions.thread(run_id)["decision"] == "reviewed"


def test_target_value_names_on_the_summary_page_in_both_languages(ws):
    run = views.load(ws["runs"]["f1"])
    names.set_value_names(run.dataset_id, "risk", {"1": "repays the loan", "0": "defaults"}, user="ana")
    try:
        for lang, words in (("en", "“repays the loan”"), ("pt", "“repays the loan”")):
            at = _app("pages/summary.py", audience="stakeholder", language=lang)
            at.selectbox(key="summary_pick").set_value(run.run_id).run()
            assert not at.exception
            text = " ".join(m.value for m in at.markdown).replace("\\", "")
            assert words in text and "“1”" not in text
    finally:
        names.set_value_names(run.dataset_id, "risk", {}, user="ana")
        from core.governance import users

        users.set_preference("ana", key="language", value="en")
