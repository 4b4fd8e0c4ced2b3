"""Recipes: steps previewed on a sample with their effect in words, applied as one DuckDB query to
make a new data set version (profiled and warned about like an upload), shown with their SQL and
lineage, and replayed on raw rows when the model scores.

A recipe is YAML or JSON: {"name": optional, "steps": [step, ...]} (core.prep.steps lists the kinds).
"""

import hashlib
import json
import uuid

import yaml

import glossary
from core.data import datasets
from core.foundation import db
from core.foundation.db import quote_ident as q
from core.foundation.errors import InvalidInput
from core.governance.roles import action
from core.prep import steps as kinds

PREVIEW_ROWS = 10_000
MOSTLY = 0.5  # a type fix that fails on more of the values than this is refused


def parse(text: str) -> dict:
    """A recipe from YAML or JSON text (JSON is YAML); steps must be a list of dicts with known kinds."""
    try:
        recipe = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(code="prep_bad_recipe", value=str(exc).splitlines()[0], msg="prep_bad_recipe",
                           detail=" ".join(str(exc).split())[:200]) from None
    if isinstance(recipe, list):
        recipe = {"steps": recipe}
    if not isinstance(recipe, dict) or not isinstance(recipe.get("steps"), list) or not recipe["steps"]:
        raise InvalidInput(code="prep_bad_recipe", value=None, msg="prep_bad_recipe",
                           detail="it needs a list of steps under 'steps'")
    for i, step in enumerate(recipe["steps"]):
        if not isinstance(step, dict) or step.get("kind") not in kinds.KINDS:
            kind = step.get("kind") if isinstance(step, dict) else step
            raise InvalidInput(code="prep_unknown_kind", value=kind, msg="prep_unknown_kind",
                               step=f"step {i + 1}", kind=kind, known=", ".join(sorted(kinds.KINDS)))
    return recipe


def _tables(con) -> dict[str, str]:
    """Every data set, by id and by name, to its table (joins and SQL steps read them)."""
    out = {}
    for dataset_id, name, table in con.execute("SELECT dataset_id, name, table_name FROM datasets").fetchall():
        out[dataset_id] = out[name] = table
    return out


