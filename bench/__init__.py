"""Benchmarks that print figures and keep the latest of each in bench/results/ (never timed tests)."""

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def write_results(name: str, lines: list[str]) -> None:
    """Write one benchmark's Markdown to bench/results/<name>.md and print it."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    (RESULTS / f"{name}.md").write_text(text)
    print(text, flush=True)
