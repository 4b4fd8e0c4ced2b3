"""Data-quality warnings: a plain sentence and a suggested action for each problem found.

Column warnings are pure functions of a stored profile. Target warnings (leakage,
imbalance) need the chosen target and scan the table in DuckDB.
"""

import re

from core.foundation.db import quote_ident

MOSTLY_MISSING = 0.5
NEAR_PERFECT = 0.98
IMBALANCE_RATIO = 4.0
ID_NAME = re.compile(r"(^|[_\s.-])(id|uuid|guid|key)$|^(id|uuid|guid)([_\s.-]|$)|[a-z]Id$", re.IGNORECASE)

# kind -> (message, action) per language. `exclude` kinds become pre-ticked exclusions in the run form.
TEMPLATES = {
    "identifier": {
        "en": ("'{column}' looks like an identifier: {distinct} different values in {rows} rows.",
               "Leave it out of training; it names rows instead of describing them."),
        "pt": ("'{column}' parece um identificador: {distinct} valores diferentes em {rows} linhas.",
               "Deixe-a fora do treino; ela nomeia as linhas em vez de descrevê-las."),
    },
    "constant": {
        "en": ("'{column}' has the same value in every row, so it cannot help a prediction.",
               "Leave it out of training."),
        "pt": ("'{column}' tem o mesmo valor em todas as linhas, então não ajuda a prever.",
               "Deixe-a fora do treino."),
    },
    "mostly_missing": {
        "en": ("'{column}' is empty in {share:.0%} of rows.",
               "Leave it out, or fill it at the source if the missing values matter."),
        "pt": ("'{column}' está vazia em {share:.0%} das linhas.",
               "Deixe-a de fora, ou preencha na origem se esses valores importam."),
    },
    "free_text": {
        "en": ("'{column}' holds free text (about {words:.0f} words per row), not categories.",
               "Leave it out unless the text itself should drive predictions."),
        "pt": ("'{column}' contém texto livre (cerca de {words:.0f} palavras por linha), não categorias.",
               "Deixe-a de fora, a menos que o próprio texto deva guiar as previsões."),
    },
    "duplicate_rows": {
        "en": ("{count} rows are exact copies of another row ({share:.0%} of the data).",
               "Check whether they are real repeats or an export error; copies can make scores look better than they are."),
        "pt": ("{count} linhas são cópias exatas de outra linha ({share:.0%} dos dados).",
               "Verifique se são repetições reais ou erro de exportação; cópias podem inflar as notas do modelo."),
    },
    "number_as_text": {
        "en": ("'{column}' looks like numbers stored as text: {share:.0%} of its values are numbers.",
               "Fix the values that are not numbers (for example {example}) so it is read as a number."),
        "pt": ("'{column}' parece conter números guardados como texto: {share:.0%} dos valores são números.",
               "Corrija os valores que não são números (por exemplo {example}) para que seja lida como número."),
    },
    "date_as_text": {
        "en": ("'{column}' looks like dates stored as text (for example {example}).",
               "Save the dates in the form YYYY-MM-DD so they are read as dates."),
        "pt": ("'{column}' parece conter datas guardadas como texto (por exemplo {example}).",
               "Salve as datas no formato AAAA-MM-DD para que sejam lidas como datas."),
    },
    "leakage": {
        "en": ("'{column}' gives away '{target}': {detail}.",
               "Leave it out: it is probably recorded after the outcome, so it will not be known when predicting."),
        "pt": ("'{column}' entrega a resposta de '{target}': {detail}.",
               "Deixe-a de fora: provavelmente é registrada depois do resultado e não existirá na hora de prever."),
    },
    "imbalance": {
        "en": ("'{target}' is imbalanced: only {share:.0%} of rows are '{minority}', against {major_share:.0%} '{majority}'.",
               "Judge the model by balanced accuracy, F1 or ROC AUC rather than accuracy, and check the rare class."),
        "pt": ("'{target}' está desbalanceada: só {share:.0%} das linhas são '{minority}', contra {major_share:.0%} '{majority}'.",
               "Avalie o modelo por acurácia balanceada, F1 ou ROC AUC em vez de acurácia, e olhe a classe rara."),
    },
}
EXCLUDE_KINDS = {"identifier", "constant", "mostly_missing", "free_text", "leakage"}
LEAKAGE_DETAIL = {
    "en": {
        "purity": "on its own it predicts the target correctly for {purity:.0%} of rows",
        "correlation": "it moves in lockstep with the target (correlation {corr:.2f})",
        "sum": "'{column}' {op} '{other}' equals the target in {share:.0%} of rows",
    },
    "pt": {
        "purity": "sozinha ela acerta o alvo em {purity:.0%} das linhas",
        "correlation": "ela anda junto com o alvo (correlação {corr:.2f})",
        "sum": "'{column}' {op} '{other}' é igual ao alvo em {share:.0%} das linhas",
    },
}


