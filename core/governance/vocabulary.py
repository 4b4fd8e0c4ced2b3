"""The glossary as the organisation sees it: shipped terms plus its own edits (who, when).

Shipped text lives in glossary/terms/*.yaml; edits live in DuckDB and win over it until
reverted. Edits travel between teams as a YAML file that is checked whole before any of it
is applied.
"""

import difflib
import threading
import time

import yaml

import glossary
from core.foundation import config, db
from core.foundation.errors import InvalidInput, NotFound
from core.governance.roles import action

EDITABLE = ("term", "short", "business", "reading", "caveats")
_cache = {"at": 0.0, "overrides": {}}
_cache_lock = threading.Lock()
CACHE_SECONDS = 2.0  # help texts are read dozens of times per page; edits show within seconds


def overrides() -> dict:
    """(term_id, lang, field) -> text, cached briefly per process."""
    with _cache_lock:
        if time.monotonic() - _cache["at"] > CACHE_SECONDS:
            with db.connect() as con:
                rows = con.execute("SELECT term_id, lang, field, text FROM glossary_overrides").fetchall()
            _cache["overrides"] = {(t, lang, f): text for t, lang, f, text in rows}
            _cache["at"] = time.monotonic()
        return _cache["overrides"]


def _forget() -> None:
    with _cache_lock:
        _cache["at"] = 0.0


def resolve(term: str) -> str:
    """A term id from its id, an alias or its display name; a miss names the closest terms."""
    terms = glossary.terms()
    if term in terms:
        return term
    names = {}
    for term_id, data in terms.items():
        for name in [term_id, *data.get("aliases", []), data["en"]["term"], data["pt"]["term"]]:
            names[str(name).lower()] = term_id
    if term.lower() in names:
        return names[term.lower()]
    close = difflib.get_close_matches(term.lower(), list(names), n=3, cutoff=0.5)
    hint = f" Closest: {', '.join(sorted({names[c] for c in close}))}." if close else ""
    raise NotFound(code="term_not_found", value=term, msg="term_not_found", term=term, hint=hint)


def show(term: str, lang: str = "en") -> dict:
    """One term in one language, with the organisation's edits applied and marked."""
    term_id = resolve(term)
    entry = glossary.term(term_id, lang)
    edited = {}
    for field in EDITABLE:
        text = overrides().get((term_id, lang, field))
        if text is not None:
            entry[field] = text
            edited[field] = True
    data = glossary.terms()[term_id]
    return {**entry, "lang": lang, "edited": sorted(edited), "related": data.get("related", []),
            "problem_types": data.get("problem_types", [])}


def help_text(term_id: str, lang: str = "en") -> str:
    return overrides().get((term_id, lang, "short")) or glossary.help_text(term_id, lang)


def search(query: str = "", *, lang: str = "en", audience: str | None = None) -> list[dict]:
    """Terms whose id, aliases, name or definition contain the query (case-insensitive)."""
    q = query.strip().lower()
    out = []
    for term_id in sorted(glossary.terms()):
        entry = show(term_id, lang)
        haystack = " ".join([term_id, *map(str, entry["aliases"]), entry["term"], entry["short"]]).lower()
        if (not q or q in haystack) and (audience is None or entry["audience"] == audience):
            out.append({"id": term_id, "term": entry["term"], "short": entry["short"], "audience": entry["audience"]})
    return sorted(out, key=lambda e: e["term"].casefold())  # as a reader looks them up: by name, in their language


@action("edit_glossary", obj="term")
def edit(term: str, *, lang: str, field: str, text: str, user: str | None = None) -> dict:
    term_id = resolve(term)
    _check(term_id, lang, field, text)
    with db.transaction() as con:
        con.execute("INSERT OR REPLACE INTO glossary_overrides (term_id, lang, field, text, edited_by, edited_at) "
                    "VALUES (?, ?, ?, ?, ?, current_timestamp)",
                    [term_id, lang, field, text.strip(), user or config.default_user()])
    _forget()
    return show(term_id, lang)


@action("edit_glossary", obj="term")
def revert(term: str, *, lang: str, field: str | None = None, user: str | None = None) -> dict:
    term_id = resolve(term)
    with db.transaction() as con:
        con.execute("DELETE FROM glossary_overrides WHERE term_id = ? AND lang = ?"
                    + (" AND field = ?" if field else ""), [term_id, lang, *([field] if field else [])])
    _forget()
    return show(term_id, lang)


