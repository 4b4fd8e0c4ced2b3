"""`python -m core ...`: the same functions the pages call, with --json output.

Exit 0 on success, 2 on a user error (one line on stderr), 1 on an internal error.
JSON goes to stdout and nothing else does.
"""

import argparse
import json
import sys
import traceback

from core import config, datasets, users
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
    if args.command == "preferences":
        user = args.user or config.default_user()
        if args.action == "show":
            return {"user": user, **users.get_preferences(user)}
        return {"user": user, **users.set_preference(user, args.key, args.value)}
    raise UserError(f"Unknown command '{args.command}'.")


def _human(result) -> str:
    if isinstance(result, list):
        return "\n".join(_human(r) for r in result) or "(none)"
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
