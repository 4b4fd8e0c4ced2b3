"""Compare runs on the same data set and target, on holdout rows none of them trained on."""

import json

import numpy as np

from core.analysis import metrics
from core.analysis.artifacts import holdout_frame, holdout_rows, load_predictor
from core.foundation.errors import InvalidInput
from core.training import views
from core.training.views import RunRecord

SPEC_KEYS_IGNORED = {"parent_run_id"}
RESAMPLES = 400  # of the shared rows, for the interval of a difference (about 2 ms each)


def compare(run_ids: list[str]) -> dict:
    """Each run's chosen model scored on the shared holdout rows, the best of them by the runs'
    metric (its direction from AutoGluon's scorer), and what differs in their specs."""
    if len(run_ids) < 2:
        raise InvalidInput(code="too_few_runs", value=run_ids, msg="too_few_runs")
    shown = [views.load(r) for r in run_ids]
    first = shown[0]
    for run in shown:
        if (run.dataset_id, run.target) != (first.dataset_id, first.target):
            raise InvalidInput(code="runs_not_comparable", value=run.run_id, msg="runs_not_comparable",
                               run_id=run.run_id, target=run.target, dataset_name=run.dataset_name,
                               run_id2=first.run_id, target2=first.target, dataset_name2=first.dataset_name)
        if not run.models:
            raise InvalidInput(code="no_model", value=run.run_id, msg="no_model_2", run_id=run.run_id,
                               status=run.status)
    shared = None
    for run in shown:
        rows = set(holdout_rows(run))
        shared = rows if shared is None else shared & rows
    if not shared:
        raise InvalidInput(code="no_shared_holdout", value=run_ids, msg="no_shared_holdout")
    rows = sorted(shared)
    predicted = [predicted_on(run, rows) for run in shown]
    scores = [{**_score(run, *p), "name": label} for run, p, label in zip(shown, predicted, labels(shown))]
    metric = first.eval_metric
    # A run marked suspect is never called best: its score may come from a leak.
    best = metrics.best([r for r in scores if not r["suspect"]], metric=metric, problem_type=first.problem_type,
                        score=lambda r: r["metrics"].get(metric))
    # A run trained for another goal may not report this metric: it gets no margin.
    margins = [] if best is None else [
        {"run_id": score["run_id"], "name": score["name"], **margin(predicted[scores.index(best)], p, metric)}
        for score, p in zip(scores, predicted)
        if score["run_id"] != best["run_id"] and score["metrics"].get(metric) is not None]
    return {"run_ids": run_ids, "shared_holdout_rows": len(rows), "metric": metric,
            "greater_is_better": metrics.greater_is_better(metric, first.problem_type),
            "best_run_id": best["run_id"] if best else None,
            "runs": scores, "margins": margins, "spec_differences": spec_differences(shown)}


def suggested(finished: list[dict]) -> list[str]:
    """The two newest runs of the newest data set and target that has two finished runs."""
    groups: dict[tuple, list[str]] = {}
    for run in finished:  # newest first
        groups.setdefault((run["dataset_id"], run["target"]), []).append(run["run_id"])
    return next((ids[:2] for ids in groups.values() if len(ids) >= 2), [])


def predicted_on(run: RunRecord, rows: list[int]) -> tuple:
    """(predictor, the shared rows' labels, the model's predictions on them: class probabilities,
    or values for regression)."""
    X, y = holdout_frame(run, rows)
    predictor = load_predictor(run)
    model = run.predicting_model()
    predicted = predictor.predict(X, model=model) if run.problem_type == "regression" \
        else predictor.predict_proba(X, model=model)
    return predictor, y, predicted


