"""A run's model card (Mitchell et al., 2019; the Hugging Face template): every section as text
generated from stored results, a person's edits kept as versions in DuckDB, and a glossary of
every term the card uses.

Section text is plain text: paragraphs separated by a blank line, "- " starts a bullet. Edits
are per section and language; regenerating never overwrites them (only `reset` goes back to the
generated text), and each version keeps the generated text it replaced, to compare.
"""

import difflib
import re
from datetime import datetime

import numpy as np

import glossary
from core.analysis import evaluation
from core.foundation import config, db
from core.foundation.errors import InvalidInput, UserError
from core.governance import decisions, vocabulary
from core.reporting import charts, narrative
from core.training import views
from core.training.views import RunRecord
from core.governance.roles import action

SECTIONS = ("summary", "model_details", "intended_use", "out_of_scope", "data", "performance", "weak_spots",
            "fairness", "drivers", "caveats", "decisions")
RESAMPLES = 1000
NARRATIVE = {"weak_spots": "weak", "drivers": "drivers", "fairness": "fairness", "caveats": "caveats"}


def _bullets(sentences: list[str]) -> str:
    return "\n".join(f"- {s}" for s in sentences)


def _generated(run: RunRecord, lang: str) -> tuple[dict, dict, dict]:
    """Each section's generated text, the charts (Vega-Lite dicts) and the headline."""
    def say(key, **values):
        return glossary.report(key, lang, **values)

    story = None
    if run.has_model:
        try:
            story = narrative.build(run, lang)
        except UserError:  # the run folder is gone: what the database knows still stands
            story = None
    text = {s: "" for s in SECTIONS}
    text["model_details"] = _details(run, say, lang)
    text["intended_use"], text["out_of_scope"] = say("intended_default"), say("out_of_scope_default")
    text["data"] = _data(run, say, lang)
    text["decisions"] = _decisions(run, say)
    shown = {}
    if story is None:
        headline = run.sentence(lang)
        text["summary"] = headline
        for s in ("performance", "weak_spots", "fairness", "drivers", "caveats"):
            text[s] = say("details_failed", reason=run.error_in(lang) or run.sentence(lang))
        return text, shown, {"headline": headline}
    sections = {s["id"]: s for s in story["sections"]}
    # The headline stands above the card, in bold; the summary goes on from it instead of repeating it.
    text["summary"] = "\n\n".join(sections["what"]["sentences"])
    v = story["values"]
    text["performance"] = "\n\n".join([_bullets(sections["how_good"]["sentences"]), _interval(run, v, say, lang)])
    for ours, theirs in NARRATIVE.items():
        text[ours] = _bullets(sections[theirs]["sentences"])
    if "suspect" in sections:
        text["caveats"] = _bullets(sections["suspect"]["sentences"] + sections["caveats"]["sentences"])
    if story["problem_type"] == "regression":
        rows = [{"label": say("label_model"), "value": v["mae"]}, {"label": say("label_guess"), "value": v["baseline_mae"]}]
        shown["performance"] = charts.compare_chart(rows, title=say("chart_vs_baseline"), fmt=",.3~g",
                                                    x_title=say("axis_typical_error")).to_dict()
    else:
        rows = [{"label": say("label_model"), "value": v["accuracy_per_100"]},
                {"label": say("label_guess"), "value": v["baseline_accuracy_per_100"]}]
        shown["performance"] = charts.compare_chart(rows, title=say("chart_vs_baseline"),
                                                    x_title=say("axis_right_per_100")).to_dict()
    if v.get("reliance"):
        shown["drivers"] = charts.reliance_chart(v["reliance"], title=say("chart_drivers"),
                                                 x_title=say("axis_reliance")).to_dict()
    return text, shown, {"headline": story["headline"]}


def _details(run: RunRecord, say, lang: str) -> str:
    lines = [say("details_trained", who=run.created_by or "?", when=run.created_at[:16].replace("T", " "),
                 version=run.details.get("autogluon_version") or (run.environment.get("packages") or {}).get(
                     "autogluon.tabular", "?"), quality=run.quality, budget=narrative.number(run.time_limit, lang))]
    if run.chosen_model:
        kind = say("kind_" + run.problem_type)
        lines.append(say("details_model", model=run.chosen_model, tried=len(run.models), target=run.target, kind=kind))
    use = run.details.get("model_for_use") or {}
    if use.get("done"):
        lines.append(say("details_refit", rows=narrative.number(use.get("rows", 0), lang)))
    if run.status == "failed":
        lines.append(say("details_failed", reason=run.error_in(lang) or run.sentence(lang)))
    return "\n\n".join(lines)


