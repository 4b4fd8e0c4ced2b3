"""How far a scored batch sits from the training data, column by column, with a verdict.

The test follows Evidently's defaults, chosen by the column's type and the reference's size
(thresholds are settings, `config.drift_thresholds`):
up to 1,000 training rows, Kolmogorov-Smirnov (numbers with more than 5 values) or chi-square
(categories), drifted when p < 0.05; above that, the Wasserstein distance in units of the
training standard deviation (numbers) or the Jensen-Shannon distance (categories), drifted from
0.1. A distance says how large a change is, not whether a small batch shows one at all (60 rows
drawn from the training file itself are about 0.1 apart by chance), so a batch of up to 1,000
rows must also pass the two-sample test. PSI is added for every column with the credit-scoring
bands (0.1 moderate, 0.25 major) as a number to read; it never raises an alert alone (on 60 rows
its chance level is about 0.15). Each column also reports missing values and unseen categories,
and says what changed in words.
Everything is NumPy on value counts and sorted arrays (bench/results/drift.md).
"""

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

import glossary
from core.foundation import config

SMALL_REFERENCE = 1000
PSI_BANDS = (0.1, 0.25)
PSI_BINS = 10
EPS = 1e-4


def _numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index of two share vectors over the same bins."""
    e, a = np.clip(expected, EPS, None), np.clip(actual, EPS, None)
    return float(np.sum((a - e) * np.log(a / e)))


def wasserstein_distance(u_values, v_values) -> float:
    """scipy.stats.wasserstein_distance without weights, with the same result: each sample sorted
    once, then merged (a stable sort of two sorted runs is linear), instead of an argsort of both
    together; about three times faster on a million rows (bench/results/drift.md)."""
    u, v = np.sort(np.asarray(u_values, float)), np.sort(np.asarray(v_values, float))
    every = np.sort(np.concatenate([u, v]), kind="stable")
    deltas = np.diff(every)
    u_cdf = np.searchsorted(u, every[:-1], side="right") / len(u)
    v_cdf = np.searchsorted(v, every[:-1], side="right") / len(v)
    return float(np.sum(np.abs(u_cdf - v_cdf) * deltas))


def _numeric_column(ref: np.ndarray, cur: np.ndarray) -> dict:
    small = len(ref) <= SMALL_REFERENCE
    many = len(np.unique(ref)) > 5
    p_value, distance = config.drift_thresholds()
    if small and many:
        method, stat = "ks", float(stats.ks_2samp(ref, cur).pvalue)
        drifted = stat < p_value
    elif many:
        sd = float(np.std(ref)) or 1.0
        method, stat = "wasserstein", wasserstein_distance(ref, cur) / sd if len(cur) else 0.0
        drifted = stat >= distance and (len(cur) > SMALL_REFERENCE or stats.ks_2samp(ref, cur).pvalue < p_value)
    else:  # few distinct numbers behave like categories
        return _categorical_column(pd.Series(ref).astype(str), pd.Series(cur).astype(str)) | {"numeric": True}
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, PSI_BINS + 1)[1:-1]))
    ref_bins = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1) / len(ref)
    cur_bins = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=len(edges) + 1) / max(len(cur), 1)
    low, high = float(np.min(ref)), float(np.max(ref))
    return {"method": method, "statistic": stat, "threshold": p_value if method == "ks" else distance,
            "drifted": bool(drifted), "psi": _psi(ref_bins, cur_bins),
            "train_mean": float(np.mean(ref)), "batch_mean": float(np.mean(cur)) if len(cur) else None,
            "train_min": low, "train_max": high, **_outside(ref, cur, low, high)}


OUTSIDE_SHARE = 0.1  # of the batch beyond the training range, before it is the sentence that matters


def _outside(ref: np.ndarray, cur: np.ndarray, low: float, high: float) -> dict:
    """Share of the batch beyond the training range, and whether that is more than chance: a new
    draw from the same population falls outside n training values with chance 2 / (n + 1)."""
    outside = int(np.sum((cur < low) | (cur > high)))
    if not len(cur):
        return {"outside_share": 0.0, "outside_beyond_chance": False}
    chance = min(2 / (len(ref) + 1), 1.0)
    p = stats.binomtest(outside, len(cur), chance, alternative="greater").pvalue if outside else 1.0
    return {"outside_share": outside / len(cur),
            "outside_beyond_chance": bool(outside / len(cur) >= OUTSIDE_SHARE and p < config.drift_thresholds()[0])}


def _categorical_column(ref: pd.Series, cur: pd.Series) -> dict:
    p_value, distance = config.drift_thresholds()
    ref_counts, cur_counts = ref.value_counts(), cur.value_counts()  # hashing, not sorting strings
    categories = ref_counts.index.union(cur_counts.index)
    ref_share = ref_counts.reindex(categories, fill_value=0).to_numpy(float) / max(len(ref), 1)
    cur_share = cur_counts.reindex(categories, fill_value=0).to_numpy(float) / max(len(cur), 1)
    # the batch's counts against the training shares; a value training never had gets a tiny
    # share, so a new category counts as change
    expected = np.clip(ref_share, EPS, None)
    expected = expected / expected.sum() * len(cur)
    chi_p = float(stats.chisquare(cur_share * len(cur), expected).pvalue) if len(categories) > 1 and len(cur) else 1.0
    if len(ref) <= SMALL_REFERENCE:
        method, stat, drifted, threshold = "chi_square", chi_p, chi_p < p_value, p_value
    else:
        stat = float(np.nan_to_num(jensenshannon(ref_share, cur_share)))
        drifted = stat >= distance and (len(cur) > SMALL_REFERENCE or chi_p < p_value)
        method, threshold = "jensen_shannon", distance
    moved = int(np.argmax(np.abs(cur_share - ref_share)))
    return {"method": method, "statistic": stat, "threshold": threshold, "drifted": bool(drifted),
            "psi": _psi(ref_share, cur_share), "value": str(categories[moved]),
            "train_share": float(ref_share[moved]), "batch_share": float(cur_share[moved])}


def compare(reference: pd.DataFrame, batch: pd.DataFrame, columns: list[str], *, lang: str = "en") -> dict:
    """Every column of the batch against the same column of the training rows."""
    out = []
    for col in columns:
        ref, cur = reference[col], batch[col]
        row = {"column": col, "missing_share_train": float(ref.isna().mean()),
               "missing_share_input": float(cur.isna().mean())}
        ref_ok, cur_ok = ref.dropna(), cur.dropna()
        if _numeric(ref):
            cur_num = pd.to_numeric(cur_ok, errors="coerce").dropna()
            row |= {"kind": "numeric", **_numeric_column(ref_ok.to_numpy(float), cur_num.to_numpy(float))}
        else:
            r, c = ref_ok.astype(str), cur_ok.astype(str)
            unseen = ~c.isin(r.unique())
            row |= {"kind": "categorical", **_categorical_column(r, c), "unseen_share": float(unseen.mean())
                    if len(c) else 0.0, "unseen_example": str(c[unseen].iloc[0]) if unseen.any() else None}
        row["psi_band"] = "major" if row["psi"] >= PSI_BANDS[1] else "moderate" if row["psi"] >= PSI_BANDS[0] \
            else "stable"
        row["alert"] = _alert(row)
        row["message"] = glossary.message(row["alert"]["id"], lang, **row["alert"]["values"])
        out.append(row)
    drifted = [r["column"] for r in out if r["drifted"]]
    return {"columns": out, "drifted_columns": drifted, "share_drifted": len(drifted) / max(len(out), 1),
            "dataset_drift": len(drifted) / max(len(out), 1) >= 0.5}


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _num(x) -> str:
    return glossary.number(float(x)) if x is not None else "?"  # 2,012, not 2.01e+03


def _alert(row: dict) -> dict:
    """The one sentence that matters most for this column (an id and values for the glossary)."""
    col = row["column"]
    if row.get("unseen_share", 0) >= 0.01:
        return {"id": "drift_unseen", "values": {"column": col, "share": _pct(row["unseen_share"]),
                                                 "example": row["unseen_example"]}}
    if row.get("outside_beyond_chance"):  # beyond anything the model learned from: it can only extrapolate
        return {"id": "drift_outside", "values": {"column": col, "share": _pct(row["outside_share"]),
                                                  "low": _num(row["train_min"]), "high": _num(row["train_max"])}}
    if row["missing_share_input"] - row["missing_share_train"] >= 0.05:
        return {"id": "drift_missing", "values": {"column": col, "batch": _pct(row["missing_share_input"]),
                                                  "train": _pct(row["missing_share_train"])}}
    if not row["drifted"]:
        return {"id": "drift_none", "values": {"column": col}}
    if "batch_mean" in row:
        gap = (row["batch_mean"] or 0) - row["train_mean"]
        return {"id": "drift_higher" if gap >= 0 else "drift_lower",
                "values": {"column": col, "gap": _num(abs(gap)), "batch": _num(row["batch_mean"]),
                           "train": _num(row["train_mean"])}}
    return {"id": "drift_mix", "values": {"column": col, "value": row["value"], "batch": _pct(row["batch_share"]),
                                          "train": _pct(row["train_share"])}}