def history() -> list[dict]:
    with db.connect() as con:
        cur = con.execute("SELECT term_id, lang, field, text, edited_by, edited_at FROM glossary_overrides "
                          "ORDER BY edited_at DESC")
        keys = [d[0] for d in cur.description]
        return [dict(zip(keys, r)) | {"edited_at": r[5].isoformat(timespec="seconds")} for r in cur.fetchall()]


def export_yaml() -> str:
    """The organisation's edits as YAML: {term_id: {lang: {field: text}}}."""
    out: dict = {}
    for (term_id, lang, field), text in sorted(overrides().items()):
        out.setdefault(term_id, {}).setdefault(lang, {})[field] = text
    return yaml.safe_dump(out, allow_unicode=True, sort_keys=True)


@action("edit_glossary")
def import_yaml(text: str, *, user: str | None = None) -> dict:
    """Apply a vocabulary file whole, or reject it whole with the line that is wrong."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise InvalidInput(code="vocabulary_does_not_parse", msg="vocabulary_does_not_parse", where=where,
                           p=getattr(exc, 'problem', exc)) from None
    if not isinstance(data, dict):
        raise InvalidInput(code="vocabulary_not_a_mapping", msg="vocabulary_not_a_mapping")
    lines = {key: n for n, line in enumerate(text.splitlines(), start=1) for key in [line.split(":")[0].strip()]}
    rows = []
    for term_id, langs in data.items():
        where = f" (line {lines.get(str(term_id), '?')})"
        if term_id not in glossary.terms():
            raise InvalidInput(code="unknown_term", value=term_id, msg="unknown_term", term_id=term_id, where=where)
        if not isinstance(langs, dict):
            raise InvalidInput(code="vocabulary_not_a_mapping", value=term_id, msg="vocabulary_not_a_mapping_2",
                               term_id=term_id, where=where)
        for lang, fields in langs.items():
            if not isinstance(fields, dict):
                raise InvalidInput(code="vocabulary_not_a_mapping", value=term_id, msg="vocabulary_not_a_mapping_3",
                                   term_id=term_id, lang=lang, where=where)
            for field, value in fields.items():
                try:
                    _check(term_id, lang, field, value)
                except InvalidInput as exc:
                    raise InvalidInput(f"{exc}{where} Nothing was imported.", code=exc.code,
                                       value=exc.value) from None
                rows.append([term_id, lang, field, str(value).strip(), user or config.default_user()])
    with db.transaction() as con:
        con.executemany("INSERT OR REPLACE INTO glossary_overrides (term_id, lang, field, text, edited_by) "
                        "VALUES (?, ?, ?, ?, ?)", rows)
    _forget()
    return {"imported": len(rows)}


def _check(term_id: str, lang: str, field: str, text) -> None:
    if lang not in glossary.LANGUAGES:
        raise InvalidInput(code="unknown_language", value=lang, msg="unknown_language", lang=lang,
                           p=', '.join(glossary.LANGUAGES))
    if field not in EDITABLE:
        raise InvalidInput(code="unknown_field", value=field, msg="unknown_field", field=field, term_id=term_id,
                           p=', '.join(EDITABLE))
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(code="empty_text", value=term_id, msg="empty_text", term_id=term_id, lang=lang,
                           field=field)
    if field == "business":
        _check_template(term_id, text)
    if field == "short" and len(text.split()) > 25:
        raise InvalidInput(code="definition_too_long", value=len(text.split()), msg="definition_too_long",
                           p=len(text.split()))


def _check_template(term_id: str, text: str) -> None:
    """A business template may use only the numbers filled for every kind of run the term covers."""
    import string

    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        raise InvalidInput(code="unmatched_brace", value=text, msg="unmatched_brace", term_id=term_id) from None
    kinds = set(glossary.terms()[term_id]["problem_types"])
    known = glossary.placeholders()
    allowed = sorted(n for n, p in known.items()
                     if kinds <= ({"binary", "multiclass", "regression"} if p["for"] == "all"
                                  else set([p["for"]] if isinstance(p["for"], str) else p["for"])))
    bad = sorted(n for n in names if n not in allowed)
    if bad:
        raise InvalidInput(code="unknown_placeholder", value=bad, msg="unknown_placeholder", term_id=term_id,
                           p=', '.join('{' + b + '}' for b in bad), p2=', '.join('{' + a + '}' for a in allowed))
