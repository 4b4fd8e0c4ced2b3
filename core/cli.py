"""`python -m core ...`: the same functions the pages call, with --json output.

Exit 0 on success, 2 on a user error (one line on stderr), 1 on an internal error.
JSON goes to stdout and nothing else does.
"""

import argparse
import json
import sys
import traceback

from core import config, datasets, runs, users
from core.runspec import QUALITIES, RunSpec, load_hyperparameters_file
from core.errors import UserError, one_line


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other user error
        raise UserError(f"{message}. Run '{self.prog} --help' for usage.")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m core", description="Common Ground from the command line.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    init = sub.add_parser("init", help="Create the workspace and load the demo data (once).")
    init.add_argument("--json", action="store_true")

    ds = sub.add_parser("datasets", help="Add, list, show, rename and delete data sets.")
    dsub = ds.add_subparsers(dest="action", required=True, parser_class=_Parser)
    add = dsub.add_parser("add", help="Add a CSV, TSV, Parquet or Excel file.")
    add.add_argument("path")
    add.add_argument("--name")
    add.add_argument("--sheet", help="Excel sheet to read (default: the first).")
    add.add_argument("--json", action="store_true")
    lst = dsub.add_parser("list", help="List data sets.")
    lst.add_argument("--json", action="store_true")
    show = dsub.add_parser("show", help="Profile and warnings of a data set.")
    show.add_argument("dataset_id")
    show.add_argument("--target", help="Also check this target column for leakage and imbalance.")
    show.add_argument("--lang", choices=["en", "pt"], default="en")
    show.add_argument("--json", action="store_true")
    ren = dsub.add_parser("rename", help="Rename a data set.")
    ren.add_argument("dataset_id")
    ren.add_argument("name")
    ren.add_argument("--json", action="store_true")
    dele = dsub.add_parser("delete", help="Delete a data set and its table.")
    dele.add_argument("dataset_id")
    dele.add_argument("--yes", action="store_true", help="Confirm the deletion.")
    dele.add_argument("--json", action="store_true")

    rs = sub.add_parser("runs", help="Start, follow and cancel training runs.")
    rsub = rs.add_subparsers(dest="action", required=True, parser_class=_Parser)
    for verb, text in (("start", "Validate and start (or queue) a run."),
                       ("plan", "Validate a run and show its plan and resource estimate, without starting it.")):
        st = rsub.add_parser(verb, help=text)
        _run_spec_arguments(st)
        st.add_argument("--json", action="store_true")
        if verb == "start":
            st.add_argument("--wait", action="store_true", help="Block until the run ends.")
    ch = rsub.add_parser("choose", help="Choose the model (and threshold) used downstream.")
    ch.add_argument("run_id")
    ch.add_argument("--model")
    ch.add_argument("--threshold", type=float)
    ch.add_argument("--reason")
    ch.add_argument("--user")
    ch.add_argument("--json", action="store_true")
    ev = rsub.add_parser("evaluate", help="Holdout evaluation of the chosen model, beside a naive baseline.")
    ev.add_argument("run_id")
    ev.add_argument("--threshold", type=float, help="Binary runs: the decision threshold to evaluate.")
    ev.add_argument("--value-tp", type=float, default=1.0, help="Value of a true positive.")
    ev.add_argument("--cost-fp", type=float, default=1.0, help="Cost of a false positive.")
    ev.add_argument("--cost-fn", type=float, default=1.0, help="Cost of a false negative.")
    ev.add_argument("--json", action="store_true")
    im = rsub.add_parser("importance", help="Permutation feature importance of the chosen model on the holdout.")
    im.add_argument("run_id")
    im.add_argument("--time-limit", type=float, default=30)
    im.add_argument("--json", action="store_true")
    cp = rsub.add_parser("compare", help="Compare runs on the holdout rows they all kept aside.")
    cp.add_argument("run_ids", nargs="+")
    cp.add_argument("--json", action="store_true")
    rl = rsub.add_parser("list", help="List runs, newest first.")
    rl.add_argument("--json", action="store_true")
    rshow = rsub.add_parser("show", help="A run's status, models and scores, and its plain-language summary.")
    rshow.add_argument("run_id")
    rshow.add_argument("--lang", choices=["en", "pt"], default="en")
    rshow.add_argument("--json", action="store_true")
    rcancel = rsub.add_parser("cancel", help="Cancel a run.")
    rcancel.add_argument("run_id")
    rcancel.add_argument("--json", action="store_true")
    rthread = rsub.add_parser("comments", help="A run's comments and its decision (draft, reviewed, ...).")
    rthread.add_argument("run_id")
    rthread.add_argument("--json", action="store_true")
    rcom = rsub.add_parser("comment", help="Add a comment to a run's discussion.")
    rcom.add_argument("run_id")
    rcom.add_argument("--text", required=True)
    rcom.add_argument("--user")
    rcom.add_argument("--json", action="store_true")
    rdec = rsub.add_parser("decide", help="Move a run's decision: reviewed, approved, rejected or back to draft.")
    rdec.add_argument("run_id")
    rdec.add_argument("--decision", required=True, help="draft, reviewed, approved or rejected.")
    rdec.add_argument("--note", help="Why (required to reject).")
    rdec.add_argument("--user")
    rdec.add_argument("--json", action="store_true")

    sc = sub.add_parser("score", help="Predict a file with a run's chosen model and threshold.")
    sc.add_argument("run_id")
    sc.add_argument("--input", required=True)
    sc.add_argument("--output", required=True)
    sc.add_argument("--json", action="store_true")

    gl = sub.add_parser("glossary", help="Read, search and edit the shared vocabulary.")
    gsub = gl.add_subparsers(dest="action", required=True, parser_class=_Parser)
    gshow = gsub.add_parser("show", help="One term (by id, alias or name).")
    gshow.add_argument("term")
    gshow.add_argument("--lang", choices=["en", "pt"], default="en")
    gshow.add_argument("--json", action="store_true")
    gsearch = gsub.add_parser("search", help="Terms matching a word (also by alias).")
    gsearch.add_argument("query", nargs="?", default="")
    gsearch.add_argument("--lang", choices=["en", "pt"], default="en")
    gsearch.add_argument("--audience", choices=["stakeholder", "analyst", "expert"])
    gsearch.add_argument("--json", action="store_true")
    gedit = gsub.add_parser("edit", help="Override a term's text for this organisation.")
    gedit.add_argument("term")
    gedit.add_argument("--lang", choices=["en", "pt"], required=True)
    gedit.add_argument("--field", required=True)
    gedit.add_argument("--text", required=True)
    gedit.add_argument("--user")
    gedit.add_argument("--json", action="store_true")
    grev = gsub.add_parser("revert", help="Back to the shipped text.")
    grev.add_argument("term")
    grev.add_argument("--lang", choices=["en", "pt"], required=True)
    grev.add_argument("--field")
    grev.add_argument("--json", action="store_true")
    gexp = gsub.add_parser("export", help="Write the organisation's edits as YAML.")
    gexp.add_argument("--output", required=True)
    gexp.add_argument("--json", action="store_true")
    gimp = gsub.add_parser("import", help="Apply a YAML file of edits (all or nothing).")
    gimp.add_argument("path")
    gimp.add_argument("--json", action="store_true")

    pref = sub.add_parser("preferences", help="Show or set a user's audience and language.")
    psub = pref.add_subparsers(dest="action", required=True, parser_class=_Parser)
    pshow = psub.add_parser("show")
    pshow.add_argument("--user", default=None)
    pshow.add_argument("--json", action="store_true")
    pset = psub.add_parser("set")
    pset.add_argument("key", choices=list(users.PREFERENCES))
    pset.add_argument("value")
    pset.add_argument("--user", default=None)
    pset.add_argument("--json", action="store_true")
    return p


