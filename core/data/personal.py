"""Columns that hold personal data: people's names, e-mail addresses, phone numbers, street
addresses and national ids. Judged on a sample of each text column's values (and, for names,
on how unique the values are), when a data set is added; the result is stored in its profile.
"""

import re

from core.foundation.db import quote_ident

SAMPLE = 300
MATCH_SHARE = 0.8

EMAIL = re.compile(r"^[\w.+%-]+@[\w-]+(\.[\w-]+)+$")
PHONE = re.compile(r"^\+?[\d\s().-]{7,20}$")
NATIONAL_ID = re.compile(
    r"^(\d{3}\.\d{3}\.\d{3}-\d{2}"  # Brazilian CPF
    r"|\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}"  # Brazilian CNPJ
    r"|\d{3}-\d{2}-\d{4}"  # US social security number
    r"|[A-Z]{2}\d{6}[A-D])$")  # UK national insurance number
STREET = re.compile(
    r"\b(rua|r\.|av\.?|avenida|travessa|alameda|rodovia|pra[çc]a|street|st\.?|avenue|ave\.?|road|rd\.?|"
    r"lane|ln\.?|drive|dr\.?|boulevard|blvd\.?|way|court|ct\.?|place|pl\.?|calle|strasse|straße)\b",
    re.IGNORECASE)
# A capitalised word (O'Brien, McDonald, Jean-Luc, J.), or a particle of a name (da, van, von).
NAME_WORD = re.compile(r"^[A-ZÀ-Ý][a-zà-ÿ]*(?:['’-]?[A-ZÀ-Ý]?[a-zà-ÿ]+)*\.?,?$"
                       r"|^(da|de|do|dos|das|van|von|der|del|la|le|y|e)$")
ID_NAMES = re.compile(r"(^|_)(ssn|cpf|cnpj|rg|nin|passport|national_id|social_security)(_|$)", re.IGNORECASE)
PHONE_NAMES = re.compile(r"(^|_)(phone|tel|telephone|mobile|cell|celular|telefone|fone|whatsapp)(_|$)",
                         re.IGNORECASE)


def kind_of(name: str, values: list[str], unique_share: float) -> str | None:
    """The personal-data kind most of these values have, or None."""
    values = [v.strip() for v in values if v and v.strip()]
    if not values:
        return None

    def share(test) -> float:
        return sum(1 for v in values if test(v)) / len(values)

    if share(EMAIL.match) >= MATCH_SHARE:
        return "email"
    if share(NATIONAL_ID.match) >= MATCH_SHARE:
        return "national_id"
    digits = [re.sub(r"\D", "", v) for v in values]
    phone_like = share(lambda v: bool(PHONE.match(v)) and 8 <= len(re.sub(r"\D", "", v)) <= 15)
    if phone_like >= MATCH_SHARE and (PHONE_NAMES.search(name) or share(lambda v: bool(re.search(r"[\s()+-]", v)))
                                      >= MATCH_SHARE):
        return "phone"
    if ID_NAMES.search(name) and sum(len(d) >= 6 for d in digits) / len(values) >= MATCH_SHARE:
        return "national_id"
    if share(lambda v: bool(STREET.search(v)) and bool(re.search(r"\d", v))) >= 0.6:
        return "address"
    if unique_share >= 0.5 and share(_looks_like_a_name) >= MATCH_SHARE:
        return "person_name"
    return None


def _looks_like_a_name(value: str) -> bool:
    words = re.sub(r"\(.*?\)|\".*?\"", "", value).split()
    if not 2 <= len(words) <= 6:
        return False
    return all(NAME_WORD.match(w) for w in words)


def detect(con, table: str, profile: dict) -> dict[str, str]:
    """{column: kind} for the text columns of `table` that hold personal data."""
    t, rows, out = quote_ident(table), profile["rows"], {}
    for col in profile["columns"]:
        if col["storage_type"].split("(")[0].upper() != "VARCHAR" or rows == col["missing"]:
            continue
        q = quote_ident(col["name"])
        values = [v for (v,) in con.execute(
            f"SELECT DISTINCT {q} FROM {t} WHERE {q} IS NOT NULL LIMIT {SAMPLE}").fetchall()]
        kind = kind_of(col["name"], values, col["distinct"] / (rows - col["missing"]))
        if kind:
            out[col["name"]] = kind
    return out
