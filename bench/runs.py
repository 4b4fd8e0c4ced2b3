"""Benchmark training runs: does each quality level keep its promises, and does it earn its name?

Part A  a 32,000-row, 15-column table at each quality level (60 s): launch -> first model
        (recorded by the worker, and seen by a poller as the Runs page would), wall time against
        the limit, holdout score against plain AutoGluon medium_quality and FLAML at the same
        budget on the same split.
Part B  the quality table: 'balanced' against plain AutoGluon medium_quality and FLAML on every
        shipped data set and three public tables bundled with scikit-learn, two seeds each.
Part C  two runs at once: the same LightGBM fit alone and beside a second run.
Part D  the resource estimate against what the runs of parts A and B really used.
Part E  peak memory on a 32,000-row and a 320,000-row table, to calibrate the memory estimate.
Part F  'best' against 'balanced' given 5 minutes (BENCH_F_BUDGET=300) on the larger tables, two
        seeds (BENCH_F_SEEDS), each difference with its paired-bootstrap interval: does the top
        level earn its name? Not in the default set: BENCH_PARTS=F, about 40 minutes.

Each part writes bench/results/runs_<part>.md. Run: make bench-runs (BENCH_PARTS=A,C to pick;
BENCH_SEEDS=0,1; BENCH_TIME_LIMIT=60). About 50 minutes for everything on 2 cores.
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
from bench import write_results  # noqa: E402
BUDGET = float(os.environ.get("BENCH_TIME_LIMIT", 60))
SEEDS = [int(s) for s in os.environ.get("BENCH_SEEDS", "0,1").split(",")]
PARTS = set(os.environ.get("BENCH_PARTS", "A,B,C,D,E").upper().split(","))
F_BUDGET = float(os.environ.get("BENCH_F_BUDGET", 300))
F_SEEDS = [int(s) for s in os.environ.get("BENCH_F_SEEDS", "0,1").split(",")]
USED: list[dict] = []  # every app run, for part D


def adult_like(n=32_000, seed=0) -> pd.DataFrame:
    """15 columns shaped like the Adult census table (no download here)."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "age": rng.integers(17, 90, n),
        "workclass": rng.choice(["private", "self-emp", "gov-local", "gov-state", "federal", "unpaid", "never"], n,
                                p=[0.7, 0.1, 0.06, 0.05, 0.05, 0.02, 0.02]),
        "fnlwgt": rng.integers(12_000, 1_500_000, n),
        "education": rng.choice([f"edu_{i}" for i in range(16)], n),
        "education_num": rng.integers(1, 17, n),
        "marital_status": rng.choice(["married", "never", "divorced", "separated", "widowed"], n),
        "occupation": rng.choice([f"occ_{i}" for i in range(12)], n),
        "relationship": rng.choice(["husband", "wife", "own-child", "unmarried", "other"], n),
        "race": rng.choice(["white", "black", "asian", "other"], n, p=[0.85, 0.1, 0.03, 0.02]),
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


def sklearn_tables(folder: Path) -> list[tuple[Path, str]]:
    """Public tables that ship inside scikit-learn (no download): binary, multiclass, regression."""
    from sklearn import datasets as sk

    out = []
    for name, loader, target in (("breast_cancer", sk.load_breast_cancer, "diagnosis"),
                                 ("wine", sk.load_wine, "cultivar"), ("diabetes", sk.load_diabetes, "progression")):
        frame = loader(as_frame=True).frame.rename(columns={"target": target})
        if name == "wine":
            frame[target] = "class_" + frame[target].astype(str)
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False)
        out.append((path, target))
    return out


