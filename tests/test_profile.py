"""Profile fields, each recomputed independently with pandas."""

import pandas as pd
import pytest

from core.data import datasets
from tests.conftest import DATA


@pytest.fixture
def credit():
    return datasets.add(DATA / "german_credit.csv")


def _col(info, name):
    return next(c for c in info["columns"] if c["name"] == name)


def test_rows_and_columns_match_pandas(credit):
    df = pd.read_csv(DATA / "german_credit.csv")
    assert credit["rows"] == len(df)
    assert [c["name"] for c in credit["columns"]] == list(df.columns)


def test_numeric_summary_matches_pandas(credit):
    df = pd.read_csv(DATA / "german_credit.csv")
    col = _col(credit, "credit_amount")
    assert col["type"] == "number"
    assert col["min"] == df.credit_amount.min()
    assert col["max"] == df.credit_amount.max()
    assert col["mean"] == pytest.approx(df.credit_amount.mean())
    assert col["std"] == pytest.approx(df.credit_amount.std())
    assert col["distinct"] == df.credit_amount.nunique()


def test_histogram_covers_every_row_within_range(credit):
    col = _col(credit, "credit_amount")
    bins = col["histogram"]
    assert sum(b["count"] for b in bins) == credit["rows"]
    assert bins[0]["bin_start"] <= col["min"] and bins[-1]["bin_end"] >= col["max"]
    assert all(a["bin_end"] == b["bin_start"] for a, b in zip(bins, bins[1:]))


def test_top_values_are_exact_counts(credit):
    df = pd.read_csv(DATA / "german_credit.csv")
    col = _col(credit, "purpose")
    assert col["type"] == "category"
    expected = df.purpose.value_counts()
    for top in col["top_values"]:
        assert top["count"] == expected[top["value"]]
    assert col["top_values"][0]["value"] == expected.index[0]


def test_missing_share_counts_na_markers():
    info = datasets.add(DATA / "penguins.csv")
    df = pd.read_csv(DATA / "penguins.csv")  # pandas also reads 'NA' as missing
    for name in ["sex", "bill_length_mm"]:
        col = _col(info, name)
        assert col["missing"] == df[name].isna().sum() > 0
        assert col["missing_share"] == pytest.approx(df[name].isna().mean())
    assert _col(info, "bill_length_mm")["type"] == "number"


def test_duplicate_rows_match_pandas():
    info = datasets.add(DATA / "titanic.csv")
    df = pd.read_csv(DATA / "titanic.csv")
    assert info["duplicate_rows"] == df.duplicated().sum() > 0


def test_text_types_and_dates(tmp_path):
    path = tmp_path / "mixed.csv"
    pd.DataFrame({
        "when": pd.date_range("2024-01-01", periods=30).strftime("%Y-%m-%d"),
        "flag": [True, False] * 15,
        "note": [f"free text number {i} with several words in it" for i in range(30)],
    }).to_csv(path, index=False)
    info = datasets.add(path)
    types = {c["name"]: c["type"] for c in info["columns"]}
    # True/False stay the user's own labels: a category, not a converted boolean.
    assert types == {"when": "date", "flag": "category", "note": "text"}
    assert _col(info, "when")["min"].startswith("2024-01-01")
    assert {v["value"] for v in _col(info, "flag")["top_values"]} == {"True", "False"}
