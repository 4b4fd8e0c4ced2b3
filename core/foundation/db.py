"""The DuckDB system of record: short-lived connections, lock retries, numbered migrations.

DuckDB locks the file per process, and the app, the CLI and training workers are
different processes. So nobody keeps the file open: open, work, close. A lock
conflict is retried for a few seconds before it becomes a WorkspaceBusy error.
"""

import contextlib
import threading
import time
from pathlib import Path

import duckdb

from core.foundation import config
from core.foundation.errors import WorkspaceBusy
from core.foundation.migrations import MIGRATIONS

STAGING_PREFIX = "staging_"  # tables being loaded; any left by a crash are dropped at start

_migrated: set[str] = set()
_migrate_lock = threading.Lock()


def db_path() -> Path:
    return config.home() / "commonground.duckdb"


# Threads of one process share DuckDB's instance of the file; opening it while another thread
# closes the last connection fails ("already attached"), so opens and closes take turns.
_instance_lock = threading.Lock()


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + config.lock_timeout()
    delay = 0.02
    while True:
        try:
            with _instance_lock:
                return duckdb.connect(str(path))
        except (duckdb.IOException, duckdb.ResourceInUseException) as exc:
            if "lock" not in str(exc).lower() and "already attached" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise WorkspaceBusy(code="workspace_busy", value=str(path), msg="workspace_busy", path=path,
                                    p=config.lock_timeout()) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    done = {v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
    for version, sql in MIGRATIONS:
        if version in done:
            continue
        con.execute("BEGIN")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations (version) VALUES (?)", [version])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    # Only this process has the file open now (DuckDB locks it), so no load is in flight.
    for (table,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE starts_with(table_name, ?)",
        [STAGING_PREFIX],
    ).fetchall():
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}")


_local = threading.local()  # the connection this thread has open, if any


@contextlib.contextmanager
def connect():
    """Open the workspace database for one unit of work, migrated, and close it after.

    Nested calls in the same thread reuse the open connection: opening the file costs
    more than most queries, and a page poll makes several calls in a row.
    """
    current = getattr(_local, "con", None)
    if current is not None:
        yield current
        return
    path = db_path()
    con = _open(path)
    try:
        key = str(path)
        if key not in _migrated:
            with _migrate_lock:
                _migrate(con)
                _migrated.add(key)
        _local.con, _local.in_transaction = con, False
        yield con
    finally:
        _local.con = None
        with _instance_lock:
            con.close()


@contextlib.contextmanager
def transaction():
    """A connection inside BEGIN/COMMIT: a failure leaves no half-written rows.

    Inside an enclosing transaction it simply joins it.
    """
    with connect() as con:
        if _local.in_transaction:
            yield con
            return
        con.execute("BEGIN")
        _local.in_transaction = True
        try:
            yield con
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            _local.in_transaction = False


def quote_ident(name: str) -> str:
    """Quote a column or table name for SQL (names come from uploaded files)."""
    return '"' + str(name).replace('"', '""') + '"'
