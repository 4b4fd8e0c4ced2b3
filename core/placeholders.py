"""The numbers a run's plain-language summary may use, each computed from the run's stored results.

Names match glossary/placeholders.yaml. Everything comes from the holdout predictions cached in
the run folder (core.evaluation) and the run's permutation importance; nothing is estimated here
that the results pages do not also show.
"""

import numpy as np
import pandas as pd
from sklearn import metrics

from core import evaluation, runs
from core.errors import InvalidInput

IMPORTANCE_SECONDS = 20  # a bound on the one-off importance computation behind "what drives it"


def per_100(share: float) -> int:
    return int(round(100 * float(share)))


def compute(run_id: str) -> dict:
    """Raw values (numbers, names, lists) for one run; see glossary/placeholders.yaml for meanings."""
    run = runs.show(run_id)
    if not run["models"]:
        raise InvalidInput(f"Run {run_id} has no trained model yet ({run['status']}), so there is nothing to "
                           "summarise. Wait for it to finish, or start a new run.")
    pred = evaluation.predictions(run_id, run["chosen_model"])
    importance = evaluation.feature_importance(run_id, time_limit=IMPORTANCE_SECONDS)
    ranked = sorted(importance["features"], key=lambda f: -f["importance"])
    drivers = [f["feature"] for f in ranked if f["importance"] > 0][:3]
    details, spec = run["details"], run["spec"]
    kept_out = set(run["excluded"]) | set(details.get("features_dropped") or [])
    if not spec.get("sensitive_as_inputs"):
        kept_out |= set(run["sensitive"])
    features = details.get("features_used") or run["features"]
    names = drivers + [f["feature"] for f in ranked if f["feature"] not in drivers]
    values = {
        "problem_type": run["problem_type"], "target": run["target"], "dataset_name": run["dataset_name"],
        "train_rows": int(details.get("train_rows") or 0), "holdout_rows": len(pred),
        "holdout_percent": per_100(spec.get("holdout", 0.2)), "feature_count": len(features),
        "top_feature": names[0], "second_feature": names[1] if len(names) > 1 else names[0],
        "excluded_count": len(kept_out), "model_count": len(run["models"]),
        # Not placeholders: what the narrative's own sentences need.
        "drivers": drivers, "kept_out": sorted(kept_out), "sensitive": list(run["sensitive"]),
        "sensitive_as_inputs": bool(spec.get("sensitive_as_inputs")), "status": run["status"],
        "data_warnings": run["data_warnings"],
        "reliance": _reliance(ranked),
    }
    kind = run["problem_type"]
    if kind == "binary":
        values |= _binary(pred, details["positive_class"], details.get("classes") or [], run["threshold"])
    elif kind == "multiclass":
        values |= _multiclass(pred)
    else:
        values |= _regression(pred)
    return values


def _reliance(ranked: list[dict], top: int = 8) -> list[dict]:
    """How much the model leans on each column, the biggest set to 100 (for a chart anyone can read)."""
    positive = [f for f in ranked if f["importance"] > 0][:top]
    biggest = positive[0]["importance"] if positive else 1.0
    return [{"feature": f["feature"], "relative": per_100(f["importance"] / biggest)} for f in positive]


def split_100(counts: dict) -> dict:
    """Counts scaled to whole numbers that add up to exactly 100 (largest remainder)."""
    total = sum(counts.values()) or 1
    exact = {k: 100 * v / total for k, v in counts.items()}
    out = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: out[k] - exact[k])[:100 - sum(out.values())]:
        out[k] += 1
    return out


def _binary(pred: pd.DataFrame, positive: str, classes: list, threshold: float) -> dict:
    y = (pred["y_true"].astype(str) == str(positive)).to_numpy()
    p = pred[f"p_{positive}"].to_numpy()
    flagged = p >= threshold
    c = evaluation.confusion(y, flagged)
    negative = next((str(k) for k in classes if str(k) != str(positive)), f"not {positive}")
    recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
    share = float(y.mean())
    prior = np.full(len(y), share)
    return {
        "positive_label": str(positive), "negative_label": negative,
        "positive_per_100": per_100(share), "threshold_per_100": per_100(threshold),
        "flagged_per_100": per_100(flagged.mean()),
        "accuracy_per_100": per_100(np.mean(flagged == y)),
        "baseline_accuracy_per_100": per_100(max(share, 1 - share)),
        "majority_label": str(positive) if share >= 0.5 else negative,
        "balanced_accuracy_per_100": per_100(metrics.balanced_accuracy_score(y, flagged)),
        "recall_per_100": per_100(recall), "missed_per_100": 100 - per_100(recall),
        "precision_per_100": per_100(c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0),
        "false_alarm_per_100": per_100(c["fp"] / (c["fp"] + c["tn"]) if c["fp"] + c["tn"] else 0.0),
        "f1_per_100": per_100(metrics.f1_score(y, flagged, zero_division=0)),
        "auc_per_100": per_100(metrics.roc_auc_score(y, p)) if 0 < share < 1 else 50,
        "average_precision_per_100": per_100(metrics.average_precision_score(y, p)),
        "mcc_per_100": per_100(metrics.matthews_corrcoef(y, flagged)),
        "log_loss": float(metrics.log_loss(y, p, labels=[False, True])),
        "baseline_log_loss": float(metrics.log_loss(y, prior, labels=[False, True])),
        "accuracy": float(np.mean(flagged == y)),  # unrounded, for the margin of error
        "outcomes_per_100": split_100(c),
    }


