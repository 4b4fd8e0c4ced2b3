"""Drift: the test Evidently would choose, verdicts on constructed shifts, silence on an unshifted
sample, sentences in both languages; and scored batches recorded, CSV cells made inert."""

import numpy as np
import pandas as pd
import pytest

from core.serving import drift, scoring


def _tables(n_ref, n_cur, seed=0, shift=0.0, new_category=0.0):
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({"age": rng.normal(35, 8, n_ref), "city": rng.choice(["north", "south", "east"], n_ref),
                        "income": rng.lognormal(10, 0.5, n_ref)})
    cur = pd.DataFrame({"age": rng.normal(35 + shift, 8, n_cur), "city": rng.choice(["north", "south", "east"], n_cur),
                        "income": rng.lognormal(10, 0.5, n_cur)})
    if new_category:
        cur.loc[rng.random(n_cur) < new_category, "city"] = "west"
    return ref, cur


@pytest.mark.parametrize("n_ref, numeric, categorical", [(800, "ks", "chi_square"),
                                                          (5000, "wasserstein", "jensen_shannon")])
def test_an_unshifted_sample_raises_no_alert(n_ref, numeric, categorical):
    ref, cur = _tables(n_ref, 600, seed=1)
    found = drift.compare(ref, cur, ["age", "city", "income"])
    methods = {c["column"]: c["method"] for c in found["columns"]}
    assert methods == {"age": numeric, "city": categorical, "income": numeric}
    assert found["drifted_columns"] == [] and not found["dataset_drift"]
    assert all(c["alert"]["id"] == "drift_none" and c["psi_band"] == "stable" for c in found["columns"])


@pytest.mark.parametrize("n_ref", [800, 5000])
def test_a_shifted_column_and_a_new_category_are_named_in_words(n_ref):
    ref, cur = _tables(n_ref, 600, seed=2, shift=11, new_category=0.2)
    found = drift.compare(ref, cur, ["age", "city", "income"], lang="en")
    by = {c["column"]: c for c in found["columns"]}
    assert by["age"]["drifted"] and by["age"]["psi_band"] == "major"
    assert by["age"]["message"].startswith("'age' is on average 1") and "higher in this batch" in by["age"]["message"]
    assert by["city"]["drifted"] and by["city"]["unseen_share"] > 0.15 and "'west'" in by["city"]["message"]
    pt = drift.compare(ref, cur, ["age"], lang="pt")["columns"][0]["message"]
    assert "acima neste lote" in pt


@pytest.mark.parametrize("n_ref", [195, 5000])
def test_a_small_batch_drawn_from_the_training_rows_raises_no_alert(n_ref):
    """60 rows from the same population differ by chance: PSI is often past 0.1 and the distance
    near its threshold, but the two-sample test says it is noise, so no sentence says 'changed'."""
    alerts = []
    for seed in range(50):
        ref, cur = _tables(n_ref, 60, seed=seed)
        alerts += [c["column"] for c in drift.compare(ref, cur, ["age", "city", "income"])["columns"]
                   if c["alert"]["id"] != "drift_none"]
    # 150 column checks at p < 0.05: about 8 by chance. PSI past 0.1 as the alarm said 'changed' in
    # more than half of them.
    assert len(alerts) <= 15, alerts
    ref, cur = _tables(n_ref, 60, seed=0, shift=11)
    assert drift.compare(ref, cur, ["age"])["columns"][0]["drifted"]  # a real shift still shows on 60 rows


def test_values_beyond_the_training_range_are_named_with_that_range():
    ref = pd.DataFrame({"year": np.repeat(np.arange(1952, 2008, 5), 20)})
    cur = pd.DataFrame({"year": np.full(30, 2012)})
    row = drift.compare(ref, cur, ["year"])["columns"][0]
    assert row["alert"]["id"] == "drift_outside" and row["outside_share"] == 1.0
    assert row["message"] == ("100% of this batch has 'year' outside the range the model learned from (1,952 to "
                              "2,007); for those rows it can only guess beyond what it has seen.")


def test_missing_values_and_a_mix_change_are_reported():
    ref, cur = _tables(3000, 3000, seed=3)
    cur.loc[: len(cur) // 3, "income"] = np.nan
    cur["city"] = np.where(np.arange(len(cur)) % 10 < 7, "north", cur["city"])
    by = {c["column"]: c for c in drift.compare(ref, cur, ["city", "income"])["columns"]}
    assert by["income"]["alert"]["id"] == "drift_missing" and by["income"]["missing_share_input"] > 0.3
    assert by["city"]["alert"]["id"] == "drift_mix" and by["city"]["value"] == "north"


def test_spreadsheet_formulas_in_text_cells_are_made_inert(tmp_path):
    import csv

    frame = pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2", "plain", None],
                          "amount": [-5, 1, 2, 3, 4, 5]})
    scoring._write_csv(frame, tmp_path / "out.csv")
    with open(tmp_path / "out.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["name"] for r in rows] == ["'=cmd|' /C calc'!A0", "'+1+1", "'@SUM(A1)", "'-2", "plain", ""]
    assert [r["amount"] for r in rows] == ["-5", "1", "2", "3", "4", "5"]  # numbers are left alone
    assert frame["name"].iloc[0].startswith("=")  # the caller's frame is left alone


def test_the_fast_wasserstein_distance_equals_scipys():
    from scipy import stats

    rng = np.random.default_rng(4)
    for u, v in [(rng.normal(size=300), rng.normal(0.3, 2, size=5000)), (rng.integers(0, 5, 50), rng.integers(0, 7, 80)),
                 (np.array([1.0]), np.array([1.0, 2.0, 2.0]))]:
        assert drift.wasserstein_distance(u, v) == pytest.approx(stats.wasserstein_distance(u, v), abs=1e-12)
