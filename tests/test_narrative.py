"""The plain-language summary: every number checked against the stored results, every template filled."""

import re

import numpy as np
import pytest
import textstat

import glossary
from core.analysis import evaluation
from core.reporting import narrative
from tests.test_cli import cli_json
from tests.test_evaluation import _run

pytestmark = pytest.mark.usefixtures("no_leftover_workers")


def _per_100(share):
    return int(round(100 * share))


def _check_common(run, story, kind):
    v = story["values"]
    assert story["problem_type"] == kind
    assert v["train_rows"] == run.details["train_rows"]
    assert v["holdout_rows"] == run.details["holdout_rows"]
    ranked = sorted(evaluation.feature_importance(run)["features"], key=lambda f: -f["importance"])
    assert v["drivers"] == [f["feature"] for f in ranked if f["importance"] > 0][:3]
    for name in v["drivers"]:
        assert f"“{name}”" in story["text"]
    # Every placeholder of every template for this kind of run is filled, in both languages.
    terms = {t for t, d in glossary.terms().items() if kind in d["problem_types"]}
    for lang in glossary.LANGUAGES:
        examples = narrative.examples(run, lang)
        assert set(examples) == terms
        for term_id, text in examples.items():
            assert "{" not in text and "}" not in text, (term_id, text)
    # Readability: the English stakeholder summary reads at US grade 9 or below.
    assert textstat.flesch_kincaid_grade(story["text"]) <= 9, story["text"]
    pt = narrative.build(run, "pt")
    assert pt["text"] != story["text"] and pt["values"] == v
    assert [s["id"] for s in story["sections"]] == ["what", "how_good", "weak", "drivers", "fairness", "caveats"]


def test_binary_summary_numbers_come_from_the_stored_results():
    run = _run("german_credit.csv", "risk", sensitive=["sex"])
    story = narrative.build(run)
    _check_common(run, story, "binary")
    rep = evaluation.binary_report(run)
    cm, v = rep["confusion"], story["values"]
    # Counts per 100 add up to 100 (text and 100-squares chart agree), so they may differ by one
    # from rounding each share on its own.
    o = v["outcomes_per_100"]
    assert sum(o.values()) == 100 and v["accuracy_per_100"] == o["tp"] + o["tn"]
    assert abs(v["accuracy_per_100"] - _per_100(rep["accuracy"])) <= 1
    assert abs(v["baseline_accuracy_per_100"] - _per_100(rep["baseline"]["accuracy"])) <= 1
    assert v["recall_per_100"] == _per_100(cm["tp"] / (cm["tp"] + cm["fn"]))
    assert v["precision_per_100"] == _per_100(cm["tp"] / (cm["tp"] + cm["fp"]))
    assert v["auc_per_100"] == _per_100(rep["roc_auc"])
    assert v["holdout_rows"] == rep["rows"]
    text = story["text"]
    assert f"gets about {v['accuracy_per_100']} right" in text
    assert f"Always guessing “{v['majority_label']}” would get {v['baseline_accuracy_per_100']} right" in text
    assert f"finds about {v['recall_per_100']}" in text
    assert "“sex” was marked as sensitive" in text  # no fairness report yet: says so, invents nothing
    # The natural frequencies agree with AutoGluon's own holdout accuracy at the same threshold.
    assert abs(v["accuracy_per_100"] - _per_100(run.holdout_metrics["accuracy"])) <= 1