def _data(run: RunRecord, say, lang: str) -> str:
    src = run.data_source
    lines = [say("data_source", dataset=run.dataset_name, file=src.get("file") or run.dataset_name,
                 rows=narrative.number(src.get("rows") or 0, lang), hash=(src.get("hash") or "?")[:12])]
    train, held = run.details.get("train_rows"), run.details.get("holdout_rows")
    if train and held:
        lines.append(say("data_split", train=narrative.number(train, lang), holdout=narrative.number(held, lang),
                         share=f"{round(100 * held / (train + held))}%"))
    inputs = run.features_used
    lines.append(say("data_inputs", n=len(inputs), columns=", ".join(f"'{c}'" for c in inputs)))
    kinds = {w["column"]: w["kind"] for w in run.data_warnings if w.get("column")}
    left = [c for c in dict.fromkeys([*run.excluded, *run.sensitive]) if c not in inputs and c != run.target]
    bullets = [say("data_left_out", column=f"'{c}'", why=_why(run, c, kinds, say, lang)) for c in left]
    return "\n\n".join(lines + ([_bullets(bullets)] if bullets else []))


def _why(run: RunRecord, column: str, kinds: dict, say, lang: str) -> str:
    if column in run.sensitive:
        return say("why_sensitive")
    if column in (run.exclusions or {}).get("added", []):
        return say("why_added")
    kind = kinds.get(column)
    if kind:
        name = glossary.term(kind, lang)["term"] if kind in glossary.terms() else kind.replace("_", " ")
        return say("why_recommended", kind=name)
    return say("why_not_chosen")


def _interval(run: RunRecord, v: dict, say, lang: str) -> str:
    """The headline metric on the holdout with a 95% bootstrap interval, against the naive guess."""
    pred = evaluation.predictions(run)
    y, p = pred["y_true"], pred["y_pred"]
    n, rng = len(y), np.random.default_rng(0)
    if run.problem_type == "regression":
        err = np.abs(y.to_numpy(float) - p.to_numpy(float))
        draws = np.array([err[rng.integers(0, n, n)].mean() for _ in range(RESAMPLES)])
        value, key, baseline = err.mean(), "perf_interval_regression", v.get("baseline_mae")
        fmt = lambda x: narrative.number(x, lang)  # noqa: E731
        metric = glossary.term("mean_absolute_error", lang)["term"]
    else:
        value = float(np.mean(y.astype(str).to_numpy() == p.astype(str).to_numpy()))
        draws = rng.binomial(n, value, RESAMPLES) / n  # resampling n rows: the count right is binomial
        key, baseline = "perf_interval", (v.get("baseline_accuracy_per_100") or 0) / 100
        fmt = lambda x: f"{narrative.number(round(100 * x, 1), lang)}%"  # noqa: E731
        metric = glossary.term("accuracy", lang)["term"]
    low, high = np.percentile(draws, [2.5, 97.5])
    if metric[1:2].islower():  # mid-sentence: 'accuracy', but 'MAE' stays
        metric = metric[0].lower() + metric[1:]
    return say(key, n=narrative.number(n, lang), metric=metric, value=fmt(value), low=fmt(low), high=fmt(high),
               resamples=narrative.number(RESAMPLES, lang), baseline="?" if baseline is None else fmt(baseline))


def _decisions(run: RunRecord, say) -> str:
    thread = decisions.thread(run.run_id)
    lines = [say("decisions_now", status=say("status_" + thread["decision"]))]
    said = []
    for c in thread["comments"]:
        what = " ".join(x for x in [say("decision_moved", status=say("status_" + c["decision"])) if c["decision"]
                                    else "", c["body"] or "", c.get("override_reason") or ""] if x)
        said.append(say("decision_line", when=c["created_at"].replace("T", " ")[:16], who=c["author"], what=what))
    return "\n\n".join(lines + [_bullets(said) if said else say("decisions_none")])


# --- edits ----------------------------------------------------------------------------------------

def _edits(run_id: str, lang: str) -> dict:
    """The latest version of each edited section (None text: back to generated)."""
    with db.connect() as con:
        rows = con.execute("SELECT section, version, text, generated, edited_by, edited_at FROM report_edits "
                           "WHERE run_id = ? AND lang = ? ORDER BY section, version", [run_id, lang]).fetchall()
    out = {}
    for section, version, text, generated, who, when in rows:
        out[section] = {"version": version, "text": text, "generated": generated, "edited_by": who,
                        "edited_at": when.isoformat(timespec="seconds")}
    return out


