"""The workspace database: migrations, and sharing the file between processes."""

import os
import subprocess
import sys
import textwrap
import time

import pytest

from core.data import datasets
from core.foundation import db
from core.foundation.errors import WorkspaceBusy
from tests.conftest import DATA, REPO

HOLD = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
""")


def _hold_lock(seconds: float) -> subprocess.Popen:
    with db.connect():
        pass  # create and migrate the file first
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(db.db_path()), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_migrations_are_recorded_once():
    with db.connect() as con:
        versions = [v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()]
    assert versions == [v for v, _ in db.MIGRATIONS]


def test_a_short_lock_in_another_process_is_waited_out():
    holder = _hold_lock(1.0)
    started = time.monotonic()
    added = datasets.add(DATA / "penguins.csv")
    assert added["created"] and time.monotonic() - started >= 0.5
    holder.wait()


def test_a_long_lock_becomes_a_clear_busy_error(monkeypatch):
    monkeypatch.setenv("COMMONGROUND_LOCK_TIMEOUT", "0.5")
    holder = _hold_lock(5.0)
    try:
        with pytest.raises(WorkspaceBusy, match="busy in another process"):
            datasets.list_datasets()
    finally:
        holder.kill()
        holder.wait()


def test_cli_and_library_share_the_file_without_lock_errors():
    """Several processes adding and listing at once: every call succeeds."""
    env = os.environ.copy()
    procs = [subprocess.Popen([sys.executable, "-m", "core", "datasets", "add", str(DATA / f), "--json"],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for f in ("penguins.csv", "titanic.csv", "german_credit.csv")]
    for _ in range(10):
        datasets.list_datasets()
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert len(datasets.list_datasets()) == 3


def test_a_staging_table_left_by_a_crash_is_dropped_at_the_next_start(monkeypatch):
    import duckdb

    with db.connect():
        pass
    raw = duckdb.connect(str(db.db_path()))
    raw.execute(f"CREATE TABLE {db.STAGING_PREFIX}ds_crashed AS SELECT 1 AS x")
    raw.close()
    monkeypatch.setattr(db, "_migrated", set())  # as a fresh process would start
    with db.connect() as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
    assert f"{db.STAGING_PREFIX}ds_crashed" not in names


def test_many_threads_open_and_close_the_file_at_once():
    """Two browser sessions are two threads of one server process; neither may see a lock error."""
    import threading

    with db.connect():
        pass
    errors = []

    def work():
        try:
            for _ in range(30):
                with db.connect() as con:
                    con.execute("SELECT count(*) FROM datasets").fetchone()
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