def make_warning(kind: str, *, lang: str = "en", column: str | None = None, **values) -> dict:
    message, action = TEMPLATES[kind][lang if lang in ("en", "pt") else "en"]
    values["column"] = column
    return {
        "column": column,
        "kind": kind,
        "message": message.format(**values),
        "action": action.format(**values),
        "exclude": kind in EXCLUDE_KINDS,
    }


def column_warnings(profile: dict, lang: str = "en") -> list[dict]:
    """Warnings that need no target: identifier, constant, missing, free text, duplicates, text types."""
    rows = profile["rows"]
    out = []
    for col in profile["columns"]:
        name, distinct, non_null = col["name"], col["distinct"], rows - col["missing"]
        text = col.get("text")
        if rows > 1 and distinct + (col["missing"] > 0) <= 1:  # one value, or all empty
            out.append(make_warning("constant", lang=lang, column=name))
            continue
        if col["missing_share"] > MOSTLY_MISSING:
            out.append(make_warning("mostly_missing", lang=lang, column=name, share=col["missing_share"]))
        wordy = bool(text) and text["mean_words"] >= 4
        if not wordy and _looks_like_identifier(col, rows, non_null):
            out.append(make_warning("identifier", lang=lang, column=name, distinct=distinct, rows=rows))
            continue
        if not text or non_null == 0:
            continue
        example = _non_matching_example(col)
        if text["numeric_like"] >= 0.9 * non_null and text["leading_zero"] < 0.5 * non_null:
            out.append(make_warning("number_as_text", lang=lang, column=name,
                                    share=text["numeric_like"] / non_null, example=example))
        elif text["date_like"] >= 0.9 * non_null:
            out.append(make_warning("date_as_text", lang=lang, column=name, example=repr(col.get("min"))))
        elif col["type"] == "text" and (wordy or text["mean_length"] >= 40):
            out.append(make_warning("free_text", lang=lang, column=name, words=text["mean_words"]))
    if profile.get("duplicate_rows"):
        out.append(make_warning("duplicate_rows", lang=lang, column=None, count=profile["duplicate_rows"],
                                share=profile["duplicate_rows"] / rows))
    return out


def _looks_like_identifier(col: dict, rows: int, non_null: int) -> bool:
    if rows < 20 or non_null == 0 or col["type"] in ("date", "boolean"):
        return False
    unique_share = col["distinct"] / non_null
    if ID_NAME.search(col["name"]) and unique_share >= 0.9:
        return True
    # Unique per row: text and whole numbers are labels; real-valued measurements are not.
    return unique_share == 1.0 and (col["type"] in ("category", "text") or col.get("integer"))


def _non_matching_example(col: dict) -> str:
    for top in col.get("top_values", []):
        value = top["value"].strip().lstrip("$€£").rstrip("%").replace(",", ".")
        try:
            float(value)
        except ValueError:
            return repr(top["value"])
    return repr(col.get("max"))


def target_warnings(con, table: str, *, profile: dict, target: str, lang: str = "en") -> list[dict]:
    """Leakage and imbalance for a chosen target column."""
    cols = {c["name"]: c for c in profile["columns"]}
    tcol = cols[target]
    t, y = quote_ident(table), quote_ident(target)
    out = []
    classification = tcol["type"] != "number" or tcol["distinct"] <= 20
    if classification:
        out += _imbalance(con, t, y, target, lang)
    if not classification:
        out += _sum_leaks(con, t, y, target, cols, lang)
    flagged = {w["column"] for w in out if w["kind"] == "leakage"}
    for name, col in cols.items():
        if name == target or name in flagged or col["distinct"] <= 1:
            continue
        detail = _leak_detail(con, t, y, col, classification, profile["rows"], lang)
        if detail:
            out.append(make_warning("leakage", lang=lang, column=name, target=target, detail=detail))
    return out


def _imbalance(con, t, y, target, lang) -> list[dict]:
    counts = con.execute(
        f"SELECT {y}::VARCHAR, count(*) FROM {t} WHERE {y} IS NOT NULL GROUP BY ALL ORDER BY 2 DESC, 1"
    ).fetchall()
    if len(counts) < 2:
        return []
    total = sum(n for _, n in counts)
    (majority, most), (minority, least) = counts[0], counts[-1]
    if most / least < IMBALANCE_RATIO:
        return []
    return [make_warning("imbalance", lang=lang, column=target, target=target, minority=minority,
                         share=least / total, majority=majority, major_share=most / total)]


