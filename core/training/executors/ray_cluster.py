"""The Ray executor: each run is a detached Ray actor that holds the run's CPUs and memory on one
node and starts the same worker process the local executor starts, in a folder on that node.

A node cannot read the app's DuckDB file or workspace, so the run folder travels through the
artifact store (core.training.executors.store): the app puts the run's inputs there, the actor
mirrors the worker's folder back every second, and the app collects events while the run trains
and the whole folder once it has ended, then ingests them exactly as for a local run. The actor
is named after the run, so any app or CLI process can check or cancel it, and detached, so a run
survives an app restart. The embedded default stays the local executor.
"""

import ipaddress
import json
import logging
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import glossary
from core.foundation import config
from core.foundation.events import EventLog
from core.training.executors import store
from core.training.executors.local import LocalProcessExecutor

NAMESPACE = "commonground"
MIRROR_SECONDS = 1.0
CONNECT_TIMEOUT_SECONDS = 3.0
CANCEL_WAIT_SECONDS = 20.0
STATE_TIMEOUT_SECONDS = 2.0  # an actor still waiting for a node does not answer: the run waits
REPO = Path(__file__).resolve().parents[3]
_connect_lock = threading.Lock()
_connected: dict = {}  # address -> True once ray.init succeeded in this process
_seen: dict = {}  # run key -> files already collected by this process
_failed: dict = {}  # address -> (when, the socket's reason) of the last failed connect
RETRY_SECONDS = 30.0


class RayUnavailable(Exception):
    """Ray cannot be used: not installed, not reachable, or refused for safety. Says which, in
    English (str) and kept for every language (`stored`)."""

    def __init__(self, message_id: str, **values):
        self.stored = glossary.to_store(message_id, **values)
        super().__init__(glossary.stored(self.stored))


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_address(address: str) -> tuple[str, int]:
    """host:port of a Ray head, refused on a network address without token authentication:
    Ray's API runs any code for anyone who reaches it."""
    host, _, port = address.strip().removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise RayUnavailable("ray_bad_address", address=address)
    token_auth = os.environ.get("RAY_AUTH_MODE", "").lower() == "token"
    open_allowed = config.SETTINGS["COMMONGROUND_ALLOW_OPEN_RAY"].value().strip().lower() in ("yes", "1", "true")
    if not _is_loopback(host) and not token_auth and not open_allowed:
        raise RayUnavailable("ray_needs_token", address=address)
    return host, int(port)


def _ray(address: str):
    """The ray module, connected to `address` (once per process)."""
    host, port = check_address(address)
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailable("ray_not_installed") from exc
    with _connect_lock:
        if _connected.get(address) and ray.is_initialized():
            return ray
        failed = _failed.get(address)
        # The Train page and the scheduler ask often: one wait per half minute, not one per look.
        if failed and time.monotonic() - failed[0] < RETRY_SECONDS:
            raise RayUnavailable("ray_no_answer", address=address, reason=failed[1])
        try:  # ray.init waits a long time on a dead address; a plain connect answers in seconds
            socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_SECONDS).close()
        except OSError as exc:
            _failed[address] = (time.monotonic(), str(exc.strerror or exc))
            raise RayUnavailable("ray_no_answer", address=address, reason=_failed[address][1]) from exc
        _failed.pop(address, None)
        if ray.is_initialized():
            ray.shutdown()
        _connected.clear()
        try:
            # The code travels with the runs (py_modules), so nodes need the same Python, Ray and
            # AutoGluon versions, not a checkout of this app.
            ray.init(address=f"{host}:{port}", namespace=NAMESPACE, logging_level=logging.ERROR,
                     log_to_driver=False, configure_logging=False,
                     runtime_env={"py_modules": [str(REPO / "core"), str(REPO / "glossary")]})
        except Exception as exc:  # version mismatch, refused token, ...: one sentence, then fall back
            raise RayUnavailable("ray_join_failed", address=address, reason=str(exc)) from exc
        _connected[address] = True
        return ray


class RunNode:
    """One run on a Ray node (made a Ray actor by RayExecutor.submit)."""

    def __init__(self, run_id: str, store_uri: str, key: str, cpus: int, launched_at: float):
        import ray

        # The worker is started with `python -m`; the app's code arrived as py_modules on this path.
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self.fs, root = store.open_store(store_uri)
        self.remote = f"{root}/{key}"
        self.local = Path(tempfile.gettempdir()) / "commonground-runs" / run_id
        self.local.mkdir(parents=True, exist_ok=True)
        store.mirror(self.fs, self.remote, store.LOCAL, str(self.local), {})
        self.worker = LocalProcessExecutor(die_with_parent=True)
        self.handle = self.worker.submit(run_id, self.local, cpus=cpus, launched_at=launched_at)
        node_id = ray.get_runtime_context().get_node_id()
        node = next((n for n in ray.nodes() if n["NodeID"] == node_id), {})
        self.place = {"executor": "ray", "node_ip": node.get("NodeManagerAddress") or ray.util.get_node_ip_address(),
                      "node_id": node_id, "hostname": socket.gethostname(), "cpus": cpus}
        EventLog(self.local / "events.jsonl").emit("placed", **self.place)
        self.done = False
        self.seen: dict = {}
        threading.Thread(target=self._follow, daemon=True).start()

    def _follow(self) -> None:
        """Mirror the folder while the worker runs, then once more, whole, after it ends."""
        while self.worker.is_alive(self.handle):
            store.mirror(store.LOCAL, str(self.local), self.fs, self.remote, self.seen)
            time.sleep(MIRROR_SECONDS)
        store.mirror(store.LOCAL, str(self.local), self.fs, self.remote, self.seen)
        shutil.rmtree(self.local, ignore_errors=True)  # the store has it all now; nodes do not fill up
        self.done = True

    def state(self) -> str:
        return "done" if self.done else "running"

    def cancel(self) -> None:
        self.worker.cancel(self.handle)


