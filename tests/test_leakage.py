"""Leakage that reasons about what a column does, personal data, and repeated column names."""

import numpy as np
import pandas as pd
import pytest

from core.data import datasets, leakage, personal
from core.training import plan
from tests import leaky_tables as lt
from tests.conftest import DATA
from tests.test_cli import cli_json


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def _show(tmp_path, df: pd.DataFrame, target="died", name="t.csv"):
    path = tmp_path / name
    df.to_csv(path, index=False)
    return datasets.show(datasets.add(path)["dataset_id"], target=target)


def _leaks(info) -> dict:
    return {w["column"]: w["message"] for w in info["warnings"] if w["kind"] == "leakage"}


def test_an_honest_table_has_no_leak_and_no_personal_data(tmp_path):
    info = _show(tmp_path, lt.people())
    assert _leaks(info) == {}
    assert not [w for w in info["warnings"] if w["kind"] in ("personal_data", "duplicate_column")]


def test_columns_recorded_after_the_outcome_are_flagged_with_the_evidence(tmp_path):
    leaks = _leaks(_show(tmp_path, lt.after_the_outcome()))
    assert set(leaks) == {"death_date", "death_cause", "visits_after"}
    assert "filled in almost only when 'died' is 'yes'" in leaks["death_date"]
    assert "non-zero almost only when 'died' is 'no'" in leaks["visits_after"]
    assert "of its" in leaks["death_cause"]  # the counts behind the claim


def test_a_strong_proxy_is_flagged_by_what_it_removes_from_guessing(tmp_path):
    leaks = _leaks(_show(tmp_path, lt.strong_proxy()))
    assert set(leaks) == {"file_status"}  # 96% agreement: not 'near perfect', still a leak
    message = leaks["file_status"]
    right, guess = (int(s) for s in __import__("re").findall(r"gets (\d+)", message))
    assert right > 90 and guess < 70, message


def test_a_relabelled_copy_of_the_target_is_named_as_such(tmp_path):
    leaks = _leaks(_show(tmp_path, lt.copy_of_target()))
    assert set(leaks) == {"outcome_code"}
    assert "the target itself under other labels" in leaks["outcome_code"]


def test_a_column_named_like_a_flagged_one_is_flagged_when_it_carries_signal(tmp_path):
    leaks = _leaks(_show(tmp_path, lt.related_names()))
    assert set(leaks) == {"followup_end", "followup_place"}
    assert "starts like 'followup_end'" in leaks["followup_place"]


def test_a_real_but_moderate_signal_is_not_called_a_leak():
    """Titanic's gender removes about half of the guessing error: strong, legitimate, not flagged."""
    info = datasets.show(datasets.add(DATA / "titanic.csv")["dataset_id"], target="survived")
    assert _leaks(info) == {}
    strength = _strength(info, "gender")
    assert 0.2 < strength["removal"] < leakage.STRONG_REMOVAL


def test_strong_diagnostic_measurements_are_not_called_leaks(tmp_path):
    """Wisconsin breast cancer (scikit-learn's copy): 'worst perimeter' alone gets about 91 of 100
    right against 63 for guessing. A strong, legitimate predictor, known before the diagnosis: a
    leak must be near-perfect on its own, and its neighbours' names ('worst ...') prove nothing."""
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    frame["target"] = frame["target"].map({0: "malignant", 1: "benign"})
    info = _show(tmp_path, frame, target="target", name="cancer.csv")
    assert _leaks(info) == {}
    strength = _strength(info, "worst perimeter")
    assert 0.6 < strength["removal"] < leakage.STRONG_REMOVAL


def _strength(info, column, classification=True):
    from core.foundation import db
    from core.foundation.db import quote_ident

    col = next(c for c in info["columns"] if c["name"] == column)
    with db.connect() as con:
        return leakage.one_column_strength(con, quote_ident(info["table_name"]), quote_ident(info["target"]), col,
                                           classification)


def test_one_column_strength_is_cross_validated_so_noise_earns_nothing(tmp_path, rng):
    """A many-valued random column memorises its training folds; on held-out folds it gains nothing."""
    n = 1000
    df = pd.DataFrame({"y": rng.integers(0, 2, n), "noise": rng.normal(size=n), "code": rng.integers(0, 300, n)})
    info = _show(tmp_path, df, target="y")
    for column in ("noise", "code"):
        s = _strength(info, column)
        assert s["removal"] < 0.1, (column, s)


