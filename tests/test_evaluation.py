"""Holdout evaluation, recomputed independently with scikit-learn on the same predictions."""

import numpy as np
import pytest
from sklearn import metrics

from core import choice, datasets, evaluation, runs
from core.errors import InvalidInput
from core.runspec import RunSpec
from tests.conftest import DATA

pytestmark = pytest.mark.usefixtures("no_leftover_workers")
QUICK = {"quality": "fast", "time_limit": 15, "model_families": ["GBM", "LR"]}


def _run(name, target, **extra):
    dataset = datasets.add(DATA / name)["dataset_id"]
    run = runs.wait(runs.start(RunSpec(dataset, target, **{**QUICK, **extra}))["run_id"])
    assert run["status"] == "succeeded", run["error"]
    return run


def test_binary_report_matches_sklearn_and_autogluon():
    run = _run("german_credit.csv", "risk")
    rep = evaluation.binary_report(run["run_id"])
    pred = evaluation.predictions(run["run_id"])
    y = pred["y_true"].astype(str) == rep["positive_class"]
    p = pred[f"p_{rep['positive_class']}"]
    assert rep["roc_auc"] == pytest.approx(metrics.roc_auc_score(y, p))
    tn, fp, fn, tp = metrics.confusion_matrix(y, p >= 0.5).ravel()
    assert rep["confusion"] == {"tp": tp, "fp": fp, "fn": fn, "tn": tn}
    # The run's own holdout accuracy (from AutoGluon) agrees with ours at the default threshold.
    assert rep["accuracy"] == pytest.approx(run["holdout_metrics"]["accuracy"])
    assert rep["baseline"]["accuracy"] == pytest.approx(max(y.mean(), 1 - y.mean()))


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
    low = evaluation.binary_report(run["run_id"], threshold=0.2)["confusion"]
    high = evaluation.binary_report(run["run_id"], threshold=0.9)["confusion"]
    assert low["tp"] + low["fp"] > high["tp"] + high["fp"]
    choice.choose(run["run_id"], threshold=0.9)
    assert evaluation.binary_report(run["run_id"])["confusion"] == high


def test_multiclass_and_regression_reports():
    penguins = _run("penguins.csv", "species")
    rep = evaluation.multiclass_report(penguins["run_id"])
    pred = evaluation.predictions(penguins["run_id"])
    assert rep["accuracy"] == pytest.approx(metrics.accuracy_score(pred["y_true"], pred["y_pred"]))
    assert rep["accuracy"] > rep["baseline"]["accuracy"]
    assert sum(map(sum, rep["confusion_matrix"])) == rep["rows"]
    bikes = _run("bikeshare.csv", "bikers", exclude=["casual", "registered"])
    reg = evaluation.regression_report(bikes["run_id"])
    assert reg["mean_absolute_error"] == pytest.approx(bikes["holdout_metrics"]["mean_absolute_error"], rel=1e-4)
    assert reg["mean_absolute_error"] < reg["baseline"]["mean_absolute_error"]
    assert len(reg["error_by_decile"]) == 10


def test_thresholds_only_for_binary_runs():
    penguins = _run("penguins.csv", "species")
    with pytest.raises(InvalidInput, match="thresholds apply to yes/no"):
        evaluation.binary_report(penguins["run_id"])
