"""Training runs: real AutoGluon fits on the shipped data with tiny budgets."""

import json
import os
import signal
import time

import psutil
import pytest

from core.data import datasets
from core.foundation import config, db
from core.training import lifecycle, sync, views
from core.foundation.errors import InvalidInput, NotFound
from core.training.spec import RunSpec
from tests.conftest import DATA, look, train

FAST = {"quality": "fast", "time_limit": 10, "model_families": ["GBM", "XGB", "LR"]}


pytestmark = pytest.mark.usefixtures("no_leftover_workers")


@pytest.fixture
def ds():
    def add(name):
        return datasets.add(DATA / name)["dataset_id"]

    return add


def _wait_until(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def _use_executor(monkeypatch, executor) -> None:
    """Runs start (sync.choose), are followed and are cancelled (get_executor) through `executor`."""
    monkeypatch.setattr(sync, "choose", lambda: (executor, None))
    for module in (sync, lifecycle):
        monkeypatch.setattr(module, "get_executor", lambda name=None: executor)


def test_binary_run_records_everything(ds):
    run = train(RunSpec(ds("german_credit.csv"), "risk", goal="best_ranking", **FAST))
    assert run.status == "succeeded", run.error
    assert run.problem_type == "binary" and run.eval_metric == "roc_auc"
    assert run.details["holdout_rows"] == 200 and run.details["train_rows"] == 800
    assert 0 < run.first_model_seconds < run.elapsed_seconds
    names = [m["model"] for m in run.models]
    assert run.chosen_model in names and len(names) >= 2
    assert all(m["score_val"] is not None for m in run.models)
    assert 0.5 < run.holdout_metrics["roc_auc"] <= 1
    assert run.environment["packages"]["autogluon.tabular"] == "1.6.3"
    with db.connect() as con:
        spec, dhash = con.execute("SELECT spec, dataset_hash FROM runs WHERE run_id = ?",
                                  [run.run_id]).fetchone()
        assert json.loads(spec)["target"] == "risk"
        assert dhash == datasets.show(run.dataset_id)["content_hash"]
        stored = con.execute("SELECT count(*) FROM run_models WHERE run_id = ?", [run.run_id]).fetchone()[0]
    assert stored == len(names)


def test_multiclass_run_keeps_sensitive_columns_out_by_default(ds):
    spec = RunSpec(ds("penguins.csv"), "species", sensitive=["sex"], **FAST)
    run = train(spec)
    assert run.status == "succeeded", run.error
    assert run.problem_type == "multiclass"
    assert "sex" not in run.details["features_used"] and "island" in run.details["features_used"]
    assert run.holdout_metrics["accuracy"] > 0.8


def test_regression_run_reports_errors_in_target_units(ds):
    spec = RunSpec(ds("bikeshare.csv"), "bikers", goal="typical_error", exclude=["casual", "registered"], **FAST)
    run = train(spec)
    assert run.status == "succeeded", run.error
    assert run.eval_metric == "mean_absolute_error"
    assert 0 < run.holdout_metrics["mean_absolute_error"] < 150  # bikes per hour, positive
    assert all(m["score_val"] > 0 for m in run.models)


def test_cancel_stops_the_process_tree_quickly_and_keeps_the_models(ds):
    spec = RunSpec(ds("titanic.csv"), "survived", quality="fast", time_limit=120)
    started = lifecycle.start(spec)
    run_id = started.run_id
    _wait_until(lambda: look(run_id).models)
    pid = views.load(run_id).executor_handle["pid"]
    t0 = time.monotonic()
    cancelled = lifecycle.cancel(run_id)
    assert time.monotonic() - t0 < 5
    assert cancelled.status == "cancelled" and cancelled.models
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    from autogluon.tabular import TabularPredictor

    kept = TabularPredictor.load(str(cancelled.folder / "model"), check_packages=False)
    assert set(kept.model_names()) >= {m["model"] for m in cancelled.models}


def test_cancel_of_a_run_whose_worker_has_children_ends_the_whole_tree(ds, monkeypatch):
    """The run's worker starts child processes (one ignores SIGTERM): cancel leaves none behind."""
    from core.training.executors.local import LocalProcessExecutor

    _use_executor(monkeypatch, LocalProcessExecutor(worker_module="tests.workers.tree"))
    run = lifecycle.start(RunSpec(ds("penguins.csv"), "species", **FAST))
    assert run.status == "running"
    _wait_until(lambda: (run.folder / "children.txt").exists())
    worker = psutil.Process(run.executor_handle["pid"])
    _wait_until(lambda: len(worker.children(recursive=True)) >= 3)
    pids = [worker.pid, *(p.pid for p in worker.children(recursive=True))]
    cancelled = lifecycle.cancel(run.run_id)
    assert cancelled.status == "cancelled" and not cancelled.executor_handle
    assert all(not psutil.pid_exists(p) or psutil.Process(p).status() == psutil.STATUS_ZOMBIE for p in pids)


def test_cancel_stays_cancelled_when_the_scheduler_syncs_during_the_kill(ds, monkeypatch):
    """The app's scheduler thread may see the dead worker before cancel records its end: the
    run must still say 'cancelled', not 'interrupted' (a race CI once lost)."""
    from core.training.executors.local import LocalProcessExecutor

    class SyncsMidKill(LocalProcessExecutor):
        def cancel(self, handle):
            super().cancel(handle)
            sync.sync()  # what the scheduler does every few seconds

    _use_executor(monkeypatch, SyncsMidKill())
    run_id = lifecycle.start(RunSpec(ds("titanic.csv"), "survived", quality="fast", time_limit=120)).run_id
    _wait_until(lambda: views.load(run_id).status == "running")
    assert lifecycle.cancel(run_id).status == "cancelled"
    assert look(run_id).status == "cancelled" and not look(run_id).error


def test_a_killed_worker_is_marked_interrupted(ds):
    run_id = lifecycle.start(RunSpec(ds("titanic.csv"), "survived", quality="fast", time_limit=120)).run_id
    _wait_until(lambda: views.load(run_id).status == "running")
    pid = views.load(run_id).executor_handle["pid"]
    os.killpg(pid, signal.SIGKILL)
    _wait_until(lambda: look(run_id).status == "interrupted", timeout=15)
    run = look(run_id)
    assert "stopped before it finished" in run.error and run.sentence() == run.error
    # kept as a message id, so a Portuguese reader reads it in Portuguese (the CLI's JSON says English)
    assert run.error_in("pt").startswith("O processo de treino parou") and run.sentence("pt") == run.error_in("pt")
    assert run.to_json()["error"] == run.error and "error_stored" not in run.to_json()


def test_extra_runs_queue_and_start_when_a_slot_frees(ds, monkeypatch):
    monkeypatch.setenv("COMMONGROUND_MAX_PARALLEL_RUNS", "1")
    dataset = ds("german_credit.csv")
    first = lifecycle.start(RunSpec(dataset, "risk", quality="fast", time_limit=120)).run_id
    second = lifecycle.start(RunSpec(dataset, "risk", quality="fast", time_limit=120, seed=1))
    assert second.status == "queued" and "Waiting" in second.status_sentence
    lifecycle.cancel(first)
    assert look(second.run_id).status == "running"


def test_tweak_and_rerun_records_the_parent(ds):
    dataset = ds("penguins.csv")
    parent = lifecycle.start(RunSpec(dataset, "species", **FAST)).run_id
    child = lifecycle.start(RunSpec(dataset, "species", parent_run_id=parent, **{**FAST, "time_limit": 12}))
    assert child.parent_run_id == parent and child.spec["time_limit"] == 12


# --- bad input: each refused before anything is written ------------------------------------

def _nothing_written():
    with db.connect() as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
    folder = config.home() / "runs"
    assert not folder.exists() or not any(folder.iterdir())


@pytest.mark.parametrize("changes, message", [
    ({"target": "riks"}, "Target column 'riks' not found in data set 'german_credit'. Did you mean 'risk'?"),
    ({"time_limit": 0}, "The time limit must be more than 0 seconds; it is 0"),
    ({"time_limit": -5}, "it is -5"),
    ({"eval_metric": "r2"}, None),  # risk is 0/1 numbers: r2 makes it a regression, which is allowed
    ({"eval_metric": "mean_absolute_error", "target": "sex"}, "Target 'sex' holds text"),
    ({"goal": "typical_error"}, "Goal 'typical_error' does not fit a binary problem"),
    ({"num_stack_levels": 1, "num_bag_folds": 0}, "Stacking needs bagging"),
    ({"model_families": ["NN_TORCH"]}, "Unknown model families: NN_TORCH"),
    ({"exclude": ["risk"]}, "cannot also be excluded"),
    ({"holdout": 0.9}, "between 0.05 and 0.5"),
])
def test_bad_specs_are_refused_before_anything_starts(ds, changes, message):
    spec = RunSpec(**{"dataset_id": ds("german_credit.csv"), "target": "risk", **FAST, **changes})
    if message is None:
        assert lifecycle.plan(spec)["problem_type"] == "regression"
        return
    with pytest.raises(InvalidInput, match=message.replace("?", r"\?").replace("(", r"\(")):
        lifecycle.start(spec)
    _nothing_written()


def test_one_class_and_empty_targets_are_refused(tmp_path):
    path = tmp_path / "flat.csv"
    path.write_text("x,same,empty\n" + "".join(f"{i},yes,\n" for i in range(30)))
    dataset = datasets.add(path)["dataset_id"]
    with pytest.raises(InvalidInput, match=r"same value \('yes'\) in every row"):
        lifecycle.start(RunSpec(dataset, "same", **FAST))
    with pytest.raises(InvalidInput, match="empty in every row"):
        lifecycle.start(RunSpec(dataset, "empty", **FAST))
    _nothing_written()


def test_a_deleted_dataset_is_refused(ds):
    dataset = ds("penguins.csv")
    datasets.delete(dataset)
    with pytest.raises(NotFound, match=f"No data set '{dataset}'"):
        lifecycle.start(RunSpec(dataset, "species", **FAST))
    _nothing_written()


def test_unknown_run_lists_recent_ones():
    with pytest.raises(NotFound, match="No run 'run_nope'"):
        look("run_nope")


@pytest.mark.slow
def test_balanced_quality_run_within_its_budget(ds):
    spec = RunSpec(ds("titanic.csv"), "survived", quality="balanced", time_limit=15)
    run = train(spec)
    assert run.status == "succeeded", run.error
    assert run.elapsed_seconds < 15 * 1.5 + 10
    assert run.holdout_metrics["accuracy"] > 0.7
    # Bagged models are shown once, with the holdout score of their refit-on-all-data twin.
    names = [m["model"] for m in run.models]
    assert not any(n.endswith("_FULL") for n in names)
    assert all(m["score_test"] is not None for m in run.models), run.models


def test_model_failures_read_as_plain_words():
    assert "not have enough free memory" in views.plain_reason({"exc_type": "NotEnoughMemoryError"})
    assert "time budget ran out" in views.plain_reason({"exc_type": "TimeLimitExceeded"})
    odd = views.plain_reason({"exc_type": "ValueError", "detail": "Input contains NaN"})
    assert odd == "failed with an error: Input contains NaN"


def test_chosen_families_are_trained_even_when_the_preset_has_none_of_them(ds):
    spec = RunSpec(ds("german_credit.csv"), "risk", quality="fast", time_limit=15, model_families=["LR", "KNN"])
    run = train(spec)
    assert run.status == "succeeded", run.error
    assert {"LinearModel", "KNeighbors"} <= {m["model"] for m in run.models}
