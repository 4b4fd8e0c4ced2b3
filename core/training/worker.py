"""One training run, in its own process: `python -m core.worker RUN_DIR`.

It executes the plan the launcher wrote (plan.json) and reports through events.jsonl in
the run folder. It never opens the database: the app's scheduler loop (or the CLI's sync)
ingests the events, so a worker can run on any machine that sees the run folder.
"""

import json
import logging
import os
import sys
import traceback
from importlib import metadata
from pathlib import Path

from core.analysis import metrics
from core.analysis.metrics import greater_is_better, natural
from core.foundation.events import EventLog
from core.training import strategy
from core.training.split import holdout_split



def _folder_mb(path: Path) -> float | None:
    """Size on disk of a model's folder (an ensemble's own folder holds only its weights)."""
    if not path.exists():
        return None
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def _fit_kwargs(plan: dict, fit_seconds: float) -> dict:
    """The plan's fit arguments, as the budget and the core share allow. Families picked by a
    person get the preset's settings for them, or AutoGluon's defaults where the preset has none
    (LR and KNN are in no preset); unless a person wrote the hyperparameters, the quick first
    model goes in front. AutoGluon's own refit after fit is switched off: it runs outside its
    time limit, so the worker does it only when the clock allows (bag folds kept until then)."""
    from autogluon.tabular.configs.hyperparameter_configs import get_hyperparameter_config

    from core.training.spec import PRESET_HYPERPARAMETERS

    kwargs = dict(plan["fit_kwargs"], time_limit=max(fit_seconds, 1.0))
    # The cores the run holds (resources.run_cores: an expert's num_cpus, else the share).
    kwargs["num_cpus"] = int(os.environ.get("COMMONGROUND_CPUS") or kwargs.get("num_cpus") or os.cpu_count() or 1)
    if "hyperparameters" not in kwargs:
        families = plan.get("model_families")
        base = get_hyperparameter_config(PRESET_HYPERPARAMETERS.get(kwargs["presets"], "default"))
        if families:
            base = {family: base.get(family, {}) for family in families}
        kwargs["hyperparameters"] = strategy.with_quick_model(base) if "GBM" in base else base
    kwargs.update(strategy.fold_fitting(kwargs["num_cpus"], kwargs))
    if tabular_refits(kwargs["presets"]):
        kwargs.update(refit_full=False, set_best_to_refit_full=False, save_bag_folds=True)
    return kwargs


def _refit_best(predictor, clock, plan: dict, reserve: float, events) -> bool:
    """What the preset's refit would have done, when it fits in the budget: the best bagged model
    refit once on all training rows, and made the model that predicts."""
    if not tabular_refits(plan["fit_kwargs"]["presets"]):
        return False
    best = predictor.model_best
    if clock.left() - reserve < _refit_cost(predictor, best):
        return False
    events.emit("step", step="refitting")
    predictor.refit_full(model=best, set_best_to_refit_full=True)
    return True


def _refit_for_use(predictor, train, holdout, clock, run_dir: Path, events) -> dict:
    """After the holdout test: a copy of the predictor whose best model is refit on every labelled
    row (training and holdout), in `model_for_use/`, for scoring and serving. The holdout scores
    stay those of the model tested; the copy is only made when the clock says it fits."""
    best = predictor.model_best
    base = best[: -len("_FULL")] if best.endswith("_FULL") else best
    cost = _refit_cost(predictor, base)
    if clock.left() < cost:
        return {"done": False, "reason": "no_time", "seconds_needed": round(cost, 1)}
    events.emit("step", step="refitting_for_use")
    use = predictor.clone(str(run_dir / "model_for_use"), return_clone=True)
    refits = [m for m in use.model_names() if m.endswith("_FULL")]
    if refits:  # a refit on training rows only would be reused as it is
        use.delete_models(models_to_delete=refits, dry_run=False, allow_delete_cascade=True)
    refit = use.refit_full(model=base, train_data_extra=holdout, set_best_to_refit_full=False)
    use.set_model_best(refit[base], save_trainer=True)
    return {"done": True, "model": base, "refit_model": refit[base], "rows": len(train) + len(holdout)}


