"""Every widget whose label uses a technical word explains it: help text from the glossary, with a link."""

import re

import pytest

import glossary
from core.training.spec import RunSpec
from tests.conftest import train
from tests.test_app import run_app
from tests.test_app_runs import _id

pytestmark = pytest.mark.usefixtures("no_leftover_workers")
WIDGETS = ("selectbox", "radio", "slider", "select_slider", "number_input", "text_input", "text_area",
           "multiselect", "checkbox", "toggle")


def jargon() -> dict[str, str]:
    """Technical words (analyst and expert terms, their names and aliases) -> term id."""
    words = {}
    for term_id, data in glossary.terms().items():
        if data["audience"] == "stakeholder":
            continue
        for name in [data["en"]["term"], *map(str, data["aliases"])]:
            if len(name) >= 4:
                words[name.lower()] = term_id
    return words


def test_the_jargon_list_is_real():
    words = jargon()
    assert {"stacking", "bagging", "preset", "hyperparameters"} <= set(words)


def test_widgets_with_technical_labels_carry_glossary_help():
    spec = RunSpec(_id("German credit"), "risk", quality="fast", time_limit=20, model_families=["GBM", "LR"])
    assert train(spec).status == "succeeded"
    words = jargon()
    checked = 0
    for page in ("pages/train.py", "pages/results.py", "pages/runs.py", "pages/data.py", "pages/glossary.py",
                 "pages/summary.py", "pages/compare.py"):
        at = run_app(page, audience="expert")
        for kind in WIDGETS:
            for widget in at.get(kind):
                label = str(widget.label or "").lower()
                used = [w for w in words if re.search(rf"\b{re.escape(w)}\b", label)]
                if not used:
                    continue
                checked += 1
                assert widget.help and "glossary?term=" in widget.help, \
                    f"{page}: '{widget.label}' uses '{used[0]}' but has no glossary help"
    assert checked >= 5