def _leak_detail(con, t, y, col, classification, rows, lang) -> str | None:
    q = quote_ident(col["name"])
    detail = LEAKAGE_DETAIL[lang if lang in LEAKAGE_DETAIL else "en"]
    numeric = col["type"] == "number"
    if classification:
        if not numeric and col["distinct"] > 0.5 * rows:
            return None  # near-unique labels are trivially "pure"; the identifier warning covers them
        key = f"ntile(20) OVER (ORDER BY {q})" if numeric and col["distinct"] > 20 else q
        purity, majority = con.execute(
            f"""WITH b AS (SELECT {key} AS k, {y} AS y FROM {t} WHERE {y} IS NOT NULL),
                     g AS (SELECT k, y, count(*) AS n FROM b GROUP BY ALL),
                     m AS (SELECT max(n) AS best FROM g GROUP BY k)
                SELECT sum(best) / (SELECT count(*) FROM b),
                       (SELECT max(n) FROM (SELECT count(*) AS n FROM b GROUP BY y)) / (SELECT count(*) FROM b)
                FROM m"""
        ).fetchone()
        if purity is not None and purity >= NEAR_PERFECT and majority < 0.95:
            return detail["purity"].format(purity=purity)
        return None
    if numeric:
        pearson, spearman = con.execute(
            f"""WITH r AS (SELECT {q} AS x, {y} AS y, rank() OVER (ORDER BY {q}) AS rx,
                                  rank() OVER (ORDER BY {y}) AS ry
                           FROM {t} WHERE {q} IS NOT NULL AND {y} IS NOT NULL)
                SELECT corr(x, y), corr(rx, ry) FROM r"""
        ).fetchone()
        best = max((abs(v) for v in (pearson, spearman) if v is not None), default=0.0)
        if best >= NEAR_PERFECT:
            return detail["correlation"].format(corr=best)
        return None
    if col["distinct"] > 0.5 * rows:
        return None
    eta2, = con.execute(
        f"""WITH d AS (SELECT {q} AS k, {y}::DOUBLE AS y FROM {t} WHERE {y} IS NOT NULL),
                 g AS (SELECT k, avg(y) OVER (PARTITION BY k) AS gm, avg(y) OVER () AS m, y FROM d)
            SELECT 1 - sum((y - gm) ^ 2) / nullif(sum((y - m) ^ 2), 0) FROM g"""
    ).fetchone()
    if eta2 is not None and eta2 >= NEAR_PERFECT:
        return detail["purity"].format(purity=eta2)
    return None


def _sum_leaks(con, t, y, target, cols, lang) -> list[dict]:
    """A pair of numbers whose sum or difference is the target (e.g. casual + registered = total)."""
    numeric = [n for n, c in cols.items() if n != target and c["type"] == "number"][:30]
    pairs = [(a, b, op) for i, a in enumerate(numeric) for b in numeric[i + 1:] for op in ("+", "-")]
    if not pairs:
        return []
    exprs = [
        f"avg(CASE WHEN abs(({quote_ident(a)} {op} {quote_ident(b)}) - {y}) <= 1e-9 * (1 + abs({y})) "
        f"THEN 1.0 ELSE 0.0 END) AS s{i}"
        for i, (a, b, op) in enumerate(pairs)
    ]
    shares = con.execute(f"SELECT {', '.join(exprs)} FROM {t} WHERE {y} IS NOT NULL").fetchone()
    detail = LEAKAGE_DETAIL[lang if lang in LEAKAGE_DETAIL else "en"]["sum"]
    out = []
    for (a, b, op), share in zip(pairs, shares):
        if share is not None and share >= 0.99:
            for col, other in ((a, b), (b, a)):
                text = detail.format(column=a, op=op, other=b, share=share)
                out.append(make_warning("leakage", lang=lang, column=col, target=target, detail=text))
    return out


SENSITIVE_NAME = re.compile(
    r"(^|_)(sex|gender|race|ethnic\w*|age|religion|nationality|national_origin|marital\w*|"
    r"disab\w*|pregnan\w*|sexual_orientation|skin\w*|color|colour)($|_)", re.IGNORECASE)
SENSITIVE_VALUES = {"male", "female", "man", "woman", "men", "women", "non-binary"}


def suggest_sensitive(profile: dict) -> list[str]:
    """Columns a fairness review would look at, from their names and values."""
    out = []
    for col in profile["columns"]:
        values = {str(v["value"]).strip().lower() for v in col.get("top_values", [])}
        if SENSITIVE_NAME.search(col["name"]) or (values and values & SENSITIVE_VALUES):
            out.append(col["name"])
    return out
