"""Benchmark the REST endpoint on loopback: single-record latency (p50, p99) and the throughput of
1,000-record requests, against `python -m core serve` with a single LightGBM model on a 32,000-row
Adult-like table. Bounded: 300 single calls and 30 batch calls.

Targets (issue 14), 2 cores: p50 <= 20 ms; >= 50,000 records/s in batches. Writes bench/results/serve.md.
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _post(url: str, body: bytes) -> bytes:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


def main():
    home = Path(tempfile.mkdtemp())
    from bench import lightgbm_run, write_results

    table, run = lightgbm_run(home)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "core", "serve", run.run_id, "--port", str(port)], cwd=REPO,
                              env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(url + "/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        records = json.loads(table.drop(columns=["income_over_50k"]).head(1000).to_json(orient="records"))
        one = [json.dumps([r]).encode() for r in records[:300]]
        for body in one[:20]:  # warm up
            _post(url + "/predict", body)
        single = []
        for body in one:
            started = time.perf_counter()
            _post(url + "/predict", body)
            single.append((time.perf_counter() - started) * 1000)
        batch, body = [], json.dumps(records).encode()
        for _ in range(30):
            started = time.perf_counter()
            _post(url + "/predict", body)
            batch.append(time.perf_counter() - started)
    finally:
        server.terminate()
        server.wait(timeout=30)
    q = statistics.quantiles(single, n=100)
    rate = 1000 / statistics.median(batch)
    write_results("serve", [
        f"# REST endpoint on loopback ({os.cpu_count()} cores, {time.strftime('%Y-%m-%d')})", "",
        "A single LightGBM model on a 32,000-row, 14-column Adult-like table, served by `python -m core serve`.", "",
        "| measure | figure | target |", "|---|---|---|",
        f"| one record per request, p50 (300 requests) | {statistics.median(single):.1f} ms | <= 20 ms |",
        f"| one record per request, p99 | {q[98]:.1f} ms | |",
        f"| 1,000 records per request, median of 30 | {statistics.median(batch) * 1000:.0f} ms | |",
        f"| records per second in 1,000-record requests | {rate:,.0f} | >= 50,000 |",
    ])


if __name__ == "__main__":
    main()
