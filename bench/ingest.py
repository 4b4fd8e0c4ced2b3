"""Benchmark: add a generated 1,000,000-row, 15-column CSV; print seconds for load + profile.

Target (issue 2): <= 3 s on a 2-core machine. Compares with DuckDB alone (read_csv + SUMMARIZE)
and pandas (read_csv + describe) on the same file. Run: .venv/bin/python bench/ingest.py
"""

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import write_results  # noqa: E402
ROWS = int(os.environ.get("BENCH_ROWS", 1_000_000))


def make_csv(path: Path) -> None:
    rng = np.random.default_rng(0)
    n = ROWS
    df = pd.DataFrame({
        "customer_id": np.arange(n),
        "age": rng.integers(18, 90, n),
        "income": rng.normal(50_000, 15_000, n).round(2),
        "balance": rng.exponential(2_000, n).round(2),
        "score": rng.uniform(0, 1, n).round(4),
        "tenure_months": rng.integers(0, 240, n),
        "region": rng.choice(["north", "south", "east", "west"], n),
        "segment": rng.choice(["retail", "premium", "business"], n, p=[0.7, 0.2, 0.1]),
        "channel": rng.choice(["web", "branch", "phone", "app", "partner"], n),
        "signup": pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3650, n), unit="D"),
        "products": rng.integers(1, 6, n),
        "late_payments": rng.poisson(0.3, n),
        "utilisation": rng.beta(2, 5, n).round(4),
        "has_card": rng.choice(["yes", "no"], n),
        "churned": rng.choice([0, 1], n, p=[0.85, 0.15]),
    })
    df.loc[rng.random(n) < 0.05, "income"] = np.nan
    df.to_csv(path, index=False)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["COMMONGROUND_HOME"] = str(Path(tmp) / "home")
        from core.data import datasets
        from core.foundation import db
        import duckdb

        path = Path(tmp) / "bench_1m.csv"
        make_csv(path)
        size_mb = path.stat().st_size / 2**20
        with db.connect():
            pass  # create and migrate the database outside the timing

        started = time.perf_counter()
        info = datasets.add(path)
        ours = time.perf_counter() - started

        started = time.perf_counter()
        con = duckdb.connect()
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}')")
        con.execute("SUMMARIZE t").fetchall()
        duck = time.perf_counter() - started

        started = time.perf_counter()
        pd.read_csv(path).describe(include="all")
        pand = time.perf_counter() - started

    lines = [f"# Adding a data set ({ROWS:,} rows x {len(info['columns'])} columns, {size_mb:.0f} MB, "
             f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d')})", "", "| measure | seconds | target |", "|---|---|---|",
             f"| Common Ground add (load + profile + warnings) | {ours:.2f} | <= 3 s |",
             f"| DuckDB alone (read_csv + SUMMARIZE) | {duck:.2f} | reference |",
             f"| pandas (read_csv + describe) | {pand:.2f} | reference |"]
    write_results("ingest", lines)


if __name__ == "__main__":
    main()
