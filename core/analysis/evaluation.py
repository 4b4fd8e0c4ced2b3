"""Honest holdout evaluation of a run's chosen model, always beside a naive baseline.

Predictions on the holdout rows are computed once per model and cached in the run folder;
every number, curve and threshold suggestion here is derived from them.
"""

import json

import numpy as np
import pandas as pd
from sklearn import calibration, metrics

from core.analysis.artifacts import holdout_frame, load_predictor
from core.foundation.errors import InvalidInput
from core.training.views import RunRecord

THRESHOLDS = np.round(np.arange(0.01, 1.0, 0.01), 2)


def require_model(run: RunRecord, doing: str) -> None:
    if not run.models:
        raise InvalidInput(f"Run {run.run_id} has no trained model to {doing} ({run.status}: {run.status_sentence}).",
                           code="no_model", value=run.run_id)


def predictions(run: RunRecord, model: str | None = None) -> pd.DataFrame:
    """y_true plus the model's holdout predictions (and class probabilities), cached per model."""
    require_model(run, "evaluate")
    target_model = run.predicting_model(model)
    cache = run.folder / f"holdout_predictions_{target_model}.parquet"
    if cache.exists():
        return pd.read_parquet(cache)
    X, y = holdout_frame(run)
    predictor = load_predictor(run)
    out = pd.DataFrame({"y_true": y.to_numpy()})
    if run.problem_type == "regression":
        out["y_pred"] = predictor.predict(X, model=target_model).to_numpy()
    else:
        proba = predictor.predict_proba(X, model=target_model)
        out["y_pred"] = proba.idxmax(axis=1).to_numpy()
        for cls in proba.columns:
            out[f"p_{cls}"] = proba[cls].to_numpy()
    out.to_parquet(cache)
    return out


def binary_report(run: RunRecord, *, threshold: float | None = None, value_tp: float = 1.0,
                  cost_fp: float = 1.0, cost_fn: float = 1.0, value_tn: float = 0.0) -> dict:
    """Confusion matrix at a threshold, curves, baseline, and the threshold that earns the most."""
    if run.problem_type != "binary":
        raise InvalidInput(f"Run {run.run_id} predicts {run.problem_type}; thresholds apply to yes/no predictions.",
                           code="threshold_not_binary", value=run.problem_type)
    threshold = run.threshold if threshold is None else threshold
    pred = predictions(run)
    positive = run.details.get("positive_class")
    pcol = f"p_{positive}" if f"p_{positive}" in pred else pred.columns[-1]
    y = (pred["y_true"].astype(str) == str(positive)).to_numpy()
    p = pred[pcol].to_numpy()
    table = threshold_table(y, p, value_tp=value_tp, cost_fp=cost_fp, cost_fn=cost_fn, value_tn=value_tn)
    best = table.loc[table["value_per_1000"].idxmax()]
    fpr, tpr, _ = metrics.roc_curve(y, p)
    precision, recall, _ = metrics.precision_recall_curve(y, p)
    frac_pos, mean_pred = calibration.calibration_curve(y, p, n_bins=10, strategy="quantile")
    majority = max(y.mean(), 1 - y.mean())
    return {
        "run_id": run.run_id, "model": run.chosen_model, "positive_class": positive, "rows": len(y),
        "threshold": threshold,
        "confusion": (at := confusion(y, p >= threshold)),
        "value_per_1000": 1000 * (at["tp"] * value_tp - at["fp"] * cost_fp - at["fn"] * cost_fn
                                  + at["tn"] * value_tn) / len(y),
        "accuracy": float(np.mean((p >= threshold) == y)),
        "roc_auc": float(metrics.roc_auc_score(y, p)),
        "baseline": {"accuracy": float(majority), "roc_auc": 0.5,
                     "rule": "always predict the most common outcome"},
        "roc_curve": {"fpr": fpr.tolist(), "tpr": tpr.tolist()},
        "pr_curve": {"precision": precision.tolist(), "recall": recall.tolist()},
        "calibration": {"mean_predicted": mean_pred.tolist(), "observed": frac_pos.tolist()},
        "scores": {"positive": p[y].tolist(), "negative": p[~y].tolist()},
        "threshold_table": table.to_dict("records"),
        "best_threshold": float(best["threshold"]), "best_value_per_1000": float(best["value_per_1000"]),
    }


def confusion(y: np.ndarray, predicted: np.ndarray) -> dict:
    tp = int(np.sum(predicted & y))
    fp = int(np.sum(predicted & ~y))
    fn = int(np.sum(~predicted & y))
    tn = int(np.sum(~predicted & ~y))
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn}


