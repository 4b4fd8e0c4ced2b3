"""`python -m core ...`: the command table (core.cli.table) as an argparse CLI, with --json output.

Exit 0 on success, 2 on a user error (one line on stderr; with --json one JSON line
`{"error": {"code", "message", "value"}}`), 1 on an internal error. JSON goes to stdout and
nothing else does.
"""

import argparse
import json
import sys
import traceback

from core.cli.table import COMMANDS, USER, Arg, Command
from core.foundation import config
from core.foundation.errors import UserError, one_line


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other user error
        raise UserError(code="bad_arguments", msg="bad_arguments", message_=message, prog=self.prog)


def _add(parser: argparse.ArgumentParser, arg: Arg) -> None:
    if arg.flag:
        parser.add_argument(arg.name, action="store_true", help=arg.help)
        return
    options = {"help": arg.help, "type": arg.type}
    if arg.choices:
        options["choices"] = arg.choices
    if not arg.name.startswith("-"):
        if arg.many:
            options["nargs"] = "+"
        elif arg.default is not None:
            options.update(nargs="?", default=arg.default)
        parser.add_argument(arg.name, **options)
        return
    if arg.dest:
        options["dest"] = arg.dest
    if arg.many:  # `--x a b` and `--x a --x b` mean the same
        options.update(action="extend", nargs="+")
    options.update(default=arg.default, required=arg.required)
    parser.add_argument(arg.name, **options)


def build_parser() -> argparse.ArgumentParser:
    root = _Parser(prog="python -m core", description="Common Ground from the command line.")
    groups = {(): root.add_subparsers(dest="command", required=True, parser_class=_Parser)}
    parsers: dict[tuple, argparse.ArgumentParser] = {}
    for command in COMMANDS:
        for depth in range(1, len(command.path)):
            prefix = command.path[:depth]
            if prefix not in groups:
                parent = parsers[prefix] = groups[prefix[:-1]].add_parser(prefix[-1], help=f"{prefix[-1]} commands.")
                groups[prefix] = parent.add_subparsers(dest=f"action{depth}", required=True, parser_class=_Parser)
        sub = groups[command.path[:-1]].add_parser(command.path[-1], help=command.help,
                                                   description=f"{command.help} JSON: {command.returns}")
        for arg in command.args:
            _add(sub, arg)
        if not any(arg.name == "--user" for arg in command.args):  # every command says who acts
            _add(sub, USER)
        sub.add_argument("--json", action="store_true", help="Print JSON to stdout.")
        sub.set_defaults(command_entry=command)
    return root


def run(args) -> object:
    entry: Command = args.command_entry
    return entry.call(args)


def _human(result) -> str:
    if isinstance(result, list):
        return "\n".join(_human(r) for r in result) or "(none)"
    if isinstance(result, dict) and "run_id" in result and "models" in result:
        return f"{result['run_id']}  {result['status']}  {result['summary']['text']}"
    if isinstance(result, dict) and "warnings" in result and "dataset_id" in result:
        lines = [f"{result['dataset_id']}  {result['name']}  {result['rows']} rows, "
                 f"{len(result['columns'])} columns"]
        lines += [f"  ! {w['message']} {w['action']}" for w in result["warnings"]]
        return "\n".join(lines)
    if isinstance(result, dict):
        return "  ".join(f"{k}={v}" for k, v in result.items())
    return str(result)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    as_json = "--json" in argv
    try:
        args = build_parser().parse_args(argv)
        result = run(args)
    except UserError as exc:
        print(json.dumps({"error": exc.to_json()}, ensure_ascii=False) if as_json else one_line(exc), file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except Exception as exc:
        log = config.home() / "errors.log"
        with open(log, "a") as fh:
            traceback.print_exc(file=fh)
        message = f"Internal error: {one_line(exc)} (details in {log})"
        print(json.dumps({"error": {"code": "internal_error", "message": message, "value": None}})
              if as_json else message, file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(result, default=str, ensure_ascii=False))
    else:
        print(_human(result))
    return 0
