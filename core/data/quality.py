"""Data-quality warnings: a plain sentence and a suggested action for each problem found.

Column warnings are pure functions of a stored profile. Target warnings (leakage,
imbalance) need the chosen target and scan the table in DuckDB.
"""

import re

from core.data import leakage
from core.foundation.db import quote_ident

MOSTLY_MISSING = 0.5
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
    # Also kind duplicate_rows: one row only.
    "duplicate_row": {
        "en": ("1 row is an exact copy of another row.",
               "Check whether it is a real repeat or an export error; copies can make scores look better than they are."),
        "pt": ("1 linha é cópia exata de outra linha.",
               "Verifique se é uma repetição real ou erro de exportação; cópias podem inflar as notas do modelo."),
    },
    "number_as_text": {
        "en": ("'{column}' looks like numbers stored as text: {share:.0%} of its values are numbers.",
               "Fix the values that are not numbers (for example {example}) so it is read as a number."),
        "pt": ("'{column}' parece conter números guardados como texto: {share:.0%} dos valores são números.",
               "Corrija os valores que não são números (por exemplo {example}) para que seja lida como número."),
    },
    # Also kind number_as_text: every value is a number, written with thousands separators.
    "number_with_separators": {
        "en": ("'{column}' holds numbers written with thousands separators (for example {example}), so it is "
               "read as text, and a model would treat each amount as a category.",
               "Change its type to number: save the file with the numbers written without separators "
               "(1231800, not 1,231,800) and upload it again."),
        "pt": ("'{column}' contém números escritos com separador de milhar (por exemplo {example}), então é lida "
               "como texto, e um modelo trataria cada valor como uma categoria.",
               "Mude o tipo para número: salve o arquivo com os números escritos sem separador "
               "(1231800, e não 1.231.800) e envie de novo."),
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
    "personal_data": {
        "en": ("'{column}' holds personal data: {what}.",
               "It is left out of training: a model should not learn from who a person is, and the data "
               "need not travel with the model."),
        "pt": ("'{column}' contém dados pessoais: {what}.",
               "Ela fica fora do treino: um modelo não deve aprender com quem a pessoa é, e esses dados não "
               "precisam acompanhar o modelo."),
    },
    "renamed_column": {
        "en": ("The file has more than one column called '{original}'; this one is now called '{column}'.",
               "Check which is which; if they mean different things, give them different names in the file."),
        "pt": ("O arquivo tem mais de uma coluna chamada '{original}'; esta agora se chama '{column}'.",
               "Confira qual é qual; se significam coisas diferentes, dê nomes diferentes a elas no arquivo."),
    },
    "duplicate_column": {
        "en": ("'{column}' is an exact copy of '{other}', value for value.",
               "Leave it out; it adds nothing that '{other}' does not already say."),
        "pt": ("'{column}' é uma cópia exata de '{other}', valor por valor.",
               "Deixe-a de fora; ela não diz nada que '{other}' já não diga."),
    },
    "recoded_column": {
        "en": ("'{column}' says what '{other}' says in other words: each value of one goes with exactly one value "
               "of the other.",
               "Leave it out; the model learns nothing more from it, and explanations would split the credit "
               "between the two."),
        "pt": ("'{column}' diz o mesmo que '{other}' com outros valores: cada valor de uma corresponde a exatamente "
               "um valor da outra.",
               "Deixe-a de fora; o modelo não aprende nada a mais com ela, e as explicações dividiriam o crédito "
               "entre as duas."),
    },
    "imbalance": {
        "en": ("'{target}' is imbalanced: only {share:.0%} of rows are '{minority}', against {major_share:.0%} '{majority}'.",
               "Judge the model by balanced accuracy, F1 or ROC AUC rather than accuracy, and check the rare class."),
        "pt": ("'{target}' está desbalanceada: só {share:.0%} das linhas são '{minority}', contra {major_share:.0%} '{majority}'.",
               "Avalie o modelo por acurácia balanceada, F1 ou ROC AUC em vez de acurácia, e olhe a classe rara."),
    },
}
EXCLUDE_KINDS = {"identifier", "constant", "mostly_missing", "free_text", "leakage", "personal_data",
                 "duplicate_column", "recoded_column"}
PERSONAL_KINDS = {
    "en": {"email": "e-mail addresses", "phone": "phone numbers", "national_id": "national id numbers",
           "address": "street addresses", "person_name": "people's names"},
    "pt": {"email": "endereços de e-mail", "phone": "números de telefone", "national_id": "números de documento",
           "address": "endereços", "person_name": "nomes de pessoas"},
}
LEAKAGE_DETAIL = {
    "en": {
        "copy": "it is the target itself under other labels",
        "present_for": "it is filled in almost only when '{target}' is '{value}' ({inside} of its {side} filled rows)",
        "missing_for": "it is empty almost only when '{target}' is '{value}' ({inside} of its {side} empty rows)",
        "nonzero_for": "it is non-zero almost only when '{target}' is '{value}' ({inside} of its {side} non-zero rows)",
        "zero_for": "it is zero or empty almost only when '{target}' is '{value}' ({inside} of its {side} such rows)",
        "alone": "on its own it gets {right} of 100 right; guessing gets {guess}",
        "alone_r2": "on its own it explains {r2:.0%} of the ups and downs of '{target}'",
        "related": "its name starts like '{other}', which gives the answer away, and on its own it already "
                   "removes {removal:.0%} of the guessing error",
        "sum": "'{column}' {op} '{other}' equals the target in {share:.0%} of rows",
    },
    "pt": {
        "copy": "ela é o próprio alvo com outros rótulos",
        "present_for": "ela só é preenchida quando '{target}' é '{value}' ({inside} de {side} linhas preenchidas)",
        "missing_for": "ela só fica vazia quando '{target}' é '{value}' ({inside} de {side} linhas vazias)",
        "nonzero_for": "ela só é diferente de zero quando '{target}' é '{value}' ({inside} de {side} linhas)",
        "zero_for": "ela só é zero ou vazia quando '{target}' é '{value}' ({inside} de {side} linhas)",
        "alone": "sozinha ela acerta {right} de 100; um chute acerta {guess}",
        "alone_r2": "sozinha ela explica {r2:.0%} das variações de '{target}'",
        "related": "seu nome começa como '{other}', que entrega a resposta, e sozinha ela já elimina "
                   "{removal:.0%} do erro do chute",
        "sum": "'{column}' {op} '{other}' é igual ao alvo em {share:.0%} das linhas",
    },
}


