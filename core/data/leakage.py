"""Columns that give the outcome away, found by what they do, not by their names alone.

Each check returns findings `(column, detail_key, values)`; `quality.target_warnings` turns
them into warnings. Aggregation runs in DuckDB; only small count tables reach pandas.

- `copies_target`: the column is the target under other labels (a one-to-one mapping).
- `recorded_with_outcome`: filled in (or non-zero) only for one outcome, or empty only
  for one: typical of dates and counts recorded after the event.
- `strong_alone`: a one-column model, cross-validated, removes nearly all the error of
  guessing (classification) or explains nearly all the variation (regression); strong honest
  predictors (a tumour's size for its diagnosis) stay below the bar.
- `related`: a name sharing its first word with a flagged column, with real signal too.
"""

import re

import pandas as pd

from core.foundation.db import quote_ident

FOLDS = 5
BINS = 20
MAX_CATEGORIES = 200
STRONG_REMOVAL = 0.9  # share of the guessing error a single column removes: near-perfect alone
STRONG_R2 = 0.9
RELATED_REMOVAL = 0.25
ONE_CLASS = 0.98  # "only for one outcome": at least this share of the rows
MIN_COVER = 0.3  # ... and it covers at least this share of that outcome's rows
MIN_ROWS = 30
GENERIC_WORDS = {"the", "num", "number", "total", "is", "has", "date", "time", "year", "count", "type",
                 "amount", "value", "code", "flag", "no", "n", "id"}


def _key(q: str, col: dict) -> str:
    """A bin per row: quantile bands for many-valued numbers and dates, the value otherwise."""
    if col["type"] in ("number", "date") and col["distinct"] > BINS:
        return f"CASE WHEN {q} IS NULL THEN -1 ELSE floor({BINS} * percent_rank() OVER (ORDER BY {q})) END"
    return f"{q}::VARCHAR"


def one_column_strength(con, t: str, y: str, col: dict, classification: bool) -> dict | None:
    """Cross-validated skill of predicting the target from this column alone (bins, majority or mean)."""
    k = _key(quote_ident(col["name"]), col)
    fold = f"hash(rowid) % {FOLDS}"
    if classification:
        counts = con.execute(
            f"""SELECT k, y, f, count(*) AS n FROM (
                    SELECT {k} AS k, {y}::VARCHAR AS y, {fold} AS f FROM {t} WHERE {y} IS NOT NULL)
                GROUP BY ALL"""
        ).df()
        return _classification_cv(counts) if len(counts) else None
    sums = con.execute(
        f"""SELECT k, f, count(*) AS n, sum(y) AS s, sum(y * y) AS ss FROM (
                SELECT {k} AS k, {y}::DOUBLE AS y, {fold} AS f FROM {t} WHERE {y} IS NOT NULL)
            GROUP BY ALL"""
    ).df()
    return _regression_cv(sums) if len(sums) else None


def _classification_cv(counts: pd.DataFrame) -> dict:
    counts["k"] = counts["k"].astype(str)
    total_ky = counts.groupby(["k", "y"])["n"].sum()
    total_y = counts.groupby("y")["n"].sum()
    right = guess = rows = 0
    for f in range(FOLDS):
        here = counts[counts["f"] == f]
        if here.empty:
            continue
        held = here.groupby(["k", "y"])["n"].sum()
        train_ky = total_ky.sub(held, fill_value=0)
        train_y = total_y.sub(here.groupby("y")["n"].sum(), fill_value=0)
        fallback = train_y.idxmax()
        best = train_ky[train_ky > 0].reset_index().sort_values(["n", "y"], ascending=[False, True]) \
            .drop_duplicates("k").set_index("k")["y"]
        for (kk, yy), n in held.items():
            pred = best.get(kk, fallback)
            right += n * (pred == yy)
            guess += n * (fallback == yy)
            rows += n
    accuracy, guessing = right / rows, guess / rows
    removal = (accuracy - guessing) / (1 - guessing) if guessing < 1 else 0.0
    return {"accuracy": accuracy, "guessing": guessing, "removal": removal, "rows": int(rows)}


