"""Benchmark training runs: app overhead against plain AutoGluon, and what the quality levels earn.

Part A (a 32,000-row Adult-like table, quality 'fast' = AutoGluon medium_quality, 60 s):
  launch -> first model recorded and seen, total wall time against the limit, overhead ratio
  (app wall time / plain AutoGluon wall time, both from process start to holdout score), and
  holdout score against plain AutoGluon on the same split.
Part B (every shipped data set, 60 s): 'balanced' against plain AutoGluon medium_quality and
  FLAML, scored on the same holdout rows, with prediction time per 1,000 rows.

Run: make bench-runs   (installs bench/requirements.txt; takes about 20 minutes)
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
BUDGET = float(os.environ.get("BENCH_TIME_LIMIT", 60))


def adult_like(n=32_000, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "age": rng.integers(17, 90, n),
        "workclass": rng.choice(["private", "self-emp", "gov-local", "gov-state", "federal", "unpaid", "never"], n,
                                p=[0.7, 0.1, 0.06, 0.05, 0.05, 0.02, 0.02]),
        "education_num": rng.integers(1, 17, n),
        "marital_status": rng.choice(["married", "never", "divorced", "separated", "widowed"], n),
        "occupation": rng.choice([f"occ_{i}" for i in range(12)], n),
        "hours_per_week": rng.normal(40, 12, n).clip(1, 99).round(),
        "capital_gain": np.where(rng.random(n) < 0.08, rng.exponential(8000, n), 0).round(),
        "capital_loss": np.where(rng.random(n) < 0.05, rng.exponential(1500, n), 0).round(),
        "native_country": rng.choice([f"country_{i}" for i in range(20)], n, p=[0.8] + [0.2 / 19] * 19),
        "sex": rng.choice(["male", "female"], n, p=[0.67, 0.33]),
    })
    occ = df["occupation"].str[4:].astype(int)
    logit = (0.04 * (df["age"] - 40) - 0.0006 * (df["age"] - 45) ** 2 + 0.35 * (df["education_num"] - 10)
             + 1.2 * (df["marital_status"] == "married") + 0.03 * (df["hours_per_week"] - 40)
             + 0.0002 * df["capital_gain"] + 0.25 * (occ % 4 == 0) - 1.3)
    df["income_over_50k"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return df


def ours(dataset_id, target, quality, exclude=()):
    from core.training import lifecycle, sync, views
    from core.training.spec import RunSpec

    t0 = time.time()
    run_id = lifecycle.start(RunSpec(dataset_id, target, quality=quality, time_limit=BUDGET,
                                     exclude=list(exclude))).run_id
    seen = None
    while True:
        sync.sync()  # as the app's scheduler loop does
        info = views.load(run_id)
        if seen is None and info.models:
            seen = time.time() - t0
        if info.ended:
            break
        time.sleep(1.0)  # as often as the Runs page polls
    wall = time.time() - t0
    info = lifecycle.wait(run_id).to_json()
    score = info["holdout_metrics"].get(info["eval_metric"])
    return info, {"first_model_recorded": info["first_model_seconds"], "first_model_seen": seen,
                  "total_seconds": wall, "score": score,
                  "predict_ms_per_1000": _predict_speed(Path(info["run_dir"]), info)}


def _predict_speed(run_dir, info):
    from autogluon.tabular import TabularPredictor

    predictor = TabularPredictor.load(str(run_dir / "model"), check_packages=False)
    data = pd.read_parquet(run_dir / "data.parquet")
    rows = pd.read_parquet(run_dir / "holdout_rows.parquet")["row"]
    holdout = data[data[info["target"]].notna()].reset_index(drop=True).loc[rows, info["features"]]
    started = time.perf_counter()
    predictor.predict(holdout)
    return (time.perf_counter() - started) * 1e6 / len(holdout)


def plain(run_dir, preset, engine="autogluon"):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([sys.executable, str(REPO / "bench" / "plain_autogluon.py"), str(run_dir), preset,
                        str(BUDGET), out.name, engine], check=True, cwd=REPO,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return json.load(open(out.name))


def main():
    home = tempfile.mkdtemp()
    os.environ["COMMONGROUND_HOME"] = home
    from core.data import datasets

    print(f"# bench/runs.py (time limit {BUDGET:g} s, {os.cpu_count()} cores)\n")
    csv = Path(home) / "adult_like.csv"
    adult_like().to_csv(csv, index=False)
    adult = datasets.add(csv)["dataset_id"]
    info, app = ours(adult, "income_over_50k", "fast")
    ref = plain(Path(info["run_dir"]), "medium_quality")
    print("## Part A: 32,000-row table, 'fast' vs plain AutoGluon medium_quality, same split\n")
    print("| measure | Common Ground | plain AutoGluon |\n|---|---|---|")
    print(f"| first model recorded (s after launch / process start) | {app['first_model_recorded']:.2f} | "
          f"{ref['first_model_seconds']:.2f} |")
    print(f"| first model seen by a poller (s after launch) | {app['first_model_seen']:.2f} | |")
    print(f"| total wall time (s, limit {BUDGET:g}) | {app['total_seconds']:.1f} | {ref['total_seconds']:.1f} |")
    print(f"| overhead ratio | {app['total_seconds'] / ref['total_seconds']:.3f} | 1 |")
    print(f"| holdout {info['eval_metric']} | {app['score']:.4f} | {ref['score']:.4f} |\n")

    print("## Part B: 'balanced' vs plain AutoGluon medium_quality vs FLAML, same holdout rows\n")
    print("| data set | metric | balanced | medium_quality | FLAML | balanced ms/1k rows | "
          "medium ms/1k | FLAML ms/1k |\n|---|---|---|---|---|---|---|---|")
    cases = [("german_credit.csv", "risk", ()), ("titanic.csv", "survived", ()),
             ("penguins.csv", "species", ()), ("bikeshare.csv", "bikers", ("casual", "registered"))]
    for name, target, exclude in cases:
        dataset = datasets.add(REPO / "data" / name)["dataset_id"]
        info, app = ours(dataset, target, "balanced", exclude)
        med = plain(Path(info["run_dir"]), "medium_quality")
        fl = plain(Path(info["run_dir"]), "medium_quality", engine="flaml")
        print(f"| {name} | {info['eval_metric']} | {app['score']:.4f} | {med['score']:.4f} | {fl['score']:.4f} | "
              f"{app['predict_ms_per_1000']:.1f} | {med['predict_ms_per_1000']:.1f} | "
              f"{fl['predict_ms_per_1000']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