def make_warning(kind: str, *, lang: str = "en", column: str | None = None, template: str | None = None,
                 **values) -> dict:
    """A warning of `kind`, worded by TEMPLATES[template or kind]."""
    message, action = TEMPLATES[template or kind][lang if lang in ("en", "pt") else "en"]
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
    rows, lang = profile["rows"], (lang if lang in PERSONAL_KINDS else "en")
    out = [make_warning("renamed_column", lang=lang, **r) for r in profile.get("renamed", [])]
    out += [make_warning("duplicate_column", lang=lang, **c) for c in profile.get("copies", [])]
    out += [make_warning("recoded_column", lang=lang, **c) for c in profile.get("recodes", [])]
    personal = profile.get("personal", {})
    copies = {c["column"] for c in profile.get("copies", []) + profile.get("recodes", [])}
    for col in profile["columns"]:
        name, distinct, non_null = col["name"], col["distinct"], rows - col["missing"]
        text = col.get("text")
        if name in personal:  # one reason is enough, and this is the one that matters
            out.append(make_warning("personal_data", lang=lang, column=name, what=PERSONAL_KINDS[lang][personal[name]]))
            continue
        if name in copies:
            continue
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
            grouped = text.get("thousands_separators", 0)
            if grouped and text["numeric_like"] == non_null:  # nothing to fix but the way numbers are written
                out.append(make_warning("number_as_text", lang=lang, column=name, template="number_with_separators",
                                        example=_grouped_example(col)))
            else:
                out.append(make_warning("number_as_text", lang=lang, column=name,
                                        share=text["numeric_like"] / non_null, example=example))
        elif text["date_like"] >= 0.9 * non_null:
            out.append(make_warning("date_as_text", lang=lang, column=name, example=repr(col.get("min"))))
        elif col["type"] == "text" and (wordy or text["mean_length"] >= 40):
            out.append(make_warning("free_text", lang=lang, column=name, words=text["mean_words"]))
    if profile.get("duplicate_rows"):
        out.append(make_warning("duplicate_rows", lang=lang, column=None, count=profile["duplicate_rows"],
                                share=profile["duplicate_rows"] / rows,
                                template="duplicate_row" if profile["duplicate_rows"] == 1 else None))
    return out


def _looks_like_identifier(col: dict, rows: int, non_null: int) -> bool:
    if rows < 20 or non_null == 0 or col["type"] in ("date", "boolean"):
        return False
    unique_share = col["distinct"] / non_null
    if ID_NAME.search(col["name"]) and unique_share >= 0.9:
        return True
    if unique_share < 1.0:
        return False
    if col["type"] in ("category", "text"):  # a different label on every row
        return True
    return bool(col.get("integer")) and _counts_or_codes(col["min"], col["max"], non_null)


CODE_DIGITS = 7  # account and phone numbers; few measurements are unique and of one width this long


def _counts_or_codes(low, high, n: int) -> bool:
    """Whole numbers unique per row name the rows when they count them (row numbers and
    auto-increment keys fill most of their range) or are codes of one long width (account
    numbers). A measurement (a population, an amount) spreads over orders of magnitude instead."""
    if low is None or high is None:
        return False
    low, high = int(low), int(high)
    if high - low + 1 <= 3 * n:
        return True
    return low > 0 and len(str(low)) == len(str(high)) >= CODE_DIGITS


GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}([,.]\d{3})+([.,]\d+)?")


def _non_matching_example(col: dict) -> str:
    for top in col.get("top_values", []):
        value = top["value"].strip().lstrip("$€£").rstrip("%")
        if GROUPED_NUMBER.fullmatch(value):
            continue
        try:
            float(value.replace(",", "."))
        except ValueError:
            return repr(top["value"])
    return repr(col.get("max"))


def _grouped_example(col: dict) -> str:
    """A value written with thousands separators, to show."""
    for top in col.get("top_values", []):
        if GROUPED_NUMBER.fullmatch(top["value"].strip().lstrip("$€£").rstrip("%")):
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
    done = {w["column"] for w in out if w["kind"] == "leakage"}
    skip = done | {w["column"] for w in column_warnings(profile) if w["kind"] in ("identifier", "constant")}
    detail = LEAKAGE_DETAIL[lang if lang in LEAKAGE_DETAIL else "en"]
    for column, key, values in leakage.findings(con, table, columns=cols, target=target, rows=profile["rows"],
                                                classification=classification, skip=skip):
        out.append(make_warning("leakage", lang=lang, column=column, target=target,
                                detail=detail[key].format(target=target, **values)))
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
