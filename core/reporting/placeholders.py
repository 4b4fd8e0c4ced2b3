"""The numbers a run's plain-language summary may use, each computed from the run's stored results.

Names match glossary/placeholders.yaml. Everything comes from the holdout predictions cached in
the run folder (core.evaluation) and the run's permutation importance; nothing is estimated here
that the results pages do not also show.
"""

import math

import numpy as np
import pandas as pd
from sklearn import metrics

from core.analysis import evaluation
from core.data import names
from core.foundation.errors import InvalidInput
from core.training.views import RunRecord

IMPORTANCE_SECONDS = 20  # a bound on the one-off importance computation behind "what drives it"


def per_100(share) -> int | None:
    """A share as a whole number out of 100; None when it is not a number (e.g. R² of one row)."""
    if share is None or not math.isfinite(share := float(share)):
        return None
    return int(round(100 * share))


def finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def compute(run: RunRecord) -> dict:
    """Raw values (numbers, names, lists) for one run; see glossary/placeholders.yaml for meanings."""
    if not run.has_model:
        raise InvalidInput(code="no_model", value=run.run_id, msg="no_model_5", run_id=run.run_id, status=run.status)
    pred = evaluation.predictions(run)
    base = evaluation.baseline(run)  # fitted on the training rows, as on the Results page
    importance = evaluation.feature_importance(run, time_limit=IMPORTANCE_SECONDS)
    ranked = sorted(importance["features"], key=lambda f: -f["importance"])
    drivers = [f["feature"] for f in ranked if f["importance"] > 0][:3]
    details, spec = run.details, run.spec
    kept_out = set(run.excluded) | set(details.get("features_dropped") or [])
    if not spec.get("sensitive_as_inputs"):
        kept_out |= set(run.sensitive)
    features = run.features_used
    values = {
        "problem_type": run.problem_type, "target": run.target, "dataset_name": run.dataset_name,
        "train_rows": int(details.get("train_rows") or 0), "holdout_rows": len(pred),
        "holdout_percent": per_100(spec.get("holdout", 0.2)), "feature_count": len(features),
        # Only columns that really move the score; a template that needs one is skipped without it.
        "top_feature": drivers[0] if drivers else None,
        "second_feature": drivers[1] if len(drivers) > 1 else None,
        "excluded_count": len(kept_out), "model_count": len(run.models),
        # Not placeholders: what the narrative's own sentences need.
        "drivers": drivers, "kept_out": sorted(kept_out), "sensitive": list(run.sensitive),
        "sensitive_as_inputs": bool(spec.get("sensitive_as_inputs")), "status": run.status,
        "data_warnings": run.data_warnings,
        "reliance": _reliance(ranked),
    }
    kind = run.problem_type
    if kind == "binary":
        # A run cancelled before AutoGluon finished has no recorded classes: read them off the predictions.
        classes = details.get("classes") or [c[2:] for c in pred.columns if c.startswith("p_")]
        values |= _binary(pred, details.get("positive_class") or classes[-1], classes, run.threshold, base)
    elif kind == "multiclass":
        values |= _multiclass(pred, base)
    else:
        values |= _regression(pred, base)
    return _named(values, names.value_names(run.dataset_id, run.target))


LABEL_KEYS = ("positive_label", "negative_label", "majority_label", "best_class", "worst_class", "rarest_label")


def _named(values: dict, labels: dict[str, str]) -> dict:
    """Outcome values as people call them ("repays the loan" rather than "1"), where names were given."""
    if not labels:
        return values
    for key in LABEL_KEYS:
        if values.get(key) is not None:
            values[key] = names.shown(values[key], labels)
    if "class_recall_per_100" in values:
        values["class_recall_per_100"] = {names.shown(c, labels): r for c, r in values["class_recall_per_100"].items()}
    for spot in values["weak_spots"]:
        for key in ("label", "best_label"):
            if key in spot:
                spot[key] = names.shown(spot[key], labels)
    return values


def _reliance(ranked: list[dict], top: int = 8) -> list[dict]:
    """How much the model leans on each column, the biggest set to 100 (for a chart anyone can read)."""
    positive = [f for f in ranked if f["importance"] > 0][:top]
    biggest = positive[0]["importance"] if positive else 1.0
    return [{"feature": f["feature"], "relative": per_100(f["importance"] / biggest)} for f in positive]


def paired_margin_per_100(model, baseline) -> float:
    """Half the 95% interval of the model's lead over the baseline on the same holdout rows, per
    100: each row's own difference (right or wrong, or its error) is paired, so the noise of
    rows both get right or both get wrong does not count."""
    d = np.asarray(model, float) - np.asarray(baseline, float)
    return 100 * 1.96 * float(d.std(ddof=1)) / np.sqrt(len(d)) if len(d) > 1 else 0.0


