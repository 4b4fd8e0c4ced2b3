"""Shared fixtures: every test gets its own workspace (a real DuckDB file in a temp folder)."""

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"


@pytest.fixture(autouse=True)
def workspace(tmp_path, monkeypatch):
    """A fresh COMMONGROUND_HOME per test; nothing is shared between tests."""
    home = tmp_path / "home"
    monkeypatch.setenv("COMMONGROUND_HOME", str(home))
    monkeypatch.setenv("COMMONGROUND_USER", "tester")
    return home


@pytest.fixture
def demo_copy(tmp_path):
    """Copy a shipped demo file into the test's folder (so tests may edit it)."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copy(DATA / name, target)
        return target

    return copy


@pytest.fixture
def snapshot():
    """Every table and its row count: a failed action must leave this unchanged. The audit log
    is left out: recording a refused or failed attempt is its purpose."""
    from core.foundation import db

    def take() -> dict:
        with db.connect() as con:
            tables = [r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_name <> 'audit_log' "
                "ORDER BY 1").fetchall()]
            return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}

    return take


@pytest.fixture
def no_leftover_workers():
    """Cancel any run a test left training, so no worker outlives its test."""
    yield
    from core.training import lifecycle, views

    for run in views.list_runs():
        if run["status"] in ("running", "queued"):
            lifecycle.cancel(run["run_id"])


def train(spec):
    """Start a run and drive sync until it ends (as `runs start --wait` does); its record."""
    from core.training import lifecycle

    return lifecycle.wait(lifecycle.start(spec).run_id)


def look(run_id: str):
    """Move runs forward once (as the app's scheduler loop does), then read the run."""
    from core.training import sync, views

    sync.sync()
    return views.load(run_id)


def trained_in(home, specs) -> dict[str, str]:
    """For module-scoped fixtures: in workspace `home`, call `specs()` (it may add data sets there)
    and train each RunSpec it returns; {name: run_id}, every run succeeded."""
    old = os.environ.get("COMMONGROUND_HOME")
    os.environ["COMMONGROUND_HOME"] = str(home)
    try:
        runs = {name: train(spec) for name, spec in specs().items()}
    finally:
        os.environ["COMMONGROUND_HOME"] = old or ""
    assert all(r.status == "succeeded" for r in runs.values()), {k: r.error for k, r in runs.items()}
    return {name: r.run_id for name, r in runs.items()}
