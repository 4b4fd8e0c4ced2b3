"""The data registry: add a file as a data set, list, show (profile + warnings), rename, delete."""

import difflib
import hashlib
import json
import numbers
from pathlib import Path

import pandas as pd

from core.foundation import config, db
from core.data import personal, quality, readers
from core.foundation.db import quote_ident
from core.foundation.errors import InvalidInput, NotFound
from core.data.profile import copied_columns, profile_table, recoded_columns
from core.governance.roles import action

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
# Shipped demo data: (file, name, suggested target). Loaded once into a new workspace.
DEMO_DATASETS = [
    ("german_credit.csv", "German credit", "risk"),
    ("titanic.csv", "Titanic passengers", "survived"),
    ("penguins.csv", "Palmer penguins", "species"),
    ("bikeshare.csv", "Bike sharing", "bikers"),
]


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@action("add_dataset", made="dataset_id")
def add(path, *, name: str | None = None, display_name: str | None = None,
        sheet: str | None = None, user: str | None = None) -> dict:
    """Validate and load a file; the same content twice is one data set.

    The file is read into a staging table first (a failed read may be retried, which an
    aborted transaction would not allow); `register` then makes it a data set.
    """
    path = Path(path)
    source = readers.inspect(path, display_name, sheet=sheet)
    content_hash = file_hash(path)
    if source.sheet:  # each sheet of a workbook is its own data set
        content_hash = hashlib.sha256(f"{content_hash}:{source.sheet}".encode()).hexdigest()
    dataset_id = "ds_" + content_hash[:12]
    wanted = (name or Path(source.display_name).stem).strip()
    if not wanted:
        raise InvalidInput(code="empty_name", value=wanted, msg="empty_name")
    with db.connect() as con:
        existing = con.execute(
            "SELECT dataset_id FROM datasets WHERE content_hash = ?", [content_hash]
        ).fetchone()
        if existing:
            return {**_show(con, existing[0]), "created": False}
        staging = db.STAGING_PREFIX + dataset_id
        try:
            readers.load(con, source, table=staging)
        except BaseException:
            con.execute(f"DROP TABLE IF EXISTS {quote_ident(staging)}")
            raise
        register(con, staging, dataset_id=dataset_id, content_hash=content_hash, name=wanted,
                 source_filename=source.display_name, format=source.format, encoding=source.encoding,
                 delimiter=source.delimiter, sheet=source.sheet, renamed=source.renamed, user=user)
        return {**_show(con, dataset_id), "created": True}


