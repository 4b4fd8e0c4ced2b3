"""The shared vocabulary: one YAML file per term (English and Portuguese side by side), plus UI labels.

Pure data and a loader; no streamlit here either, so core and pages can both use it.
"""

import functools
import json
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
LANGUAGES = ("en", "pt")
TERM_FIELDS = ("term", "short", "business", "reading", "caveats")


@functools.lru_cache(maxsize=1)
def terms() -> dict[str, dict]:
    out = {}
    for path in sorted((HERE / "terms").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out[data["id"]] = data
    return out


def term(term_id: str, lang: str = "en") -> dict:
    """One term in one language, with id, aliases and audience alongside."""
    data = terms()[term_id]
    text = data.get(lang) or data["en"]
    return {"id": term_id, "aliases": data.get("aliases", []), "audience": data.get("audience"), **text}


@functools.lru_cache(maxsize=1)
def placeholders() -> dict[str, dict]:
    """The names a term's `business` template may use, and for which problem types they are filled."""
    return yaml.safe_load((HERE / "placeholders.yaml").read_text(encoding="utf-8"))


def help_text(term_id: str, lang: str = "en") -> str:
    """The short definition, for a widget's help tooltip."""
    return term(term_id, lang)["short"]


@functools.lru_cache(maxsize=None)
def _strings(name: str = "ui") -> dict[str, dict]:
    return yaml.safe_load((HERE / f"{name}.yaml").read_text(encoding="utf-8"))


def _ui_strings() -> dict[str, dict]:
    return _strings("ui")


def ui(key: str, lang: str = "en", **values) -> str:
    """A UI label in the chosen language; placeholders filled from `values`."""
    entry = _strings("ui")[key]
    return (entry.get(lang) or entry["en"]).format(**values)


def messages() -> dict[str, dict]:
    return _strings("messages")


def message(message_id: str, lang: str = "en", /, **values) -> str:
    """A message from core (errors, estimates, run status) in the chosen language (glossary/messages.yaml).
    Positional-only, so a message may have placeholders called `key` or `lang`."""
    entry = _strings("messages")[message_id]
    return (entry.get(lang) or entry["en"]).format(**values)


def to_store(message_id: str, /, **values) -> str:
    """A message kept in the database (a run's error, a fallback warning) as its id and values, so
    each reader sees it in their own language: render it with `stored`."""
    message(message_id, "en", **values)  # a missing placeholder fails here, not when it is read
    return json.dumps({"msg": message_id, **values}, default=str)


def stored(text: str | None, lang: str = "en") -> str | None:
    """A message kept with `to_store`, in `lang`. Text kept before messages had ids comes back as
    it is."""
    if not text or not text.startswith('{"msg"'):
        return text
    values = json.loads(text)
    return message(values.pop("msg"), lang, **values)


def story(key: str, lang: str = "en", **values) -> str:
    """A sentence of the plain-language run summary (glossary/story.yaml), filled from `values`."""
    entry = _strings("story")[key]
    return (entry.get(lang) or entry["en"]).format(**values)


def prep(key: str, lang: str = "en", **values) -> str:
    """A sentence saying what a recipe step did (glossary/prep.yaml), filled from `values`."""
    entry = _strings("prep")[key]
    return (entry.get(lang) or entry["en"]).format(**values)


def report(key: str, lang: str = "en", **values) -> str:
    """A sentence or title of a run's model card (glossary/report.yaml), filled from `values`."""
    entry = _strings("report")[key]
    return (entry.get(lang) or entry["en"]).format(**values)


def number(value, lang: str = "en") -> str:
    """1,234 / 12.3 / 0.42 in English; 1.234 / 12,3 / 0,42 in Portuguese."""
    if isinstance(value, int):
        text = f"{value:,}"
    else:
        size = abs(value)
        text = f"{value:,.0f}" if size >= 100 else f"{value:.1f}" if size >= 10 else \
            f"{value:.2f}" if size >= 0.01 or value == 0 else f"{value:.2g}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "pt" else text
