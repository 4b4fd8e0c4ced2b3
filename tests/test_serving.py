"""The model at work over HTTP: a real endpoint on a loopback port, every route and bad input,
the same predictions as batch scoring, and a deployment bundle served from a fresh folder."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile

import pandas as pd
import pytest

from core.data import datasets
from core.serving import api, scoring
from core.training import views
from core.training.spec import RunSpec
from tests.conftest import DATA, REPO, trained_in

pytestmark = pytest.mark.usefixtures("no_leftover_workers")
TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("serve-home")

    def specs():
        credit = datasets.add(DATA / "german_credit.csv")["dataset_id"]
        return {"credit": RunSpec(credit, "risk", quality="fast", time_limit=15, model_families=["GBM"],
                                  refit_for_use=False)}

    return home, trained_in(home, specs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(cmd: list, env: dict, port: int, cwd=REPO):
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read()[-3000:])
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
            return proc
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.3)
    proc.kill()
    raise AssertionError("the endpoint did not start")


@pytest.fixture(scope="module")
def server(home):
    port = _free_port()
    env = {**os.environ, "COMMONGROUND_HOME": str(home[0]), "COMMONGROUND_SERVE_TOKEN": TOKEN}
    proc = _start([sys.executable, "-m", "core", "serve", home[1]["credit"], "--port", str(port), "--max-mb", "0.5"],
                  env, port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=30)


def _call(url, path, body=None, *, token=TOKEN, kind="application/json", raw=None):
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(url + path, data=data, method="POST" if data is not None else "GET")
    if data is not None:
        request.add_header("Content-Type", kind)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _records(n=40) -> list[dict]:
    frame = pd.read_csv(DATA / "german_credit.csv").drop(columns=["risk"]).head(n)
    return json.loads(frame.to_json(orient="records"))  # NaN becomes null


@pytest.fixture
def run(home, monkeypatch):
    monkeypatch.setenv("COMMONGROUND_HOME", str(home[0]))
    return views.load(home[1]["credit"])


def test_rest_and_batch_predictions_agree(server, run, tmp_path):
    status, body = _call(server, "/predict", _records())
    assert status == 200 and len(body["predictions"]) == 40
    pd.DataFrame(_records()).to_csv(tmp_path / "rows.csv", index=False)
    scoring.score(run.run_id, input_path=tmp_path / "rows.csv", output_path=tmp_path / "scored.csv")
    batch = pd.read_csv(tmp_path / "scored.csv")
    assert [str(p["prediction"]) for p in body["predictions"]] == batch["prediction"].astype(str).tolist()
    for p, (_, row) in zip(body["predictions"], batch.iterrows()):
        assert p["probabilities"]["1"] == pytest.approx(row["probability_1"], abs=1e-9)


def test_health_model_and_docs(server, run):
    assert _call(server, "/health", token=None) == (200, {"status": "ok", "run_id": run.run_id,
                                                          "model": run.predicting_model()})
    status, about = _call(server, "/model")
    assert status == 200 and about["target"] == "risk" and about["summary"]["headline"]
    assert {f["name"] for f in about["features"]} == set(run.features_used)
    with urllib.request.urlopen(server + "/docs", timeout=10) as docs:
        assert docs.status == 200
    with urllib.request.urlopen(server + "/openapi.json", timeout=10) as spec:
        assert "/predict" in json.loads(spec.read())["paths"]


def test_bad_requests_get_a_4xx_that_says_why(server):
    assert _call(server, "/predict", _records(2), token=None)[0] == 401
    assert _call(server, "/predict", _records(2), token="wrong")[0] == 401
    status, body = _call(server, "/predict", raw=b"[{not json")
    assert status == 422 and "json" in json.dumps(body).lower()
    assert _call(server, "/predict", raw=b"age=3", kind="application/x-www-form-urlencoded")[0] == 415
    missing = _records(1)
    del missing[0]["duration"]
    status, body = _call(server, "/predict", missing)
    assert status == 422 and "duration" in json.dumps(body), (missing, body)
    wrong = _records(1)
    wrong[0]["credit_amount"] = "a lot"
    wrong[0]["age"] = "forty"  # not a model input: ignored
    status, body = _call(server, "/predict", wrong)
    assert status == 422 and "credit_amount" in json.dumps(body) and "age" not in json.dumps(body["detail"][0]["loc"])
    # over the 0.5 MB limit: refused from the headers, before the body is read
    import http.client
    from urllib.parse import urlparse

    where = urlparse(server)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    conn.putrequest("POST", "/predict")
    for k, v in {"Content-Type": "application/json", "Content-Length": str(600_000),
                 "Authorization": f"Bearer {TOKEN}"}.items():
        conn.putheader(k, v)
    conn.endheaders()
    answer = conn.getresponse()
    assert answer.status == 413 and "600,000 bytes" in json.loads(answer.read())["detail"]
    conn.close()
    assert _call(server, "/predict", []) == (200, {"predictions": []})


def test_a_bundle_serves_the_same_predictions_from_a_fresh_folder(server, run, tmp_path):
    out = api.bundle(run.run_id, output=tmp_path / "bundle.zip")
    with zipfile.ZipFile(out["output"]) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path / "fresh")
    assert {"endpoint.py", "model.json", "requirements.txt", "README.md"} <= names
    assert "autogluon.tabular==" in (tmp_path / "fresh" / "requirements.txt").read_text()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("COMMONGROUND_HOME", "PYTHONPATH")}
    proc = _start([sys.executable, "endpoint.py", "--model-dir", "model", "--meta", "model.json", "--port", str(port)],
                  env, port, cwd=tmp_path / "fresh")
    try:
        fresh = _call(f"http://127.0.0.1:{port}", "/predict", _records(), token=None)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert fresh[0] == 200 and fresh[1] == _call(server, "/predict", _records())[1]


def test_a_client_over_its_rate_gets_429_with_retry_after(home):
    port = _free_port()
    env = {**os.environ, "COMMONGROUND_HOME": str(home[0]), "COMMONGROUND_SERVE_RATE": "5"}
    proc = _start([sys.executable, "-m", "core", "serve", home[1]["credit"], "--port", str(port)], env, port)
    url = f"http://127.0.0.1:{port}"
    try:
        answers = [_call(url, "/model", token=None) for _ in range(20)]
        limited = [body for status, body in answers if status == 429]
        assert limited and answers[0][0] == 200
        assert "More than 5 requests per second" in limited[0]["detail"]
        assert all(_call(url, "/health", token=None)[0] == 200 for _ in range(20))  # health is never limited
        request = urllib.request.Request(url + "/model")
        with pytest.raises(urllib.error.HTTPError) as over:
            for _ in range(20):
                urllib.request.urlopen(request, timeout=10)
        assert over.value.code == 429 and int(over.value.headers["Retry-After"]) >= 1
        time.sleep(1.2)
        assert _call(url, "/model", token=None)[0] == 200  # the bucket refills
    finally:
        proc.terminate()
        proc.wait(timeout=30)