def split_100(counts: dict) -> dict:
    """Counts scaled to whole numbers that add up to exactly 100 (largest remainder)."""
    total = sum(counts.values()) or 1
    exact = {k: 100 * v / total for k, v in counts.items()}
    out = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: out[k] - exact[k])[:100 - sum(out.values())]:
        out[k] += 1
    return out


def _binary(pred: pd.DataFrame, positive: str, classes: list, threshold: float, base: dict) -> dict:
    y = (pred["y_true"].astype(str) == str(positive)).to_numpy()
    p = pred[f"p_{positive}"].to_numpy()
    flagged = p >= threshold
    c = evaluation.confusion(y, flagged)
    # Counts per 100 cases that add up to 100, so the text and the 100-squares chart agree.
    o = split_100(c)
    negative = next((str(k) for k in classes if str(k) != str(positive)), f"not {positive}")
    both = 0 < y.mean() < 1
    recall = per_100(c["tp"] / (c["tp"] + c["fn"])) if c["tp"] + c["fn"] else None
    return {
        "positive_label": str(positive), "negative_label": negative,
        "positive_per_100": o["tp"] + o["fn"], "threshold_per_100": per_100(threshold),
        "flagged_per_100": o["tp"] + o["fp"], "accuracy_per_100": o["tp"] + o["tn"],
        "baseline_accuracy_per_100": o["tp"] + o["fn"] if str(base["label"]) == str(positive) else o["fp"] + o["tn"],
        "majority_label": str(base["label"]),
        "balanced_accuracy_per_100": per_100(metrics.balanced_accuracy_score(y, flagged)) if both else None,
        "recall_per_100": recall, "missed_per_100": None if recall is None else 100 - recall,
        # Undefined when the model flags no case: the template is skipped rather than say "0".
        "precision_per_100": per_100(c["tp"] / (c["tp"] + c["fp"])) if c["tp"] + c["fp"] else None,
        "false_alarm_per_100": per_100(c["fp"] / (c["fp"] + c["tn"])) if c["fp"] + c["tn"] else None,
        "f1_per_100": per_100(metrics.f1_score(y, flagged, zero_division=0)) if c["tp"] + c["fp"] else None,
        "auc_per_100": per_100(metrics.roc_auc_score(y, p)) if both else None,
        "average_precision_per_100": per_100(metrics.average_precision_score(y, p)) if both else None,
        "mcc_per_100": per_100(metrics.matthews_corrcoef(y, flagged)),
        "log_loss": finite(metrics.log_loss(y, p, labels=[False, True])),
        "baseline_log_loss": finite(metrics.log_loss(y, np.full(len(y), base["shares"].get(str(positive), 0.5)),
                                                     labels=[False, True])),
        "accuracy": float(np.mean(flagged == y)),  # unrounded, for the margin of error
        "lift_margin_per_100": paired_margin_per_100(flagged == y, y == (str(base["label"]) == str(positive))),
        "outcomes_per_100": o,
        "weak_spots": _weak_classes({str(positive): recall, negative: per_100(c["tn"] / (c["tn"] + c["fp"]))
                                     if c["tn"] + c["fp"] else None}),
    }


def _multiclass(pred: pd.DataFrame, base: dict) -> dict:
    y, yhat = pred["y_true"].astype(str), pred["y_pred"].astype(str)
    # sklearn pairs probability columns with labels in sorted order.
    classes = sorted(c[2:] for c in pred.columns if c.startswith("p_"))
    known = y.isin(classes).to_numpy()  # a class AutoGluon dropped (too rare) has no probability
    proba = pred.loc[known, [f"p_{c}" for c in classes]].to_numpy()
    shares = y.value_counts(normalize=True)
    present = [c for c in classes if c in shares.index]
    recalls = {c: float(np.mean(yhat[y == c] == c)) for c in present}
    best, worst = max(recalls, key=recalls.get), min(recalls, key=recalls.get)
    # One-vs-rest AUC, averaged over the outcomes present in the holdout (sklearn's "ovr", macro).
    aucs = [metrics.roc_auc_score(y == c, pred[f"p_{c}"]) for c in present if 0 < shares[c] < 1]
    prior = np.tile([base["shares"].get(c, 0.0) for c in classes], (int(known.sum()), 1))
    accuracy = float(metrics.accuracy_score(y, yhat))
    return {
        "class_count": len(classes),
        "accuracy_per_100": per_100(accuracy),
        "baseline_accuracy_per_100": per_100(shares.get(str(base["label"]), 0.0)),
        "majority_label": str(base["label"]),
        "majority_per_100": per_100(shares.iloc[0]), "smallest_per_100": per_100(shares.iloc[-1]),
        "rarest_label": str(shares.index[-1]),
        "balanced_accuracy_per_100": per_100(metrics.balanced_accuracy_score(y, yhat)),
        "f1_macro_per_100": per_100(metrics.f1_score(y, yhat, average="macro", zero_division=0)),
        "f1_micro_per_100": per_100(metrics.f1_score(y, yhat, average="micro", zero_division=0)),
        "f1_weighted_per_100": per_100(metrics.f1_score(y, yhat, average="weighted", zero_division=0)),
        "best_class": best, "best_class_recall_per_100": per_100(recalls[best]),
        "worst_class": worst, "worst_class_recall_per_100": per_100(recalls[worst]),
        "auc_per_100": per_100(np.mean(aucs)) if aucs else None,
        "mcc_per_100": per_100(metrics.matthews_corrcoef(y, yhat)),
        "log_loss": finite(metrics.log_loss(y[known], proba, labels=classes)) if known.any() else None,
        "baseline_log_loss": finite(metrics.log_loss(y[known], np.clip(prior, 1e-15, 1), labels=classes))
        if known.any() else None,
        "accuracy": accuracy,
        "lift_margin_per_100": paired_margin_per_100((yhat == y).to_numpy(), (y == str(base["label"])).to_numpy()),
        "class_recall_per_100": {c: per_100(r) for c, r in recalls.items()},
        "weak_spots": _weak_classes({c: per_100(r) for c, r in recalls.items()}),
    }


