"""Crash consistency: the CLI or a worker killed with SIGKILL at seeded random points (mid-upload,
mid-score, mid-decision, mid-run); a fresh process then finds the database consistent, every
upload complete or absent, every scored file whole or absent, the decision and its trail in step,
and an interrupted run's finished models usable. Bounded: a handful of kills, each a few seconds."""

import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO, look

pytestmark = [pytest.mark.usefixtures("no_leftover_workers"), pytest.mark.slow]
SEEDS = (11, 12)


def _cli(*args, env):
    return subprocess.Popen([sys.executable, "-m", "core", *args], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _kill_after(proc, seconds: float) -> bool:
    """SIGKILL the process (and its group) after `seconds`; True if it was still working."""
    try:
        proc.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return True


def _consistent(home) -> dict:
    """Open the workspace in a fresh process (DuckDB replays or drops what the killed one left) and
    check every invariant; what it found."""
    script = """
import json, sys
from pathlib import Path
from core.foundation import db
with db.connect() as con:
    tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    staging = [t for t in tables if t.startswith(db.STAGING_PREFIX)]
    datasets = con.execute("SELECT dataset_id, table_name, rows FROM datasets").fetchall()
    bad = [d for d, t, n in datasets if t not in tables or con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] != n]
    orphans = sorted(t for t in tables if t.startswith("data_") and t not in {t for _, t, _ in datasets})
    columns = con.execute("SELECT count(*) FROM datasets d WHERE (SELECT count(*) FROM dataset_columns c "
                          "WHERE c.dataset_id = d.dataset_id) = 0").fetchone()[0]
    batches = con.execute("SELECT output, rows FROM scoring_batches").fetchall()
    broken = [o for o, n in batches if not Path(o).exists() or sum(1 for _ in open(o)) != n + 1]
    trail = con.execute("SELECT r.decision, (SELECT decision FROM run_comments c WHERE c.run_id = r.run_id AND "
                        "decision IS NOT NULL ORDER BY created_at DESC LIMIT 1) FROM runs r").fetchall()
    off = [(d, last) for d, last in trail if d != (last or 'draft')]
print(json.dumps({"staging": staging, "bad": bad, "orphans": orphans, "no_columns": columns,
                  "broken_batches": broken, "decision_off": off, "datasets": len(datasets),
                  "batches": len(batches)}))
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "COMMONGROUND_HOME": str(home)})
    assert out.returncode == 0, out.stderr[-2000:]
    import json

    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert not (found["staging"] or found["bad"] or found["orphans"] or found["no_columns"]
                or found["broken_batches"] or found["decision_off"]), found
    return found


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """A table big enough that loading and scoring it take a few seconds."""
    rng = np.random.default_rng(0)
    n = 250_000
    frame = pd.DataFrame({"amount": rng.gamma(2, 500, n).round(2), "age": rng.integers(18, 90, n),
                          "region": rng.choice(["north", "south", "east", "west"], n),
                          "score": rng.normal(0, 1, n).round(4)})
    frame["paid"] = np.where(frame["score"] + (frame["age"] > 40) + rng.normal(0, 1, n) > 0.5, "yes", "no")
    path = tmp_path_factory.mktemp("crash-data") / "loans.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("seed", SEEDS)
def test_an_upload_killed_midway_is_complete_or_absent(tmp_path, table, seed):
    env = {**os.environ, "COMMONGROUND_HOME": str(tmp_path)}
    delay = random.Random(seed).uniform(1.0, 4.0)
    killed = _kill_after(_cli("datasets", "add", str(table), env=env), delay)
    found = _consistent(tmp_path)
    assert found["datasets"] in (0, 1)
    if not killed:
        assert found["datasets"] == 1
    again = subprocess.run([sys.executable, "-m", "core", "datasets", "add", str(table), "--json"], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr  # the same file adds cleanly after the crash
    assert _consistent(tmp_path)["datasets"] == 1


@pytest.fixture(scope="module")
def trained(tmp_path_factory, table):
    """A workspace with the table and a finished run on a sample of it."""
    from core.data import datasets
    from core.training.spec import RunSpec
    from tests.conftest import trained_in

    home = tmp_path_factory.mktemp("crash-home")
    sample = table.parent / "loans_sample.csv"
    pd.read_csv(table, nrows=3000).to_csv(sample, index=False)

    def specs():
        ds = datasets.add(sample)["dataset_id"]
        return {"run": RunSpec(ds, "paid", quality="fast", time_limit=20, model_families=["GBM"],
                               refit_for_use=False)}

    return home, trained_in(home, specs)["run"]


@pytest.mark.parametrize("seed", SEEDS)
def test_scoring_and_deciding_killed_midway_leave_no_partial_record(trained, table, seed, tmp_path):
    home, run_id = trained
    env = {**os.environ, "COMMONGROUND_HOME": str(home)}
    rng = random.Random(seed)
    output = tmp_path / "scored.csv"
    killed = _kill_after(_cli("score", run_id, "--input", str(table), "--output", str(output), env=env),
                         rng.uniform(1.5, 6.0))
    _consistent(home)
    if output.exists():  # written whole (then renamed) or not at all
        assert sum(1 for _ in open(output)) == 250_001
    elif not killed:
        raise AssertionError("scoring finished but wrote nothing")
    step = rng.choice(["reviewed", "draft"])
    _kill_after(_cli("runs", "decide", run_id, step, "--note", "looked at it", env=env), rng.uniform(0.5, 3.0))
    _consistent(home)


def test_a_worker_killed_midway_leaves_an_interrupted_run_whose_models_work(tmp_path, table, monkeypatch):
    from core.analysis import choice
    from core.data import datasets
    from core.serving import scoring
    from core.training import lifecycle, views
    from core.training.spec import RunSpec

    sample = tmp_path / "loans_sample.csv"
    pd.read_csv(table, nrows=20_000).to_csv(sample, index=False)
    dataset = datasets.add(sample)["dataset_id"]
    run_id = lifecycle.start(RunSpec(dataset, "paid", quality="balanced", time_limit=120)).run_id
    deadline = time.monotonic() + 90
    while not look(run_id).models and time.monotonic() < deadline:
        time.sleep(0.5)
    assert look(run_id).models, "no model within 90 s"
    time.sleep(random.Random(SEEDS[0]).uniform(0.0, 3.0))
    os.killpg(views.load(run_id).executor_handle["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while look(run_id).status != "interrupted" and time.monotonic() < deadline:
        time.sleep(0.5)
    run = look(run_id)
    assert run.status == "interrupted" and run.models
    _consistent(tmp_path)
    usable = choice.usable_models(run)
    assert usable, "an interrupted run keeps the models it finished"
    choice.choose(run_id, model=usable[0], reason="the run was interrupted")
    scored = scoring.score(run_id, input_path=sample, output_path=tmp_path / "scored.csv")
    assert scored["rows"] == 20_000
