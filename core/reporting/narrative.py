"""A run told in plain language, in English or Portuguese, from its stored results only.

Sentences come from glossary/story.yaml and from each term's `business` template (with the
organisation's edits); every number is a value of core.placeholders, formatted for the language.
"""

import math

import glossary
from core.foundation.errors import UserError
from core.governance import vocabulary
from core.analysis import fairness
from core.data import names
from core.reporting import placeholders
from core.training.views import RunRecord

STORY_TERMS = {"binary": ["accuracy", "recall", "precision"], "multiclass": ["accuracy", "per_class_recall"],
               "regression": ["mean_absolute_error", "r2"]}
NAMES = {"target", "dataset_name", "top_feature", "second_feature", "positive_label", "negative_label",
         "majority_label", "best_class", "worst_class"}
SMALL_TRAIN_ROWS = 1000
SMALL_HOLDOUT_ROWS = 1000
MIN_LIFT_PER_100 = 3  # fewer extra right answers per 100 than this is "hardly better than guessing"


number = glossary.number  # said here for the pages and reports that already call it


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
    # A lead the test rows cannot tell from chance is said with its margin, not as a plain win.
    if kind == "regression":
        cut = placeholders.per_100(1 - v["mae"] / v["baseline_mae"]) if v["baseline_mae"] else 0
        weak, margin = cut < 5, round(v["cut_margin_per_100"])
        how.insert(1, say("cut_none") if weak else say("cut_uncertain" if cut <= margin else "cut_better",
                                                       cut=number(cut, lang), margin=number(margin, lang)))
    else:
        lift, margin = v["accuracy_per_100"] - v["baseline_accuracy_per_100"], round(v["lift_margin_per_100"])
        weak = lift < MIN_LIFT_PER_100 and (kind != "binary" or (v["auc_per_100"] or 50) < 60)
        how.insert(1, say("lift_none") if lift < MIN_LIFT_PER_100 else
                   say("lift_uncertain" if lift <= margin else "lift_better", lift=number(lift, lang),
                       margin=number(margin, lang)))
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
        {"id": "fairness", "title": say("title_fairness"), "sentences": _fairness(run, v, say, lang)},
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


def _fairness(run: RunRecord, v: dict, say, lang: str) -> list[str]:
    """The fairness section: the latest stored analysis, else what was marked and that no check exists."""
    analysis = fairness.latest(run.run_id)
    marked = (analysis or {}).get("sensitive") or v["sensitive"]
    if not marked:
        return [say("fairness_none_marked")]
    who = say("columns_were" if len(marked) > 1 else "column_was", columns=join([quoted(c) for c in marked], lang))
    if analysis is None:
        return [say("fairness_used" if v["sensitive_as_inputs"] else "fairness_kept_out", who=who)]
    return fairness_sentences(analysis, lang, who=who)


def _pts(rate) -> str:
    return str(round(100 * rate)) if rate is not None else "?"


def _num(value, lang: str) -> str:
    return number(value, lang) if value is not None else "?"


def fairness_sentences(analysis: dict, lang: str = "en", who: str | None = None) -> list[str]:
    """A fairness analysis (core.analysis.fairness) in words: per feature, the gap between the
    groups treated most and least favourably, with its interval; then groups too small to read."""
    def say(key, **values):
        return glossary.story(key, lang, **values)

    kind = analysis["problem_type"]
    if who is None:
        cols = analysis["sensitive"]
        who = say("columns_were" if len(cols) > 1 else "column_was", columns=join([quoted(c) for c in cols], lang))
    out = [say("fairness_checked", who=who, rows=number(analysis["rows"], lang),
               source=say("fairness_source_" + analysis["source"]))]
    label = analysis.get("positive_label") or "yes"
    positive = quoted(names.shown(label, names.value_names(analysis["dataset_id"], analysis["target"]))
                      if analysis.get("dataset_id") else label)
    for summary in analysis["by_feature"]:
        gap = summary.get("gap")
        if len(summary["features"]) > 1 or not gap:
            continue  # intersections are on the Fairness page; the summary speaks of one column at a time
        feature = summary["features"][0]
        rows = {r["group"][feature]: r for r in analysis["by_group"] if r["features"] == [feature]}
        hi, lo = rows[gap["high"][feature]], rows[gap["low"][feature]]
        low, high = gap["interval"]
        groups = {"feature": quoted(feature), "hi_group": quoted(gap["high"][feature]),
                 "lo_group": quoted(gap["low"][feature])}
        if kind == "regression":
            text = say("fairness_gap_error", hi=_num(hi[gap["metric"]], lang), lo=_num(lo[gap["metric"]], lang),
                       gap=_num(gap["value"], lang), low=_num(low, lang), high=_num(high, lang), **groups)
        else:
            key = "fairness_gap_selection" if kind == "binary" else "fairness_gap_accuracy"
            text = say(key, positive=positive, hi=_pts(hi[gap["metric"]]), lo=_pts(lo[gap["metric"]]),
                       gap=_pts(gap["value"]), low=_pts(low), high=_pts(high), **groups)
        out.append(text[:1].upper() + text[1:])
        found = [r for r in rows.values() if r.get("true_positive_rate") is not None]
        if kind == "binary" and len(found) >= 2:
            a = max(found, key=lambda r: r["true_positive_rate"])
            b = min(found, key=lambda r: r["true_positive_rate"])
            out.append(say("fairness_gap_found", positive=positive, hi=_pts(a["true_positive_rate"]),
                           lo=_pts(b["true_positive_rate"]), hi_group=quoted(a["group"][feature]),
                           lo_group=quoted(b["group"][feature])))
        for value, r in rows.items():
            if r["warning"] == "too_few_rows":
                out.append(say("fairness_too_few", group=quoted(value), count=number(int(round(r["count"])), lang)))
        unclear = [quoted(v) for v, r in rows.items() if r["warning"] == "interval_wider_than_gap"]
        if unclear:
            out.append(say("fairness_unclear" if len(unclear) == 1 else "fairness_unclear_many",
                           groups=join(unclear, lang)))
    for feature in analysis["sensitive"]:
        linked = [p for p in analysis.get("proxies", []) if p["sensitive"] == feature][:4]
        if linked:
            shown = [f"{quoted(p['column'])} ({say('strength_' + p['strength'])})" for p in linked]
            out.append(say("fairness_proxies", feature=quoted(feature), columns=join(shown, lang)))
    return out


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
        out.append(say("caveat_left_out_one" if len(others) == 1 else "caveat_left_out",
                       count=number(len(others), lang), columns=join(shown, lang)))
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
    said = run.sentence(lang)
    return {"run_id": run.run_id, "lang": lang, "problem_type": run.problem_type, "headline": said,
            "sections": [], "text": said, "values": {}}


def run_json(run: RunRecord, lang: str = "en") -> dict:
    """A run as the CLI prints it: the record's fields and its summary."""
    return {**run.to_json(), "summary": summary(run, lang)}
