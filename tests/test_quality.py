"""Data-quality warnings: each kind fires on data that has the problem and stays quiet otherwise."""

import numpy as np
import pandas as pd
import pytest

from core.data import datasets
from core.data.quality import TEMPLATES
from tests.conftest import DATA

N = 200


def _add(tmp_path, df, name="t.csv"):
    path = tmp_path / name
    df.to_csv(path, index=False)
    return datasets.add(path)


def _kinds(info, column=None):
    return {w["kind"] for w in info["warnings"] if column is None or w["column"] == column}


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_clean_demo_data_has_no_column_warnings():
    assert _kinds(datasets.add(DATA / "german_credit.csv")) == set()


def test_identifier_by_uniqueness_and_by_name(tmp_path, rng):
    df = pd.DataFrame({
        "row_number": np.arange(N),
        "customer_id": [f"C{i:05d}" for i in range(N)],
        "x": rng.normal(size=N),  # unique floats are measurements, not identifiers
        "group": rng.choice(["a", "b"], N),
    })
    info = _add(tmp_path, df)
    assert "identifier" in _kinds(info, "row_number")
    assert "identifier" in _kinds(info, "customer_id")
    assert _kinds(info, "x") == set() and _kinds(info, "group") == set()


def test_whole_numbers_unique_per_row_are_identifiers_only_when_they_count_or_code_the_rows(tmp_path, rng):
    """A population is unique per row and whole, like a row number, but it is a measurement."""
    df = pd.DataFrame({
        "population": np.round(np.exp(rng.uniform(10, 21, N))).astype(np.int64),  # 20,000 to 1.3 billion
        "order_no": rng.permutation(N) * 2 + 50_000,  # an auto-increment key with gaps, shuffled
        "account": rng.choice(np.arange(10**8, 10**9), N, replace=False),  # nine-digit codes
        "y": rng.normal(size=N),
    })
    info = _add(tmp_path, df)
    assert _kinds(info, "population") == set()
    assert "identifier" in _kinds(info, "order_no") and "identifier" in _kinds(info, "account")


def test_constant_and_mostly_missing(tmp_path, rng):
    df = pd.DataFrame({
        "same": ["x"] * N,
        "sparse": [float(i) if i % 3 == 0 else None for i in range(N)],
        "flag_or_empty": [1.0 if i % 2 else None for i in range(N)],  # present/absent is information
        "ok": rng.normal(size=N),
    })
    info = _add(tmp_path, df)
    assert _kinds(info, "same") == {"constant"}
    assert _kinds(info, "sparse") == {"mostly_missing"}
    assert _kinds(info, "flag_or_empty") == set()
    expected = f"{df['sparse'].isna().mean():.0%}"
    assert expected in next(w["message"] for w in info["warnings"] if w["column"] == "sparse")


def test_free_text(tmp_path, rng):
    words = ["late", "payment", "customer", "called", "about", "the", "invoice", "again"]
    df = pd.DataFrame({"comment": [" ".join(rng.choice(words, 8)) + f" {i}" for i in range(N)],
                       "y": rng.integers(0, 2, N)})
    assert "free_text" in _kinds(_add(tmp_path, df), "comment")


def test_numbers_and_dates_stored_as_text(tmp_path, rng):
    amounts = [f"{v:.2f}" for v in rng.uniform(1, 100, N)]
    amounts[5] = "unknown"
    df = pd.DataFrame({
        "amount": amounts,
        "signed": [f"{d:02d} Mar 2021" for d in rng.integers(1, 28, N)],
        "iso": [f"2021-03-{d:02d}" for d in rng.integers(1, 28, N)],  # typed as dates: no warning
        "zip": [f"0{i:04d}" for i in range(N)],  # codes with leading zeros stay text
    })
    info = _add(tmp_path, df)
    assert _kinds(info, "amount") == {"number_as_text"}
    assert "'unknown'" in next(w["action"] for w in info["warnings"] if w["column"] == "amount")
    assert _kinds(info, "signed") == {"date_as_text"}
    assert _kinds(info, "iso") == set()
    assert "number_as_text" not in _kinds(info, "zip")


