"""Where runs execute, behind a small interface so a distributed backend can replace the local one.

A handle is a JSON-able dict stored with the run and opaque to everyone but the executor that
made it (its "executor" key says which one), so any process can check or cancel a run another
process started. Executors only need the run folder; they never touch the database.
"""

from pathlib import Path
from typing import Protocol


class Executor(Protocol):
    name: str

    def submit(self, run_id: str, run_dir: Path, *, cpus: int = 1, launched_at: float | None = None) -> dict:
        """Start the worker with `cpus` cores for AutoGluon and for its libraries' threads; the
        worker's budget clock starts at `launched_at` (epoch seconds)."""
        ...

    def is_alive(self, handle: dict) -> bool: ...

    def cancel(self, handle: dict) -> None: ...


def get_executor(name: str | None = None) -> Executor:
    """The executor by name (a handle's "executor" key); the local one by default."""
    from core.training.executors.local import LocalProcessExecutor

    if name in (None, "local"):
        return LocalProcessExecutor()
    raise ValueError(f"Unknown executor '{name}'")
