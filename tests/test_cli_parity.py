"""Every action a page offers is also a command: the CLI is built from one table, and each core
function a page calls is the function of one of its entries (or a pure view helper)."""

import ast
import importlib
import inspect

import pytest

from core.cli import build_parser
from core.cli.table import COMMANDS
from tests.conftest import REPO

UI = [REPO / "streamlit_app.py", *sorted((REPO / "pages").glob("*.py"))]
# Core functions pages call that only shape what a command already returns (same facts, same code).
COVERED_BY = {
    "core.training.plan.problem_type": ("runs", "plan"),
    "core.training.plan.describe_problem": ("runs", "plan"),
    "core.training.plan.column_defaults": ("runs", "plan"),
    "core.training.spec.parse_hyperparameters": ("runs", "plan"),
    "core.governance.vocabulary.help_text": ("glossary", "show"),
    "core.analysis.evaluation.binary_report": ("runs", "evaluate"),
    "core.analysis.evaluation.multiclass_report": ("runs", "evaluate"),
    "core.analysis.evaluation.regression_report": ("runs", "evaluate"),
    "core.reporting.narrative.build": ("runs", "show"),
    "core.training.views.with_results": ("runs", "list"),
    "core.reporting.narrative.suspect_reasons": ("runs", "show"),
    "core.analysis.choice.leaderboard": ("runs", "show"),
    "core.training.views.estimate_vs_actual": ("runs", "show"),
    "core.analysis.fairness.latest": ("fairness",),  # the command prints the analysis it stores
    "core.analysis.mitigation.mitigate": ("fairness",),  # fairness --mitigate
    "core.analysis.mitigation.adopt": ("fairness",),  # fairness --adopt --reason
    "core.analysis.mitigation.withdraw": ("fairness",),  # fairness --withdraw-rule --reason
    "core.analysis.mitigation.adopted": ("fairness",),  # printed by --adopt
    "core.reporting.export.script": ("export-code",),  # the text export-code writes
    "core.reporting.report.build": ("report",),  # printed by report without --output
    "core.reporting.render.render": ("report",),  # the text report --output writes
    "core.reporting.report.reset": ("report-edit",),  # report-edit --reset
    "core.serving.outcomes.history": ("monitoring",),  # printed with the batches
}
# Pure functions from data to a chart spec; settings read from the environment.
VIEW_MODULES = {"core.reporting.charts", "core.foundation.config"}
VIEW_HELPERS = {"core.reporting.narrative.quoted", "glossary.number", "core.training.scheduler.start",
                "core.analysis.compare.suggested", "core.training.strategy.wants_refit_for_use",
                "core.training.views.plain_reason", "core.reporting.narrative.fairness_sentences",
                "core.analysis.fairness.parse_edges", "core.governance.roles.allows", "core.governance.roles.role_of",
                "core.prep.recipes.parse"}


def _page_calls() -> set[str]:
    """Qualified names of the core functions the app's pages and router reference."""
    found = set()
    for path in UI:
        tree = ast.parse(path.read_text())
        modules = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("core"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    try:
                        importlib.import_module(full)
                        modules[alias.asname or alias.name] = full
                    except ImportError:
                        pass  # a function or constant imported by name: checked below
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
                target = getattr(importlib.import_module(modules[node.value.id]), node.attr, None)
                if inspect.isfunction(target):
                    found.add(f"{target.__module__}.{target.__qualname__}")
    return found


def _qualified(fn) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def test_every_function_a_page_calls_has_a_command():
    calls = _page_calls()
    assert {"core.analysis.explain.shap_values", "core.analysis.explain.predict_one",
            "core.reporting.narrative.examples", "core.training.lifecycle.start"} <= calls  # the scan works
    commanded = {_qualified(c.function) for c in COMMANDS}
    paths = {c.path for c in COMMANDS}
    missing = []
    for name in sorted(calls):
        if name in commanded or name in VIEW_HELPERS or name.rsplit(".", 1)[0] in VIEW_MODULES:
            continue
        if name in COVERED_BY and COVERED_BY[name] in paths:
            continue
        missing.append(name)
    assert not missing, f"page actions without a command: {missing}"


def test_the_parser_is_built_from_the_table():
    parser = build_parser()
    for command in COMMANDS:
        values = [(a.choices or ["x"])[0] for a in command.args if not a.name.startswith("-")]
        required = [v for a in command.args if a.required for v in (a.name, (a.choices or ["1"])[0])]
        args = parser.parse_args([*command.path, *values, *required])
        assert args.command_entry is command, command.path


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c.path))
def test_every_command_says_what_it_returns(command):
    assert command.help.endswith(".") and command.returns
