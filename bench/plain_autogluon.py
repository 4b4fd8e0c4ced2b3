"""Plain AutoGluon on a run folder's exact data and split: the reference for bench/runs.py.

Usage: python bench/plain_autogluon.py RUN_DIR PRESET TIME_LIMIT OUT_JSON [flaml]
Prints nothing; writes timings and the holdout score to OUT_JSON.
"""

import json
import sys
import time

T0 = time.time()  # as close to process start as Python allows

from autogluon.core.callbacks import AbstractCallback  # noqa: E402  (after T0: the import is timed)

FIRST = {}


class First(AbstractCallback):
    """Module level, so the trainer can pickle it."""

    def _after_model_fit(self, trainer, model_names, stack_name="core", level=1):
        if model_names and "t" not in FIRST:
            FIRST["t"] = time.time() - T0
        return False


def main(run_dir, preset, time_limit, out, engine="autogluon"):
    import pandas as pd

    plan = json.load(open(f"{run_dir}/plan.json"))
    data = pd.read_parquet(f"{run_dir}/data.parquet")
    label = plan["label"]
    data = data[data[label].notna()].reset_index(drop=True)
    holdout_rows = pd.read_parquet(f"{run_dir}/holdout_rows.parquet")["row"]
    holdout = data.loc[holdout_rows, plan["features"] + [label]]
    train = data.drop(index=holdout_rows)[plan["features"] + [label]]
    result = {"engine": engine, "preset": preset, "time_limit": time_limit}
    if engine == "flaml":
        result.update(_flaml(train, holdout, plan, time_limit))
    else:
        result.update(_autogluon(train, holdout, plan, preset, time_limit))
    result["total_seconds"] = time.time() - T0
    json.dump(result, open(out, "w"))


def _autogluon(train, holdout, plan, preset, time_limit):
    import tempfile

    from autogluon.tabular import TabularPredictor

    kwargs = dict(plan["fit_kwargs"], presets=preset, time_limit=time_limit)
    predictor = TabularPredictor(label=plan["label"], problem_type=plan["problem_type"],
                                 eval_metric=plan["eval_metric"], path=tempfile.mkdtemp(), verbosity=0)
    predictor.fit(train, callbacks=[First()], **kwargs)
    started = time.perf_counter()
    scores = predictor.evaluate(holdout, silent=True)
    predict_s = time.perf_counter() - started
    from autogluon.core.metrics import get_metric

    scorer = get_metric(plan["eval_metric"], plan["problem_type"])
    value = scores[plan["eval_metric"]]
    natural = value if getattr(scorer, "greater_is_better_internal", True) else -value
    return {"first_model_seconds": FIRST.get("t"), "score": float(natural),
            "predict_ms_per_1000": predict_s * 1e6 / len(holdout)}


def _flaml(train, holdout, plan, time_limit):
    from flaml import AutoML
    from sklearn import metrics

    task = "regression" if plan["problem_type"] == "regression" else "classification"
    metric = {"accuracy": "accuracy", "roc_auc": "roc_auc", "mean_absolute_error": "mae",
              "root_mean_squared_error": "rmse", "r2": "r2", "balanced_accuracy": "accuracy",
              "f1": "f1"}.get(plan["eval_metric"], "auto")
    label = plan["label"]
    automl = AutoML()
    automl.fit(train.drop(columns=[label]), train[label], task=task, time_budget=time_limit, metric=metric,
               verbose=0, estimator_list=["lgbm", "xgboost", "rf", "extra_tree", "lrl1"] if task == "classification"
               else ["lgbm", "xgboost", "rf", "extra_tree"])
    started = time.perf_counter()
    pred = automl.predict(holdout.drop(columns=[label]))
    predict_s = time.perf_counter() - started
    y = holdout[label]
    score = {"accuracy": lambda: metrics.accuracy_score(y, pred),
             "mean_absolute_error": lambda: metrics.mean_absolute_error(y, pred),
             "root_mean_squared_error": lambda: metrics.root_mean_squared_error(y, pred),
             "r2": lambda: metrics.r2_score(y, pred)}[plan["eval_metric"]]()
    return {"first_model_seconds": None, "score": float(score),
            "predict_ms_per_1000": predict_s * 1e6 / len(holdout)}


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0], args[1], float(args[2]), args[3], *(args[4:5]))
