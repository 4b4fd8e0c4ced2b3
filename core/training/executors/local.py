"""The embedded executor: each run is its own OS process (and process group) on this machine."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from core.foundation.events import EventLog

REPO = Path(__file__).resolve().parents[3]
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
CANCEL_GRACE_SECONDS = 2.0  # SIGTERM first, then SIGKILL: the whole tree is gone within ~3 s


class LocalProcessExecutor:
    """Runs `python -m core.training.worker RUN_DIR` in a new session."""

    name = "local"

    def __init__(self, worker_module: str = "core.training.worker", *, die_with_parent: bool = False):
        self.worker_module = worker_module
        # On a Ray node the worker must not outlive the actor that holds its CPUs (a lost actor
        # is a lost run); the app's own workers do outlive it, to survive an app restart.
        self.die_with_parent = die_with_parent

    def submit(self, run_id: str, run_dir: Path, *, cpus: int = 1, launched_at: float | None = None,
               memory_gb: float | None = None) -> dict:
        log = open(run_dir / "worker.log", "ab")
        threads = str(max(1, int(cpus)))
        # OpenMP/BLAS threads follow the run's share: two runs never fight over the same cores.
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "COMMONGROUND_CPUS": threads,
               "COMMONGROUND_LAUNCHED_AT": repr(launched_at or time.time()),
               **{var: threads for var in THREAD_VARIABLES}}
        proc = subprocess.Popen(
            [sys.executable, "-m", self.worker_module, str(run_dir)],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, start_new_session=True,  # survives an app restart; cancel kills the group
            preexec_fn=_die_with_parent if self.die_with_parent else None,
        )
        log.close()
        EventLog(run_dir / "events.jsonl").emit("placed", executor=self.name, hostname=socket.gethostname(),
                                                cpus=int(threads))
        # Reap the child when it ends, so a long-lived app never collects zombies.
        threading.Thread(target=proc.wait, daemon=True).start()
        try:
            created = psutil.Process(proc.pid).create_time()
        except psutil.Error:
            created = None
        return {"executor": self.name, "pid": proc.pid, "create_time": created}

    def _process(self, handle: dict) -> psutil.Process | None:
        try:
            proc = psutil.Process(handle["pid"])
            if handle.get("create_time") and abs(proc.create_time() - handle["create_time"]) > 1:
                return None  # the pid was reused by another program
            if proc.status() == psutil.STATUS_ZOMBIE:
                return None
            return proc
        except (psutil.Error, KeyError, TypeError):
            return None

    def is_alive(self, handle: dict) -> bool:
        return self._process(handle) is not None

    def cancel(self, handle: dict) -> None:
        """Stop the worker and every process it started (AutoGluon may fork helpers)."""
        proc = self._process(handle)
        if proc is None:
            return
        tree = [proc, *proc.children(recursive=True)]
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except OSError:
            pass
        for p in tree:
            try:
                p.terminate()
            except psutil.Error:
                pass
        _, alive = psutil.wait_procs(tree, timeout=CANCEL_GRACE_SECONDS)
        for p in alive:
            try:
                p.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(alive, timeout=2)

    # The worker writes straight into the run folder: nothing to bring back, hold or explain.
    def collect(self, handle: dict, folder: Path, *, final: bool = False) -> None:
        return None

    def release(self, handle: dict) -> None:
        return None

    def gone_message(self, handle: dict, folder: Path) -> str | None:
        return None

    def capacity(self) -> dict:
        from core.training.resources import machine

        here = machine()
        node = {"address": "127.0.0.1", "hostname": socket.gethostname(), "cpus": here["cores"],
                "memory_gb": here["memory_total_gb"]}
        return {"executor": self.name, "address": None, "store": None, "nodes": [node], "cpus": here["cores"],
                "free_cpus": max(here["cores"] - psutil.getloadavg()[0], 0.0), "memory_gb": here["memory_total_gb"],
                "free_memory_gb": here["memory_available_gb"]}


def _die_with_parent() -> None:
    """In the child before exec: Linux sends SIGKILL when the parent process dies."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
