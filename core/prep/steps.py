"""Recipe steps: each kind validated against the columns it receives and compiled to one SELECT
over the previous step (`prev`). Whether a step replays on every row at scoring time, or shapes the
training rows only, is a property of its kind.

A step is a dict: {"kind": ..., ...}. Kinds and their fields:
    select     columns: [names] (default: all), rename: {old: new}
    filter     where: expression
    cast       column, to: number | integer | date | text, format (dates, e.g. %d/%m/%Y)
    fill       column, with: value | mean | median | mode, value, flag: true (adds <column>_was_missing)
    derive     name, expression
    join       dataset (id or name), on (or left_on and right_on), columns: [names from the other data set];
               the other data set's first row per key (a left join: rows without a match stay, empty)
    aggregate  by: [names], aggregations: {name: expression}
    dedupe     columns: [names] (default: whole rows)
    sample     rows or fraction, seed
    sql        sql: a SELECT over `data` (the previous step) and the workspace's data sets by name
"""

from core.foundation.db import quote_ident as q
from core.foundation.errors import InvalidInput
from core.prep import guard

EVERY_ROW = {"select", "cast", "fill", "derive", "join"}
TRAINING_ONLY = {"filter", "aggregate", "dedupe", "sample", "sql"}
KINDS = EVERY_ROW | TRAINING_ONLY
CAST_TYPES = {"number": "DOUBLE", "integer": "BIGINT", "date": "DATE", "text": "VARCHAR"}
FILLS = ("value", "mean", "median", "mode")


