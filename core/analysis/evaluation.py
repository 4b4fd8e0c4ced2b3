"""Honest holdout evaluation of a run's chosen model, always beside a naive baseline.

Predictions on the holdout rows are computed once per model and process and kept in memory
(reads never write: a page or a GET leaves the run folder as the worker left it); every number,
curve and threshold suggestion here is derived from them.
"""

import collections
import json
import threading

import numpy as np
import pandas as pd
from sklearn import calibration, metrics

from core.analysis.artifacts import holdout_frame, load_predictor, positive_class, training_labels
from core.foundation.errors import InvalidInput
from core.training.views import RunRecord

THRESHOLDS = np.round(np.arange(0.01, 1.0, 0.01), 2)


def require_model(run: RunRecord, doing: str) -> None:
    if not run.models:
        raise InvalidInput(code="no_model", value=run.run_id, msg="no_model_3", run_id=run.run_id, doing=doing,
                           status=run.status, status_sentence=run.status_sentence)


def predictions(run: RunRecord, model: str | None = None) -> pd.DataFrame:
    """y_true plus the model's holdout predictions (and class probabilities), once per model."""
    require_model(run, "evaluate")
    target_model = run.predicting_model(model)
    return _kept(("holdout", str(run.folder), target_model), lambda: _predict_holdout(run, target_model)).copy()


def _predict_holdout(run: RunRecord, target_model: str) -> pd.DataFrame:
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
    return out


_KEPT: collections.OrderedDict = collections.OrderedDict()
_KEPT_LOCK = threading.Lock()
KEPT_MAX = 32


def _kept(key: tuple, compute):
    """What `compute` returns, kept in this process under `key` (a run folder and a model: a
    finished run's models and holdout never change, so it cannot go stale), the oldest dropped first."""
    with _KEPT_LOCK:
        if key in _KEPT:
            _KEPT.move_to_end(key)
            return _KEPT[key]
    value = compute()
    with _KEPT_LOCK:
        _KEPT[key] = value
        while len(_KEPT) > KEPT_MAX:
            _KEPT.popitem(last=False)
    return value


def baseline_error(kind: str, y_train: pd.Series, y_holdout: pd.Series) -> float:
    """The naive baseline, fitted on the training rows, scored on the holdout: the error rate of
    always predicting the most common training outcome, or the mean absolute error of always
    predicting the training average."""
    if kind == "regression":
        return float(np.mean(np.abs(y_holdout.astype(float) - y_train.astype(float).mean())))
    return float(np.mean(y_holdout.astype(str) != str(majority(y_train))))


def majority(y: pd.Series):
    """The most common value (ties: the first in sorted order, so it is stable)."""
    counts = y.astype(str).value_counts()
    return sorted(counts[counts == counts.max()].index)[0]


def baseline(run: RunRecord) -> dict:
    """What the naive baseline predicts, learned from the training rows only."""
    y = training_labels(run)
    if run.problem_type == "regression":
        return {"rule": "always predict the training average", "value": float(y.astype(float).mean())}
    shares = y.astype(str).value_counts(normalize=True)
    return {"rule": "always predict the most common training outcome", "label": majority(y),
            "shares": {str(k): float(v) for k, v in shares.items()}}


def validation_predictions(run: RunRecord, model: str | None = None) -> pd.DataFrame:
    """y_true and class probabilities on data the model did not train on and the holdout is not
    part of: AutoGluon's validation rows, or its out-of-fold predictions for bagged models.
    Anything tuned (the decision threshold) is tuned here, never on the holdout."""
    require_model(run, "tune")
    name = model or run.chosen_model
    return _kept(("validation", str(run.folder), name), lambda: _predict_validation(run, name)).copy()


def _predict_validation(run: RunRecord, name: str) -> pd.DataFrame:
    predictor = load_predictor(run)
    X, y = predictor.load_data_internal(data="val")
    if X is not None:
        proba = predictor.predict_proba(X, model=name, transform_features=False)
        source = "validation"
    else:
        proba = predictor.predict_proba_oof(model=name)
        y = predictor.load_data_internal(data="train", return_X=False)[1]
        source = "out_of_fold"
    original = {internal: label for label, internal in predictor.class_labels_internal_map.items()}
    out = pd.DataFrame({"y_true": [original[v] for v in np.asarray(y)], "source": source})
    for cls in proba.columns:
        out[f"p_{cls}"] = proba[cls].to_numpy()
    return out


