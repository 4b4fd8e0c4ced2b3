"""Benchmark: how bag folds are fitted once Ray is installed. AutoGluon, on its own, fits folds in
parallel Ray processes as soon as Ray imports; the app chooses (strategy.fold_fitting). This runs
the app's 'balanced' level on the 32,000-row Adult-like table with both strategies on this
machine's core share and compares the first model, the models fitted in the budget, the wall time
and the holdout score. Writes bench/results/folds.md. Run: .venv/bin/python bench/folds.py
(BENCH_SEEDS=0,1; BENCH_TIME_LIMIT=60). About 5 minutes on 2 cores.
"""

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench import write_results  # noqa: E402
from bench.runs import BUDGET, SEEDS, adult_like, header, ours  # noqa: E402

VARIANTS = [("sequential (the app's rule below 8 cores)", "8"),
            ("parallel Ray processes (AutoGluon's default with Ray installed)", "1")]


def main():
    home = tempfile.mkdtemp()
    os.environ["COMMONGROUND_HOME"] = home
    import ray  # noqa: F401  the point: Ray is importable, as on a machine set up for scale-out

    from core.data import datasets
    from core.training import resources

    csv = Path(home) / "adult_like.csv"
    adult_like().to_csv(csv, index=False)
    dataset = datasets.add(csv)["dataset_id"]
    lines = header("Fold fitting with Ray installed: 'balanced', 32,000 rows, 15 columns")
    lines[2] = lines[2].replace("bench/runs.py", "bench/folds.py")
    lines += [f"Core share per run: {resources.core_share()}. Ray {ray.__version__}.", "",
              "| folds fitted | seed | first model (s) | models in the budget | wall time (s) | holdout accuracy |",
              "|---|---|---|---|---|---|"]
    for label, min_cpus in VARIANTS:
        os.environ["COMMONGROUND_PARALLEL_FOLDS_MIN_CPUS"] = min_cpus
        for seed in SEEDS:
            info, got = ours(dataset, "income_over_50k", "balanced", seed=seed)
            lines.append(f"| {label} | {seed} | {got['first_model_recorded']:.1f} | {len(info['models'])} | "
                         f"{got['wall']:.1f} | {got['score']:.4f} |")
            print(lines[-1], flush=True)
    write_results("folds", lines)


if __name__ == "__main__":
    main()
