"""The command table: one entry per action the app offers (name, arguments, core function, JSON shape).

argparse is built from it (core.cli), and tests/test_cli_parity.py checks that every core
function a page calls is the function of an entry here.
"""

from dataclasses import dataclass, field
from typing import Any, Callable

from core.analysis import choice, compare, evaluation, explain, fairness, mitigation
from core.data import datasets, names
from core.foundation import config, files
from core.foundation.errors import InvalidInput, UserError
from core.governance import audit, decisions, roles, settings, users, vocabulary
from core.prep import recipes
from core.reporting import export, narrative, render, report
from core.serving import api, monitoring, outcomes, scoring
from core.training import executors, lifecycle, sync, views
from core.training.spec import QUALITIES, RunSpec, load_hyperparameters_file

LANGS = ("en", "pt")


@dataclass(frozen=True)
class Arg:
    """One argument. `many` lists take `--x a b` and `--x a --x b` alike."""

    name: str
    help: str = ""
    type: Any = str
    many: bool = False
    flag: bool = False
    choices: tuple | None = None
    default: Any = None
    required: bool = False
    dest: str | None = None


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]
    help: str
    function: Callable  # the core function behind the command (the parity test reads it)
    call: Callable  # (parsed arguments) -> JSON-able result
    returns: str  # the JSON shape, in words
    args: tuple[Arg, ...] = field(default_factory=tuple)


RUN_ID = Arg("run_id", "The run's id (see 'runs list').")
USER = Arg("--user", "Who is acting (default: COMMONGROUND_USER, else the OS user).")
LANG = Arg("--lang", "Language of the text.", choices=LANGS, default="en")
ON_OFF = ("on", "off")
SPEC_ARGS = (
    Arg("--dataset", "Data set id or name.", required=True), Arg("--target", "Column to predict.", required=True),
    Arg("--goal", "What matters most, in words (see the Train page)."),
    Arg("--metric", "An AutoGluon metric instead of a goal.", dest="eval_metric"),
    Arg("--quality", "fast, balanced or best.", choices=tuple(QUALITIES), default="balanced"),
    Arg("--time-limit", "Seconds of training.", type=float, default=60),
    Arg("--exclude", "Columns to leave out (default: the recommended ones).", many=True),
    Arg("--keep", "Recommended exclusions to use anyway.", many=True),
    Arg("--sensitive", "Columns to check for fairness (default: the suggested ones).", many=True),
    Arg("--sensitive-as-inputs", "Let the model use the sensitive columns.", flag=True),
    Arg("--holdout", "Share of rows kept back to test.", type=float, default=0.2),
    Arg("--seed", "Random seed of the split.", type=int, default=0), Arg("--preset", "AutoGluon preset."),
    Arg("--family", "Model families to include.", many=True, dest="model_families"),
    Arg("--hyperparameters", "YAML or JSON file of per-family hyperparameters."),
    Arg("--bag-folds", "Bagging folds.", type=int, dest="num_bag_folds"),
    Arg("--stack-levels", "Stack levels.", type=int, dest="num_stack_levels"),
    Arg("--dynamic-stacking", "on or off.", choices=ON_OFF),
    Arg("--infer-limit", "Seconds per row allowed for prediction.", type=float),
    Arg("--calibrate-threshold", "on or off.", choices=ON_OFF), Arg("--sample-weight", "Weight column."),
    Arg("--cpus", "CPU limit.", type=int, dest="num_cpus"),
    Arg("--memory-gb", "Memory limit in GB.", type=float, dest="memory_limit_gb"),
    Arg("--refit-for-use", "on or off: after the holdout test, refit the model in use on every row "
        "(default: on below 10,000 rows).", choices=ON_OFF),
    Arg("--parent", "The run this one tweaks.", dest="parent_run_id"),
)