def binary_report(run: RunRecord, *, threshold: float | None = None, value_tp: float = 1.0,
                  cost_fp: float = 1.0, cost_fn: float = 1.0, value_tn: float = 0.0) -> dict:
    """Confusion matrix at a threshold, curves, baseline, and the threshold that earns the most."""
    if run.problem_type != "binary":
        raise InvalidInput(code="threshold_not_binary", value=run.problem_type, msg="threshold_not_binary_2",
                           run_id=run.run_id, problem_type=run.problem_type)
    threshold = run.threshold if threshold is None else threshold
    pred = predictions(run)
    positive = positive_class(run)
    pcol = f"p_{positive}"
    y = (pred["y_true"].astype(str) == positive).to_numpy()
    p = pred[pcol].to_numpy()
    costs = {"value_tp": value_tp, "cost_fp": cost_fp, "cost_fn": cost_fn, "value_tn": value_tn}
    table = threshold_table(y, p, **costs)
    # The suggestion is tuned on validation (or out-of-fold) predictions, then reported on the holdout.
    val = validation_predictions(run)
    val_table = threshold_table((val["y_true"].astype(str) == str(positive)).to_numpy(), val[pcol].to_numpy(),
                                **costs)
    best_threshold = float(val_table.loc[val_table["value_per_1000"].idxmax(), "threshold"])
    best = table.loc[(table["threshold"] - best_threshold).abs().idxmin()]
    fpr, tpr, _ = metrics.roc_curve(y, p)
    precision, recall, _ = metrics.precision_recall_curve(y, p)
    frac_pos, mean_pred = calibration.calibration_curve(y, p, n_bins=10, strategy="quantile")
    base = baseline(run)
    return {
        "run_id": run.run_id, "model": run.chosen_model, "positive_class": positive, "rows": len(y),
        "threshold": threshold,
        "confusion": (at := confusion(y, p >= threshold)),
        "value_per_1000": 1000 * (at["tp"] * value_tp - at["fp"] * cost_fp - at["fn"] * cost_fn
                                  + at["tn"] * value_tn) / len(y),
        "accuracy": float(np.mean((p >= threshold) == y)),
        "roc_auc": float(metrics.roc_auc_score(y, p)),
        "baseline": {"accuracy": float(np.mean(pred["y_true"].astype(str) == str(base["label"]))), "roc_auc": 0.5,
                     **base},
        "roc_curve": {"fpr": fpr.tolist(), "tpr": tpr.tolist()},
        "pr_curve": {"precision": precision.tolist(), "recall": recall.tolist()},
        "calibration": {"mean_predicted": mean_pred.tolist(), "observed": frac_pos.tolist()},
        "scores": {"positive": p[y].tolist(), "negative": p[~y].tolist()},
        "threshold_table": table.to_dict("records"),
        "best_threshold": best_threshold, "best_value_per_1000": float(best["value_per_1000"]),
        # What the values give without a model, to read the model's figure against (it may be negative).
        "everyone_value_per_1000": 1000 * (y.sum() * value_tp - (~y).sum() * cost_fp) / len(y),
        "nobody_value_per_1000": 1000 * ((~y).sum() * value_tn - y.sum() * cost_fn) / len(y),
        "tuned_on": val["source"].iloc[0], "tuned_rows": len(val),
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
    base = baseline(run)
    return {
        "run_id": run.run_id, "model": run.chosen_model, "rows": len(y), "labels": labels,
        "accuracy": float(metrics.accuracy_score(y, yhat)),
        "baseline": {"accuracy": float(np.mean(y == str(base["label"]))), **base},
        "confusion_matrix": metrics.confusion_matrix(y, yhat, labels=labels).tolist(),
        "per_class": [{"class": c, "precision": float(pr), "recall": float(rc), "support": int(s)}
                      for c, pr, rc, s in zip(labels, per_class[0], per_class[1], per_class[3])],
    }


def regression_report(run: RunRecord) -> dict:
    pred = predictions(run)
    y, yhat = pred["y_true"].astype(float).to_numpy(), pred["y_pred"].astype(float).to_numpy()
    base = baseline(run)
    mean = np.full_like(y, base["value"])  # the naive baseline: the training rows' average
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
                     "r2": float(metrics.r2_score(y, mean)), **base},
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

    How much the holdout score drops when one column's values are shuffled; kept per model
    (the worker computes it for AutoGluon's best model right after training)."""
    require_model(run, "explain")
    model = run.predicting_model()
    written = run.folder / f"feature_importance_{model}.json"  # by the worker, for AutoGluon's best model
    if written.exists():
        return json.loads(written.read_text())
    return _kept(("importance", str(run.folder), model, confidence),
                 lambda: _importance(run, model, time_limit, confidence))


def _importance(run: RunRecord, model: str, time_limit: float, confidence: float) -> dict:
    X, y = holdout_frame(run)
    predictor = load_predictor(run)
    data = X.assign(**{run.target: y.to_numpy()})
    table = predictor.feature_importance(data, model=model, time_limit=time_limit, confidence_level=confidence,
                                         silent=True)
    result = {"run_id": run.run_id, "model": run.chosen_model, "metric": run.eval_metric,
              "confidence": confidence, "features": importance_rows(table, confidence)}
    return result


def importance_rows(table: pd.DataFrame, confidence: float) -> list[dict]:
    """AutoGluon's feature_importance table as rows with their interval."""
    level = int(round(confidence * 100))
    return [{"feature": str(name), "importance": float(r["importance"]), "stddev": _num(r.get("stddev")),
             "low": _num(r.get(f"p{level}_low")), "high": _num(r.get(f"p{level}_high")),
             "shuffles": int(r["n"]) if r.get("n") == r.get("n") else None}
            for name, r in table.iterrows()]


def _num(value):
    return None if value is None or value != value else float(value)
