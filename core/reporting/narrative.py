"""A run told in plain language, in English or Portuguese, from its stored results only.

Sentences come from glossary/story.yaml and from each term's `business` template (with the
organisation's edits); every number is a value of core.placeholders, formatted for the language.
"""

import math

import glossary
from core.foundation.errors import UserError
from core.governance import vocabulary
from core.reporting import placeholders
from core.training.views import RunRecord

STORY_TERMS = {"binary": ["accuracy", "recall", "precision"], "multiclass": ["accuracy", "per_class_recall"],
               "regression": ["mean_absolute_error", "r2"]}
NAMES = {"target", "dataset_name", "top_feature", "second_feature", "positive_label", "negative_label",
         "majority_label", "best_class", "worst_class"}
SMALL_TRAIN_ROWS = 1000
SMALL_HOLDOUT_ROWS = 1000
MIN_LIFT_PER_100 = 3  # fewer extra right answers per 100 than this is "hardly better than guessing"


def number(value, lang: str = "en") -> str:
    """1,234 / 12.3 / 0.42 in English; 1.234 / 12,3 / 0,42 in Portuguese."""
    if isinstance(value, int):
        text = f"{value:,}"
    else:
        size = abs(value)
        text = f"{value:,.0f}" if size >= 100 else f"{value:.1f}" if size >= 10 else \
            f"{value:.2f}" if size >= 0.01 or value == 0 else f"{value:.2g}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "pt" else text


def quoted(name) -> str:
    return f"“{name}”"