def test_regression_strength_is_the_share_of_variation_explained(tmp_path, rng):
    n = 1000
    x = rng.normal(size=n)
    df = pd.DataFrame({"y": 10 * x + rng.normal(0, 0.5, n), "x_copy_ish": x, "noise": rng.normal(size=n)})
    info = _show(tmp_path, df, target="y")
    assert set(_leaks(info)) == {"x_copy_ish"}
    assert "explains" in _leaks(info)["x_copy_ish"]


@pytest.mark.parametrize("column, kind", [("patient", "person_name"), ("contact", "email"), ("tel", "phone"),
                                          ("home", "address"), ("cpf", "national_id")])
def test_each_kind_of_personal_data_is_found_and_left_out_by_default(tmp_path, column, kind):
    info = _show(tmp_path, lt.personal())
    found = {w["column"]: w for w in info["warnings"] if w["kind"] == "personal_data"}
    assert set(found) == {"patient", "contact", "tel", "home", "cpf"}
    assert found[column]["exclude"]
    assert column in plan.column_defaults(info, "died")["exclude"]
    what = {"person_name": "names", "email": "e-mail", "phone": "phone", "address": "address", "national_id": "id"}
    assert what[kind] in found[column]["message"]


def test_personal_data_needs_more_than_a_capitalised_category(tmp_path):
    """Cities and product names are capitalised words too, but they repeat: not people's names."""
    values = ["São Paulo", "Rio de Janeiro", "Belo Horizonte", "Porto Alegre"]
    assert personal.kind_of("city", values, unique_share=4 / 800) is None
    assert personal.kind_of("amount", ["12.50", "7.00"], unique_share=1.0) is None
    assert personal.kind_of("customer", ["Ana Souza", "John O'Brien", "Mary Smith"], unique_share=0.99) == "person_name"


def test_repeated_column_names_load_and_an_exact_copy_is_left_out(tmp_path):
    path = tmp_path / "export.csv"
    lt.duplicate_names_csv(path)
    info = datasets.show(datasets.add(path)["dataset_id"], target="died")
    assert [c["name"] for c in info["columns"]] == ["age", "dose", "weight", "score", "score_2", "died", "weight_2"]
    kinds = {(w["kind"], w["column"]) for w in info["warnings"]}
    assert {("renamed_column", "score_2"), ("renamed_column", "weight_2"), ("duplicate_column", "weight_2")} <= kinds
    assert ("duplicate_column", "score_2") not in kinds  # same name, different values: both kept
    assert plan.column_defaults(info, "died")["exclude"] == ["weight_2"]


def test_a_default_run_on_an_after_the_outcome_table_leaves_the_leaks_out_and_scores_honestly(tmp_path):
    """Through the CLI with no column options: the leaks stay out and the holdout score is realistic."""
    path = tmp_path / "study.csv"
    lt.after_the_outcome(n=1200).to_csv(path, index=False)
    ds = cli_json("datasets", "add", path)
    run = cli_json("runs", "start", "--dataset", ds["dataset_id"], "--target", "died", "--quality", "fast",
                   "--time-limit", "10", "--family", "GBM", "--wait")
    assert run["status"] == "succeeded", run["error"]
    assert {"death_date", "death_cause", "visits_after"} <= set(run["excluded"])
    assert run["holdout_metrics"]["accuracy"] < 0.9  # the honest signal, not the answer key
    assert not run["suspect"]


@pytest.mark.parametrize("file, target, leak, words", [
    ("Smarket.csv", "Direction", "Today", "on its own it gets"),
    ("Publication.csv", "status", "impact", "non-zero almost only when 'status' is '1'"),
])
def test_leaks_in_real_public_tables_are_found_and_nothing_else_is(file, target, leak, words):
    info = datasets.show(datasets.add(DATA.parent / "tests" / "data" / file)["dataset_id"], target=target)
    leaks = _leaks(info)
    assert set(leaks) == {leak} and words in leaks[leak], leaks