def ours(dataset_id, target, quality, seed=0, exclude=None, budget=None):
    """One app run driven as the app drives it: sync every second, as the Runs page polls."""
    from core.training import lifecycle, sync, views
    from core.training.spec import RunSpec

    t0 = time.time()
    run_id = lifecycle.start(RunSpec(dataset_id, target, quality=quality, time_limit=budget or BUDGET, seed=seed,
                                     exclude=exclude)).run_id
    seen = None
    while True:
        sync.sync()
        info = views.load(run_id)
        if seen is None and info.models:
            seen = time.time() - t0
        if info.ended:
            break
        time.sleep(0.5)
    info = lifecycle.wait(run_id).to_json()
    plan = json.loads((Path(info["run_dir"]) / "plan.json").read_text())
    USED.append({"table": info["dataset_name"], "quality": quality, "rows": plan["rows"],
                 "estimate": plan["estimate"], "usage": info["details"].get("usage") or {},
                 "first_model": info["first_model_seconds"]})
    return info, {"first_model_recorded": info["first_model_seconds"], "first_model_seen": seen,
                  "wall": info["elapsed_seconds"], "score": info["holdout_metrics"].get(info["eval_metric"])}


def plain(run_dir, engine="autogluon"):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([sys.executable, str(REPO / "bench" / "plain_autogluon.py"), str(run_dir), "medium_quality",
                        str(BUDGET), out.name, engine], check=True, cwd=REPO,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return json.load(open(out.name))


def write(part: str, lines: list[str]) -> None:
    write_results(f"runs_{part}", lines)


def header(title: str) -> list[str]:
    return [f"# {title}", "", f"`bench/runs.py`, time limit {BUDGET:g} s, {os.cpu_count()} cores, "
            f"{time.strftime('%Y-%m-%d')}.", ""]


def part_a(datasets, home):
    csv = Path(home) / "adult_like.csv"
    adult_like().to_csv(csv, index=False)
    adult = datasets.add(csv)["dataset_id"]
    lines = header("Part A: first model and budget on a 32,000-row, 15-column table") + [
        "| quality | first model recorded (s) | first model seen by a poller (s) | wall time (s) | "
        "wall / limit | holdout accuracy |", "|---|---|---|---|---|---|"]
    folder = None
    for quality in ("fast", "balanced", "best"):
        info, app = ours(adult, "income_over_50k", quality)
        folder = folder or Path(info["run_dir"])
        lines.append(f"| {quality} | {app['first_model_recorded']:.2f} | {app['first_model_seen']:.2f} | "
                     f"{app['wall']:.1f} | {app['wall'] / BUDGET:.3f} | {app['score']:.4f} |")
    med, fl = plain(folder), plain(folder, "flaml")
    lines += ["", "Same split, same budget, from process start:", "",
              "| reference | first model (s) | wall time (s) | holdout accuracy |", "|---|---|---|---|",
              f"| plain AutoGluon medium_quality | {med['first_model_seconds']:.2f} | {med['total_seconds']:.1f} | "
              f"{med['score']:.4f} |",
              f"| FLAML | | {fl['total_seconds']:.1f} | {fl['score']:.4f} |",
              "", "Targets: first model <= 4 s at every level; wall time <= 1.05 x the limit."]
    write("a", lines)


def part_b(datasets, home):
    shipped = [(REPO / "data" / f, t) for f, t in (("german_credit.csv", "risk"), ("titanic.csv", "survived"),
                                                   ("penguins.csv", "species"), ("bikeshare.csv", "bikers"))]
    lines = header("Part B: 'balanced' against plain AutoGluon medium_quality and FLAML") + [
        f"Mean over seeds {SEEDS}; the app's default exclusions apply to all three (same columns, same split). "
        "'spread' is the largest seed-to-seed difference of any engine: the noise this table measures with.", "",
        "| table | metric | balanced | medium_quality | FLAML | spread | balanced >= better anchor - spread |",
        "|---|---|---|---|---|---|---|"]
    for path, target in shipped + sklearn_tables(Path(home)):
        dataset = datasets.add(path)["dataset_id"]
        scores = {"balanced": [], "medium": [], "flaml": []}
        for seed in SEEDS:
            info, app = ours(dataset, target, "balanced", seed=seed)
            folder = Path(info["run_dir"])
            scores["balanced"].append(app["score"])
            scores["medium"].append(plain(folder)["score"])
            scores["flaml"].append(plain(folder, "flaml")["score"])
        from core.analysis.metrics import greater_is_better

        up = greater_is_better(info["eval_metric"], info["problem_type"])
        mean = {k: float(np.mean(v)) for k, v in scores.items()}
        spread = max(float(np.ptp(v)) for v in scores.values())
        better = max(mean["medium"], mean["flaml"]) if up else min(mean["medium"], mean["flaml"])
        ok = mean["balanced"] >= better - spread if up else mean["balanced"] <= better + spread
        lines.append(f"| {path.stem} | {info['eval_metric']} | {mean['balanced']:.4f} | {mean['medium']:.4f} | "
                     f"{mean['flaml']:.4f} | {spread:.4f} | {'yes' if ok else 'no'} |")
        print(lines[-1], flush=True)
    write("b", lines)


def part_c(datasets, home):
    """The first model's fit (the quick LightGBM) alone, then with two runs launched together."""
    from core.training import lifecycle, sync, views
    from core.training.spec import RunSpec

    csv = Path(home) / "adult_like_c.csv"
    adult_like(seed=1).to_csv(csv, index=False)
    adult = datasets.add(csv)["dataset_id"]

    def launch(n):
        ids = [lifecycle.start(RunSpec(adult, "income_over_50k", quality="balanced", time_limit=BUDGET,
                                       seed=i)).run_id for i in range(n)]
        while not all(views.load(r).ended for r in ids):
            sync.sync()
            time.sleep(0.5)
        runs = [views.load(r) for r in ids]
        return [next(m["fit_time"] for m in r.models if m["model"].startswith("LightGBMQuick")) for r in runs], runs

    os.environ["COMMONGROUND_MAX_PARALLEL_RUNS"] = "1"
    alone, _ = launch(1)
    os.environ["COMMONGROUND_MAX_PARALLEL_RUNS"] = "2"
    together, runs = launch(2)
    ratio = max(together) / alone[0]
    lines = header("Part C: two runs at once") + [
        "Each run gets `cores / runs at once` cores (AutoGluon num_cpus and OpenMP/BLAS threads). The same "
        "model (the quick LightGBM, 2 folds, 25,600 rows) is timed alone and with two runs launched together.", "",
        "| | fit time (s) |", "|---|---|", f"| alone | {alone[0]:.2f} |",
        *(f"| together, run {i + 1} | {t:.2f} |" for i, t in enumerate(together)),
        f"| ratio (slowest together / alone) | {ratio:.2f} |", "",
        f"Wall times of the two runs together: {', '.join(f'{r.elapsed_seconds:.1f} s' for r in runs)} "
        f"(limit {BUDGET:g} s each). Target: ratio <= 2.5."]
    os.environ.pop("COMMONGROUND_MAX_PARALLEL_RUNS")
    write("c", lines)


def part_d():
    lines = header("Part D: the resource estimate against what the runs used") + [
        "| table | quality | rows | memory estimated (GB) | peak memory used (GB) | first model estimated (s) | "
        "first model measured (s) | CPU seconds |", "|---|---|---|---|---|---|---|---|"]
    for u in USED:
        e, usage = u["estimate"], u["usage"]
        lines.append(f"| {u['table']} | {u['quality']} | {u['rows']:,} | {e['memory_needed_gb']:.2f} | "
                     f"{usage.get('peak_memory_gb', float('nan')):.2f} | {e['first_model_seconds']:.1f} | "
                     f"{u['first_model'] or float('nan'):.2f} | {usage.get('cpu_seconds', float('nan')):.0f} |")
    write("d", lines)


def part_e(datasets, home):
    """Peak memory against table size, for calibrating resources.estimate (a small and a large table)."""
    for n in (32_000, 320_000):
        csv = Path(home) / f"adult_like_{n}.csv"
        adult_like(n=n, seed=2).to_csv(csv, index=False)
        dataset = datasets.add(csv)["dataset_id"]
        for quality in ("fast", "balanced"):
            ours(dataset, "income_over_50k", quality)
    lines = header("Part E: peak memory against table size") + [
        "| rows | quality | data (GB, 8 bytes a cell) | memory estimated (GB) | peak memory used (GB) |",
        "|---|---|---|---|---|"]
    for u in USED[-4:]:
        cells = u["rows"] * 14
        lines.append(f"| {u['rows']:,} | {u['quality']} | {cells * 8 / 1e9:.3f} | "
                     f"{u['estimate']['memory_needed_gb']:.2f} | {u['usage'].get('peak_memory_gb', float('nan')):.2f} |")
    write("e", lines)


def part_f(datasets, home):
    tables = [(Path(home) / "adult_like.csv", "income_over_50k"), (REPO / "data" / "bikeshare.csv", "bikers"),
              (REPO / "data" / "titanic.csv", "survived")]
    if not tables[0][0].exists():
        adult_like().to_csv(tables[0][0], index=False)
    from core.analysis import artifacts, compare
    from core.training import views

    lines = header(f"Part F: 'best' against 'balanced' given {F_BUDGET:g} s")
    lines[2] = lines[2].replace(f"time limit {BUDGET:g} s", f"time limit {F_BUDGET:g} s")
    lines += [
        f"Seeds {F_SEEDS}; holdout score of the run's chosen model, same split for both levels; wall time from "
        "launch. The gain is 'best' minus 'balanced' (better is +) with its 95% interval from resampling the "
        f"holdout rows for both runs at once ({compare.RESAMPLES} paired resamples, `compare.margin`, as the "
        "Compare page says it): 'level' when the interval holds 0.",
        "", "| table | metric | seed | balanced | best | gain (95% interval) | verdict | wall balanced (s) | "
        "wall best (s) |", "|---|---|---|---|---|---|---|---|---|"]

    verdicts = []
    for path, target in tables:
        dataset = datasets.add(path)["dataset_id"]
        for seed in F_SEEDS:
            got = {q: ours(dataset, target, q, seed=seed, budget=F_BUDGET) for q in ("balanced", "best")}
            runs = {q: views.load(got[q][0]["run_id"]) for q in got}
            rows = artifacts.holdout_rows(runs["best"])
            gain = compare.margin(compare.predicted_on(runs["best"], rows),
                                  compare.predicted_on(runs["balanced"], rows), runs["best"].eval_metric)
            verdicts.append(gain["verdict"])
            lines.append(f"| {path.stem} | {runs['best'].eval_metric} | {seed} | {got['balanced'][1]['score']:.4f} | "
                         f"{got['best'][1]['score']:.4f} | {gain['margin']:+.4f} ({gain['low']:+.4f} to "
                         f"{gain['high']:+.4f}) | {gain['verdict']} | {got['balanced'][1]['wall']:.0f} | "
                         f"{got['best'][1]['wall']:.0f} |")
            print(lines[-1], flush=True)
    lines += ["", f"'best' ahead: {verdicts.count('ahead')}, level: {verdicts.count('level')}, "
              f"behind: {verdicts.count('behind')} of {len(verdicts)}."]
    write("f", lines)


def main():
    home = tempfile.mkdtemp()
    os.environ["COMMONGROUND_HOME"] = home
    from core.data import datasets

    if "A" in PARTS:
        part_a(datasets, home)
    if "B" in PARTS:
        part_b(datasets, home)
    if "C" in PARTS:
        part_c(datasets, home)
    if "D" in PARTS and USED:
        part_d()
    if "E" in PARTS:
        part_e(datasets, home)
    if "F" in PARTS:
        part_f(datasets, home)


if __name__ == "__main__":
    main()