def spec_from(a) -> RunSpec:
    onoff = {"on": True, "off": False, None: None}
    return RunSpec(
        dataset_id=a.dataset, target=a.target, goal=a.goal, eval_metric=a.eval_metric, quality=a.quality,
        time_limit=a.time_limit, exclude=a.exclude, keep=a.keep or [], sensitive=a.sensitive,
        sensitive_as_inputs=a.sensitive_as_inputs, holdout=a.holdout, seed=a.seed, preset=a.preset,
        model_families=a.model_families,
        hyperparameters=load_hyperparameters_file(a.hyperparameters) if a.hyperparameters else None,
        num_bag_folds=a.num_bag_folds, num_stack_levels=a.num_stack_levels,
        dynamic_stacking=onoff[a.dynamic_stacking], infer_limit=a.infer_limit,
        calibrate_decision_threshold=onoff[a.calibrate_threshold], sample_weight=a.sample_weight,
        num_cpus=a.num_cpus, memory_limit_gb=a.memory_limit_gb, refit_for_use=onoff[a.refit_for_use],
        parent_run_id=a.parent_run_id,
    )


def _pairs(items: list[str]) -> dict:
    """KEY=VALUE arguments as a dict; a malformed one is refused with an example."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidInput(code="bad_assignment", value=item, msg="bad_assignment", item=item)
        out[key] = value
    return out


def values_from(a) -> dict:
    """A what-if row: a holdout row's values, with `--set column=value` edits on top."""
    run = views.load(a.run_id)
    return {**explain.holdout_row(run, a.row)["values"], **_pairs(a.set)}


def _delete(a):
    if not a.yes:
        raise UserError(code="confirmation_needed", value=a.dataset_id, msg="confirmation_needed",
                        dataset_id=a.dataset_id)
    return datasets.delete(a.dataset_id, user=a.user)


def _start(a):
    return _waited(lifecycle.start(spec_from(a), user=a.user), a.wait)


def _waited(run, wait: bool) -> dict:
    return narrative.run_json(lifecycle.wait(run.run_id) if wait else run)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        raise UserError(code="unreadable_file", value=path, msg="unreadable_file", path=path,
                        strerror=exc.strerror) from None


def _export(a):
    with open(files.output_path(a.output), "w", encoding="utf-8") as fh:
        fh.write(vocabulary.export_yaml())
    return {"output": a.output}


def _fairness(a):
    reference = {}
    for item in a.reference or []:
        col, sep, value = item.partition("=")
        if not sep:
            raise InvalidInput(code="bad_reference", value=item, msg="bad_reference", item=item)
        reference[col] = value
    edges = {}
    for item in a.bands or []:
        col, sep, text = item.partition("=")
        if not sep:
            raise InvalidInput(code="bad_band_edges", value=item, msg="bad_band_edges", item=item)
        edges[col] = fairness.parse_edges(col, text)
    if a.withdraw_rule:
        return mitigation.withdraw(a.run_id, reason=a.reason, user=a.user)
    if a.adopt and not a.mitigate:  # the latest tried rule
        return mitigation.adopt(a.run_id, reason=a.reason, user=a.user)
    if a.mitigate:
        if not a.sensitive or len(a.sensitive) != 1:
            raise InvalidInput(code="mitigate_one_column", value=a.sensitive, msg="mitigate_one_column")
        if a.adopt and not (a.reason or "").strip():  # refused before the rule is tried and stored
            raise InvalidInput(code="rule_needs_reason", value=a.reason, msg="rule_needs_reason")
        tried = mitigation.mitigate(a.run_id, sensitive=a.sensitive[0], constraint=a.mitigate, user=a.user)
        if a.adopt:
            tried["adopted"] = mitigation.adopt(a.run_id, analysis_id=tried["analysis_id"], reason=a.reason,
                                                user=a.user)["adopted"]
        return tried
    return fairness.analyse(a.run_id, sensitive=a.sensitive, data_path=a.data, reference=reference or None,
                            edges=edges or None, user=a.user)


def _text_arg(a) -> str:
    return _read(a.file) if a.file else (a.text or "")


def _load(a):
    return views.load(a.run_id)


def _evaluate(a):
    run = _load(a)
    if run.problem_type != "binary":
        return evaluation.report(run)
    return evaluation.report(run, threshold=a.threshold, value_tp=a.value_tp, cost_fp=a.cost_fp, cost_fn=a.cost_fn)


