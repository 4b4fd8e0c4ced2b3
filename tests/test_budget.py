"""Training keeps its promises: the quick model first, finishing work planned inside the budget,
cores shared between runs, and the refit-for-use model. Timings are measured in bench/, not here."""

import json
import time

import pytest

from core.analysis import artifacts, evaluation
from core.data import datasets
from core.serving import scoring
from core.training import lifecycle, resources, strategy, sync, views
from core.training.executors.local import LocalProcessExecutor
from core.training.spec import RunSpec
from tests.conftest import DATA, trained_in

pytestmark = pytest.mark.usefixtures("no_leftover_workers")


def _events(run) -> list[dict]:
    return [json.loads(line) for line in (run.folder / "events.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def credit(tmp_path_factory):
    home = tmp_path_factory.mktemp("budget-home")

    def specs():
        dataset = datasets.add(DATA / "german_credit.csv")["dataset_id"]
        runs = {q: RunSpec(dataset, "risk", quality=q, time_limit=20, model_families=["GBM", "RF"])
                for q in ("fast", "balanced")}
        # 'fast' stops when its models are done, so a minute leaves ample room for the refit, even on a busy machine
        runs["refit"] = RunSpec(dataset, "risk", quality="fast", time_limit=60, model_families=["GBM"])
        return runs

    return home, trained_in(home, specs)


@pytest.fixture
def runs(credit, monkeypatch):
    """The module's runs, read in their own workspace (run folders are relative to it)."""
    monkeypatch.setenv("COMMONGROUND_HOME", str(credit[0]))
    return {q: views.load(run_id) for q, run_id in credit[1].items()}


@pytest.mark.parametrize("quality", ["fast", "balanced"])
def test_the_quick_model_is_trained_before_the_larger_ones(runs, quality):
    run = runs[quality]
    trained = [e["model"] for e in _events(run) if e["event"] == "model"]
    assert trained[0].startswith("LightGBMQuick"), trained
    assert len(trained) > 2  # the preset's own models still follow
    if quality == "balanced":
        assert trained[0].endswith("_BAG_L1")  # bagged, on two folds (AutoGluon's ag_args_ensemble.num_folds)
        info = artifacts.load_predictor(run).info()["model_info"][trained[0]]
        assert info["bagged_info"]["num_child_models"] == 2


@pytest.mark.parametrize("quality", ["fast", "balanced"])
def test_finishing_work_is_planned_inside_the_budget_and_finished_comes_last(runs, quality):
    run = runs[quality]
    events = _events(run)
    budget = next(e for e in events if e["event"] == "budget")
    # fit time + finishing reserve + time already spent when fit starts = the limit, not more
    spent = budget["t"] - budget["launched_at"]
    assert budget["fit_seconds"] + budget["reserve"] + spent == pytest.approx(20, abs=0.5)
    assert budget["reserve"] == strategy.finishing_seconds(20)
    kinds = [e["event"] for e in events]
    assert kinds[-1] == "finished"
    assert kinds.index("scored") < kinds.index("assessed") < kinds.index("finished")
    steps = [e["step"] for e in events if e["event"] == "step"]
    assert steps[:1] in (["refitting"], ["scoring"]) and "explaining" in steps
    assert run.details["step"] is None  # cleared once finished
    assert run.details["usage"]["peak_memory_gb"] > 0.1 and run.details["usage"]["cpu_seconds"] > 0


def test_preset_refit_is_never_left_to_autogluon_outside_the_budget(runs):
    plan_kwargs = json.loads((runs["balanced"].folder / "plan.json").read_text())["fit_kwargs"]
    assert plan_kwargs["presets"] == "good_quality"  # a preset that asks AutoGluon to refit after fit
    log = (runs["balanced"].folder / "worker.log").read_text()
    assert "refit_full=True" not in log.replace(" ", "")


def test_each_run_gets_a_share_of_the_cores_and_its_threads_follow(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMONGROUND_MAX_PARALLEL_RUNS", "2")
    share = resources.core_share()
    assert share == max(1, (__import__("os").cpu_count() or 1) // 2)
    handle = LocalProcessExecutor(worker_module="tests.workers.env").submit("run_env", tmp_path, cpus=share,
                                                                              launched_at=123.5)
    deadline = time.monotonic() + 30
    while not (tmp_path / "env.json").exists():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(0.2)
    env = json.loads((tmp_path / "env.json").read_text())
    assert env == {"COMMONGROUND_CPUS": str(share), "COMMONGROUND_LAUNCHED_AT": "123.5",
                   "OMP_NUM_THREADS": str(share), "MKL_NUM_THREADS": str(share), "OPENBLAS_NUM_THREADS": str(share)}
    assert handle["executor"] == "local"
    assert resources.estimate(1000, 10, quality="fast", time_limit=60)["cores"] == share


def test_an_experts_cpus_are_what_the_run_holds_and_its_threads_use(tmp_path, monkeypatch):
    """num_cpus set by an expert is the run's reservation and thread count, not only AutoGluon's:
    otherwise a run asking for 1 core would still hold (and on Ray reserve) the even share."""
    assert resources.run_cores(1, 16, 16) == 1 and resources.run_cores(32, 64, 8) == 8  # never more than a node
    monkeypatch.setenv("COMMONGROUND_MAX_PARALLEL_RUNS", "1")
    assert resources.run_cores(None, 16, 16) == resources.core_share(16, 16) == 16
    dataset = datasets.add(DATA / "penguins.csv")["dataset_id"]
    started = []

    class Records(LocalProcessExecutor):
        def submit(self, run_id, run_dir, *, cpus=1, **kwargs):
            started.append(cpus)
            return super().submit(run_id, run_dir, cpus=cpus, **kwargs)

    executor = Records(worker_module="tests.workers.env")
    monkeypatch.setattr(sync, "choose", lambda: (executor, None))
    run = lifecycle.start(RunSpec(dataset, "species", quality="fast", time_limit=10, num_cpus=1))
    assert started == [1] and run.estimate["cores"] == 1
    deadline = time.monotonic() + 30
    while not (run.folder / "env.json").exists():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(0.2)
    env = json.loads((run.folder / "env.json").read_text())
    assert env["COMMONGROUND_CPUS"] == env["OMP_NUM_THREADS"] == "1"


def test_an_expert_may_ask_for_the_largest_nodes_cores_not_more(monkeypatch):
    """On a Ray cluster a run trains on one node, which may have more cores than this machine."""
    from core.foundation.errors import InvalidInput
    from core.training import plan

    dataset = datasets.add(DATA / "penguins.csv")["dataset_id"]
    monkeypatch.setattr(resources, "cores_where_runs_train", lambda: (24, 8))
    assert plan.make_plan(RunSpec(dataset, "species", num_cpus=8))["estimate"]["cores"] == 8
    with pytest.raises(InvalidInput) as refused:
        plan.make_plan(RunSpec(dataset, "species", num_cpus=9))
    assert "between 1 and 8" in str(refused.value) and "9" in str(refused.value)


def test_refit_for_use_scores_with_a_model_refit_on_every_row_and_keeps_the_honest_scores(runs, tmp_path):
    run = runs["refit"]  # german credit has 1,000 rows: refit for use is on by default
    use = run.details["model_for_use"]
    assert use["done"] and use["rows"] == 1000, use
    refit, name = artifacts.model_for_use(run)
    assert name == use["refit_model"] and (run.folder / "model_for_use").is_dir()
    original = artifacts.load_predictor(run)
    assert list(refit.features()) == list(original.features())
    refit_rows = [m["num_samples"] for n, m in refit.info()["model_info"].items() if n.endswith("_FULL")]
    assert max(refit_rows) == 1000  # its base model learnt from training and holdout rows
    # The holdout scores are those of the tested model, recomputed from the run's own artifacts.
    report = evaluation.report(run)
    assert report["accuracy"] == pytest.approx(run.holdout_metrics["accuracy"])
    rows = tmp_path / "new.csv"
    artifacts.labelled_rows(run).drop(columns=["risk"]).head(50).to_csv(rows, index=False)
    out = scoring.score(run.run_id, input_path=rows, output_path=tmp_path / "scored.csv")
    assert out["refit_on_all_rows"] and out["rows"] == 50


def test_refit_for_use_defaults_by_table_size():
    assert strategy.wants_refit_for_use(9_999) and not strategy.wants_refit_for_use(10_000)


def test_permutation_importance_samples_the_holdout_to_fit_its_time():
    # A 2-level stack of bagged models: 5 s per 1,000 rows; 12 features; 10 s left.
    assert strategy.importance_rows(3400, 12, 5000.0, 10.0) == int(10.0 / (13 * 5000.0 / 1e6))
    # A single LightGBM predicts fast: every holdout row (AutoGluon's cap is 5,000).
    assert strategy.importance_rows(3400, 12, 20.0, 10.0) == 3400
    assert strategy.importance_rows(80_000, 12, 20.0, 60.0) == strategy.IMPORTANCE_MAX_ROWS
    # Never fewer than 100 rows (or the whole holdout when it is smaller); unknown speed: no cut.
    assert strategy.importance_rows(3400, 12, 1e6, 1.0) == 100
    assert strategy.importance_rows(60, 12, 1e6, 1.0) == 60
    assert strategy.importance_rows(3400, 12, None, 1.0) == 3400