def build(run_id: str, lang: str = "en") -> dict:
    """The model card: sections in order with their current text (a person's edit, else the
    generated one), what each was generated as, the charts and the glossary. Reads only."""
    run = views.load(run_id)
    text, shown, head = _generated(run, lang)
    edits = _edits(run_id, lang)
    sections = []
    for s in SECTIONS:
        edit = edits.get(s)
        current = edit["text"] if edit and edit["text"] is not None else text[s]
        sections.append({"id": s, "title": glossary.report("sec_" + s, lang), "text": current, "generated": text[s],
                         "edited": None if not edit or edit["text"] is None else
                         {k: edit[k] for k in ("version", "edited_by", "edited_at")},
                         # the generated text moved on since the person edited: worth a look
                         "generated_changed": bool(edit and edit["text"] is not None and edit["generated"] != text[s]),
                         "chart": shown.get(s)})
    words = " ".join([run.name, *(x["title"] + " " + x["text"] for x in sections)])
    return {"run_id": run_id, "lang": lang, "title": glossary.report("report_title", lang, name=run.name),
            "made": glossary.report("report_made", lang, when=datetime.now().strftime("%Y-%m-%d %H:%M"),
                                    run_id=run_id),
            "headline": head["headline"], "status": run.status, "sections": sections,
            "glossary": _glossary(words, lang)}


def _glossary(words: str, lang: str) -> list[dict]:
    """Every glossary term whose name appears in the card's text, with its plain definition."""
    found = []
    for entry in vocabulary.search("", lang=lang):
        name = entry["term"]
        if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", words, flags=re.IGNORECASE):
            found.append({"id": entry["id"], "term": name, "short": entry["short"]})
    return found


def _check(run_id: str, section: str, lang: str) -> None:
    views.load(run_id)  # a clear error for an unknown run
    if section not in SECTIONS:
        raise InvalidInput(code="unknown_report_section", value=section, msg="unknown_report_section",
                           section=section, known=", ".join(SECTIONS))
    if lang not in glossary.LANGUAGES:
        raise InvalidInput(code="unknown_language", value=lang, msg="unknown_language", lang=lang,
                           p=", ".join(glossary.LANGUAGES))


def _save(run_id: str, section: str, lang: str, text: str | None, user: str | None) -> dict:
    generated = next(s["generated"] for s in build(run_id, lang)["sections"] if s["id"] == section)
    with db.transaction() as con:
        last, = con.execute("SELECT coalesce(max(version), 0) FROM report_edits WHERE run_id = ? AND section = ? "
                            "AND lang = ?", [run_id, section, lang]).fetchone()
        con.execute("INSERT INTO report_edits (run_id, section, lang, version, text, generated, edited_by) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [run_id, section, lang, last + 1, text, generated, user or config.default_user()])
    return next(s for s in build(run_id, lang)["sections"] if s["id"] == section)


@action("edit_report", obj="run_id")
def edit(run_id: str, section: str, text: str, *, lang: str = "en", user: str | None = None) -> dict:
    """Save a person's text for one section as a new version; the section as the card now shows it."""
    _check(run_id, section, lang)
    text = (text or "").strip()
    if not text:
        raise InvalidInput(code="report_edit_empty", value=text, msg="report_edit_empty", section=section)
    return _save(run_id, section, lang, text, user)


@action("edit_report", obj="run_id")
def reset(run_id: str, section: str, *, lang: str = "en", user: str | None = None) -> dict:
    """Back to the generated text (the earlier versions stay, to compare)."""
    _check(run_id, section, lang)
    return _save(run_id, section, lang, None, user)


def versions(run_id: str, section: str, *, lang: str = "en") -> list[dict]:
    """Every version of a section, newest first, each with its difference to the generated text
    it replaced (a unified diff, line by line)."""
    _check(run_id, section, lang)
    with db.connect() as con:
        rows = con.execute("SELECT version, text, generated, edited_by, edited_at FROM report_edits WHERE run_id = ? "
                           "AND section = ? AND lang = ? ORDER BY version DESC", [run_id, section, lang]).fetchall()
    out = []
    for version, text, generated, who, when in rows:
        diff = [] if text is None else list(difflib.unified_diff(generated.splitlines(), text.splitlines(),
                                                                 "generated", f"version {version}", lineterm=""))
        out.append({"version": version, "text": text, "generated": generated, "edited_by": who,
                    "edited_at": when.isoformat(timespec="seconds"), "diff": diff})
    return out