def margin(a: tuple, b: tuple, metric: str, seed: int = 0) -> dict:
    """How much better `a` scores than `b` (positive: better, in the metric's units) on the same
    rows, with a 95% interval from resampling those rows for both at once (a paired bootstrap):
    'level' when the interval holds 0 (the difference is within the noise of these rows), else
    'ahead' or 'behind' (only a suspect run, never called best, can be ahead of the best)."""
    def score(p, idx=None):  # AutoGluon's score: higher is better for every metric (errors negated)
        predictor, y, predicted = p
        if idx is not None:
            y, predicted = y.iloc[idx], predicted.iloc[idx]
        own = predictor.eval_metric.name == metric  # else it is among the auxiliary metrics
        return float(predictor.evaluate_predictions(y, predicted, silent=True, auxiliary_metrics=not own)[metric])

    n, rng = len(a[1]), np.random.default_rng(seed)
    draws = []
    for _ in range(RESAMPLES):
        idx = rng.integers(0, n, n)
        draws.append(score(a, idx) - score(b, idx))
    low, high = (float(v) for v in np.percentile(draws, [2.5, 97.5]))
    verdict = "ahead" if low > 0 else "behind" if high < 0 else "level"
    return {"margin": score(a) - score(b), "low": low, "high": high, "verdict": verdict, "resamples": RESAMPLES}


def _score(run: RunRecord, predictor, y, predicted) -> dict:
    scored = predictor.evaluate_predictions(y, predicted, silent=True)
    return {"run_id": run.run_id, "name": run.name, "suspect": bool(run.suspect), "model": run.chosen_model,
            "quality": run.quality, "time_limit": run.time_limit,
            "metrics": {name: metrics.natural(value, metrics.greater_is_better(name, run.problem_type))
                        for name, value in scored.items()}}


def spec_differences(shown: list[RunRecord]) -> list[dict]:
    """Settings whose values differ between the runs, one row per setting, with the columns each
    run actually left out or marked sensitive (defaults resolved); runs are named by their names."""
    specs = [{**run.spec, "excluded": run.excluded, "sensitive": run.sensitive} for run in shown]
    keys = sorted(set().union(*specs) - SPEC_KEYS_IGNORED - {"exclude"})
    out = []
    for key in keys:
        values = [json.dumps(s.get(key), sort_keys=True, default=str) for s in specs]
        if len(set(values)) > 1:
            out.append({"setting": key, **{label: s.get(key) for label, s in zip(labels(shown), specs)}})
    return out


def labels(shown: list[RunRecord]) -> list[str]:
    """Each run's name, with its id when another run compared has the same name."""
    names = [run.name for run in shown]
    return [run.name if names.count(run.name) == 1 else f"{run.name} ({run.run_id})" for run in shown]


def rerun_differences(run_id: str) -> dict:
    """How a re-run's results differ from the run it repeats: every holdout metric side by side,
    the model each chose, and anything in the set-up that changed (data, packages, machine)."""
    rerun = views.load(run_id)
    if not rerun.rerun_of:
        raise InvalidInput(code="not_a_rerun", value=run_id, msg="not_a_rerun", run_id=run_id)
    original = views.load(rerun.rerun_of)
    names = sorted(set(original.holdout_metrics) | set(rerun.holdout_metrics))
    rows = []
    for name in names:
        a, b = original.holdout_metrics.get(name), rerun.holdout_metrics.get(name)
        rows.append({"metric": name, "original": a, "rerun": b,
                     "difference": None if a is None or b is None else b - a})
    packages = sorted(set(original.environment.get("packages", {})) | set(rerun.environment.get("packages", {})))
    changed = [{"what": p, "original": original.environment["packages"].get(p),
                "rerun": rerun.environment["packages"].get(p)} for p in packages
               if original.environment.get("packages", {}).get(p) != rerun.environment.get("packages", {}).get(p)]
    for key in ("python", "cores", "memory_total_gb"):
        if original.environment.get(key) != rerun.environment.get(key):
            changed.append({"what": key, "original": original.environment.get(key), "rerun": rerun.environment.get(key)})
    if original.data_source.get("hash") != rerun.data_source.get("hash"):
        changed.append({"what": "data", "original": original.data_source.get("hash"),
                        "rerun": rerun.data_source.get("hash")})
    same = all(r["difference"] is not None and abs(r["difference"]) <= 1e-9 for r in rows) and bool(rows)
    return {"run_id": run_id, "original": original.run_id, "metrics": rows, "identical_metrics": same,
            "models": {"original": original.chosen_model, "rerun": rerun.chosen_model}, "setup_changes": changed,
            "status": {"original": original.status, "rerun": rerun.status}}
