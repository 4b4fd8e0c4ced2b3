"""The Prepare page through AppTest: a three-step recipe built without code, each step's effect
shown, then applied as a new data set whose recipe equals what the page built."""

import json
import os
import subprocess
import sys

import yaml
from streamlit.testing.v1 import AppTest

from core.data import datasets
from core.foundation import config
from core.prep import recipes
from tests.conftest import REPO

APP = str(REPO / "streamlit_app.py")


def _page(tmp_path):
    path = tmp_path / "loans.csv"
    path.write_text("id,amount,income,region\n" + "".join(
        f"{i},{'n/a' if i % 9 == 0 else i * 10},{'' if i % 4 == 0 else 1000 + i},{'NSEW'[i % 4]}\n" for i in range(80)))
    datasets.add(path)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["user"] = "ana"
    at.run()
    at.switch_page("pages/prepare.py").run()
    assert not at.exception, at.exception
    return at


def _pick(at, label: str, option: str, *, run: bool = True):
    """Choose an option; inside the step's form the value travels with the submit, so no rerun."""
    box = next(s for s in at.selectbox if s.label == label)
    box.set_value(next(o for o in box.options if o == option or o.startswith(option + " (")))
    if run:
        at.run()


def _add(at):
    next(b for b in at.button if b.label == "Add this step").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]


def test_build_a_three_step_recipe_and_apply_it(tmp_path):
    at = _page(tmp_path)
    _pick(at, "Data set to prepare", "loans")
    _pick(at, "What to do", "Fix a column's type")
    _pick(at, "Column", "amount", run=False)
    _add(at)
    said = [t.value for t in at.text]
    assert any("values of 'amount' could not be read as a number" in s for s in said), said
    _pick(at, "What to do", "Fill missing values")
    _pick(at, "Column", "income", run=False)
    _add(at)
    _pick(at, "What to do", "Add a calculated column")
    next(t for t in at.text_input if t.label == "New column's name").input("monthly")
    next(t for t in at.text_input if t.label == "Expression").input("amount / 12")
    _add(at)
    said = [t.value for t in at.text]
    assert any(s.startswith("Fills ") for s in said) and any("Adds 'monthly'" in s for s in said), said
    assert len(at.dataframe) >= 1  # the preview
    next(b for b in at.button if b.label == "Make the prepared data set").click().run()
    assert not at.exception and not at.error
    assert any("Made 'loans prepared'" in s.value for s in at.success)
    made = next(d for d in datasets.list_datasets() if d["name"] == "loans prepared")
    stored = recipes.show(made["dataset_id"])["recipe"]["steps"]
    assert [s["kind"] for s in stored] == ["cast", "fill", "derive"]
    assert stored[1]["with"] == "median" and "value" in stored[1]["measured"]
    # The recipe as the page saves it, applied through the CLI: the same version (same content hash).
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({"steps": [{k: v for k, v in s.items() if k != "measured"} for s in stored]}))
    out = subprocess.run([sys.executable, "-m", "core", "prep", "apply", "loans", "--recipe", str(recipe), "--name",
                          "again", "--json"], cwd=REPO, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "COMMONGROUND_HOME": str(config.home())})
    assert out.returncode == 0, out.stderr
    again = json.loads(out.stdout)
    assert again["content_hash"] == datasets.show(made["dataset_id"])["content_hash"] and again["created"] is False


def test_a_bad_expression_says_why_and_the_recipe_keeps_its_good_steps(tmp_path):
    at = _page(tmp_path)
    _pick(at, "Data set to prepare", "loans")
    _pick(at, "What to do", "Keep only some rows")
    next(t for t in at.text_input if t.label == "Keep rows where").input("ammount > 3")
    next(b for b in at.button if b.label == "Add this step").click().run()
    assert not at.exception
    assert any("there is no column 'ammount'" in e.value.replace("\\", "") for e in at.error)
    next(b for b in at.button if b.label == "Remove the last step").click().run()
    assert not at.error and not at.exception