def _regression_cv(sums: pd.DataFrame) -> dict:
    sums["k"] = sums["k"].astype(str)
    tot = sums.groupby("k")[["n", "s"]].sum()
    all_n, all_s = sums["n"].sum(), sums["s"].sum()
    sse = sst = 0.0
    for f in range(FOLDS):
        here = sums[sums["f"] == f]
        if here.empty:
            continue
        n_tr, s_tr = all_n - here["n"].sum(), all_s - here["s"].sum()
        if n_tr == 0:
            continue
        mean = s_tr / n_tr
        train = tot.sub(here.set_index("k")[["n", "s"]], fill_value=0)
        for _, r in here.iterrows():
            n_k, s_k = train.loc[r["k"], "n"], train.loc[r["k"], "s"]
            m = s_k / n_k if n_k > 0 else mean
            sse += r["ss"] - 2 * m * r["s"] + r["n"] * m * m
            sst += r["ss"] - 2 * mean * r["s"] + r["n"] * mean * mean
    r2 = 1 - sse / sst if sst > 0 else 0.0
    return {"r2": r2, "rows": int(all_n)}


def copies_target(con, t: str, y: str, col: dict) -> bool:
    """The column and the target determine each other (a relabelled copy)."""
    q = quote_ident(col["name"])
    pairs, xs, ys = con.execute(
        f"""SELECT count(DISTINCT ({q}, {y})), count(DISTINCT {q}), count(DISTINCT {y})
            FROM {t} WHERE {q} IS NOT NULL AND {y} IS NOT NULL"""
    ).fetchone()
    return ys > 1 and pairs == xs == ys


def recorded_with_outcome(con, t: str, y: str, col: dict, rows: int) -> tuple | None:
    """Filled in (or non-zero) only when the target has one value, or empty only then."""
    q = quote_ident(col["name"])
    shown = f"{q} IS NOT NULL AND {q} <> 0" if col["type"] == "number" else f"{q} IS NOT NULL"
    table = con.execute(
        f"""SELECT ({shown}) AS present, {y}::VARCHAR AS y, count(*) AS n
            FROM {t} WHERE {y} IS NOT NULL GROUP BY ALL"""
    ).df()
    table["present"] = table["present"].fillna(False).astype(bool)
    per_class = table.groupby("y")["n"].sum()
    for present in (True, False):
        side = table[table["present"] == present]
        total = side["n"].sum()
        if total < MIN_ROWS or total == table["n"].sum():
            continue
        top = side.sort_values("n", ascending=False).iloc[0]
        if top["n"] / total >= ONE_CLASS and top["n"] / per_class[top["y"]] >= MIN_COVER \
                and per_class[top["y"]] / per_class.sum() < 0.9:
            numeric = col["type"] == "number"
            key = ("nonzero_for" if numeric else "present_for") if present else \
                ("zero_for" if numeric else "missing_for")
            return key, {"value": top["y"], "inside": int(top["n"]), "side": int(total)}
    return None


def first_word(name: str) -> str | None:
    words = [w.lower() for w in re.split(r"[_\s.\-]+|(?<=[a-z])(?=[A-Z])", name) if w]
    if len(words) < 2 or len(words[0]) < 3 or words[0] in GENERIC_WORDS:
        return None
    return words[0]


def findings(con, table: str, *, columns: dict, target: str, rows: int, classification: bool,
             skip: set[str]) -> list[tuple[str, str, dict]]:
    """Every leak finding for `target`; columns in `skip` (identifiers, constants) are not examined."""
    t, y = quote_ident(table), quote_ident(target)
    out, strength = [], {}
    for name, col in columns.items():
        if name == target or name in skip or col["distinct"] <= 1:
            continue
        if classification and copies_target(con, t, y, col):
            out.append((name, "copy", {}))
            continue
        if classification:
            found = recorded_with_outcome(con, t, y, col, rows)
            if found:
                out.append((name, found[0], found[1]))
                continue
        if col["type"] == "text" or (col["type"] == "category" and col["distinct"] > MAX_CATEGORIES):
            continue
        s = one_column_strength(con, t, y, col, classification)
        if s is None or s["rows"] < MIN_ROWS:
            continue
        strength[name] = s
        if classification and s["removal"] >= STRONG_REMOVAL:
            out.append((name, "alone", {"right": round(100 * s["accuracy"]), "guess": round(100 * s["guessing"])}))
        elif not classification and s["r2"] >= STRONG_R2:
            out.append((name, "alone_r2", {"r2": s["r2"]}))
    flagged = {c for c, _, _ in out}
    prefixes = {first_word(c): c for c in flagged if first_word(c)}
    for name, s in strength.items():
        word = first_word(name)
        signal = s["removal"] if classification else s["r2"]
        if name not in flagged and word in prefixes and signal >= RELATED_REMOVAL:
            out.append((name, "related", {"other": prefixes[word], "removal": signal}))
    return out
