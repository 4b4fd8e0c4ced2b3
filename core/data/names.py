"""Names people use: business names for a column's values ("1" -> "repays the loan") and short
column descriptions, kept in DuckDB with who and when and shown wherever the values appear."""

from core.data import datasets
from core.foundation import config, db
from core.foundation.db import quote_ident
from core.foundation.errors import InvalidInput
from core.governance.roles import action

MAX_NAME = 60
MAX_DESCRIPTION = 300


def for_dataset(dataset_id: str) -> dict:
    """{"values": {column: {value: name}}, "descriptions": {column: text}} for one data set."""
    with db.connect() as con:
        dataset_id = datasets.resolve(con, dataset_id)
        values = con.execute("SELECT column_name, value, name FROM dataset_value_names WHERE dataset_id = ? "
                             "ORDER BY column_name, value", [dataset_id]).fetchall()
        described = con.execute("SELECT column_name, description FROM dataset_column_descriptions "
                                "WHERE dataset_id = ?", [dataset_id]).fetchall()
    out: dict = {"values": {}, "descriptions": dict(described)}
    for column, value, name in values:
        out["values"].setdefault(column, {})[value] = name
    return out


def value_names(dataset_id: str, column: str) -> dict[str, str]:
    return for_dataset(dataset_id)["values"].get(column, {})


@action("name_values", obj="dataset_id")
def set_value_names(dataset_id: str, column: str, names: dict, *, user: str | None = None) -> dict:
    """Replace the business names of a column's values (a value left out has no name).
    Names must be non-empty and unique within the column; the values must occur in it."""
    given = {str(v): " ".join(str(n or "").split()) for v, n in names.items()}
    empty = [v for v, n in given.items() if not n]
    if empty:
        raise InvalidInput(code="empty_value_name", value=empty[0], msg="empty_value_name", p=empty[0])
    with db.connect() as con:
        dataset_id = datasets.resolve(con, dataset_id)
        info = datasets.show(dataset_id)
        datasets.check_column(info, column)
        present = {str(v) for (v,) in con.execute(
            f"SELECT DISTINCT {quote_ident(column)}::VARCHAR FROM {quote_ident(info['table_name'])} "
            f"WHERE {quote_ident(column)} IS NOT NULL LIMIT 1000").fetchall()}
    unknown = sorted(v for v in given if v not in present)
    if unknown:
        raise InvalidInput(code="unknown_value", value=unknown, msg="unknown_value", column=column,
                           p=', '.join(repr(v) for v in unknown), p2=', '.join(sorted(present)[:10]))
    long = [n for n in given.values() if len(n) > MAX_NAME]
    if long:
        raise InvalidInput(code="name_too_long", value=long[0], msg="name_too_long", MAX_NAME=MAX_NAME,
                           p=long[0][:30], p2=len(long[0]))
    seen: dict[str, str] = {}
    for value, name in given.items():
        if name.lower() in seen:
            raise InvalidInput(code="duplicate_value_name", value=name, msg="duplicate_value_name",
                               p=seen[name.lower()], value_=value, name=name)
        seen[name.lower()] = value
    with db.transaction() as con:
        con.execute("DELETE FROM dataset_value_names WHERE dataset_id = ? AND column_name = ?", [dataset_id, column])
        if given:
            con.executemany("INSERT INTO dataset_value_names (dataset_id, column_name, value, name, set_by) "
                            "VALUES (?, ?, ?, ?, ?)",
                            [[dataset_id, column, v, n, user or config.default_user()] for v, n in given.items()])
    return for_dataset(dataset_id)


@action("describe_column", obj="dataset_id")
def describe(dataset_id: str, column: str, text: str, *, user: str | None = None) -> dict:
    """Set (or, with empty text, remove) a column's short description. Shown as text, never as Markdown."""
    text = " ".join((text or "").split())
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput(code="description_too_long", value=len(text), msg="description_too_long",
                           MAX_DESCRIPTION=MAX_DESCRIPTION, p=len(text))
    with db.transaction() as con:
        dataset_id = datasets.resolve(con, dataset_id)
        datasets.check_column(datasets.show(dataset_id), column)
        con.execute("DELETE FROM dataset_column_descriptions WHERE dataset_id = ? AND column_name = ?",
                    [dataset_id, column])
        if text:
            con.execute("INSERT INTO dataset_column_descriptions (dataset_id, column_name, description, set_by) "
                        "VALUES (?, ?, ?, ?)", [dataset_id, column, text, user or config.default_user()])
    return for_dataset(dataset_id)


def shown(value, names: dict[str, str]) -> str:
    """A value as people call it: its business name if it has one, else the value itself."""
    return names.get(str(value), str(value))