def literal(value) -> str:
    """A SQL literal for a value a person typed (text quoted, numbers as numbers)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def label(index: int, step: dict) -> str:
    """How messages name a step: its position and kind."""
    return f"step {index + 1} ({step.get('kind', '?')})"


def _need(step: dict, field: str, where: str):
    value = step.get(field)
    if value in (None, "", [], {}):
        raise InvalidInput(code="prep_missing_field", value=field, msg="prep_missing_field", step=where, field=field)
    return value


def _column(name: str, columns: list[str], where: str) -> str:
    if name not in columns:
        raise InvalidInput(code="prep_unknown_column", value=name, msg="prep_unknown_column", step=where,
                           column=name, closest=guard.closest(name, columns))
    return name


def cast_expression(column: str, step: dict) -> str:
    """The typed value, NULL where the text cannot be read as that type."""
    col = q(column)
    if step["to"] == "date" and step.get("format"):
        return f"TRY_STRPTIME(CAST({col} AS VARCHAR), {literal(step['format'])})::DATE"
    if step["to"] in ("number", "integer"):
        return f"TRY_CAST(trim(CAST({col} AS VARCHAR)) AS {CAST_TYPES[step['to']]})"
    return f"TRY_CAST({col} AS {CAST_TYPES[step['to']]})"


def compile_step(step: dict, columns: list[str], where: str, *, tables: dict[str, str],
                 resolved: dict | None = None, carry: tuple = ()) -> str:
    """The SELECT this step makes from `prev`, after checking it against `columns`. `tables` maps
    data set names and ids to their tables (joins, SQL steps); `resolved` holds what a step
    measured when it was applied (the value a fill uses), so replay uses the training figure;
    `carry` names columns a select keeps whatever it lists (replay's row number)."""
    kind = step.get("kind")
    if kind not in KINDS:
        raise InvalidInput(code="prep_unknown_kind", value=kind, msg="prep_unknown_kind", step=where, kind=kind,
                           known=", ".join(sorted(KINDS)))
    if kind == "select":
        keep = [c for c in (step.get("columns") or columns) if c not in carry]
        rename = step.get("rename") or {}
        for name in [*keep, *rename]:
            _column(name, columns, where)
        return "SELECT " + ", ".join([*(q(c) for c in carry), *(f"{q(c)} AS {q(rename.get(c, c))}" for c in keep)]) \
            + " FROM prev"
    if kind == "filter":
        condition = _need(step, "where", where)
        guard.check_expression(condition, columns, step=where)
        return f"SELECT * FROM prev WHERE ({condition})"
    if kind == "cast":
        column = _column(_need(step, "column", where), columns, where)
        if step.get("to") not in CAST_TYPES:
            raise InvalidInput(code="prep_bad_type", value=step.get("to"), msg="prep_bad_type", step=where,
                               to=step.get("to"), known=", ".join(CAST_TYPES))
        return f"SELECT * REPLACE ({cast_expression(column, step)} AS {q(column)}) FROM prev"
    if kind == "fill":
        column = _column(_need(step, "column", where), columns, where)
        how = step.get("with", "value")
        if how not in FILLS:
            raise InvalidInput(code="prep_bad_fill", value=how, msg="prep_bad_fill", step=where, how=how,
                               known=", ".join(FILLS))
        value = (resolved or {}).get("value", step.get("value"))
        if value is None:
            raise InvalidInput(code="prep_missing_field", value="value", msg="prep_missing_field", step=where,
                               field="value")
        flag = f", {q(column)} IS NULL AS {q(column + '_was_missing')}" if step.get("flag") else ""
        return f"SELECT * REPLACE (coalesce({q(column)}, {literal(value)}) AS {q(column)}){flag} FROM prev"
    if kind == "derive":
        name, expression = _need(step, "name", where), _need(step, "expression", where)
        guard.check_expression(expression, columns, step=where)
        if name in columns:
            return f"SELECT * REPLACE (({expression}) AS {q(name)}) FROM prev"
        return f"SELECT *, ({expression}) AS {q(name)} FROM prev"
    if kind == "join":
        other = tables.get(_need(step, "dataset", where))
        if other is None:
            raise InvalidInput(code="prep_unknown_dataset", value=step["dataset"], msg="prep_unknown_dataset",
                               step=where, dataset=step["dataset"], known=", ".join(sorted(tables)))
        left = _column(step.get("left_on") or _need(step, "on", where), columns, where)
        right, picked = step.get("right_on") or left, _need(step, "columns", where)
        taken = ", ".join(f"r.{q(c)} AS {q(c if c not in columns else c + '_joined')}" for c in picked)
        # One row per key (the first): a scored row stays one row, and training rows are not repeated.
        # Keys compared as text: a code read as a number on one side and as text on the other still matches.
        keys = (f"SELECT DISTINCT ON (__key) CAST({q(right)} AS VARCHAR) AS __key, {', '.join(q(c) for c in picked)} "
                f"FROM {q(other)}")
        return f"SELECT prev.*, {taken} FROM prev LEFT JOIN ({keys}) r ON CAST(prev.{q(left)} AS VARCHAR) = r.__key"
    if kind == "aggregate":
        by, aggregations = _need(step, "by", where), _need(step, "aggregations", where)
        for name in by:
            _column(name, columns, where)
        for expression in aggregations.values():
            guard.check_expression(expression, columns, step=where)
        parts = [q(c) for c in by] + [f"({e}) AS {q(n)}" for n, e in aggregations.items()]
        return f"SELECT {', '.join(parts)} FROM prev GROUP BY {', '.join(q(c) for c in by)}"
    if kind == "dedupe":
        subset = step.get("columns") or []
        for name in subset:
            _column(name, columns, where)
        if not subset:
            return "SELECT DISTINCT * FROM prev"
        return f"SELECT DISTINCT ON ({', '.join(q(c) for c in subset)}) * FROM prev"
    if kind == "sample":
        fraction = (resolved or {}).get("fraction", step.get("fraction"))
        if fraction is None or not 0 < float(fraction) <= 1:
            raise InvalidInput(code="prep_bad_sample", value=fraction, msg="prep_bad_sample", step=where)
        # By a hash of each row and the seed: the same rows whatever the order or the threads.
        return (f"SELECT * FROM prev s WHERE hash(s, {int(step.get('seed', 0))}) % 1000000 < "
                f"{int(float(fraction) * 1_000_000)}")
    sql = _need(step, "sql", where)
    guard.check_select(sql, {"data", *tables}, step=where)
    return f"SELECT * FROM ({sql.strip().rstrip(';')}) AS user_sql"


def extra_ctes(step: dict, tables: dict[str, str]) -> str:
    """What a SQL step reads besides `prev`: `data` (the previous step) and data sets by name."""
    if step.get("kind") != "sql":
        return ""
    named = "".join(f", {q(name)} AS (SELECT * FROM {q(table)})" for name, table in tables.items()
                    if name.lower() in step["sql"].lower())
    return ", data AS (SELECT * FROM prev)" + named


def problems_expression(step: dict) -> str | None:
    """For a cast replayed at scoring: a sentence for each row whose value cannot be read, else NULL
    (over `prev`, the step's input)."""
    if step.get("kind") != "cast":
        return None
    col, column = q(step["column"]), step["column"]
    unread = f"{col} IS NOT NULL AND {cast_expression(column, step)} IS NULL"
    return (f"CASE WHEN {unread} THEN {literal(column + ': ' + chr(39))} || CAST({col} AS VARCHAR) || "
            f"{literal(chr(39) + ' is not a ' + step['to'])} END")