def test_a_column_that_recodes_another_one_for_one_is_left_out_but_a_grouping_is_not(tmp_path, rng):
    countries = rng.choice([f"country_{i}" for i in range(30)], N)
    number = {f"country_{i}": 100 + 7 * i for i in range(30)}
    df = pd.DataFrame({
        "country": countries,
        "iso_num": [number[c] for c in countries],  # the same information, one for one
        "continent": [f"continent_{int(c.split('_')[1]) % 5}" for c in countries],  # many countries to one
        "size": rng.normal(size=N),  # unique per row: one for one with anything, so never a recode
        "weight": rng.normal(size=N),
    })
    info = _add(tmp_path, df)
    recoded = [w for w in info["warnings"] if w["kind"] == "recoded_column"]
    assert [(w["column"], w["exclude"]) for w in recoded] == [("iso_num", True)]
    assert "'iso_num' says what 'country' says in other words" in recoded[0]["message"]
    assert _kinds(info, "continent") == set() and _kinds(info, "weight") == set()


def test_duplicate_rows_warning_counts_copies(tmp_path):
    df = pd.DataFrame({"a": [1, 2, 3, 1, 1], "b": ["x", "y", "z", "x", "x"]})
    info = _add(tmp_path, df)
    dup = next(w for w in info["warnings"] if w["kind"] == "duplicate_rows")
    assert dup["message"].startswith("2 rows")
    one = _add(tmp_path, df.iloc[:4], name="one_copy.csv")
    assert next(w for w in one["warnings"] if w["kind"] == "duplicate_rows")["message"].startswith(
        "1 row is an exact copy")


def test_leakage_by_purity_for_classification(tmp_path, rng):
    y = rng.integers(0, 2, N)
    df = pd.DataFrame({"y": y, "status_after": np.where(y == 1, "paid", "default"),
                       "noise": rng.normal(size=N)})
    info = datasets.show(_add(tmp_path, df)["dataset_id"], target="y")
    assert "leakage" in _kinds(info, "status_after")
    assert "leakage" not in _kinds(info, "noise")


def test_leakage_by_sum_and_correlation_for_regression():
    ds = datasets.add(DATA / "bikeshare.csv")
    info = datasets.show(ds["dataset_id"], target="bikers")
    leaks = {w["column"] for w in info["warnings"] if w["kind"] == "leakage"}
    assert leaks == {"casual", "registered"}
    assert all("'casual' + 'registered'" in w["message"]
               for w in info["warnings"] if w["kind"] == "leakage")


def test_imbalance_only_when_a_class_is_rare(tmp_path, rng):
    rare = _add(tmp_path, pd.DataFrame({"y": ["no"] * 190 + ["yes"] * 10, "x": rng.normal(size=N)}), "r.csv")
    info = datasets.show(rare["dataset_id"], target="y")
    imb = next(w for w in info["warnings"] if w["kind"] == "imbalance")
    assert "5%" in imb["message"] and "'yes'" in imb["message"]
    balanced = datasets.show(datasets.add(DATA / "german_credit.csv")["dataset_id"], target="risk")
    assert "imbalance" not in _kinds(balanced)


def test_unknown_target_suggests_the_closest_column():
    ds = datasets.add(DATA / "bikeshare.csv")
    with pytest.raises(Exception, match="Did you mean 'bikers'"):
        datasets.show(ds["dataset_id"], target="biker")


def test_warnings_in_portuguese(tmp_path):
    info = _add(tmp_path, pd.DataFrame({"same": ["x"] * N, "v": range(N)}))
    pt = datasets.show(info["dataset_id"], lang="pt")
    assert "mesmo valor" in next(w["message"] for w in pt["warnings"] if w["kind"] == "constant")


def test_every_kind_has_both_languages_and_design_names():
    assert {"identifier", "constant", "mostly_missing", "free_text", "duplicate_rows",
            "number_as_text", "date_as_text", "leakage", "imbalance"} <= set(TEMPLATES)
    for kind, langs in TEMPLATES.items():
        assert set(langs) == {"en", "pt"}, kind
