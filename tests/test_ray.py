"""The Ray executor against a real Ray cluster on loopback: a head with no CPUs (so runs never
train in the head) and one worker node with two, each a `ray start --block` process group
started here and stopped by its process id. The artifact store is a folder apart from the
workspace, so run folders really travel."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

import glossary
from core.data import datasets
from core.training import lifecycle, sync
from core.training.executors import ray_cluster
from core.training.spec import RunSpec
from tests.conftest import DATA, look, train

ray = pytest.importorskip("ray")

RAY = str(Path(sys.executable).parent / "ray")
START_TIMEOUT = 90
# Notice a lost node in about two seconds instead of Ray's default half a minute.
FAST_HEALTH = {"RAY_health_check_period_ms": "300", "RAY_health_check_failure_threshold": "4",
               "RAY_health_check_initial_delay_ms": "0"}
SPEC = {"quality": "fast", "model_families": ["GBM", "LR"], "seed": 3}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, **FAST_HEALTH, "RAY_USAGE_STATS_ENABLED": "0"}
    return subprocess.Popen([RAY, "start", "--block", "--disable-usage-stats", *args], env=env,
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=3)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_until(predicate, timeout=START_TIMEOUT, every=0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("condition not reached in time")


class Cluster:
    def __init__(self, root: Path):
        self.root, self.port = root, _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.nodes: list[subprocess.Popen] = []
        self.head = _start(["--head", f"--port={self.port}", "--node-ip-address=127.0.0.1", "--num-cpus=0",
                            "--include-dashboard=false", f"--temp-dir={root}", "--object-store-memory=80000000"],
                           root / "head.log")

    def add_node(self) -> subprocess.Popen:
        before = self._cpus()
        node = _start([f"--address={self.address}", "--node-ip-address=127.0.0.1", "--num-cpus=2",
                       "--object-store-memory=80000000"], self.root / f"node{len(self.nodes)}.log")
        self.nodes.append(node)
        _wait_until(lambda: self._cpus() >= before + 2)
        return node

    def _cpus(self) -> float:
        try:
            return ray_cluster.RayExecutor(self.address, "").capacity()["cpus"]
        except ray_cluster.RayUnavailable:
            ray_cluster._failed.clear()  # the head is still starting: ask again on the next poll
            return -1

    def stop(self) -> None:
        if ray.is_initialized():
            ray.shutdown()
        ray_cluster._connected.clear()
        for proc in [*self.nodes, self.head]:
            _stop(proc)


@pytest.fixture(scope="module")
def cluster():
    root = Path(tempfile.mkdtemp(prefix="cgray", dir="/tmp"))  # Ray's socket paths must stay short
    made = Cluster(root)
    try:
        made.add_node()
        yield made
    finally:
        made.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def on_ray(cluster, tmp_path, monkeypatch):
    monkeypatch.setenv("COMMONGROUND_EXECUTOR", "ray")
    monkeypatch.setenv("COMMONGROUND_RAY_ADDRESS", cluster.address)
    monkeypatch.setenv("COMMONGROUND_ARTIFACT_STORE", f"file://{tmp_path / 'store'}")
    return tmp_path / "store"


def _pid_of_worker(run) -> int | None:
    """The worker's pid from its 'started' event, once the app has collected it."""
    path = run.folder / "events.jsonl"
    events = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return next((e["pid"] for e in events if e["event"] == "started"), None)