def threshold_table(y: np.ndarray, p: np.ndarray, *, value_tp=1.0, cost_fp=1.0, cost_fn=1.0,
                    value_tn=0.0) -> pd.DataFrame:
    """For each threshold: the confusion counts and the expected value per 1,000 cases."""
    rows = []
    n = len(y)
    for t in THRESHOLDS:
        c = confusion(y, p >= t)
        value = c["tp"] * value_tp - c["fp"] * cost_fp - c["fn"] * cost_fn + c["tn"] * value_tn
        rows.append({"threshold": float(t), **c, "value_per_1000": 1000 * value / n,
                     "precision": c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else None,
                     "recall": c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else None})
    return pd.DataFrame(rows)


def multiclass_report(run: RunRecord) -> dict:
    pred = predictions(run)
    y, yhat = pred["y_true"].astype(str), pred["y_pred"].astype(str)
    labels = sorted(set(y) | set(yhat))
    per_class = metrics.precision_recall_fscore_support(y, yhat, labels=labels, zero_division=0)
    majority = y.value_counts(normalize=True).iloc[0]
    return {
        "run_id": run.run_id, "model": run.chosen_model, "rows": len(y), "labels": labels,
        "accuracy": float(metrics.accuracy_score(y, yhat)),
        "baseline": {"accuracy": float(majority), "rule": "always predict the most common class"},
        "confusion_matrix": metrics.confusion_matrix(y, yhat, labels=labels).tolist(),
        "per_class": [{"class": c, "precision": float(pr), "recall": float(rc), "support": int(s)}
                      for c, pr, rc, s in zip(labels, per_class[0], per_class[1], per_class[3])],
    }


def regression_report(run: RunRecord) -> dict:
    pred = predictions(run)
    y, yhat = pred["y_true"].astype(float).to_numpy(), pred["y_pred"].astype(float).to_numpy()
    mean = np.full_like(y, y.mean())  # the naive baseline: always predict the average
    residual = y - yhat
    deciles = pd.qcut(pd.Series(y), 10, labels=False, duplicates="drop")
    by_decile = pd.DataFrame({"decile": deciles, "abs_error": np.abs(residual)}).groupby("decile")["abs_error"].mean()
    return {
        "run_id": run.run_id, "model": run.chosen_model, "rows": len(y),
        "mean_absolute_error": float(metrics.mean_absolute_error(y, yhat)),
        "root_mean_squared_error": float(metrics.root_mean_squared_error(y, yhat)),
        "r2": float(metrics.r2_score(y, yhat)),
        "baseline": {"mean_absolute_error": float(metrics.mean_absolute_error(y, mean)),
                     "root_mean_squared_error": float(metrics.root_mean_squared_error(y, mean)),
                     "r2": 0.0, "rule": "always predict the average"},
        "points": {"actual": y.tolist(), "predicted": yhat.tolist()},
        "error_by_decile": [{"decile": int(d) + 1, "mean_absolute_error": float(v)} for d, v in by_decile.items()],
    }


def report(run: RunRecord, **kwargs) -> dict:
    """The holdout report for the run's kind of problem (threshold arguments apply to binary runs)."""
    if run.problem_type == "binary":
        return binary_report(run, **kwargs)
    return multiclass_report(run) if run.problem_type == "multiclass" else regression_report(run)


def feature_importance(run: RunRecord, *, time_limit: float = 30, confidence: float = 0.95) -> dict:
    """Permutation importance of the chosen model on the holdout, with a confidence interval.

    How much the holdout score drops when one column's values are shuffled; cached per model.
    """
    require_model(run, "explain")
    model = run.predicting_model()
    cache = run.folder / f"feature_importance_{model}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    X, y = holdout_frame(run)
    predictor = load_predictor(run)
    data = X.assign(**{run.target: y.to_numpy()})
    table = predictor.feature_importance(data, model=model, time_limit=time_limit, confidence_level=confidence,
                                         silent=True)
    level = int(round(confidence * 100))
    rows = [{"feature": str(name), "importance": float(r["importance"]), "stddev": _num(r.get("stddev")),
             "low": _num(r.get(f"p{level}_low")), "high": _num(r.get(f"p{level}_high")),
             "shuffles": int(r["n"]) if r.get("n") == r.get("n") else None}
            for name, r in table.iterrows()]
    result = {"run_id": run.run_id, "model": run.chosen_model, "metric": run.eval_metric,
              "confidence": confidence, "features": rows}
    cache.write_text(json.dumps(result))
    return result


def _num(value):
    return None if value is None or value != value else float(value)