def _multiclass(pred: pd.DataFrame) -> dict:
    y, yhat = pred["y_true"].astype(str), pred["y_pred"].astype(str)
    classes = [c[2:] for c in pred.columns if c.startswith("p_")]
    proba = pred[[f"p_{c}" for c in classes]].to_numpy()
    shares = y.value_counts(normalize=True)
    present = [c for c in classes if c in shares.index]
    recalls = {c: float(np.mean(yhat[y == c] == c)) for c in present}
    best, worst = max(recalls, key=recalls.get), min(recalls, key=recalls.get)
    # One-vs-rest AUC, averaged over the outcomes present in the holdout (sklearn's "ovr", macro).
    aucs = [metrics.roc_auc_score(y == c, pred[f"p_{c}"]) for c in present if 0 < shares[c] < 1]
    prior = np.tile([shares.get(c, 0.0) for c in classes], (len(y), 1))
    return {
        "class_count": len(classes),
        "accuracy_per_100": per_100(metrics.accuracy_score(y, yhat)),
        "baseline_accuracy_per_100": per_100(shares.iloc[0]), "majority_label": str(shares.index[0]),
        "majority_per_100": per_100(shares.iloc[0]), "smallest_per_100": per_100(shares.iloc[-1]),
        "rarest_label": str(shares.index[-1]),
        "balanced_accuracy_per_100": per_100(metrics.balanced_accuracy_score(y, yhat)),
        "f1_macro_per_100": per_100(metrics.f1_score(y, yhat, average="macro", zero_division=0)),
        "f1_micro_per_100": per_100(metrics.f1_score(y, yhat, average="micro", zero_division=0)),
        "f1_weighted_per_100": per_100(metrics.f1_score(y, yhat, average="weighted", zero_division=0)),
        "best_class": best, "best_class_recall_per_100": per_100(recalls[best]),
        "worst_class": worst, "worst_class_recall_per_100": per_100(recalls[worst]),
        "auc_per_100": per_100(np.mean(aucs)) if aucs else 50,
        "mcc_per_100": per_100(metrics.matthews_corrcoef(y, yhat)),
        "log_loss": float(metrics.log_loss(y, proba, labels=classes)),
        "baseline_log_loss": float(metrics.log_loss(y, np.clip(prior, 1e-15, 1), labels=classes)),
        "accuracy": float(metrics.accuracy_score(y, yhat)),
        "class_recall_per_100": {c: per_100(r) for c, r in recalls.items()},
    }


def _regression(pred: pd.DataFrame) -> dict:
    y, yhat = pred["y_true"].astype(float).to_numpy(), pred["y_pred"].astype(float).to_numpy()
    error = np.abs(y - yhat)
    mean = np.full_like(y, y.mean())  # the naive baseline, as on the results page
    nonzero = y != 0
    return {
        "mae": float(error.mean()), "baseline_mae": float(metrics.mean_absolute_error(y, mean)),
        "rmse": float(metrics.root_mean_squared_error(y, yhat)),
        "baseline_rmse": float(metrics.root_mean_squared_error(y, mean)),
        "mse": float(metrics.mean_squared_error(y, yhat)), "median_error": float(np.median(error)),
        "mape_per_100": per_100(np.mean(error[nonzero] / np.abs(y[nonzero]))) if nonzero.any() else 0,
        "r2_per_100": per_100(metrics.r2_score(y, yhat)),
        "correlation_per_100": per_100(np.corrcoef(y, yhat)[0, 1]) if y.std() and yhat.std() else 0,
        "typical_value": float(np.median(y)),
        "mae_margin": float(1.96 * error.std(ddof=1) / np.sqrt(len(y))) if len(y) > 1 else 0.0,
    }
