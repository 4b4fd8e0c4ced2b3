"""Where runs execute, behind a small interface so a distributed backend can replace the local one.

A handle is a JSON-able dict stored with the run and opaque to everyone but the executor that
made it (its "executor" key says which one), so any process can check or cancel a run another
process started. Executors only need the run folder; they never touch the database.
"""

from pathlib import Path
from typing import Protocol

import glossary


class Executor(Protocol):
    name: str

    def submit(self, run_id: str, run_dir: Path, *, cpus: int = 1, launched_at: float | None = None,
               memory_gb: float | None = None) -> dict:
        """Start the worker with `cpus` cores for AutoGluon and for its libraries' threads (and,
        where the executor reserves it, `memory_gb`); the budget clock starts at `launched_at`."""
        ...

    def is_alive(self, handle: dict) -> bool: ...

    def cancel(self, handle: dict) -> None: ...

    def collect(self, handle: dict, folder: Path, *, final: bool = False) -> None:
        """Bring what the worker wrote so far into the workspace's run folder (a no-op when the
        worker writes there itself); everything when `final` (the worker has ended)."""
        ...

    def release(self, handle: dict) -> None:
        """The run is over and collected: free what the executor holds for it."""
        ...

    def gone_message(self, handle: dict, folder: Path) -> str | None:
        """Why a worker vanished, when the executor knows more than "it stopped" (a lost node), as a
        message kept for every language (glossary.to_store)."""
        ...

    def capacity(self) -> dict:
        """Where runs can train: nodes, CPUs and memory, in all and free."""
        ...


def get_executor(name: str | None = None) -> Executor:
    """The executor by name (a handle's "executor" key); the workspace's choice by default."""
    from core.training.executors.local import LocalProcessExecutor

    if name is None:
        return choose()[0]
    if name == "local":
        return LocalProcessExecutor()
    if name == "ray":
        from core.training.executors.ray_cluster import RayExecutor

        return RayExecutor.from_settings()
    raise ValueError(f"Unknown executor '{name}'")


def choose() -> tuple[Executor, str | None]:
    """The executor new runs go to, and a warning (glossary.to_store) when the chosen one cannot
    be used: a Ray cluster that cannot be reached falls back to this machine rather than failing
    the run."""
    from core.governance import settings
    from core.training.executors.local import LocalProcessExecutor

    if settings.value("COMMONGROUND_EXECUTOR").strip().lower() != "ray":
        return LocalProcessExecutor(), None
    from core.training.executors.ray_cluster import RayExecutor, RayUnavailable

    try:
        return RayExecutor.from_settings().connected(), None
    except RayUnavailable as exc:
        return LocalProcessExecutor(), exc.stored


def where_runs_train(lang: str = "en") -> dict:
    """The executor new runs go to, its capacity, and why runs fall back if they do, in `lang`
    (reads only)."""
    executor, warning = choose()
    return {**executor.capacity(), "executor": executor.name, "warning": glossary.stored(warning, lang)}


def cores(capacity: dict) -> tuple[int, int]:
    """(all cores, the largest node's) of a capacity: a run trains on one node."""
    return int(capacity["cpus"]), int(max(n["cpus"] for n in capacity["nodes"]))