def _refit_cost(predictor, model: str) -> float:
    """Seconds a refit of `model` (and the models under it) on all rows is expected to take."""
    board = predictor.leaderboard(silent=True).set_index("model")
    # The fit's bag folds. predictor.info() would say it too, but it loads every model: 42 s with
    # 65 bagged models on a 5-minute run (bench part F), after the budget was spent.
    folds = max(int(getattr(predictor._trainer, "k_fold", 0) or 0), 1)
    return strategy.refit_seconds(float(board.loc[model, "fit_time"] or 0), folds)


def tabular_refits(presets: str) -> bool:
    from autogluon.tabular.configs.presets_configs import tabular_presets_dict

    return bool(tabular_presets_dict.get(presets, {}).get("refit_full"))


def _leaderboard_rows(board, greater: bool, holdout_rows: int, models_dir: Path) -> list[dict]:
    """One row per model. A bagged model that was refit on all training data (its '_FULL' twin,
    the one that predicts) shows the twin's holdout score, speed and size on its own row."""
    rows = {r.model: r for r in board.itertuples()}
    out = []
    for name, r in rows.items():
        if name.endswith("_FULL") and name[: -len("_FULL")] in rows:
            continue
        twin = rows.get(name + "_FULL")
        scored = twin if twin is not None else r
        test_time = natural(scored.pred_time_test, True)
        out.append({"model": name, "score_val": natural(r.score_val, greater),
                    "score_test": natural(scored.score_test, greater), "fit_time": r.fit_time,
                    "predict_time": r.pred_time_val, "stack_level": int(r.stack_level),
                    "refit_model": twin.model if twin is not None else None,
                    "predict_ms_per_1000": None if test_time is None else 1e6 * test_time / max(holdout_rows, 1),
                    "disk_mb": _folder_mb(models_dir / scored.model)})
    return out


def _threshold(predictor, model: str, plan: dict) -> float:
    """AutoGluon's decision threshold for one model: calibrated on validation or out-of-fold
    predictions (never the holdout) when AutoGluon calibrates for this metric, else 0.5."""
    calibrated = plan["fit_kwargs"].get("calibrate_decision_threshold") is True or \
        abs(predictor.decision_threshold - 0.5) > 1e-9
    if not calibrated:
        return 0.5
    try:
        return float(predictor.calibrate_decision_threshold(model=model, verbose=False))
    except Exception:  # a model AutoGluon cannot calibrate (no validation data kept for it)
        return float(predictor.decision_threshold)


def _assess(predictor, train, holdout, plan: dict, holdout_metrics: dict, rows: list[dict], run_dir: Path,
            seconds: float) -> dict:
    """Permutation importance of AutoGluon's best model (cached where the analysis pages read it)
    and the too-good-to-be-true check against the naive baseline fitted on the training rows."""
    from core.analysis import evaluation, suspect

    label, kind = plan["label"], plan["problem_type"]
    best = predictor.model_best
    row = next((r for r in rows if best in (r["model"], r.get("refit_model"))), {"model": best})
    sample = strategy.importance_rows(len(holdout), len(plan["features"]), row.get("predict_ms_per_1000"), seconds)
    table = predictor.feature_importance(holdout, model=best, time_limit=seconds, confidence_level=0.95, silent=True,
                                         subsample_size=sample)
    importance = {"run_id": plan["run_id"], "model": row["model"], "metric": plan["eval_metric"], "confidence": 0.95,
                  "rows": min(sample, len(holdout)), "features": evaluation.importance_rows(table, 0.95)}
    (run_dir / f"feature_importance_{best}.json").write_text(json.dumps(importance))
    baseline = evaluation.baseline_error(kind, train[label], holdout[label])
    model_error = holdout_metrics.get("mean_absolute_error") if kind == "regression" else \
        1 - holdout_metrics["accuracy"] if "accuracy" in holdout_metrics else None
    flagged = {w["column"]: w["kind"] for w in plan.get("warnings", []) if w["kind"] in suspect.FLAGGED_KINDS}
    return {"baseline_error": baseline, "model_error": model_error,
            **suspect.assess(features=importance["features"], flagged=flagged, model_error=model_error,
                             baseline_error=baseline)}