def _run_spec_arguments(p) -> None:
    p.add_argument("--dataset", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--goal")
    p.add_argument("--metric", dest="eval_metric")
    p.add_argument("--quality", choices=list(QUALITIES), default="balanced")
    p.add_argument("--time-limit", type=float, default=60)
    p.add_argument("--exclude", nargs="*", default=[])
    p.add_argument("--sensitive", nargs="*", default=[])
    p.add_argument("--sensitive-as-inputs", action="store_true")
    p.add_argument("--holdout", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--preset")
    p.add_argument("--family", nargs="*", dest="model_families", help="Model families to include.")
    p.add_argument("--hyperparameters", help="YAML or JSON file of per-family hyperparameters.")
    p.add_argument("--bag-folds", type=int, dest="num_bag_folds")
    p.add_argument("--stack-levels", type=int, dest="num_stack_levels")
    p.add_argument("--dynamic-stacking", choices=["on", "off"])
    p.add_argument("--infer-limit", type=float, help="Seconds per row allowed for prediction.")
    p.add_argument("--calibrate-threshold", choices=["on", "off"])
    p.add_argument("--sample-weight")
    p.add_argument("--cpus", type=int, dest="num_cpus")
    p.add_argument("--memory-gb", type=float, dest="memory_limit_gb")
    p.add_argument("--parent", dest="parent_run_id")


def _spec_from(args) -> RunSpec:
    onoff = {"on": True, "off": False, None: None}
    return RunSpec(
        dataset_id=args.dataset, target=args.target, goal=args.goal, eval_metric=args.eval_metric,
        quality=args.quality, time_limit=args.time_limit, exclude=args.exclude, sensitive=args.sensitive,
        sensitive_as_inputs=args.sensitive_as_inputs, holdout=args.holdout, seed=args.seed,
        preset=args.preset, model_families=args.model_families,
        hyperparameters=load_hyperparameters_file(args.hyperparameters) if args.hyperparameters else None,
        num_bag_folds=args.num_bag_folds, num_stack_levels=args.num_stack_levels,
        dynamic_stacking=onoff[args.dynamic_stacking], infer_limit=args.infer_limit,
        calibrate_decision_threshold=onoff[args.calibrate_threshold], sample_weight=args.sample_weight,
        num_cpus=args.num_cpus, memory_limit_gb=args.memory_limit_gb, parent_run_id=args.parent_run_id,
    )


def run(args) -> object:
    if args.command == "init":
        added = datasets.ensure_demo_data()
        return {"home": str(config.home()), "demo_datasets_added": added}
    if args.command == "datasets":
        if args.action == "add":
            return datasets.add(args.path, name=args.name, sheet=args.sheet)
        if args.action == "list":
            return datasets.list_datasets()
        if args.action == "show":
            return datasets.show(args.dataset_id, target=args.target, lang=args.lang)
        if args.action == "rename":
            return datasets.rename(args.dataset_id, args.name)
        if args.action == "delete":
            if not args.yes:
                raise UserError(
                    f"Deleting '{args.dataset_id}' cannot be undone. Add --yes to confirm."
                )
            return datasets.delete(args.dataset_id)
    if args.command == "runs":
        if args.action == "plan":
            return runs.plan(_spec_from(args))
        if args.action == "start":
            started = runs.start(_spec_from(args))
            return runs.wait(started["run_id"]) if args.wait else started
        if args.action == "list":
            return runs.list_runs()
        if args.action == "show":
            from core import narrative

            return narrative.show_run(args.run_id, args.lang)
        if args.action in ("comments", "comment", "decide"):
            from core import decisions

            if args.action == "comment":
                return decisions.comment(args.run_id, args.text, user=args.user)
            if args.action == "decide":
                return decisions.decide(args.run_id, args.decision, note=args.note, user=args.user)
            return decisions.thread(args.run_id)
        if args.action == "cancel":
            return runs.cancel(args.run_id)
        if args.action == "choose":
            from core import choice

            return choice.choose(args.run_id, model=args.model, threshold=args.threshold,
                                 reason=args.reason, user=args.user)
        if args.action == "evaluate":
            from core import evaluation

            if runs.show(args.run_id)["problem_type"] == "binary":
                return evaluation.binary_report(args.run_id, threshold=args.threshold, value_tp=args.value_tp,
                                                cost_fp=args.cost_fp, cost_fn=args.cost_fn)
            return evaluation.report(args.run_id)
        if args.action == "importance":
            from core import evaluation

            return evaluation.feature_importance(args.run_id, time_limit=args.time_limit)
        if args.action == "compare":
            from core import compare

            return compare.compare(args.run_ids)
    if args.command == "score":
        from core import scoring

        return scoring.score(args.run_id, args.input, args.output)
    if args.command == "glossary":
        from core import vocabulary

        if args.action == "show":
            return vocabulary.show(args.term, args.lang)
        if args.action == "search":
            return vocabulary.search(args.query, args.lang, args.audience)
        if args.action == "edit":
            return vocabulary.edit(args.term, args.lang, args.field, args.text, args.user)
        if args.action == "revert":
            return vocabulary.revert(args.term, args.lang, args.field)
        if args.action == "export":
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(vocabulary.export_yaml())
            return {"output": args.output}
        if args.action == "import":
            try:
                text = open(args.path, encoding="utf-8").read()
            except OSError as exc:
                raise UserError(f"Cannot read '{args.path}': {exc.strerror}. Check the path.") from None
            return vocabulary.import_yaml(text)
    if args.command == "preferences":
        user = args.user or config.default_user()
        if args.action == "show":
            return {"user": user, **users.get_preferences(user)}
        return {"user": user, **users.set_preference(user, args.key, args.value)}
    raise UserError(f"Unknown command '{args.command}'.")


def _human(result) -> str:
    if isinstance(result, list):
        return "\n".join(_human(r) for r in result) or "(none)"
    if isinstance(result, dict) and "run_id" in result and "models" in result:
        summary = result["summary"]
        return f"{result['run_id']}  {result['status']}  " + (summary["text"] if isinstance(summary, dict) else summary)
    if isinstance(result, dict) and "warnings" in result:
        lines = [f"{result['dataset_id']}  {result['name']}  {result['rows']} rows, "
                 f"{len(result['columns'])} columns"]
        lines += [f"  ! {w['message']} {w['action']}" for w in result["warnings"]]
        return "\n".join(lines)
    if isinstance(result, dict):
        return "  ".join(f"{k}={v}" for k, v in result.items())
    return str(result)


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
        result = run(args)
    except UserError as exc:
        print(one_line(exc), file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except Exception as exc:
        log = config.home() / "errors.log"
        with open(log, "a") as fh:
            traceback.print_exc(file=fh)
        print(f"Internal error: {one_line(exc)} (details in {log})", file=sys.stderr)
        return 1
    if getattr(args, "json", False):
        print(json.dumps(result, default=str, ensure_ascii=False))
    else:
        print(_human(result))
    return 0
