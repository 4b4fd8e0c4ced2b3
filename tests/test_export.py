"""The exported script reproduces a run with plain AutoGluon: same split, same call, same holdout
numbers; it is written even when the data set was deleted, and says what it reads."""

import json
import subprocess
import sys

import pytest

from core.data import datasets
from core.reporting import export
from core.training import views
from core.training.spec import RunSpec
from tests.conftest import DATA, trained_in
from tests.test_cli import cli_json

pytestmark = pytest.mark.usefixtures("no_leftover_workers")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("export-home")

    def specs():
        penguins = datasets.add(DATA / "penguins.csv")["dataset_id"]
        credit = datasets.add(DATA / "german_credit.csv")["dataset_id"]
        # one model family, and a time limit that does not bind: the numbers must come back exactly
        return {"penguins": RunSpec(penguins, "species", quality="fast", time_limit=60, model_families=["GBM"],
                                    refit_for_use=False),
                "credit": RunSpec(credit, "risk", quality="fast", time_limit=60, model_families=["GBM", "LR"],
                                  refit_for_use=False)}

    return home, trained_in(home, specs)


@pytest.fixture
def runs(home, monkeypatch):
    monkeypatch.setenv("COMMONGROUND_HOME", str(home[0]))
    return {k: views.load(v) for k, v in home[1].items()}


def _run_script(path, *args) -> dict:
    out = subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True, timeout=600,
                         cwd=path.parent)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_exported_script_gives_the_runs_holdout_numbers(runs, tmp_path):
    run = runs["credit"]
    shown = cli_json("export-code", run.run_id, "--output", str(tmp_path / "run.py"))
    assert shown["notes"] == [] and shown["data"].endswith("data.parquet")
    text = (tmp_path / "run.py").read_text()
    assert "TabularPredictor(path=path, **PREDICTOR).fit(train, **FIT)" in text
    assert "def holdout_split(" in text and "import core" not in text and "from core" not in text
    assert "# left out: 'sex' (sensitive" in text
    got = _run_script(tmp_path / "run.py", "--model-dir", str(tmp_path / "models"))
    assert set(got) == set(run.holdout_metrics)
    for metric, value in run.holdout_metrics.items():
        assert got[metric] == pytest.approx(value, abs=1e-6), metric


def test_a_rerun_repeats_the_run_and_says_how_its_results_differ(runs):
    original = runs["penguins"]
    again = cli_json("runs", "rerun", original.run_id, "--wait")
    assert again["status"] == "succeeded" and again["rerun_of"] == original.run_id
    diff = cli_json("runs", "differences", again["run_id"])
    assert diff["original"] == original.run_id and diff["identical_metrics"], diff["metrics"]
    assert diff["setup_changes"] == []
    family = cli_json("runs", "lineage", original.run_id)
    assert family["reruns"] == [again["run_id"]] and family["dataset"]["hash"] == original.data_source["hash"]
    from core.analysis import compare
    from core.foundation.errors import InvalidInput
    with pytest.raises(InvalidInput) as not_rerun:
        compare.rerun_differences(original.run_id)
    assert not_rerun.value.code == "not_a_rerun"


def test_the_registry_filters_and_sorts_runs_and_cleans_up_runs_without_a_model(runs, home):
    from core.foundation import db
    from core.training import lifecycle

    every = views.list_runs()
    credit = views.list_runs(dataset=runs["credit"].dataset_name)
    assert credit and {r["target"] for r in credit} == {"risk"} and len(credit) < len(every)
    assert views.list_runs(status="failed") == []
    assert [r["run_id"] for r in views.list_runs(target="species", sort="score")][0] in {
        r["run_id"] for r in every if r["target"] == "species"}
    scored = [r for r in views.list_runs(sort="score") if r["score"] is not None and r["eval_metric"] == "accuracy"]
    assert [r["score"] for r in scored] == sorted([r["score"] for r in scored], reverse=True)
    with db.transaction() as con:  # a run that failed before any model, with its folder
        con.execute("CREATE TEMP TABLE f AS SELECT * FROM runs WHERE run_id = ?", [runs["credit"].run_id])
        con.execute("UPDATE f SET run_id = 'run_failed_one', status = 'failed', run_dir = 'runs/run_failed_one'")
        con.execute("INSERT INTO runs SELECT * FROM f")
    folder = views.load("run_failed_one").folder
    folder.mkdir(parents=True)
    (folder / "worker.log").write_text("boom")
    from core.foundation.errors import InvalidInput
    with pytest.raises(InvalidInput) as unconfirmed:
        lifecycle.delete_failed()
    assert unconfirmed.value.code == "confirmation_needed" and views.load("run_failed_one")
    gone = cli_json("runs", "delete-failed", "--yes")
    assert gone["deleted"] == ["run_failed_one"] and not folder.exists()
    assert len(views.list_runs()) == len(every)


def test_a_deleted_data_set_is_named_and_the_script_still_reads_the_runs_copy(runs, tmp_path):
    run = runs["penguins"]
    datasets.delete(run.dataset_id)
    out = export.export_code(run.run_id, output=tmp_path / "code" / "run.py", lang="pt")
    assert [n["code"] for n in out["notes"]] == ["export_dataset_deleted"]
    assert "penguins.csv" in out["notes"][0]["text"] and "apagado" in out["notes"][0]["text"]
    snapshot = run.folder / "data.parquet"
    snapshot.rename(tmp_path / "kept.parquet")
    try:
        gone = export.export_code(run.run_id, output=tmp_path / "run2.py")
    finally:
        (tmp_path / "kept.parquet").rename(snapshot)
    assert {n["code"] for n in gone["notes"]} == {"export_dataset_deleted", "export_snapshot_gone"}
    assert "DATA = 'penguins.csv'" in (tmp_path / "run2.py").read_text()


def test_an_analyst_reruns_from_the_runs_page_and_filters_the_registry(runs):
    from core.training import lifecycle
    from tests.test_app import run_app

    original = runs["credit"]
    at = run_app("pages/runs.py", audience="analyst")
    at.selectbox(key="run_pick").set_value(original.run_id).run()
    before = {r["run_id"] for r in views.list_runs()}
    next(b for b in at.button if b.label == "Re-run identically").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (new,) = {r["run_id"] for r in views.list_runs()} - before
    assert views.load(new).rerun_of == original.run_id and at.selectbox(key="run_pick").value == new
    lifecycle.wait(new, timeout=120)
    predicts = next(s for s in at.selectbox if s.label == "Predicts")
    predicts.set_value("species").run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert set(shown["Predicts"]) == {"species"}