def test_a_run_on_ray_records_what_the_local_executor_records(cluster, monkeypatch, tmp_path):
    dataset = datasets.add(DATA / "penguins.csv")["dataset_id"]
    spec = RunSpec(dataset, "species", time_limit=15, **SPEC)
    here = train(spec)
    monkeypatch.setenv("COMMONGROUND_EXECUTOR", "ray")
    monkeypatch.setenv("COMMONGROUND_RAY_ADDRESS", cluster.address)
    monkeypatch.setenv("COMMONGROUND_ARTIFACT_STORE", f"file://{tmp_path / 'store'}")
    there = train(spec)
    assert here.status == there.status == "succeeded", there.error
    placed = there.details["placement"]
    nodes = ray_cluster.RayExecutor(cluster.address, "").capacity()["nodes"]
    assert placed["executor"] == "ray" and placed["cpus"] == 2
    assert placed["node_ip"] in {n["address"] for n in nodes if n["cpus"]}  # the worker node, not the head
    assert here.details["placement"]["executor"] == "local" and "placement_warning" not in there.details
    assert {m["model"] for m in here.models} == {m["model"] for m in there.models}
    assert here.chosen_model == there.chosen_model
    for metric, value in here.holdout_metrics.items():
        assert there.holdout_metrics[metric] == pytest.approx(value, abs=1e-9), metric
    # The model came home: it loads and predicts from the workspace; the store's copy is gone.
    assert (there.folder / "model" / "predictor.pkl").exists()
    assert not (tmp_path / "store" / "runs" / there.run_id).exists()
    assert not (Path(tempfile.gettempdir()) / "commonground-runs" / there.run_id).exists()  # nor the node's
    with pytest.raises(ValueError):
        ray.get_actor(f"commonground-{there.run_id}", namespace=ray_cluster.NAMESPACE)


def test_cancel_on_ray_stops_the_worker_and_keeps_its_models(on_ray):
    dataset = datasets.add(DATA / "titanic.csv")["dataset_id"]
    run = lifecycle.start(RunSpec(dataset, "survived", quality="fast", time_limit=120))
    _wait_until(lambda: look(run.run_id).models)
    pid = _pid_of_worker(run)
    cancelled = lifecycle.cancel(run.run_id)
    assert cancelled.status == "cancelled" and cancelled.models and not cancelled.executor_handle
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert (cancelled.folder / "model").exists()


def test_a_lost_node_marks_its_run_interrupted_and_names_the_node(cluster, on_ray):
    dataset = datasets.add(DATA / "titanic.csv")["dataset_id"]
    run = lifecycle.start(RunSpec(dataset, "survived", quality="fast", time_limit=120))
    pid = _wait_until(lambda: look(run.run_id) and _pid_of_worker(run))
    _stop(cluster.nodes.pop())  # the node, raylet and all, goes away
    lost = _wait_until(lambda: (r := look(run.run_id)).status == "interrupted" and r, timeout=60)
    assert f"Ray node {lost.details['placement']['node_ip']}" in lost.error and "left the cluster" in lost.error
    _wait_until(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, 10)
    cluster.add_node()  # for the tests after this one


def test_an_unreachable_cluster_falls_back_to_this_machine_with_a_warning(monkeypatch):
    monkeypatch.setenv("COMMONGROUND_EXECUTOR", "ray")
    monkeypatch.setenv("COMMONGROUND_RAY_ADDRESS", f"127.0.0.1:{_free_port()}")
    dataset = datasets.add(DATA / "penguins.csv")["dataset_id"]
    run = train(RunSpec(dataset, "species", time_limit=8, **SPEC))
    assert run.status == "succeeded", run.error
    assert run.details["placement"]["executor"] == "local"
    warning = run.details["placement_warning"]
    assert "does not answer" in glossary.stored(warning) and "não responde" in glossary.stored(warning, "pt")


@pytest.mark.parametrize("address, env, refused", [
    ("10.1.2.3:6379", {}, True),
    ("10.1.2.3:6379", {"RAY_AUTH_MODE": "token"}, False),
    ("10.1.2.3:6379", {"COMMONGROUND_ALLOW_OPEN_RAY": "yes"}, False),
    ("127.0.0.1:6379", {}, False),
    ("localhost:6379", {}, False),
    ("no-port-here", {}, True),
])
def test_a_network_ray_address_needs_token_authentication(address, env, refused, monkeypatch):
    for name in ("RAY_AUTH_MODE", "COMMONGROUND_ALLOW_OPEN_RAY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if refused:
        with pytest.raises(ray_cluster.RayUnavailable, match=address.split(":")[0]):
            ray_cluster.check_address(address)
    else:
        assert ray_cluster.check_address(address)[1] == 6379