class RayExecutor:
    name = "ray"

    def __init__(self, address: str, store_uri: str):
        self.address, self.store_uri = address, store_uri

    @classmethod
    def from_settings(cls) -> "RayExecutor":
        from core.governance import settings

        uri = settings.value("COMMONGROUND_ARTIFACT_STORE").strip() or str(config.home() / "ray_store")
        return cls(settings.value("COMMONGROUND_RAY_ADDRESS").strip(), uri)

    def connected(self) -> "RayExecutor":
        if not self.address:
            raise RayUnavailable("ray_no_address")
        _ray(self.address)
        return self

    def submit(self, run_id: str, run_dir: Path, *, cpus: int = 1, launched_at: float | None = None,
               memory_gb: float | None = None) -> dict:
        ray = _ray(self.address)
        fs, root = store.open_store(self.store_uri)
        key = f"runs/{run_dir.name}"
        store.mirror(store.LOCAL, str(run_dir), fs, f"{root}/{key}", {})
        name = f"commonground-{run_id}"
        options = {"name": name, "namespace": NAMESPACE, "lifetime": "detached", "num_cpus": cpus,
                   "max_restarts": 0, "max_concurrency": 4}  # state() answers while cancel() waits
        if memory_gb:
            options["memory"] = int(memory_gb * 1e9)
        ray.remote(RunNode).options(**options).remote(run_id, self.store_uri, key, cpus, launched_at or time.time())
        return {"executor": self.name, "address": self.address, "actor": name, "store": self.store_uri, "key": key}

    def _actor(self, handle: dict):
        ray = _ray(handle["address"])
        try:
            return ray, ray.get_actor(handle["actor"], namespace=NAMESPACE)
        except ValueError:  # no such actor: it ended, or its node was lost
            return ray, None

    def is_alive(self, handle: dict) -> bool:
        """Alive until the actor has mirrored the worker's last words; a dead actor is not alive.
        An actor still waiting for a node with room counts as alive (the run waits)."""
        ray, actor = self._actor(handle)
        if actor is None:
            return False
        try:
            return ray.get(actor.state.remote(), timeout=STATE_TIMEOUT_SECONDS) != "done"
        except ray.exceptions.GetTimeoutError:
            return True
        except ray.exceptions.RayActorError:
            return False

    def cancel(self, handle: dict) -> None:
        """Stop the worker on its node and wait (bounded) for the actor's last mirror."""
        try:
            ray, actor = self._actor(handle)
        except RayUnavailable:
            return  # the cluster is gone, and the run with it
        if actor is None:
            return
        try:
            ray.get(actor.cancel.remote(), timeout=CANCEL_WAIT_SECONDS)
            deadline = time.monotonic() + CANCEL_WAIT_SECONDS
            while time.monotonic() < deadline and ray.get(actor.state.remote(), timeout=5) != "done":
                time.sleep(0.2)
        except (ray.exceptions.RayActorError, ray.exceptions.GetTimeoutError):
            pass

    def collect(self, handle: dict, folder: Path, *, final: bool = False) -> None:
        fs, root = store.open_store(handle["store"])
        seen = _seen.setdefault(handle["key"], {})
        store.mirror(fs, f"{root}/{handle['key']}", store.LOCAL, str(folder), seen,
                     only=None if final else ("events.jsonl",))

    def release(self, handle: dict) -> None:
        """Free the actor's CPUs and drop the run's copy in the store (the workspace has it now)."""
        _seen.pop(handle["key"], None)
        try:
            ray, actor = self._actor(handle)
            if actor is not None:
                ray.kill(actor, no_restart=True)
        except RayUnavailable:
            pass
        fs, root = store.open_store(handle["store"])
        if fs.exists(f"{root}/{handle['key']}"):
            fs.rm(f"{root}/{handle['key']}", recursive=True)

    def gone_message(self, handle: dict, folder: Path) -> str | None:
        """Name the node when the run's node left the cluster (read from the run's 'placed' event)."""
        place = {}
        events = folder / "events.jsonl"
        if events.exists():
            for line in events.read_text(encoding="utf-8").splitlines():
                event = json.loads(line) if line.strip() else {}
                if event.get("event") == "placed" and event.get("executor") == "ray":
                    place = event
        if not place:
            return None
        try:
            ray = _ray(handle["address"])
            alive = {n["NodeID"] for n in ray.nodes() if n.get("Alive")}
        except RayUnavailable:
            alive = set()
        node = f"{place['node_ip']} ({place['hostname']})"
        return glossary.to_store("run_node_left" if place["node_id"] not in alive else "run_node_stopped", node=node)

    def capacity(self) -> dict:
        """The cluster as Ray sees it: nodes, CPUs and memory, in all and free."""
        ray = _ray(self.address)
        free = ray.available_resources()
        nodes = [{"address": n["NodeManagerAddress"], "hostname": n.get("NodeManagerHostname"),
                  "cpus": n["Resources"].get("CPU", 0), "memory_gb": round(n["Resources"].get("memory", 0) / 1e9, 1)}
                 for n in ray.nodes() if n.get("Alive")]
        return {"executor": self.name, "address": self.address, "store": self.store_uri, "nodes": nodes,
                "cpus": sum(n["cpus"] for n in nodes), "free_cpus": free.get("CPU", 0),
                "memory_gb": round(sum(n["memory_gb"] for n in nodes), 1),
                "free_memory_gb": round(free.get("memory", 0) / 1e9, 1)}