def register(con, staging: str, *, dataset_id: str, content_hash: str, name: str, source_filename: str | None,
             format: str, user: str | None, encoding=None, delimiter=None, sheet=None, renamed=None,
             also=None) -> None:
    """Profile a loaded staging table and make it a data set: one transaction renames it and writes
    the registry rows. Any failure drops the staging table, so nothing is left half-written.
    (Used by uploads and by prepared data sets alike, so both get the same profile and warnings;
    `also(con)` writes a caller's own rows in the same transaction.)"""
    table = "data_" + dataset_id
    began = False
    try:
        profile = profile_table(con, staging)
        copies = copied_columns(con, staging, profile["columns"])
        profile |= {"renamed": renamed or [], "copies": copies,
                    "recodes": recoded_columns(con, staging, profile["columns"], profile["rows"],
                                               {c["column"] for c in copies}),
                    "personal": personal.detect(con, staging, profile)}
        con.execute("BEGIN")
        began = True
        con.execute(f"ALTER TABLE {quote_ident(staging)} RENAME TO {quote_ident(table)}")
        con.execute(
            """INSERT INTO datasets (dataset_id, name, content_hash, source_filename, format,
                   encoding, delimiter, sheet, rows, table_name, profile, created_by)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [dataset_id, _unique_name(con, name), content_hash, source_filename, format, encoding, delimiter,
             sheet, profile["rows"], table, json.dumps(profile), user or config.default_user()],
        )
        con.executemany(
            "INSERT INTO dataset_columns VALUES (?, ?, ?, ?, ?)",
            [[dataset_id, i, c["name"], c["type"], c["storage_type"]] for i, c in enumerate(profile["columns"])],
        )
        if also:
            also(con)
        con.execute("COMMIT")
    except BaseException:
        if began:
            con.execute("ROLLBACK")
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(staging)}")
        raise


def _unique_name(con, wanted: str) -> str:
    taken = {n.lower() for (n,) in con.execute("SELECT name FROM datasets").fetchall()}
    candidate, n = wanted, 2
    while candidate.lower() in taken:
        candidate, n = f"{wanted} ({n})", n + 1
    return candidate


def list_datasets() -> list[dict]:
    with db.connect() as con:
        rows = con.execute(
            """SELECT d.dataset_id, d.name, d.rows, count(c.position), d.format, d.source_filename,
                      d.created_at, d.created_by
               FROM datasets d LEFT JOIN dataset_columns c USING (dataset_id)
               GROUP BY ALL ORDER BY d.created_at, d.name"""
        ).fetchall()
    keys = ["dataset_id", "name", "rows", "n_columns", "format", "source_filename",
            "created_at", "created_by"]
    return [dict(zip(keys, r)) | {"created_at": r[6].isoformat(timespec="seconds")} for r in rows]


def show(dataset_id: str, *, target: str | None = None, lang: str = "en") -> dict:
    """Metadata, column profile and warnings; with a target, also leakage and imbalance."""
    with db.connect() as con:
        return _show(con, resolve(con, dataset_id), target=target, lang=lang)


def _show(con, dataset_id: str, *, target: str | None = None, lang: str = "en") -> dict:
    row = con.execute(
        """SELECT dataset_id, name, content_hash, source_filename, format, encoding, delimiter,
                  sheet, rows, table_name, profile, created_by, created_at
           FROM datasets WHERE dataset_id = ?""",
        [dataset_id],
    ).fetchone()
    keys = ["dataset_id", "name", "content_hash", "source_filename", "format", "encoding",
            "delimiter", "sheet", "rows", "table_name", "profile", "created_by", "created_at"]
    info = dict(zip(keys, row))
    profile = json.loads(info.pop("profile"))
    info["created_at"] = info["created_at"].isoformat(timespec="seconds")
    info["columns"] = profile["columns"]
    info["duplicate_rows"] = profile["duplicate_rows"]
    info["missing_markers"] = readers.MISSING_MARKERS if info["format"] == "csv" else []
    warnings = quality.column_warnings(profile, lang)
    if target is not None:
        check_column(info, target)
        warnings += quality.target_warnings(con, info["table_name"], profile=profile, target=target, lang=lang)
        info["target"] = target
    info["warnings"] = warnings
    return info


def check_column(info: dict, column: str) -> None:
    names = [c["name"] for c in info["columns"]]
    if column in names:
        return
    close = difflib.get_close_matches(column, names, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise NotFound(code="column_not_found", value=column, msg="column_not_found", column=column, name=info['name'],
                   hint=hint, p=', '.join(names))


def resolve(con, key: str) -> str:
    """Accept a dataset_id or an exact name; a miss lists what exists."""
    row = con.execute(
        "SELECT dataset_id FROM datasets WHERE dataset_id = ? OR lower(name) = lower(?) "
        "ORDER BY dataset_id = ? DESC LIMIT 1",
        [key, key, key],
    ).fetchone()
    if row:
        return row[0]
    known = con.execute("SELECT dataset_id, name FROM datasets ORDER BY created_at").fetchall()
    listing = ", ".join(f"{i} ({n})" for i, n in known) or "none yet"
    raise NotFound(code="dataset_not_found", value=key, msg="dataset_not_found", key=key, listing=listing)


@action("rename_dataset", obj="dataset_id")
def rename(dataset_id: str, new_name: str) -> dict:
    new_name = (new_name or "").strip()
    if not new_name:
        raise InvalidInput(code="empty_name", value=new_name, msg="empty_name_2")
    with db.transaction() as con:
        dataset_id = resolve(con, dataset_id)
        clash = con.execute(
            "SELECT dataset_id FROM datasets WHERE lower(name) = lower(?) AND dataset_id <> ?",
            [new_name, dataset_id],
        ).fetchone()
        if clash:
            raise InvalidInput(code="name_taken", value=new_name, msg="name_taken", p=clash[0], new_name=new_name)
        con.execute("UPDATE datasets SET name = ? WHERE dataset_id = ?", [new_name, dataset_id])
        return _show(con, dataset_id)


@action("delete_dataset", obj="dataset_id")
def delete(dataset_id: str) -> dict:
    with db.transaction() as con:
        dataset_id = resolve(con, dataset_id)
        name, table = con.execute(
            "SELECT name, table_name FROM datasets WHERE dataset_id = ?", [dataset_id]
        ).fetchone()
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}")
        con.execute("DELETE FROM dataset_columns WHERE dataset_id = ?", [dataset_id])
        con.execute("DELETE FROM datasets WHERE dataset_id = ?", [dataset_id])
    return {"dataset_id": dataset_id, "name": name, "deleted": True}


def preview(dataset_id: str, limit: int = 100) -> pd.DataFrame:
    if isinstance(limit, bool) or not isinstance(limit, numbers.Integral) or limit < 1:
        raise InvalidInput(code="bad_preview_limit", value=limit, msg="bad_preview_limit", limit=limit)
    with db.connect() as con:
        dataset_id = resolve(con, dataset_id)
        table, = con.execute(
            "SELECT table_name FROM datasets WHERE dataset_id = ?", [dataset_id]
        ).fetchone()
        return con.execute(f"SELECT * FROM {quote_ident(table)} LIMIT ?", [int(limit)]).df()


def ensure_demo_data() -> list[str]:
    """Load the shipped demo data into a new workspace, once (deleting them later sticks)."""
    with db.connect() as con:
        seeded = con.execute("SELECT 1 FROM workspace_meta WHERE key = 'demo_seeded'").fetchone()
    if seeded:
        return []
    added = [add.__wrapped__(DATA_DIR / f, name=name, user="demo")["dataset_id"] for f, name, _ in DEMO_DATASETS]
    with db.connect() as con:
        con.execute("INSERT OR REPLACE INTO workspace_meta VALUES ('demo_seeded', current_timestamp::VARCHAR)")
    return added
