"""Benchmarks that print figures and keep the latest of each in bench/results/ (never timed tests)."""

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def write_results(name: str, lines: list[str]) -> None:
    """Write one benchmark's Markdown to bench/results/<name>.md and print it."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    (RESULTS / f"{name}.md").write_text(text)
    print(text, flush=True)


def lightgbm_run(home: Path):
    """In workspace `home`: the Adult-like table (32,000 rows) and a finished run whose model in
    use is a single LightGBM; (table, run). The scoring and serving benchmarks share it."""
    import os

    os.environ["COMMONGROUND_HOME"] = str(home)
    from bench.runs import adult_like
    from core.analysis import choice
    from core.data import datasets
    from core.training import lifecycle
    from core.training.spec import RunSpec

    table = adult_like()
    table.to_csv(home / "adult_like.csv", index=False)
    dataset = datasets.add(home / "adult_like.csv")["dataset_id"]
    run = lifecycle.wait(lifecycle.start(RunSpec(dataset, "income_over_50k", quality="fast", time_limit=60,
                                                 model_families=["GBM"], refit_for_use=False)).run_id)
    return table, choice.choose(run.run_id, model="LightGBM", reason="benchmark: a single LightGBM model")
