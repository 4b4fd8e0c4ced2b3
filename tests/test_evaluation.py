"""Holdout evaluation, recomputed independently with scikit-learn on the same predictions."""

import numpy as np
import pytest
from sklearn import metrics

from core.analysis import choice, evaluation
from core.data import datasets
from core.foundation.errors import InvalidInput
from core.training.spec import RunSpec
from tests.conftest import DATA, train

pytestmark = pytest.mark.usefixtures("no_leftover_workers")
QUICK = {"quality": "fast", "time_limit": 15, "model_families": ["GBM", "LR"]}


def _run(name, target, **extra):
    dataset = datasets.add(DATA / name)["dataset_id"]
    run = train(RunSpec(dataset, target, **{**QUICK, **extra}))
    assert run.status == "succeeded", run.error
    return run


def test_binary_report_matches_sklearn_and_autogluon():
    run = _run("german_credit.csv", "risk")
    rep = evaluation.binary_report(run)
    pred = evaluation.predictions(run)
    y = pred["y_true"].astype(str) == rep["positive_class"]
    p = pred[f"p_{rep['positive_class']}"]
    assert rep["roc_auc"] == pytest.approx(metrics.roc_auc_score(y, p))
    tn, fp, fn, tp = metrics.confusion_matrix(y, p >= 0.5).ravel()
    assert rep["confusion"] == {"tp": tp, "fp": fp, "fn": fn, "tn": tn}
    # The run's own holdout accuracy (from AutoGluon) agrees with ours at the default threshold.
    assert rep["accuracy"] == pytest.approx(run.holdout_metrics["accuracy"])
    assert rep["baseline"]["accuracy"] == pytest.approx(max(y.mean(), 1 - y.mean()))
    # Without a model, at the default values (+1 right 'yes', -1 each error): all 'yes' or none.
    assert rep["everyone_value_per_1000"] == pytest.approx(1000 * (y.mean() - (1 - y.mean())))
    assert rep["nobody_value_per_1000"] == pytest.approx(-1000 * y.mean())


def test_threshold_optimum_is_the_best_expected_value():
    rng = np.random.default_rng(0)
    y = rng.random(400) < 0.3
    p = np.clip(y * 0.35 + rng.random(400) * 0.65, 0, 1)
    table = evaluation.threshold_table(y, p, value_tp=10, cost_fp=2, cost_fn=5)
    best = table.loc[table["value_per_1000"].idxmax(), "threshold"]
    # Brute force, independently of the table's own bookkeeping.
    values = {t: ((p >= t) & y).sum() * 10 - ((p >= t) & ~y).sum() * 2 - ((p < t) & y).sum() * 5
              for t in evaluation.THRESHOLDS}
    assert values[best] == max(values.values())


def test_a_chosen_threshold_changes_the_confusion_matrix():
    run = _run("german_credit.csv", "risk")
    low = evaluation.binary_report(run, threshold=0.2)["confusion"]
    high = evaluation.binary_report(run, threshold=0.9)["confusion"]
    assert low["tp"] + low["fp"] > high["tp"] + high["fp"]
    assert evaluation.binary_report(choice.choose(run.run_id, threshold=0.9))["confusion"] == high


def test_multiclass_and_regression_reports():
    penguins = _run("penguins.csv", "species")
    rep = evaluation.multiclass_report(penguins)
    pred = evaluation.predictions(penguins)
    assert rep["accuracy"] == pytest.approx(metrics.accuracy_score(pred["y_true"], pred["y_pred"]))
    assert rep["accuracy"] > rep["baseline"]["accuracy"]
    assert sum(map(sum, rep["confusion_matrix"])) == rep["rows"]
    bikes = _run("bikeshare.csv", "bikers", exclude=["casual", "registered"], model_families=["LR"])
    reg = evaluation.regression_report(bikes)
    assert reg["mean_absolute_error"] == pytest.approx(bikes.holdout_metrics["mean_absolute_error"], rel=1e-4)
    assert reg["mean_absolute_error"] < reg["baseline"]["mean_absolute_error"]
    assert len(reg["error_by_decile"]) == 10


def test_thresholds_only_for_binary_runs():
    penguins = _run("penguins.csv", "species")
    with pytest.raises(InvalidInput, match="thresholds apply to yes/no"):
        evaluation.binary_report(penguins)


def test_feature_importance_has_intervals_and_ranks_a_strong_feature_first(tmp_path):
    rng = np.random.default_rng(1)
    n = 600
    import pandas as pd

    strong = rng.normal(size=n)
    df = pd.DataFrame({"strong": strong, "noise1": rng.normal(size=n), "noise2": rng.normal(size=n),
                       "y": (strong + 0.2 * rng.normal(size=n) > 0).astype(int)})
    path = tmp_path / "signal.csv"
    df.to_csv(path, index=False)
    dataset = datasets.add(path)["dataset_id"]
    # 'strong' alone gets about 93 in 100 right: the leakage check recommends leaving it out; keep it.
    run = train(RunSpec(dataset, "y", keep=["strong"], **QUICK))
    result = evaluation.feature_importance(run, time_limit=20)
    top = result["features"][0]
    assert top["feature"] == "strong" and top["importance"] > 0.2
    assert top["low"] <= top["importance"] <= top["high"]
    assert evaluation.feature_importance(run) == result  # cached


def test_reading_a_run_leaves_its_folder_as_the_worker_left_it():
    """Reads never write: reports, threshold tuning and importance of a model a person chose are
    computed in memory, so two pages reading at once never meet a half-written file."""
    run = _run("german_credit.csv", "risk")
    other = next(m["model"] for m in run.models if m["model"] != run.chosen_model)
    run = choice.choose(run.run_id, model=other)

    def files():
        return {p: p.stat().st_mtime_ns for p in run.folder.rglob("*") if p.is_file()}

    before = files()
    report = evaluation.binary_report(run, value_tp=2, cost_fp=1, cost_fn=1)
    importance = evaluation.feature_importance(run, time_limit=5)
    assert files() == before
    assert importance["features"] and report["tuned_rows"] > 0
    assert evaluation.feature_importance(run, time_limit=5) is importance  # kept, not recomputed
    evaluation.predictions(run).loc[0, "y_true"] = "tampered"  # a caller's copy, not the kept one
    assert (evaluation.predictions(run)["y_true"] != "tampered").all()


def test_compare_scores_runs_on_shared_holdout_rows_and_lists_differences():
    from core.analysis import compare

    dataset = datasets.add(DATA / "german_credit.csv")["dataset_id"]
    a = train(RunSpec(dataset, "risk", **QUICK))
    b = train(RunSpec(dataset, "risk", **{**QUICK, "model_families": ["LR"]}))
    result = compare.compare([a.run_id, b.run_id])
    assert result["shared_holdout_rows"] == 200  # same seed and share: the very same rows
    assert {r["run_id"] for r in result["runs"]} == {a.run_id, b.run_id}
    assert result["runs"][0]["metrics"]["accuracy"] == pytest.approx(a.holdout_metrics["accuracy"])
    assert [d["setting"] for d in result["spec_differences"]] == ["model_families"]
    other = _run("penguins.csv", "species")
    with pytest.raises(InvalidInput, match="same data set and target"):
        compare.compare([a.run_id, other.run_id])
