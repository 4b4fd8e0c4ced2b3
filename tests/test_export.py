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


@pytest.mark.parametrize("name", ["penguins", "credit"])
def test_the_exported_script_gives_the_runs_holdout_numbers(runs, tmp_path, name):
    run = runs[name]
    shown = cli_json("export-code", run.run_id, "--output", str(tmp_path / "run.py"))
    assert shown["notes"] == [] and shown["data"].endswith("data.parquet")
    text = (tmp_path / "run.py").read_text()
    assert "TabularPredictor(path=path, **PREDICTOR).fit(train, **FIT)" in text
    assert "def holdout_split(" in text and "import core" not in text and "from core" not in text
    if name == "credit":
        assert "# left out: 'sex' (sensitive" in text
    got = _run_script(tmp_path / "run.py", "--model-dir", str(tmp_path / "models"))
    assert set(got) == set(run.holdout_metrics)
    for metric, value in run.holdout_metrics.items():
        assert got[metric] == pytest.approx(value, abs=1e-6), metric


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
