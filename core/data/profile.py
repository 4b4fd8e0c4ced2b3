"""Column profiles computed inside DuckDB: two aggregate queries, no Python loops over rows."""

import datetime as dt
import decimal
import math

from core.foundation.db import quote_ident

NUMERIC_TYPES = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
    "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL",
)
INTEGER_TYPES = NUMERIC_TYPES[:10]
DATE_TYPES = ("DATE", "TIMESTAMP", "TIME")
HISTOGRAM_BINS = 20
TOP_VALUES = 8
DISCRETE_VALUES = 40
FINGERPRINTS_PER_QUERY = 500
# Formats tried when a text column may hold dates (DuckDB's ISO dates are already typed).
DATE_FORMATS = ["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y", "%Y-%m-%d", "%d %b %Y", "%b %d, %Y"]


def logical_type(storage_type: str, *, distinct: int, rows: int, mean_words: float = 0.0) -> str:
    """The type a person thinks in: number, category, text, boolean or date."""
    base = storage_type.split("(")[0].upper()
    if base in NUMERIC_TYPES:
        return "number"
    if base == "BOOLEAN":
        return "boolean"
    if base.startswith(DATE_TYPES):
        return "date"
    if base == "VARCHAR":
        many_words = (mean_words or 0.0) >= 4
        return "text" if many_words or distinct > max(50, 0.05 * rows) else "category"
    return "other"


def _column_aggregates(i: int, q: str, base: str) -> list[str]:
    """One-pass aggregates; DISTINCT is left to _distinct_queries (it is slow inside a wide query)."""
    parts = [f"count({q}) AS nn_{i}"]
    if base in NUMERIC_TYPES:
        parts += [f"min({q})::DOUBLE AS min_{i}", f"max({q})::DOUBLE AS max_{i}",
                  f"avg({q})::DOUBLE AS mean_{i}", f"stddev_samp({q})::DOUBLE AS std_{i}"]
    elif base.startswith(DATE_TYPES) or base == "VARCHAR":
        parts += [f"min({q})::VARCHAR AS min_{i}", f"max({q})::VARCHAR AS max_{i}"]
    elif base == "BOOLEAN":
        parts += [f"count(*) FILTER (WHERE {q}) AS true_{i}"]
    return parts


TEXT_STATS = ["len", "words", "num", "date", "lead0", "grouped"]
# Numbers written with thousands separators, '1,231,800.5' or '1.231.800,5' (a currency sign or a
# percent sign around them is dropped first).
GROUPED_COMMA = r"^[+-]?[0-9]{1,3}(,[0-9]{3})+([.][0-9]+)?$"
GROUPED_POINT = r"^[+-]?[0-9]{1,3}([.][0-9]{3})+(,[0-9]+)?$"


def _distinct_query(i: int, q: str, base: str, t: str) -> str:
    """Distinct count; for text also its shape, computed once per distinct value, weighted by count."""
    if base != "VARCHAR":
        return f"SELECT {i} AS i, count(DISTINCT {q}) AS nd, {', '.join('NULL' for _ in TEXT_STATS)} FROM {t}"
    v = "trim(v)"
    bare = f"regexp_replace({v}, '^[$€£]|%$', '', 'g')"
    grouped = (f"CASE WHEN regexp_matches({bare}, '{GROUPED_COMMA}') THEN replace({bare}, ',', '') "
               f"WHEN regexp_matches({bare}, '{GROUPED_POINT}') THEN replace(replace({bare}, '.', ''), ',', '.') END")
    numeric = (f"coalesce(try_cast({bare} AS DOUBLE), try_cast(replace({v}, ',', '.') AS DOUBLE), "
               f"try_cast({grouped} AS DOUBLE))")
    formats = "[" + ", ".join(f"'{f}'" for f in DATE_FORMATS) + "]"
    return f"""SELECT {i} AS i, count(*) AS nd,
            (sum(n * length(v)) / sum(n))::DOUBLE,
            (sum(n * (length({v}) - length(replace({v}, ' ', '')) + 1)) / sum(n))::DOUBLE,
            coalesce(sum(n) FILTER (WHERE {numeric} IS NOT NULL), 0),
            coalesce(sum(n) FILTER (WHERE try_strptime({v}, {formats}) IS NOT NULL), 0),
            coalesce(sum(n) FILTER (WHERE regexp_matches({v}, '^0[0-9]')), 0),
            coalesce(sum(n) FILTER (WHERE try_cast({bare} AS DOUBLE) IS NULL AND {grouped} IS NOT NULL), 0)
        FROM (SELECT {q} AS v, count(*) AS n FROM {t} WHERE {q} IS NOT NULL GROUP BY ALL)"""


