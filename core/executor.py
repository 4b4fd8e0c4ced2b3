"""Where runs execute. The interface is small so a distributed backend can replace the local one.

A handle is a JSON-able dict stored with the run, so any process (app, CLI, a worker that
just finished) can check or cancel a run another process started.
"""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Protocol

import psutil

REPO = Path(__file__).resolve().parent.parent
CANCEL_GRACE_SECONDS = 2.0  # SIGTERM first, then SIGKILL: the whole tree is gone within ~3 s


class Executor(Protocol):
    name: str

    def submit(self, run_id: str, run_dir: Path) -> dict: ...

    def is_alive(self, handle: dict) -> bool: ...

    def cancel(self, handle: dict) -> None: ...


class LocalProcessExecutor:
    """Each run is its own OS process (and process group) running `python -m core.worker`."""

    name = "local"

    def submit(self, run_id: str, run_dir: Path) -> dict:
        log = open(run_dir / "worker.log", "ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "core.worker", str(run_dir)],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, start_new_session=True,  # survives an app restart; cancel kills the group
        )
        log.close()
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


def get_executor(name: str = "local") -> Executor:
    if name != "local":
        raise ValueError(f"Unknown executor '{name}'")
    return LocalProcessExecutor()
