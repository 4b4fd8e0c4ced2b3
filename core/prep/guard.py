"""What people may write in a recipe: expressions and plain SELECTs, parsed by DuckDB's own parser
(`json_serialize_sql`, which serialises SELECT statements only) and walked before anything runs.

Refused: anything but one SELECT (COPY, ATTACH, INSTALL/LOAD, PRAGMA, DDL, DML are not SELECTs),
table functions (read_csv, read_parquet, glob, ...), tables other than the data set (`data`) and the
workspace's data sets by name, other catalogs or schemas, and scalar functions that reach outside
the data (environment, settings, files).
"""

import difflib
import functools
import json
import threading

import duckdb

from core.foundation.errors import InvalidInput

# Scalar functions that read the machine rather than the data.
FORBIDDEN_FUNCTIONS = {"getenv", "current_setting", "read_text", "read_blob", "glob", "duckdb_settings",
                       "duckdb_extensions", "duckdb_secrets", "load_extension", "system"}


_parser = threading.local()  # one in-memory DuckDB per thread: opening one costs more than parsing


@functools.lru_cache(maxsize=512)
def _parsed(sql: str) -> str:
    """DuckDB's parse tree of `sql` as JSON (pure: the same text always parses the same)."""
    if getattr(_parser, "con", None) is None:
        _parser.con = duckdb.connect()
    return _parser.con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0]


def _tree(sql: str, step: str) -> dict:
    found = json.loads(_parsed(sql))
    if found.get("error"):
        detail = found.get("error_message", "")
        if "Only SELECT" in detail:
            raise InvalidInput(code="sql_not_select", value=sql, msg="sql_not_select", step=step)
        raise InvalidInput(code="sql_does_not_parse", value=sql, msg="sql_does_not_parse", step=step,
                           detail=" ".join(detail.split())[:200])
    if len(found["statements"]) != 1:
        raise InvalidInput(code="sql_not_select", value=sql, msg="sql_not_select", step=step)
    return found["statements"][0]["node"]


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _check_functions(tree, step: str) -> None:
    for node in _walk(tree):
        if node.get("class") == "FUNCTION" and str(node.get("function_name", "")).lower() in FORBIDDEN_FUNCTIONS:
            raise InvalidInput(code="sql_forbidden_function", value=node["function_name"],
                               msg="sql_forbidden_function", step=step, function=node["function_name"])


def check_select(sql: str, tables: set[str], *, step: str) -> None:
    """A plain SELECT over `data` and the named tables (CTEs it defines are fine)."""
    tree = _tree(sql, step)
    defined = {c["key"].lower() for node in _walk(tree) if isinstance(node.get("cte_map"), dict)
               for c in node["cte_map"].get("map", [])}
    known = {t.lower() for t in tables} | defined
    for node in _walk(tree):
        if node.get("type") == "TABLE_FUNCTION":
            name = ((node.get("function") or {}).get("function_name")) or "a table function"
            raise InvalidInput(code="sql_table_function", value=name, msg="sql_table_function", step=step,
                               function=name)
        if node.get("type") == "BASE_TABLE":
            if node.get("schema_name") or node.get("catalog_name"):
                raise InvalidInput(code="sql_unknown_table", value=node["table_name"], msg="sql_unknown_table",
                                   step=step, table=f"{node.get('schema_name')}.{node['table_name']}",
                                   known=", ".join(sorted(tables)))
            if node["table_name"].lower() not in known:
                raise InvalidInput(code="sql_unknown_table", value=node["table_name"], msg="sql_unknown_table",
                                   step=step, table=node["table_name"], known=", ".join(sorted(tables)))
    _check_functions(tree, step)


def check_expression(expression: str, columns: list[str], *, step: str) -> None:
    """One scalar expression over the columns: no subquery, no star, no forbidden function, and
    every column it names exists (with the closest names when one does not)."""
    if not (expression or "").strip():
        raise InvalidInput(code="prep_empty_expression", value=expression, msg="prep_empty_expression", step=step)
    tree = _tree(f"SELECT {expression} FROM data", step)
    if len(tree.get("select_list", [])) != 1 or tree.get("where_clause") or tree.get("group_expressions") \
            or tree.get("modifiers"):
        raise InvalidInput(code="sql_does_not_parse", value=expression, msg="sql_does_not_parse", step=step,
                           detail="one expression, without FROM, WHERE or ORDER BY")
    for node in _walk(tree["select_list"]):
        if node.get("class") in ("SUBQUERY", "STAR") or node.get("type") == "TABLE_FUNCTION":
            raise InvalidInput(code="prep_expression_not_scalar", value=expression,
                               msg="prep_expression_not_scalar", step=step)
        if node.get("class") == "COLUMN_REF":
            name = node["column_names"][-1]
            if name.lower() not in {c.lower() for c in columns}:
                raise InvalidInput(code="prep_unknown_column", value=name, msg="prep_unknown_column", step=step,
                                   column=name, closest=closest(name, columns))
    _check_functions(tree, step)


def closest(name: str, columns: list[str]) -> str:
    found = difflib.get_close_matches(name, columns, n=3, cutoff=0.5)
    return ", ".join(found) if found else ", ".join(columns[:8])
