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

from core import config
from core.errors import WorkspaceBusy

# Numbered migrations; never edit a shipped one, add the next number instead.
MIGRATIONS = [
    (
        1,
        """
        CREATE TABLE datasets (
            dataset_id VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            content_hash VARCHAR NOT NULL UNIQUE,
            source_filename VARCHAR,
            format VARCHAR NOT NULL,
            encoding VARCHAR,
            delimiter VARCHAR,
            sheet VARCHAR,
            rows BIGINT NOT NULL,
            table_name VARCHAR NOT NULL,
            profile JSON NOT NULL,
            created_by VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE dataset_columns (
            dataset_id VARCHAR NOT NULL,
            position INTEGER NOT NULL,
            name VARCHAR NOT NULL,
            type VARCHAR NOT NULL,
            storage_type VARCHAR NOT NULL,
            PRIMARY KEY (dataset_id, position)
        );
        CREATE TABLE user_settings (
            user_name VARCHAR NOT NULL,
            key VARCHAR NOT NULL,
            value VARCHAR NOT NULL,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (user_name, key)
        );
        CREATE TABLE workspace_meta (
            key VARCHAR PRIMARY KEY,
            value VARCHAR NOT NULL
        );
        """,
    ),
    (
        2,
        """
        CREATE TABLE runs (
            run_id VARCHAR PRIMARY KEY,
            dataset_id VARCHAR NOT NULL,
            dataset_hash VARCHAR NOT NULL,
            dataset_name VARCHAR,
            target VARCHAR NOT NULL,
            problem_type VARCHAR NOT NULL,
            eval_metric VARCHAR NOT NULL,
            goal VARCHAR,
            quality VARCHAR NOT NULL,
            time_limit DOUBLE NOT NULL,
            seed INTEGER NOT NULL,
            status VARCHAR NOT NULL,
            error VARCHAR,
            spec JSON NOT NULL,
            plan JSON NOT NULL,
            environment JSON NOT NULL,
            executor_handle JSON,
            run_dir VARCHAR NOT NULL,
            parent_run_id VARCHAR,
            current_model VARCHAR,
            chosen_model VARCHAR,
            holdout_metrics JSON,
            details JSON,
            events_offset BIGINT NOT NULL DEFAULT 0,
            created_by VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            started_at DOUBLE,
            first_model_at DOUBLE,
            ended_at DOUBLE
        );
        CREATE TABLE run_models (
            run_id VARCHAR NOT NULL,
            model VARCHAR NOT NULL,
            score_val DOUBLE,
            score_test DOUBLE,
            fit_time DOUBLE,
            predict_time DOUBLE,
            stack_level INTEGER,
            recorded_at DOUBLE,
            PRIMARY KEY (run_id, model)
        );
        """,
    ),
    (
        3,
        """
        CREATE TABLE run_choices (
            run_id VARCHAR NOT NULL,
            model VARCHAR NOT NULL,
            threshold DOUBLE,
            reason VARCHAR,
            chosen_by VARCHAR,
            chosen_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        ALTER TABLE run_models ADD COLUMN refit_model VARCHAR;
        """,
    ),
    (
        4,
        """
        ALTER TABLE run_models ADD COLUMN predict_ms_per_1000 DOUBLE;
        ALTER TABLE run_models ADD COLUMN disk_mb DOUBLE;
        """,
    ),
    (
        5,
        """
        CREATE TABLE glossary_overrides (
            term_id VARCHAR NOT NULL,
            lang VARCHAR NOT NULL,
            field VARCHAR NOT NULL,
            text VARCHAR NOT NULL,
            edited_by VARCHAR,
            edited_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (term_id, lang, field)
        );
        """,
    ),
    (
        6,
        """
        CREATE SEQUENCE run_comment_ids;
        CREATE TABLE run_comments (
            comment_id BIGINT PRIMARY KEY DEFAULT nextval('run_comment_ids'),
            run_id VARCHAR NOT NULL,
            author VARCHAR NOT NULL,
            body VARCHAR,
            decision VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        ALTER TABLE runs ADD COLUMN decision VARCHAR DEFAULT 'draft';
        """,
    ),
]

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
                raise WorkspaceBusy(
                    f"The workspace database {path} is busy in another process "
                    f"for more than {config.lock_timeout():g} s. Try again in a moment."
                ) from None
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