RUN_SHAPE = "{run_id, status, problem_type, target, eval_metric, first_model_seconds, elapsed_seconds, " \
            "chosen_model, autogluon_best, models: [...], holdout_metrics, summary: {headline, sections, text}, ...}"

COMMANDS = [
    Command(("init",), "Create the workspace and load the demo data (once).", datasets.ensure_demo_data,
            lambda a: {"home": str(config.home()), "demo_datasets_added": datasets.ensure_demo_data()},
            "{home, demo_datasets_added}"),
    Command(("datasets", "add"), "Add a CSV, TSV, Parquet or Excel file.", datasets.add,
            lambda a: datasets.add(a.path, name=a.name, sheet=a.sheet, user=a.user),
            "{dataset_id, name, rows, columns: [...], warnings: [...], created}",
            (Arg("path"), Arg("--name"), Arg("--sheet", "Excel sheet to read (default: the first)."), USER)),
    Command(("datasets", "list"), "List data sets.", datasets.list_datasets, lambda a: datasets.list_datasets(),
            "[{dataset_id, name, rows, n_columns, ...}]"),
    Command(("datasets", "show"), "Profile and warnings of a data set.", datasets.show,
            lambda a: datasets.show(a.dataset_id, target=a.target, lang=a.lang),
            "{dataset_id, name, rows, columns: [{name, type, missing_share, ...}], "
            "warnings: [{column, kind, message}]}",
            (Arg("dataset_id"), Arg("--target", "Also check this target column for leakage and imbalance."), LANG)),
    Command(("datasets", "preview"), "The first rows of a data set.", datasets.preview,
            lambda a: datasets.preview(a.dataset_id, a.limit).to_dict("records"), "[{column: value}]",
            (Arg("dataset_id"), Arg("--limit", type=int, default=100))),
    Command(("datasets", "rename"), "Rename a data set.", datasets.rename,
            lambda a: datasets.rename(a.dataset_id, a.name, user=a.user), "{dataset_id, name, ...}",
            (Arg("dataset_id"), Arg("name"), USER)),
    Command(("datasets", "delete"), "Delete a data set and its table.", datasets.delete, _delete,
            "{dataset_id, name, deleted}", (Arg("dataset_id"), Arg("--yes", "Confirm the deletion.", flag=True), USER)),
    Command(("datasets", "names"), "The business names of columns' values and the column descriptions.",
            names.for_dataset, lambda a: names.for_dataset(a.dataset_id), "{values: {column: {value: name}}, "
            "descriptions: {column: text}}", (Arg("dataset_id"),)),
    Command(("datasets", "name-values"), "Name a column's values as people say them (VALUE=NAME).",
            names.set_value_names,
            lambda a: names.set_value_names(a.dataset_id, a.column, _pairs(a.set), user=a.user),
            "{values, descriptions}",
            (Arg("dataset_id"), Arg("--column", required=True),
             Arg("--set", "VALUE=NAME, e.g. 1='repays the loan'.", many=True, required=True), USER)),
    Command(("datasets", "describe"), "Describe a column in a short sentence (empty text removes it).",
            names.describe, lambda a: names.describe(a.dataset_id, a.column, a.text, user=a.user),
            "{values, descriptions}", (Arg("dataset_id"), Arg("--column", required=True),
                                       Arg("--text", required=True), USER)),
    Command(("runs", "plan"), "Validate a run and show its plan and resource estimate, without starting it.",
            lifecycle.plan, lambda a: lifecycle.plan(spec_from(a), lang=a.lang),
            "{problem_type, eval_metric, features, excluded, suggested_exclusions, estimate, fit_kwargs, ...}",
            (*SPEC_ARGS, LANG)),
    Command(("runs", "start"), "Validate and start (or queue) a run.", lifecycle.start, _start, RUN_SHAPE,
            (*SPEC_ARGS, Arg("--wait", "Block until the run ends.", flag=True), USER)),
    Command(("runs", "sync"), "Ingest workers' events, mark dead runs interrupted, start queued runs.", sync.sync,
            lambda a: sync.sync(), "{started: [run_id], interrupted: [run_id], active}"),
    Command(("runs", "list"), "The registry: runs, newest first or best score first, filtered.", views.list_runs,
            lambda a: views.list_runs(dataset=a.dataset, target=a.target, status=a.status, decision=a.decision,
                                      suspect={"yes": True, "no": False, None: None}[a.suspect], author=a.author,
                                      sort=a.sort),
            "[{run_id, status, dataset_name, target, decision, suspect, score, models, has_model, rerun_of, ...}]",
            (Arg("--dataset", "Data set id or name."), Arg("--target"),
             Arg("--status", choices=("queued", "running", "succeeded", "failed", "cancelled", "interrupted")),
             Arg("--decision", choices=("draft", "reviewed", "approved", "rejected")),
             Arg("--suspect", "yes or no.", choices=("yes", "no")), Arg("--author", "Who launched the run."),
             Arg("--sort", "newest or score (best first).", choices=("newest", "score"), default="newest"))),
    Command(("runs", "lineage"), "Where a run comes from: data set version, the run it tweaks or repeats, "
            "and its tweaks and re-runs.", views.lineage, lambda a: views.lineage(a.run_id),
            "{dataset: {id, name, hash, file, rows}, parent_run_id, tweaks, rerun_of, reruns}", (RUN_ID,)),
    Command(("runs", "rerun"), "Start a run identical to this one (same data, spec and seed).", lifecycle.rerun,
            lambda a: _waited(lifecycle.rerun(a.run_id, user=a.user), a.wait), RUN_SHAPE,
            (RUN_ID, Arg("--wait", "Block until the run ends.", flag=True), USER)),
    Command(("runs", "differences"), "How a re-run's results differ from the run it repeats.",
            compare.rerun_differences, lambda a: compare.rerun_differences(a.run_id),
            "{original, metrics: [{metric, original, rerun, difference}], identical_metrics, models, setup_changes}",
            (RUN_ID,)),
    Command(("runs", "delete-failed"), "Delete every failed, cancelled or interrupted run with no model, and its "
            "folder.", lifecycle.delete_failed, lambda a: lifecycle.delete_failed(confirmed=a.yes, user=a.user),
            "{deleted: [run_id], folders_removed}",
            (Arg("--yes", "Confirm the deletion.", flag=True), USER)),
    Command(("runs", "show"), "A run's status, models and scores, and its plain-language summary.", views.load,
            lambda a: narrative.run_json(views.load(a.run_id), a.lang), RUN_SHAPE, (RUN_ID, LANG)),
    Command(("runs", "rename"), "Give a run a name people recognise.", lifecycle.rename,
            lambda a: narrative.run_json(lifecycle.rename(a.run_id, a.name, user=a.user)), RUN_SHAPE,
            (RUN_ID, Arg("name"), USER)),
    Command(("runs", "cancel"), "Cancel a run.", lifecycle.cancel,
            lambda a: narrative.run_json(lifecycle.cancel(a.run_id, user=a.user)), RUN_SHAPE, (RUN_ID, USER)),
    Command(("runs", "models"), "Models that can be chosen, optionally under speed and size limits.",
            choice.usable_models, lambda a: choice.usable_models(_load(a), max_ms_per_1000=a.max_ms_per_1000,
                                                                 max_disk_mb=a.max_disk_mb), "[model]",
            (RUN_ID, Arg("--max-ms-per-1000", type=float), Arg("--max-disk-mb", type=float))),
    Command(("runs", "choose"), "Choose the model (and threshold) used downstream.", choice.choose,
            lambda a: narrative.run_json(choice.choose(a.run_id, model=a.model, threshold=a.threshold,
                                                       reason=a.reason, user=a.user)), RUN_SHAPE,
            (RUN_ID, Arg("--model"), Arg("--threshold", type=float), Arg("--reason"), USER)),
    Command(("runs", "evaluate"), "Holdout evaluation of the chosen model, beside a naive baseline.",
            evaluation.report, _evaluate,
            "{run_id, model, rows, baseline, accuracy | mean_absolute_error, ...}",
            (RUN_ID, Arg("--threshold", "Binary runs: the decision threshold to evaluate.", type=float),
             Arg("--value-tp", "Value of a true positive.", type=float, default=1.0),
             Arg("--cost-fp", "Cost of a false positive.", type=float, default=1.0),
             Arg("--cost-fn", "Cost of a false negative.", type=float, default=1.0))),
    Command(("runs", "importance"), "Permutation feature importance of the chosen model on the holdout.",
            evaluation.feature_importance,
            lambda a: evaluation.feature_importance(_load(a), time_limit=a.time_limit),
            "{run_id, model, metric, confidence, features: [{feature, importance, low, high}]}",
            (RUN_ID, Arg("--time-limit", type=float, default=30))),
    Command(("runs", "inputs"), "What each input of the model accepts (ranges, categories).", explain.feature_inputs,
            lambda a: explain.feature_inputs(_load(a)), "[{name, kind, min, max | values}]", (RUN_ID,)),
    Command(("runs", "row"), "One holdout row's inputs and true outcome.", explain.holdout_row,
            lambda a: explain.holdout_row(_load(a), a.row), "{values, actual}",
            (RUN_ID, Arg("--row", "Position in the holdout.", type=int, default=0))),
    Command(("runs", "whatif"), "Predict a holdout row, with edits (--set column=value).", explain.predict_one,
            lambda a: explain.predict_one(_load(a), values_from(a)), "{prediction, probabilities, warnings}",
            (RUN_ID, Arg("--row", type=int, default=0), Arg("--set", "COLUMN=VALUE edits.", many=True))),
    Command(("runs", "explain"), "SHAP contributions of each input to one prediction.", explain.shap_values,
            lambda a: explain.shap_values(_load(a), values_from(a)),
            "{explains, base_value, prediction, contributions: [{feature, value, contribution}]}",
            (RUN_ID, Arg("--row", type=int, default=0), Arg("--set", "COLUMN=VALUE edits.", many=True))),
    Command(("runs", "compare"), "Compare runs on the holdout rows they all kept aside.", compare.compare,
            lambda a: compare.compare(a.run_ids),
            "{metric, best_run_id, shared_holdout_rows, runs, margins: [{run_id, margin, low, high, verdict}], "
            "spec_differences}",
            (Arg("run_ids", many=True),)),
    Command(("runs", "comments"), "A run's comments and its decision (draft, reviewed, ...).", decisions.thread,
            lambda a: decisions.thread(a.run_id), "{decision, decided_by, next, comments: [...]}", (RUN_ID,)),
    Command(("runs", "comment"), "Add a comment to a run's discussion.", decisions.comment,
            lambda a: decisions.comment(a.run_id, a.text, user=a.user), "{decision, comments: [...]}",
            (RUN_ID, Arg("--text", required=True), USER)),
    Command(("runs", "decide"), "Move a run's decision: reviewed, approved, rejected or back to draft.",
            decisions.decide,
            lambda a: decisions.decide(a.run_id, a.decision, note=a.note, user=a.user, confirmed=a.confirm,
                                       override=a.override),
            "{decision, comments: [...]}",
            (RUN_ID, Arg("--decision", "draft, reviewed, approved or rejected.", required=True),
             Arg("--note", "Why (required to approve or reject)."),
             Arg("--confirm", "Confirm an approval.", flag=True),
             Arg("--override", "Why a run marked suspect is approved anyway."), USER)),
    Command(("report",), "A run's model card: written to a self-contained HTML page or Markdown, or printed.",
            render.write,
            lambda a: render.write(a.run_id, fmt=a.format, output=a.output, lang=a.lang) if a.output
            else report.build(a.run_id, a.lang),
            "{run_id, format, lang, output, bytes}; without --output the card: {title, headline, sections: "
            "[{id, title, text, generated, edited}], glossary}",
            (RUN_ID, Arg("--format", "html or md.", choices=render.FORMATS, default="html"),
             Arg("--output", "Where to write it (default: print the card)."), LANG)),
    Command(("report-edit",), "Replace one section's text of a run's model card (kept as a new version), or "
            "go back to the generated text.", report.edit,
            lambda a: report.reset(a.run_id, a.section, lang=a.lang, user=a.user) if a.reset
            else report.edit(a.run_id, a.section, _text_arg(a), lang=a.lang, user=a.user),
            "{id, title, text, generated, edited}",
            (RUN_ID, Arg("--section", "One of: " + ", ".join(report.SECTIONS) + ".", required=True),
             Arg("--text", "The new text (paragraphs separated by a blank line, '- ' for bullets)."),
             Arg("--file", "Read the new text from this file instead."),
             Arg("--reset", "Back to the generated text.", flag=True), LANG, USER)),
    Command(("report-versions",), "Every version of one section of a run's model card, with its difference "
            "to the generated text.", report.versions,
            lambda a: report.versions(a.run_id, a.section, lang=a.lang),
            "[{version, text, generated, edited_by, edited_at, diff}]",
            (RUN_ID, Arg("--section", required=True), LANG)),
    Command(("export-code",), "Write a standalone Python script that reproduces the run with plain AutoGluon.",
            export.export_code,
            lambda a: export.export_code(a.run_id, output=a.output, data=a.data, lang=a.lang, user=a.user),
            "{run_id, output, data, notes: [{code, text}]} (without --output: {run_id, script, data, notes})",
            (RUN_ID, Arg("--output", "Where to write the script, e.g. run.py (without it: the script in the JSON)."),
             Arg("--data", "The data file the script reads by default (default: the run's own copy)."), LANG)),
    Command(("score",), "Predict a file with a run's chosen model and threshold.", scoring.score,
            lambda a: scoring.score(a.run_id, input_path=a.input, output_path=a.output, user=a.user, lang=a.lang),
            "{batch_id, rows, output, model, threshold, decision_rule, drift: {columns: [{column, method, statistic, "
            "threshold, drifted, psi, psi_band, message}], drifted_columns, dataset_drift, prediction}}",
            (RUN_ID, Arg("--input", required=True), Arg("--output", required=True), LANG, USER)),
    Command(("outcomes",), "True outcomes for scored rows (matched by an id column): the model's real performance "
            "per batch, beside its holdout score, and the gap between groups.", outcomes.add,
            lambda a: outcomes.add(a.run_id, input_path=a.input, id_column=a.id, user=a.user),
            "{run_id, rows_matched, batches: [{batch_id, rows_matched, metrics, fairness: [{column, metric, groups, "
            "gap}]}]}",
            (RUN_ID, Arg("--input", "CSV, TSV, Parquet or Excel with the id column and the true outcome.",
                         required=True), Arg("--id", "The id column the scored files carried.", required=True),
             USER)),
    Command(("serve",), "Serve the run's model in use over HTTP (FastAPI) until stopped: POST /predict, GET /health, "
            "GET /model, /docs.", api.serve,
            lambda a: api.serve(a.run_id, host=a.host, port=a.port, max_bytes=int(a.max_mb * 1024 * 1024), user=a.user),
            "{run_id, stopped}",
            (RUN_ID, Arg("--host", "Address to listen on (loopback by default).", default="127.0.0.1"),
             Arg("--port", type=int, default=8000),
             Arg("--max-mb", "Largest request body, in MB.", type=float, default=10.0))),
    Command(("bundle",), "A zip to serve the model on another machine: the model in use (slimmed), its "
            "endpoint, pinned requirements and a README.", api.bundle,
            lambda a: api.bundle(a.run_id, output=a.output, user=a.user), "{run_id, output, model, bytes}",
            (RUN_ID, Arg("--output", "Where to write the zip.", required=True))),
    Command(("monitoring",), "A run's scored batches, oldest first, each with its drift against the training rows, "
            "and the true outcomes that arrived for them.",
            monitoring.batches, lambda a: {"batches": monitoring.batches(a.run_id, lang=a.lang),
                                           "outcomes": outcomes.history(a.run_id)},
            "{batches: [{batch_id, input_name, input_hash, rows, scored_by, scored_at, decision_rule, drift}], "
            "outcomes: [{batch_id, rows_matched, metrics, fairness}]}", (RUN_ID, LANG)),
    Command(("fairness",), "Fairness of a run's model across groups (Fairlearn), stored for the Fairness page.",
            fairness.analyse, _fairness,
            "{analysis_id, run_id, sensitive, overall, by_group: [{group, count, selection_rate, ..., intervals}], "
            "demographic_parity_difference, demographic_parity_ratio, equalized_odds_difference, ...}",
            (RUN_ID, Arg("--sensitive", "Columns to analyse (default: the run's sensitive columns).", many=True),
             Arg("--data", "A labeled file (new rows with their true outcomes) instead of the holdout."),
             Arg("--reference", "The group others are compared with, COLUMN=VALUE (default: the largest).",
                 many=True),
             Arg("--bands", "Band edges for a numeric column, COLUMN=EDGE,EDGE,...", many=True),
             Arg("--mitigate", "Fit a fairer decision rule under a constraint (one --sensitive column) and "
                 "compare it with the model's threshold on the holdout.", choices=mitigation.CONSTRAINTS),
             Arg("--adopt", "Score with the rule just tried (with --mitigate) or the latest tried one, from now "
                 "on; needs --reason.", flag=True),
             Arg("--withdraw-rule", "Score with the model's own threshold again (needs --reason).", flag=True),
             Arg("--reason", "Why the rule is adopted or withdrawn (recorded with who and when)."), USER)),
    Command(("glossary", "show"), "One term (by id, alias or name).", vocabulary.show,
            lambda a: vocabulary.show(a.term, a.lang), "{term, short, business, reading, aliases, ...}",
            (Arg("term"), LANG)),
    Command(("glossary", "search"), "Terms matching a word (also by alias).", vocabulary.search,
            lambda a: vocabulary.search(a.query, lang=a.lang, audience=a.audience), "[{id, term, short, audience}]",
            (Arg("query", default=""), LANG, Arg("--audience", choices=("stakeholder", "analyst", "expert")))),
    Command(("glossary", "examples"), "Every term's business sentence, filled with one run's numbers.",
            narrative.examples, lambda a: narrative.examples(_load(a), a.lang), "{term_id: sentence}", (RUN_ID, LANG)),
    Command(("glossary", "edit"), "Override a term's text for this organisation.", vocabulary.edit,
            lambda a: vocabulary.edit(a.term, lang=a.lang, field=a.field, text=a.text, user=a.user),
            "{term, short, ..., edited: [field]}",
            (Arg("term"), Arg("--lang", choices=LANGS, required=True), Arg("--field", required=True),
             Arg("--text", required=True), USER)),
    Command(("glossary", "revert"), "Back to the shipped text.", vocabulary.revert,
            lambda a: vocabulary.revert(a.term, lang=a.lang, field=a.field, user=a.user), "{term, ..., edited}",
            (Arg("term"), Arg("--lang", choices=LANGS, required=True), Arg("--field"), USER)),
    Command(("glossary", "export"), "Write the organisation's edits as YAML.", vocabulary.export_yaml, _export,
            "{output}", (Arg("--output", required=True),)),
    Command(("glossary", "import"), "Apply a YAML file of edits (all or nothing).", vocabulary.import_yaml,
            lambda a: vocabulary.import_yaml(_read(a.path), user=a.user), "{imported}", (Arg("path"), USER)),
    Command(("preferences", "show"), "A user's audience and language.", users.get_preferences,
            lambda a: {"user": a.user or config.default_user(),
                       **users.get_preferences(a.user or config.default_user())},
            "{user, audience, language}", (USER,)),
    Command(("preferences", "set"), "Set a user's audience or language.", users.set_preference,
            lambda a: {"user": a.user or config.default_user(),
                       **users.set_preference(a.user or config.default_user(), key=a.key, value=a.value)},
            "{user, audience, language}", (Arg("key", choices=tuple(users.PREFERENCES)), Arg("value"), USER)),
    Command(("prep", "apply"), "Apply a recipe (YAML or JSON steps) to a data set: a new data set version with "
            "its lineage.", recipes.apply,
            lambda a: recipes.apply(a.dataset_id, recipes.parse(_read(a.recipe)), name=a.name, user=a.user),
            "{dataset_id, name, rows, columns, warnings, created, ...}",
            (Arg("dataset_id"), Arg("--recipe", "The recipe file (the Prepare page saves one).", required=True),
             Arg("--name", "The new data set's name.", required=True), USER)),
    Command(("prep", "sql"), "Make a data set from a SELECT over `data` (this data set) and other data sets by name.",
            recipes.apply_sql, lambda a: recipes.apply_sql(a.dataset_id, a.sql, name=a.name, user=a.user),
            "{dataset_id, name, rows, columns, warnings, created, ...}",
            (Arg("dataset_id"), Arg("--sql", "SELECT ... FROM data", required=True),
             Arg("--name", "The new data set's name.", required=True), USER)),
    Command(("prep", "preview"), "Each step's effect on a sample, in words and counts, and the recipe's SQL.",
            recipes.preview,
            lambda a: {**(found := recipes.preview(a.dataset_id, recipes.parse(_read(a.recipe)), rows=a.rows,
                                                    lang=a.lang)), "head": found["head"].to_dict("records")},
            "{dataset_id, sample_rows, steps: [{step, kind, every_row, rows_before, rows_after, columns, effect}], "
            "sql, head}",
            (Arg("dataset_id"), Arg("--recipe", required=True), Arg("--rows", type=int, default=10_000), LANG)),
    Command(("prep", "show"), "A data set's recipe, its SQL, the SQL replayed at scoring, and its lineage back to "
            "the raw file.", recipes.show, lambda a: recipes.show(a.dataset_id),
            "{dataset_id, recipe, sql, replay_sql, lineage: [{dataset_id, name, content_hash, rows, recipe, ...}]}",
            (Arg("dataset_id"),)),
    Command(("users", "list"), "Everyone with a role, and who gave it (admins only).", roles.list_users,
            lambda a: {"users": roles.list_users(user=a.user), "roles": list(roles.ROLES)}, "{users: [{user, role, "
            "set_by, set_at}], roles}", (USER,)),
    Command(("users", "set-role"), "Give a user a role: viewer, analyst, expert or admin (admins only).",
            roles.set_role, lambda a: roles.set_role(a.target, a.role, user=a.user), "{user, role, set_by}",
            (Arg("target", "The user (their e-mail when sign-in is on)."), Arg("role", choices=roles.ROLES), USER)),
    Command(("audit", "list"), "What was done, by whom and when, newest first (admins only).", audit.entries,
            lambda a: audit.entries(user=a.user, who=a.who, action=a.action, outcome=a.outcome, limit=a.limit),
            "[{at, user, action, object, outcome, detail}]",
            (Arg("--who", "Only this user's actions."), Arg("--action", "Only this action."),
             Arg("--outcome", "allowed, refused or failed."), Arg("--limit", type=int, default=200), USER)),
    Command(("settings", "list"), "Where runs train: each setting an admin can change, its value and where it "
            "comes from (admins only).", settings.settings_for, lambda a: settings.settings_for(a.user),
            "[{name, value, source: stored|environment|default, set_by, set_at, help}]", (USER,)),
    Command(("settings", "set"), "Store a setting for this workspace; an empty value goes back to the "
            "environment's (admins only).", settings.set_setting,
            lambda a: settings.set_setting(a.name, a.value, user=a.user),
            "{name, value, source, set_by, set_at, help}",
            (Arg("name", choices=settings.EDITABLE), Arg("value", "The new value ('' to unset)."), USER)),
    Command(("cluster", "show"), "Where new runs train (this machine or a Ray cluster), its nodes, CPUs and "
            "memory, and why runs fall back to this machine if they do.", executors.where_runs_train,
            lambda a: executors.where_runs_train(),
            "{executor, warning, address, store, nodes: [{address, hostname, cpus, memory_gb}], cpus, free_cpus, "
            "memory_gb, free_memory_gb}"),
]