def _columns(con, sql: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {sql}").fetchall()]


def _resolve(con, step: dict, before: str, where: str) -> dict:
    """What a step measures on its input when applied: a fill's value, a sample's fraction."""
    if step["kind"] == "fill" and step.get("with", "value") != "value":
        column = q(step.get("column") or "")
        agg = {"mean": "avg", "median": "median", "mode": "mode"}[step["with"]]
        try:
            value, = con.execute(f"SELECT {agg}({column}) FROM ({before})").fetchone()
        except Exception as exc:  # noqa: BLE001 - a text column has no mean: the step is what is wrong
            raise InvalidInput(code="prep_bad_fill", value=step.get("with"), msg="prep_bad_fill", step=where,
                               how=step.get("with"), known="value, mode") from exc
        return {"value": value.item() if hasattr(value, "item") else value}
    if step["kind"] == "sample" and step.get("rows"):
        total, = con.execute(f"SELECT count(*) FROM ({before})").fetchone()
        return {"fraction": min(1.0, int(step["rows"]) / max(total, 1))}
    return {}


def build(con, source_table: str, steps: list[dict], *, tables: dict[str, str], upto: int | None = None):
    """The query for the steps (up to `upto`) over `source_table`: (sql, [sql after each step],
    [what each step measured])."""
    ctes, partial, resolved, before = [f"s0 AS (SELECT * FROM {q(source_table)})"], [], [], "s0"
    for i, step in enumerate(steps[:upto]):
        where = kinds.label(i, step)
        chain = f"WITH {', '.join(ctes)} SELECT * FROM {before}"
        measured = _resolve(con, step, chain, where)
        body = kinds.compile_step(step, _columns(con, chain), where, tables=tables, resolved=measured)
        name = f"s{i + 1}"
        ctes.append(f"{name} AS (WITH prev AS (SELECT * FROM {before}){kinds.extra_ctes(step, tables)} {body})")
        partial.append(f"WITH {', '.join(ctes)} SELECT * FROM {name}")
        try:
            con.execute(f"DESCRIBE {partial[-1]}")
        except Exception as exc:  # noqa: BLE001 - DuckDB's binder names the problem
            raise InvalidInput(code="sql_does_not_parse", value=step, msg="sql_does_not_parse", step=where,
                               detail=" ".join(str(exc).split())[:200]) from None
        resolved.append(measured)
        before = name
    return (partial[-1] if partial else f"SELECT * FROM {q(source_table)}"), partial, resolved


def _say(key: str, lang: str, **values) -> str:
    return glossary.prep(key, lang, **values)


def _effect(con, step: dict, before: str, after: str, lang: str, measured: dict) -> dict:
    """A step's effect on the rows it got: counts, and a sentence in words."""
    n_before, = con.execute(f"SELECT count(*) FROM ({before})").fetchone()
    n_after, = con.execute(f"SELECT count(*) FROM ({after})").fetchone()
    cols_before, cols_after = _columns(con, before), _columns(con, after)
    found = {"rows_before": n_before, "rows_after": n_after, "columns": cols_after}
    kind = step["kind"]
    if kind == "cast":
        col = q(step["column"])
        bad = con.execute(f"SELECT row_number() OVER () AS r, CAST({col} AS VARCHAR) FROM ({before}) "
                          f"QUALIFY {col} IS NOT NULL AND {kinds.cast_expression(step['column'], step)} IS NULL "
                          "LIMIT 3").fetchall()
        failed, present = con.execute(
            f"SELECT count(*) FILTER ({col} IS NOT NULL AND {kinds.cast_expression(step['column'], step)} IS NULL), "
            f"count({col}) FROM ({before})").fetchone()
        found |= {"failed": failed, "present": present}
        examples = ", ".join(f"row {r} '{v}'" for r, v in bad)
        found["effect"] = _say("cast_failed" if failed else "cast_ok", lang, n=failed,
                               to=glossary.ui(f"prep_type_{step['to']}", lang),  # the type in the reader's words
                               column=step["column"], examples=examples)
    elif kind == "fill":
        missing, = con.execute(f"SELECT count(*) FILTER ({q(step['column'])} IS NULL) FROM ({before})").fetchone()
        found["effect"] = _say("fill", lang, n=missing, column=step["column"],
                               value=measured.get("value", step.get("value")), how=step.get("with", "value"))
    elif kind == "join":
        picked = step["columns"][0]
        name = picked if picked not in cols_before else picked + "_joined"
        matched, = con.execute(f"SELECT count(*) FILTER ({q(name)} IS NOT NULL) FROM ({after})").fetchone()
        found |= {"matched": matched}
        found["effect"] = _say("join", lang, matched=matched, rows=n_after, dataset=step["dataset"],
                               rate=f"{matched / max(n_after, 1):.0%}")
        if n_after > n_before:
            found["effect"] += " " + _say("join_grew", lang, before=n_before, after=n_after)
    elif kind == "derive":
        empty, = con.execute(f"SELECT count(*) FILTER ({q(step['name'])} IS NULL) FROM ({after})").fetchone()
        found["effect"] = _say("derive", lang, name=step["name"], n=empty)
    elif kind == "select":
        renamed = ", ".join(f"{a} → {b}" for a, b in (step.get("rename") or {}).items())
        found["effect"] = _say("select", lang, kept=len(cols_after), total=len(cols_before)) + (
            " " + _say("renamed", lang, pairs=renamed) if renamed else "")
    elif kind == "aggregate":
        found["effect"] = _say("aggregate", lang, before=n_before, after=n_after, by=", ".join(step["by"]))
    else:  # filter, dedupe, sample, sql: rows in and out
        found["effect"] = _say(f"rows_{kind}", lang, removed=n_before - n_after, before=n_before, after=n_after,
                               share=f"{(n_before - n_after) / max(n_before, 1):.0%}")
    return found


def preview(dataset_id: str, recipe: dict, *, rows: int = PREVIEW_ROWS, lang: str = "en") -> dict:
    """Each step's effect on a sample of the data set (its first `rows` rows), the SQL of the whole
    recipe, and the sample's first rows after it. Reads only."""
    steps = parse(json.dumps(recipe))["steps"]
    with db.connect() as con:
        info = datasets.show(dataset_id)
        tables = _tables(con)
        con.execute(f"CREATE OR REPLACE TEMP TABLE prep_sample AS SELECT * FROM {q(info['table_name'])} LIMIT {rows}")
        try:
            sql, partial, measured = build(con, "prep_sample", steps, tables=tables)
            befores = ["SELECT * FROM prep_sample", *partial[:-1]]
            effects = [{"step": i + 1, "kind": s["kind"], "every_row": s["kind"] in kinds.EVERY_ROW,
                        **_effect(con, s, befores[i], partial[i], lang, measured[i])} for i, s in enumerate(steps)]
            head = con.execute(f"SELECT * FROM ({sql}) LIMIT 20").df()
        finally:
            con.execute("DROP TABLE IF EXISTS prep_sample")
        full, _, _ = build(con, info["table_name"], steps, tables=tables)
    return {"dataset_id": info["dataset_id"], "sample_rows": min(rows, info["rows"]), "steps": effects,
            "sql": full, "head": head}


def _replay_sql(con, steps: list[dict], resolved: list[dict], columns: list[tuple[str, str]],
                tables: dict) -> str | None:
    """The every-row steps as one query over raw rows (`data`, numbered in `__row`), in their order,
    with `prep_problems`: why a row's value could not be read (NULL where all went well). None when
    rows cannot replay (an aggregate or a SQL step changes what a row is)."""
    if any(s["kind"] in ("aggregate", "sql") for s in steps):
        return None
    typed = ", ".join(f"NULL::{t} AS {q(c)}" for c, t in columns)
    con.execute(f"CREATE OR REPLACE TEMP VIEW data AS SELECT NULL::BIGINT AS __row, {typed} WHERE false")
    try:
        ctes, before, problems = ["s0 AS (SELECT * FROM data)"], "s0", []
        for i, (step, measured) in enumerate(zip(steps, resolved)):
            if step["kind"] not in kinds.EVERY_ROW:
                continue
            said = kinds.problems_expression(step)
            if said:
                problems.append(f"p{len(ctes)}")
                ctes.append(f"p{len(ctes)} AS (SELECT __row, {said.replace(q(step['column']), 'prev.' + q(step['column']))} "
                            f"AS problem FROM {before} prev)")
            body = kinds.compile_step(step, _columns(con, f"WITH {', '.join(ctes)} SELECT * FROM {before}"),
                                      kinds.label(i, step), tables=tables, resolved=measured, carry=("__row",))
            name = f"s{len(ctes)}"
            ctes.append(f"{name} AS (WITH prev AS (SELECT * FROM {before}) {body})")
            before = name
        joins = "".join(f" LEFT JOIN {p} ON {p}.__row = m.__row" for p in problems)
        reasons = f"nullif(concat_ws('; ', {', '.join(p + '.problem' for p in problems)}), '')" if problems else "NULL"
        return (f"WITH {', '.join(ctes)} SELECT m.* EXCLUDE (__row), {reasons} AS prep_problems "
                f"FROM {before} m{joins} ORDER BY m.__row")
    finally:
        con.execute("DROP VIEW IF EXISTS data")


@action("prepare_data", obj="dataset_id", made="dataset_id")
def apply(dataset_id: str, recipe: dict, *, name: str, user: str | None = None) -> dict:
    """Apply a recipe to a data set: a new data set version with its profile and warnings, its
    recipe (with what each step measured), SQL, replay SQL and sources. Nothing is written when a
    step is wrong, a join matches nothing, or a type fix fails on most values."""
    steps = parse(json.dumps(recipe))["steps"]
    if not (name or "").strip():
        raise InvalidInput(code="empty_name", value=name, msg="empty_name")
    with db.connect() as con:
        source = datasets.show(dataset_id)
        tables = _tables(con)
        sql, partial, resolved = build(con, source["table_name"], steps, tables=tables)
        _refuse_bad_outcomes(con, steps, [f"SELECT * FROM {q(source['table_name'])}", *partial])
        staging = db.STAGING_PREFIX + "prep_" + uuid.uuid4().hex[:8]
        con.execute(f"CREATE TABLE {q(staging)} AS {sql}")
        try:
            fingerprint, = con.execute(f"SELECT coalesce(sum(hash(t)), 0)::VARCHAR FROM {q(staging)} t").fetchone()
            shape = con.execute(f"DESCRIBE {q(staging)}").fetchall()
            content_hash = hashlib.sha256(f"{fingerprint}|{shape}".encode()).hexdigest()
            existing = con.execute("SELECT dataset_id FROM datasets WHERE content_hash = ?", [content_hash]).fetchone()
        except BaseException:
            con.execute(f"DROP TABLE IF EXISTS {q(staging)}")
            raise
        if existing:
            con.execute(f"DROP TABLE IF EXISTS {q(staging)}")
            return {**datasets.show(existing[0]), "created": False}
        new_id = "ds_" + content_hash[:12]
        applied = {**{k: v for k, v in recipe.items() if k != "steps"},
                   "steps": [{**s, **({"measured": m} if m else {})} for s, m in zip(steps, resolved)]}
        raw = [(c["name"], c["storage_type"]) for c in source["columns"]]
        replay = _replay_sql(con, steps, resolved, raw, tables)
        sources = [{"dataset_id": source["dataset_id"], "name": source["name"],
                    "content_hash": source["content_hash"]}]
        sources += [{"dataset_id": s["dataset"], "role": "joined"} for s in steps if s["kind"] == "join"]

        def lineage(c):
            c.execute("INSERT INTO dataset_recipes (dataset_id, sources, recipe, sql, replay_sql, created_by) "
                      "VALUES (?, ?, ?, ?, ?, ?)",
                      [new_id, json.dumps(sources), json.dumps(applied, default=str), sql, replay, user])

        datasets.register(con, staging, dataset_id=new_id, content_hash=content_hash, name=name.strip(),
                          source_filename=f"{source['name']} + recipe", format="recipe", user=user, also=lineage)
    return {**datasets.show(new_id), "created": True}


def _refuse_bad_outcomes(con, steps: list[dict], befores: list[str]) -> None:
    """A join that matches no row and a type fix that fails on most values are refused."""
    for i, step in enumerate(steps):
        where = kinds.label(i, step)
        if step["kind"] == "cast":
            col = q(step["column"])
            failed, present = con.execute(
                f"SELECT count(*) FILTER ({col} IS NOT NULL AND {kinds.cast_expression(step['column'], step)} "
                f"IS NULL), count({col}) FROM ({befores[i]})").fetchone()
            if present and failed / present > MOSTLY:
                example, = con.execute(
                    f"SELECT CAST({col} AS VARCHAR) FROM ({befores[i]}) WHERE {col} IS NOT NULL AND "
                    f"{kinds.cast_expression(step['column'], step)} IS NULL LIMIT 1").fetchone()
                raise InvalidInput(code="prep_cast_mostly_fails", value=example, msg="prep_cast_mostly_fails",
                                   step=where, column=step["column"], failed=failed, present=present,
                                   to=step["to"], example=example)
        if step["kind"] == "join":
            picked = step["columns"][0]
            cols = _columns(con, befores[i])
            name = picked if picked not in cols else picked + "_joined"
            matched, = con.execute(f"SELECT count(*) FILTER ({q(name)} IS NOT NULL) FROM ({befores[i + 1]})").fetchone()
            if not matched:
                raise InvalidInput(code="prep_join_no_match", value=step.get("on") or step.get("left_on"),
                                   msg="prep_join_no_match", step=where, dataset=step["dataset"],
                                   key=step.get("left_on") or step.get("on"))


def apply_sql(dataset_id: str, sql: str, *, name: str, user: str | None = None) -> dict:
    """The expert's SQL step alone: a SELECT over `data` (this data set) and other data sets by name."""
    return apply(dataset_id, {"steps": [{"kind": "sql", "sql": sql}]}, name=name, user=user)


def recipe_of(dataset_id: str) -> dict | None:
    """The stored recipe row of a prepared data set, None for an upload (reads only)."""
    with db.connect() as con:
        row = con.execute("SELECT sources, recipe, sql, replay_sql, created_by, created_at FROM dataset_recipes "
                          "WHERE dataset_id = ?", [dataset_id]).fetchone()
    if row is None:
        return None
    return {"sources": json.loads(row[0]), "recipe": json.loads(row[1]), "sql": row[2], "replay_sql": row[3],
            "created_by": row[4], "created_at": row[5].isoformat(timespec="seconds")}


def show(dataset_id: str) -> dict:
    """A data set's recipe, SQL and lineage back to the raw file (each version, oldest first)."""
    with db.connect() as con:
        dataset_id = datasets.resolve(con, dataset_id)
    chain, current = [], dataset_id
    while current:
        info = datasets.show(current)
        stored = recipe_of(current)
        chain.append({"dataset_id": current, "name": info["name"], "content_hash": info["content_hash"],
                      "rows": info["rows"], "source_filename": info["source_filename"],
                      "recipe": stored and stored["recipe"], "created_by": info["created_by"],
                      "created_at": info["created_at"]})
        current = stored["sources"][0]["dataset_id"] if stored else None
    top = recipe_of(dataset_id)
    return {"dataset_id": dataset_id, "recipe": top and top["recipe"], "sql": top and top["sql"],
            "replay_sql": top and top["replay_sql"], "lineage": list(reversed(chain))}


def replays(dataset_id: str) -> list[str] | None:
    """The replay queries from the raw file up to this data set, in order; [] for an upload, None
    when some version cannot replay on raw rows."""
    out, current = [], dataset_id
    while True:
        stored = recipe_of(current)
        if stored is None:
            return list(reversed(out))
        if stored["replay_sql"] is None:
            return None
        out.append(stored["replay_sql"])
        current = stored["sources"][0]["dataset_id"]


def replay(queries: list[str], frame):
    """Raw rows through the replay queries (in the workspace, where joined data sets live): the
    prepared rows, in order, with `prep_problems` (why a value could not be read, per row; None
    where all went well). Registering a frame writes nothing to the file."""
    import numpy as np

    problems = None
    with db.connect() as con:
        for sql in queries:
            con.register("data", frame.assign(__row=np.arange(len(frame))))
            try:
                frame = con.execute(sql).df()
            finally:
                con.unregister("data")
            found = frame.pop("prep_problems")
            problems = found if problems is None else problems.combine_first(found)
    return frame, problems