def test_a_lead_over_the_guess_within_the_test_rows_noise_is_said_with_its_margin(monkeypatch):
    run = _run("german_credit.csv", "risk")
    v = narrative.build(run)["values"]
    pred = evaluation.predictions(run)
    y = pred["y_true"].astype(str).to_numpy()
    model_right = (np.where(pred[f"p_{v['positive_label']}"] >= run.threshold, v["positive_label"],
                            v["negative_label"]) == y)
    lead = model_right.astype(float) - (y == v["majority_label"])  # each row's own difference, paired
    assert v["lift_margin_per_100"] == pytest.approx(100 * 1.96 * lead.std(ddof=1) / np.sqrt(len(y)))
    from core.reporting import placeholders

    real = placeholders.compute
    for margin, said in ((0.0, "more right in every 100 than always guessing"), (50.0, "could be off by about 50")):
        monkeypatch.setattr(placeholders, "compute", lambda r, m=margin: {**real(r), "lift_margin_per_100": m})
        text = narrative.build(run)["text"]
        assert said in text and (("may be no better than the guess" in text) == (margin == 50.0)), text


def test_multiclass_summary_names_the_weakest_outcome():
    run = _run("penguins.csv", "species")
    story = narrative.build(run)
    _check_common(run, story, "multiclass")
    rep = evaluation.multiclass_report(run)
    v = story["values"]
    assert v["accuracy_per_100"] == _per_100(rep["accuracy"])
    assert v["baseline_accuracy_per_100"] == _per_100(rep["baseline"]["accuracy"])
    worst = min((c for c in rep["per_class"] if c["support"]), key=lambda c: c["recall"])
    assert v["worst_class_recall_per_100"] == _per_100(worst["recall"])
    assert f"“{v['worst_class']}”" in story["text"]
    assert v["class_count"] == len(run.details["classes"])


def test_regression_summary_against_always_guessing_the_average_and_its_leak_caveat():
    run = _run("bikeshare.csv", "bikers")
    story = narrative.build(run)
    _check_common(run, story, "regression")
    rep = evaluation.regression_report(run)
    v = story["values"]
    assert v["mae"] == pytest.approx(rep["mean_absolute_error"])
    assert v["baseline_mae"] == pytest.approx(rep["baseline"]["mean_absolute_error"])
    assert v["r2_per_100"] == _per_100(rep["r2"])
    assert v["mae"] == pytest.approx(run.holdout_metrics["mean_absolute_error"])
    assert narrative.number(v["baseline_mae"]) in story["text"]
    # casual + registered = bikers: the data warnings travel with the run into its caveats.
    caveats = " ".join(next(s for s in story["sections"] if s["id"] == "caveats")["sentences"])
    assert "“casual” may give away the answer" in caveats and "“registered”" in caveats


def test_runs_show_json_carries_the_narrative_and_a_failed_edit_falls_back():
    run = _run("titanic.csv", "survived")
    shown = cli_json("runs", "show", run.run_id, "--lang", "pt")
    assert shown["summary"]["lang"] == "pt" and shown["summary"]["sections"]
    assert shown["status_sentence"] and shown["models"]
    assert re.search(r"De cada 100 casos, o modelo acerta cerca de \d+", shown["summary"]["text"])


def test_numbers_follow_the_language():
    assert narrative.number(1234) == "1,234" and narrative.number(1234, "pt") == "1.234"
    assert narrative.number(12.345) == "12.3" and narrative.number(12.345, "pt") == "12,3"
    assert narrative.number(0.4567) == "0.46" and narrative.number(np.float64(1500.2)) == "1,500"


def test_counts_per_100_add_up_and_undefined_numbers_are_left_out():
    import pandas as pd

    from core.reporting import placeholders

    assert placeholders.split_100({"tp": 1, "fn": 2, "fp": 2, "tn": 2}) == {"tp": 14, "fn": 29, "fp": 29, "tn": 28}
    never = pd.DataFrame({"y_true": ["a", "b", "a", "a", "b"], "p_a": [0.9] * 5, "p_b": [0.1] * 5})
    v = placeholders._binary(never, "b", ["a", "b"], 0.5, {"label": "a", "shares": {"a": 0.6, "b": 0.4}})
    assert v["precision_per_100"] is None and v["recall_per_100"] == 0  # nothing flagged: no precision claim
    shown = narrative.formatted(v, "en")
    assert "precision_per_100" not in shown and shown["accuracy_per_100"] == "60"
