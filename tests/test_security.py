"""Unsafe loading: models load only from the workspace's run folders, with AutoGluon's version
checks on; a tampered run folder or a model saved by other versions is refused with a message."""

import pytest

from core.analysis import artifacts
from core.foundation import db
from core.foundation.errors import InvalidInput
from core.serving import scoring
from core.training import views
from core.data import datasets
from core.training.spec import RunSpec
from tests.conftest import DATA, trained_in

pytestmark = pytest.mark.usefixtures("no_leftover_workers")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("security-home")

    def specs():
        penguins = datasets.add(DATA / "penguins.csv")["dataset_id"]
        return {"run": RunSpec(penguins, "species", quality="fast", time_limit=20, model_families=["GBM"],
                               refit_for_use=False)}

    return home, trained_in(home, specs)["run"]


@pytest.fixture
def run(home, monkeypatch):
    """The trained run, put back as it was after each test tampers with it."""
    monkeypatch.setenv("COMMONGROUND_HOME", str(home[0]))
    record = views.load(home[1])
    version = (record.folder / "model" / "version.txt").read_text()
    yield record
    with db.connect() as con:
        con.execute("UPDATE runs SET run_dir = ? WHERE run_id = ?", [record.run_dir, record.run_id])
    (record.folder / "model" / "version.txt").write_text(version)
    artifacts._load_predictor.cache_clear()


@pytest.mark.parametrize("elsewhere", ["../outside", "/etc", "runs/../../outside"])
def test_a_run_folder_outside_the_workspace_is_refused(run, elsewhere):
    with db.connect() as con:
        con.execute("UPDATE runs SET run_dir = ? WHERE run_id = ?", [elsewhere, run.run_id])
    with pytest.raises(InvalidInput, match="not inside the workspace's runs folder") as refused:
        scoring.score(run.run_id, input_path=DATA / "penguins.csv")
    assert elsewhere in str(refused.value)


def test_a_model_saved_by_other_versions_is_refused(run):
    loaded = views.load(run.run_id)
    (loaded.folder / "model" / "version.txt").write_text("0.0.1")
    artifacts._load_predictor.cache_clear()
    with pytest.raises(InvalidInput, match="saved by other versions") as refused:
        artifacts.load_predictor(loaded)
    assert "0.0.1" in str(refused.value)