def _regression(pred: pd.DataFrame, base: dict) -> dict:
    y, yhat = pred["y_true"].astype(float).to_numpy(), pred["y_pred"].astype(float).to_numpy()
    error = np.abs(y - yhat)
    mean = np.full_like(y, base["value"])  # the naive baseline: the training rows' average
    nonzero = y != 0
    return {
        "mae": float(error.mean()), "baseline_mae": float(metrics.mean_absolute_error(y, mean)),
        "rmse": float(metrics.root_mean_squared_error(y, yhat)),
        "baseline_rmse": float(metrics.root_mean_squared_error(y, mean)),
        "mse": float(metrics.mean_squared_error(y, yhat)), "median_error": float(np.median(error)),
        "mape_per_100": per_100(np.mean(error[nonzero] / np.abs(y[nonzero]))) if nonzero.any() else None,
        "r2_per_100": per_100(metrics.r2_score(y, yhat)) if len(y) > 1 and y.std() else None,
        "correlation_per_100": per_100(np.corrcoef(y, yhat)[0, 1]) if y.std() and yhat.std() else None,
        "typical_value": float(np.median(y)),
        "mae_margin": float(1.96 * error.std(ddof=1) / np.sqrt(len(y))) if len(y) > 1 else 0.0,
        # How far the cut in typical error against the baseline could be off, per 100 of the baseline's error.
        "cut_margin_per_100": paired_margin_per_100(np.abs(y - mean), error) / float(np.mean(np.abs(y - mean)))
        if len(y) > 1 and np.any(y != mean) else 0.0,
        "weak_spots": weak_ranges(y, yhat),
    }


WEAK_RATIO = 2.0  # a range whose typical error is at least twice the overall one is a weak spot
WEAK_GAP_PER_100 = 25  # a class found this much less often than the best-found class
MIN_ROWS = 10  # no weak spot is claimed from fewer holdout rows than this


def weak_ranges(y: np.ndarray, yhat: np.ndarray) -> list[dict]:
    """Where a regression is weak: tenths of the target where the typical error is much larger
    than overall, and values it never predicts (above its highest or below its lowest prediction)."""
    out = []
    overall = float(np.mean(np.abs(y - yhat)))
    if len(y) >= 10 * MIN_ROWS and overall > 0:
        tenth = pd.qcut(pd.Series(y), 10, labels=False, duplicates="drop").to_numpy()
        for d in (tenth.max(), tenth.min()):  # the extremes are where models usually fail
            inside = tenth == d
            err = float(np.mean(np.abs(y[inside] - yhat[inside])))
            if inside.sum() >= MIN_ROWS and err >= WEAK_RATIO * overall:
                out.append({"kind": "top_tenth" if d == tenth.max() else "bottom_tenth", "error": err,
                            "overall_error": overall, "low": float(y[inside].min()), "high": float(y[inside].max()),
                            "rows": int(inside.sum())})
    for kind, edge, beyond in (("ceiling", yhat.max(), y > yhat.max()), ("floor", yhat.min(), y < yhat.min())):
        share = float(beyond.mean())
        if beyond.sum() >= MIN_ROWS and share >= 0.05:
            out.append({"kind": kind, "value": float(edge), "beyond_per_100": per_100(share)})
    return out


def _weak_classes(recalls: dict[str, int | None]) -> list[dict]:
    """Outcomes the model finds much less often than the one it finds best."""
    known = {c: r for c, r in recalls.items() if r is not None}
    if len(known) < 2:
        return []
    best = max(known, key=known.get)
    return [{"kind": "class", "label": c, "recall_per_100": r, "best_label": best,
             "best_recall_per_100": known[best]}
            for c, r in sorted(known.items(), key=lambda kv: kv[1]) if known[best] - r >= WEAK_GAP_PER_100]