def formatted(values: dict, lang: str) -> dict:
    """Placeholder values as the text a template shows: names quoted, numbers in the language's style."""
    out = {}
    for key, value in values.items():
        if value is None:
            continue  # undefined for this run: a template that needs it is not used
        if key in NAMES:
            out[key] = quoted(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = number(value, lang)
    return out


def business(term_id: str, *, lang: str, shown: dict) -> str:
    """A term's business template filled from a run; an edit that does not fit falls back to shipped text."""
    try:
        return vocabulary.show(term_id, lang)["business"].format_map(shown)
    except (KeyError, ValueError, IndexError):
        return glossary.term(term_id, lang)["business"].format_map(shown)


def examples(run: RunRecord, lang: str = "en") -> dict:
    """Every term's business sentence filled with this run's numbers (the glossary's live examples)."""
    values = placeholders.compute(run)
    shown = formatted(values, lang)
    out = {}
    for term_id, data in sorted(glossary.terms().items()):
        if values["problem_type"] in data["problem_types"]:
            try:
                out[term_id] = business(term_id, lang=lang, shown=shown)
            except KeyError:  # a number this run does not have (e.g. precision when nothing is flagged)
                continue
    return out


def build(run: RunRecord, lang: str = "en") -> dict:
    """The stakeholder summary: what, how good (against the naive baseline), drivers, fairness, caveats."""
    v = placeholders.compute(run)
    kind, shown = v["problem_type"], formatted(v, lang)

    def say(key, **extra):
        return glossary.story(key, lang, **{**shown, **extra})

    what = [say(f"what_{kind}"), say("tested")]
    how = []
    for term_id in STORY_TERMS[kind]:
        try:
            how.append(business(term_id, lang=lang, shown=shown))
        except KeyError:  # a number this run lacks, e.g. precision when the model flags no case
            if term_id == "precision":
                how.append(say("flags_none"))
    # Right after the headline: how much better than the naive guess, in the same natural frequencies.
    if kind == "regression":
        cut = placeholders.per_100(1 - v["mae"] / v["baseline_mae"]) if v["baseline_mae"] else 0
        weak = cut < 5
        how.insert(1, say("cut_none") if weak else say("cut_better", cut=number(cut, lang)))
    else:
        lift = v["accuracy_per_100"] - v["baseline_accuracy_per_100"]
        weak = lift < MIN_LIFT_PER_100 and (kind != "binary" or (v["auc_per_100"] or 50) < 60)
        how.insert(1, say("lift_better", lift=number(lift, lang)) if lift >= MIN_LIFT_PER_100 else say("lift_none"))
    if kind == "binary":
        how.insert(2, say("flags_at"))
    drivers = v["drivers"]
    if drivers:
        key = "drivers_many" if len(drivers) > 1 else "drivers_one"
        drive = [say(key, columns=join([quoted(d) for d in drivers], lang)), say("drivers_how")]
    else:
        drive = [say("drivers_none")]
    sections = [
        {"id": "what", "title": say("title_what"), "sentences": what},
        {"id": "how_good", "title": say("title_how_good"), "sentences": how},
        {"id": "weak", "title": say("title_weak"),
         "sentences": [weak_sentence(w, say, lang, v) for w in v["weak_spots"]] or [say("weak_none")]},
        {"id": "drivers", "title": say("title_drivers"), "sentences": drive},
        {"id": "fairness", "title": say("title_fairness"), "sentences": [_fairness(v, say, lang)]},
        {"id": "caveats", "title": say("title_caveats"), "sentences": _caveats(v, say, lang, weak)},
    ]
    headline = how[0]
    if run.suspect:
        warning = [suspect_sentence(r, say, lang) for r in run.suspect_reasons]
        sections.insert(0, {"id": "suspect", "title": say("title_suspect"), "sentences": warning})
        headline = say("suspect_headline")
    return {
        "run_id": run.run_id, "lang": lang, "problem_type": kind, "headline": headline,
        "sections": sections, "text": " ".join(s for sec in sections for s in sec["sentences"]),
        "values": v,
    }


def weak_sentence(spot: dict, say, lang: str, v: dict) -> str:
    """One weak spot (core.reporting.placeholders) as a sentence."""
    if spot["kind"] == "class":
        return say("weak_class", label=quoted(spot["label"]), recall=number(spot["recall_per_100"], lang),
                   best_label=quoted(spot["best_label"]), best_recall=number(spot["best_recall_per_100"], lang))
    if spot["kind"] in ("ceiling", "floor"):
        return say(f"weak_{spot['kind']}", value=number(spot["value"], lang),
                   beyond=number(spot["beyond_per_100"], lang))
    return say(f"weak_{spot['kind']}", low=number(spot["low"], lang), high=number(spot["high"], lang),
               error=number(spot["error"], lang), overall=number(spot["overall_error"], lang))


def suspect_sentence(reason: dict, say, lang: str) -> str:
    """Why a run is suspect, in words (core.analysis.suspect)."""
    share = f"{number(placeholders.per_100(reason.get('share', 0)), lang)}%"
    removed = number(placeholders.per_100(reason.get("error_removed", 0)), lang)
    return say(f"suspect_{reason['code']}", column=quoted(reason.get("column", "?")), share=share, removed=removed)


def suspect_reasons(run: RunRecord, lang: str = "en") -> list[str]:
    """Why a run is marked suspect, one sentence per reason (for banners and reports)."""
    return [suspect_sentence(r, lambda key, **x: glossary.story(key, lang, **x), lang) for r in run.suspect_reasons]


def _fairness(v: dict, say, lang: str) -> str:
    if not v["sensitive"]:
        return say("fairness_none_marked")
    who = say("columns_were" if len(v["sensitive"]) > 1 else "column_was",
              columns=join([quoted(c) for c in v["sensitive"]], lang))
    return say("fairness_used" if v["sensitive_as_inputs"] else "fairness_kept_out", who=who)


def _caveats(v: dict, say, lang: str, weak: bool) -> list[str]:
    out = [say("caveat_weak")] if weak else []
    if v["train_rows"] < SMALL_TRAIN_ROWS:
        out.append(say("caveat_small_data"))
    n = v["holdout_rows"]
    if v["problem_type"] == "regression":
        if n < SMALL_HOLDOUT_ROWS and v["mae"] and v["mae_margin"] / v["mae"] >= 0.1:
            out.append(say("caveat_small_holdout_regression", margin=number(v["mae_margin"], lang)))
    else:
        margin = round(196 * math.sqrt(v["accuracy"] * (1 - v["accuracy"]) / n)) if n else 0
        if n < SMALL_HOLDOUT_ROWS and margin >= 3:
            out.append(say("caveat_small_holdout", margin=number(margin, lang)))
    if v["problem_type"] == "binary" and min(v["positive_per_100"], 100 - v["positive_per_100"]) < 20:
        rare, label = sorted([(v["positive_per_100"], v["positive_label"]),
                              (100 - v["positive_per_100"], v["negative_label"])])[0]
        out.append(say("caveat_rare", share=number(rare, lang), label=quoted(label)))
    if v["problem_type"] == "multiclass" and v["smallest_per_100"] < 5:
        out.append(say("caveat_uneven", share=number(v["smallest_per_100"], lang), label=quoted(v["rarest_label"])))
    leaks = sorted({w["column"] for w in v["data_warnings"] if w["kind"] == "leakage" and w["column"]})
    for column in leaks:
        out.append(say("caveat_leak_out" if column in v["kept_out"] else "caveat_leak_used", column=quoted(column)))
    personal = sorted({w["column"] for w in v["data_warnings"] if w["kind"] == "personal_data" and w["column"]})
    for key, cols in (("caveat_personal_out", [c for c in personal if c in v["kept_out"]]),
                      ("caveat_personal_used", [c for c in personal if c not in v["kept_out"]])):
        if cols:
            out.append(say(key, columns=join([quoted(c) for c in cols], lang)))
    others = [c for c in v["kept_out"] if c not in leaks and c not in personal and c not in v["sensitive"]]
    if others:
        shown = [quoted(c) for c in others[:6]] + ([say("more", count=len(others) - 6)] if len(others) > 6 else [])
        out.append(say("caveat_left_out", count=number(len(others), lang), columns=join(shown, lang)))
    if v["status"] == "cancelled":
        out.append(say("caveat_stopped"))
    return out


def join(items: list[str], lang: str) -> str:
    word = glossary.story("and", lang)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


def summary(run: RunRecord, lang: str = "en") -> dict:
    """The one `summary` shape of `runs show`: the narrative once a model exists, else the status
    sentence with no sections."""
    if run.has_model:
        try:
            return build(run, lang)
        except UserError:  # e.g. the run folder was removed: the status sentence still stands
            pass
    return {"run_id": run.run_id, "lang": lang, "problem_type": run.problem_type, "headline": run.status_sentence,
            "sections": [], "text": run.status_sentence, "values": {}}


def run_json(run: RunRecord, lang: str = "en") -> dict:
    """A run as the CLI prints it: the record's fields and its summary."""
    return {**run.to_json(), "summary": summary(run, lang)}