def profile_table(con, table: str) -> dict:
    """Profile every column of `table`: types, missing share, distinct, range, top values, histogram."""
    t = quote_ident(table)
    described = con.execute(f"DESCRIBE {t}").fetchall()
    names = [r[0] for r in described]
    types = [r[1] for r in described]
    bases = [ty.split("(")[0].upper() for ty in types]
    select = ["count(*) AS rows"]
    for i, (name, base) in enumerate(zip(names, bases)):
        select += _column_aggregates(i, quote_ident(name), base)
    cur = con.execute(f"SELECT {', '.join(select)} FROM {t}")
    values = dict(zip([d[0] for d in cur.description], cur.fetchone()))
    union = " UNION ALL ".join(_distinct_query(i, quote_ident(n), b, t)
                               for i, (n, b) in enumerate(zip(names, bases)))
    shapes = {row[0]: row[1:] for row in con.execute(union).fetchall()}
    rows = values["rows"]
    distinct_rows, = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT * FROM {t})").fetchone()

    columns = []
    for i, (name, storage, base) in enumerate(zip(names, types, bases)):
        non_null, (distinct, *text_stats) = values[f"nn_{i}"], shapes[i]
        text = dict(zip(TEXT_STATS, text_stats)) if base == "VARCHAR" else None
        col = {
            "name": name,
            "type": logical_type(storage, distinct=distinct, rows=rows, mean_words=text and text["words"]),
            "storage_type": storage,
            "missing": rows - non_null,
            "missing_share": (rows - non_null) / rows if rows else 0.0,
            "distinct": distinct,
            "integer": base in INTEGER_TYPES,
        }
        for key in ("min", "max", "mean", "std"):
            if f"{key}_{i}" in values:
                col[key] = _plain(values[f"{key}_{i}"])
        if text:
            col["text"] = {
                "mean_length": _plain(text["len"]),
                "mean_words": _plain(text["words"]),
                "numeric_like": int(text["num"]),
                "date_like": int(text["date"]),
                "leading_zero": int(text["lead0"]),
                "thousands_separators": int(text["grouped"]),
            }
        if base == "BOOLEAN":
            col["true_count"] = values[f"true_{i}"]
        columns.append(col)
    _add_distributions(con, t, columns)
    return {"rows": rows, "duplicate_rows": rows - distinct_rows, "columns": columns}


def _add_distributions(con, t: str, columns: list[dict]) -> None:
    """Top values for discrete columns and a histogram for continuous numbers, in one query each."""
    tops, hists = [], []
    for i, col in enumerate(columns):
        q = quote_ident(col["name"])
        # Whole numbers with few values (hours, counts) read better as one bar per value.
        limit = DISCRETE_VALUES if col["type"] == "number" else TOP_VALUES
        continuous = col["type"] == "number" and col["distinct"] > (
            DISCRETE_VALUES if col["integer"] else HISTOGRAM_BINS)
        if continuous and col["min"] is not None and col["max"] > col["min"]:
            hists.append(
                f"histogram({q}, equi_width_bins({col['min']!r}::DOUBLE, {col['max']!r}::DOUBLE, "
                f"{HISTOGRAM_BINS}, true)) AS h_{i}"
            )
        elif col["type"] != "date" and col["distinct"] > 0:
            tops.append(
                f"(SELECT {i} AS i, {q}::VARCHAR AS value, count(*) AS n FROM {t} "
                f"WHERE {q} IS NOT NULL GROUP BY ALL ORDER BY n DESC, value LIMIT {limit})"
            )
    if tops:
        for i, value, n in con.execute(" UNION ALL ".join(tops)).fetchall():
            columns[i].setdefault("top_values", []).append({"value": value, "count": n})
    if hists:
        cur = con.execute(f"SELECT {', '.join(hists)} FROM {t}")
        for d, h in zip(cur.description, cur.fetchone()):
            i = int(d[0][2:])
            col, lower, bins = columns[i], columns[i]["min"], []
            for upper, n in sorted(h.items()):
                bins.append({"bin_start": _plain(lower), "bin_end": _plain(upper), "count": n})
                lower = upper
            if bins:
                bins[0]["bin_start"] = min(bins[0]["bin_start"], col["min"])
            col["histogram"] = bins


