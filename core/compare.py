"""Compare runs on the same data set and target, on holdout rows none of them trained on."""

import json
from pathlib import Path

import pandas as pd

from core import choice, runs
from core.errors import InvalidInput

SPEC_KEYS_IGNORED = {"parent_run_id"}


def compare(run_ids: list[str]) -> dict:
    """Each run's chosen model scored on the shared holdout rows, with what differs in their specs."""
    if len(run_ids) < 2:
        raise InvalidInput("Pick at least two runs to compare.")
    shown = [runs.show(r) for r in run_ids]
    first = shown[0]
    for run in shown[1:]:
        if (run["dataset_id"], run["target"]) != (first["dataset_id"], first["target"]):
            raise InvalidInput(f"Runs can only be compared on the same data set and target: {run['run_id']} "
                               f"predicts '{run['target']}' on '{run['dataset_name']}', {first['run_id']} "
                               f"predicts '{first['target']}' on '{first['dataset_name']}'.")
        if not run["models"]:
            raise InvalidInput(f"Run {run['run_id']} has no trained model ({run['status']}).")
    if not first["models"]:
        raise InvalidInput(f"Run {first['run_id']} has no trained model ({first['status']}).")
    shared = None
    for run in shown:
        rows = set(pd.read_parquet(Path(run["run_dir"]) / "holdout_rows.parquet")["row"])
        shared = rows if shared is None else shared & rows
    if not shared:
        raise InvalidInput("These runs share no holdout rows (they used different splits), so no row is unseen "
                           "by all of them. Compare runs with the same seed and holdout share.")
    rows = sorted(shared)
    scores = [_score(run, rows) for run in shown]
    return {"run_ids": run_ids, "shared_holdout_rows": len(rows), "metric": first["eval_metric"],
            "runs": scores, "spec_differences": spec_differences(shown)}


def _score(run: dict, rows: list[int]) -> dict:
    from autogluon.core.metrics import get_metric

    from core.progress import natural
    from core.scoring import load_predictor

    data = pd.read_parquet(Path(run["run_dir"]) / "data.parquet")
    data = data[data[run["target"]].notna()].reset_index(drop=True).loc[rows]
    features = run["details"].get("features_used") or run["features"]
    predictor = load_predictor(run)
    model = choice.predicting_model(run, run["chosen_model"])
    metrics = predictor.evaluate(data[features + [run["target"]]], model=model, silent=True)
    natural_metrics = {}
    for name, value in metrics.items():
        scorer = get_metric(name, run["problem_type"])
        natural_metrics[name] = natural(value, bool(getattr(scorer, "greater_is_better_internal", True)))
    return {"run_id": run["run_id"], "model": run["chosen_model"], "quality": run["quality"],
            "time_limit": run["time_limit"], "metrics": natural_metrics}


def spec_differences(shown: list[dict]) -> list[dict]:
    """Settings whose values differ between the runs, one row per setting."""
    specs = [run["spec"] for run in shown]
    keys = sorted(set().union(*specs) - SPEC_KEYS_IGNORED)
    out = []
    for key in keys:
        values = [json.dumps(s.get(key), sort_keys=True, default=str) for s in specs]
        if len(set(values)) > 1:
            out.append({"setting": key, **{run["run_id"]: s.get(key) for run, s in zip(shown, specs)}})
    return out