def _usage() -> dict:
    """What the run really used: peak memory and CPU time of this process and its helpers."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"peak_memory_gb": round(max(me.ru_maxrss, kids.ru_maxrss) / 1e6, 3),  # ru_maxrss is in KiB
            "cpu_seconds": round(me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime, 1),
            "cores": int(os.environ.get("COMMONGROUND_CPUS") or os.cpu_count() or 1)}


class _DropTorchNoise(logging.Filter):
    def filter(self, record):
        return "import torch" not in record.getMessage()


def run(run_dir: Path) -> None:
    events = EventLog(run_dir / "events.jsonl")
    plan = json.loads((run_dir / "plan.json").read_text())
    events.emit("started", pid=os.getpid())
    for handler in logging.getLogger().handlers + [logging.getLogger("autogluon")]:
        handler.addFilter(_DropTorchNoise())
    try:
        import pandas as pd
        from autogluon.tabular import TabularPredictor

        from core.training.progress import Progress

        label, problem_type = plan["label"], plan["problem_type"]
        data = pd.read_parquet(run_dir / "data.parquet")
        train, holdout = holdout_split(data, label, problem_type, plan["holdout"], plan["seed"])
        pd.DataFrame({"row": holdout.index}).to_parquet(run_dir / "holdout_rows.parquet")
        columns = plan["features"] + [label] + ([plan["sample_weight"]] if plan.get("sample_weight") else [])
        train, holdout = train[columns], holdout[columns]
        greater = greater_is_better(plan["eval_metric"], problem_type)
        events.emit("split", train_rows=len(train), holdout_rows=len(holdout))

        predictor = TabularPredictor(
            label=label, problem_type=problem_type, eval_metric=plan["eval_metric"],
            path=str(run_dir / "model"), sample_weight=plan.get("sample_weight"), verbosity=2,
        )
        # The budget counts from launch; the work after fit is planned inside it.
        limit = float(plan["fit_kwargs"]["time_limit"])
        clock, reserve = strategy.Clock.from_env(limit), strategy.finishing_seconds(limit)
        kwargs = _fit_kwargs(plan, clock.left() - reserve)
        events.emit("budget", launched_at=clock.launched_at, limit=limit, fit_seconds=kwargs["time_limit"],
                    reserve=reserve, num_cpus=kwargs["num_cpus"])
        # What the fit was called with, exactly, and where: the exported script replays it.
        events.emit("reproducibility", fit_kwargs=kwargs, columns=columns)
        predictor.fit(train, callbacks=[Progress(events, greater)], **kwargs)
        refit_best = _refit_best(predictor, clock, plan, reserve, events)

        events.emit("step", step="scoring")
        holdout_metrics = metrics.holdout_metrics(predictor, holdout, problem_type)
        failures = predictor.model_failures(verbose=False)
        failure_rows = [] if failures is None or len(failures) == 0 else [
            {"model": str(r.get("model")), "exc_type": str(r.get("exc_type")),
             "detail": str(r.get("exc_str") or ""), "lost_seconds": r.get("total_time")}
            for r in failures.to_dict("records")
        ]
        binary = problem_type == "binary"
        # Every model on the same holdout rows, for the leaderboard.
        rows = _leaderboard_rows(predictor.leaderboard(holdout, silent=True), greater, len(holdout),
                                 Path(predictor.path) / "models")
        for row in rows:
            row["decision_threshold"] = _threshold(predictor, row["model"], plan) if binary else None
        events.emit("scored", models=rows)
        # What drives the predictions, and whether the score is too good to be true.
        events.emit("step", step="explaining")
        seconds = min(strategy.importance_seconds(limit), max(clock.left() - 1.0, 1.0))
        events.emit("assessed", **_assess(predictor, train, holdout, plan, holdout_metrics, rows, run_dir, seconds))
        model_for_use = _refit_for_use(predictor, train, holdout, clock, run_dir, events) \
            if plan.get("refit_for_use") else {"done": False, "reason": "off"}
        # The run is done here, inside its budget: its chosen model scored on the holdout.
        events.emit(
            "finished",
            chosen_model=predictor.model_best,
            decision_threshold=float(predictor.decision_threshold) if binary else None,
            holdout_metrics=holdout_metrics,
            failures=failure_rows,
            positive_class=str(predictor.positive_class) if problem_type == "binary" else None,
            classes=[str(c) for c in predictor.class_labels] if predictor.class_labels else None,
            features_used=list(predictor.features()),
            features_dropped=sorted(set(plan["features"]) - set(predictor.features())),
            autogluon_version=metadata.version("autogluon.tabular"),
            usage=_usage(),
            model_for_use=model_for_use,
            refit_best=refit_best,
        )
    except Exception as exc:  # reported to the user as one sentence; the trace stays in worker.log
        traceback.print_exc()
        events.emit("failed", error=f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    run(Path(sys.argv[1]))