def _plain(v):
    """Make a DuckDB value JSON-friendly (no NaN, no Decimal, dates as ISO text)."""
    if isinstance(v, decimal.Decimal):
        v = float(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (dt.date, dt.datetime, dt.time)):
        return v.isoformat()
    return v


def copied_columns(con, table: str, columns: list[dict]) -> list[dict]:
    """Columns that repeat an earlier column value for value: [{"column": later, "other": earlier}].

    Only columns of the same type, distinct count and missing count can be copies; among those, one
    query fingerprints each (a sum of hashes of row number and value, which copies share), and only
    columns with equal fingerprints are compared value by value. A thousand columns cost a few
    queries, not one per pair."""
    shape = ("storage_type", "distinct", "missing")
    groups: dict[tuple, list[int]] = {}
    for j, col in enumerate(columns):
        groups.setdefault(tuple(col[k] for k in shape), []).append(j)
    candidates = sorted(j for members in groups.values() if len(members) > 1 for j in members)
    if not candidates:
        return []
    t = quote_ident(table)
    prints = {}
    for at in range(0, len(candidates), FINGERPRINTS_PER_QUERY):
        part = candidates[at:at + FINGERPRINTS_PER_QUERY]
        row = con.execute("SELECT " + ", ".join(f"sum(hash(rowid, {quote_ident(columns[j]['name'])}))"
                                                for j in part) + f" FROM {t}").fetchone()
        prints |= dict(zip(part, row))
    out, copied = [], set()
    for j in candidates:
        b = columns[j]
        for i in groups[tuple(b[k] for k in shape)]:
            if i >= j:
                break
            a = columns[i]
            if a["name"] in copied or prints[i] != prints[j]:
                continue
            differ, = con.execute(f"SELECT count(*) FROM {t} WHERE {quote_ident(a['name'])} IS DISTINCT FROM "
                                  f"{quote_ident(b['name'])}").fetchone()
            if differ == 0:
                out.append({"column": b["name"], "other": a["name"]})
                copied.add(b["name"])
                break
    return out


RECODE_PAIRS_MAX = 100  # pairs checked per table, so a table of many yes/no columns stays quick (0.5 s on 1M rows)


def recoded_columns(con, table: str, columns: list[dict], rows: int, skip: set[str]) -> list[dict]:
    """Columns that say what an earlier column says in other values, one for one (a country and
    its ISO code): [{"column": later, "other": earlier}]. Only repeating columns count (a value on
    every row is one for one with anything), of equal distinct and missing counts; a pair is a
    recode when it has no more distinct pairs of values than either column has values."""
    groups: dict[tuple, list[dict]] = {}
    for col in columns:
        if col["name"] not in skip and 2 <= col["distinct"] <= rows / 2:
            groups.setdefault((col["distinct"], col["missing"]), []).append(col)
    pairs = [(a, b) for members in groups.values() for i, b in enumerate(members) for a in members[:i]]
    pairs = pairs[:RECODE_PAIRS_MAX]
    if not pairs:
        return []
    # One scan counts every pair's distinct combinations (a row with an empty value still counts once).
    seen = con.execute("SELECT " + ", ".join(f"count(DISTINCT row({quote_ident(a['name'])}, {quote_ident(b['name'])}))"
                                             for a, b in pairs) + f" FROM {quote_ident(table)}").fetchone()
    out, found = [], set()
    for (a, b), combinations in zip(pairs, seen):
        if combinations == a["distinct"] + (a["missing"] > 0) and not {a["name"], b["name"]} & found:
            out.append({"column": b["name"], "other": a["name"]})
            found.add(b["name"])
    return out
