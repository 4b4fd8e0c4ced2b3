"""Too good to be true: the signs that a run's score comes from a leak, not from skill.

A run is suspect when the column the model leans on most was flagged by the data checks
(leakage, an identifier, personal data, a copy) and carries most of the importance, or when
the model removes nearly all of the baseline's error while one column does most of the work.
Pure functions of stored numbers; the worker calls them once, after its holdout scores.
"""

FLAGGED_KINDS = ("leakage", "identifier", "personal_data", "duplicate_column")
DOMINANT_SHARE = 0.5  # one column carries at least half of the importance
NEAR_PERFECT = 0.95  # the model removes at least 95% of the naive baseline's error


def importance_shares(features: list[dict]) -> dict[str, float]:
    """Each column's share of the positive permutation importance (shares add up to 1)."""
    positive = {f["feature"]: f["importance"] for f in features if (f.get("importance") or 0) > 0}
    total = sum(positive.values())
    return {k: v / total for k, v in positive.items()} if total else {}


def error_removed(model_error: float | None, baseline_error: float | None) -> float | None:
    """The share of the baseline's error the model removes (1 = no error left)."""
    if model_error is None or not baseline_error:
        return None
    return 1 - model_error / baseline_error


def assess(*, features: list[dict], flagged: dict[str, str], model_error: float | None,
           baseline_error: float | None) -> dict:
    """{"suspect": bool, "reasons": [...]}; each reason has a code and the numbers behind it.

    `flagged` maps a column to the kind of data warning it carries; `model_error` and
    `baseline_error` are on the holdout (error rate, or mean absolute error)."""
    shares = importance_shares(features)
    reasons = []
    top = max(shares, key=shares.get) if shares else None
    if top is not None and flagged.get(top) in FLAGGED_KINDS and shares[top] >= DOMINANT_SHARE:
        reasons.append({"code": "flagged_column_dominates", "column": top, "kind": flagged[top],
                        "share": round(shares[top], 3)})
    removed = error_removed(model_error, baseline_error)
    if removed is not None and removed >= NEAR_PERFECT and top is not None and shares[top] >= DOMINANT_SHARE:
        reasons.append({"code": "near_perfect_one_column", "column": top, "share": round(shares[top], 3),
                        "error_removed": round(removed, 3)})
    return {"suspect": bool(reasons), "reasons": reasons,
            "importance_shares": {k: round(v, 4) for k, v in shares.items()}}
