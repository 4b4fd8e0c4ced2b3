"""The local executor on real process trees: cancel leaves nothing running."""

import time

import psutil

from core.training.executors import get_executor
from core.training.executors.local import LocalProcessExecutor


def _gone(pid: int) -> bool:
    return not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_cancel_kills_the_whole_tree_even_a_child_that_ignores_sigterm(tmp_path):
    executor = LocalProcessExecutor(worker_module="tests.workers.tree")
    handle = executor.submit("run_tree", tmp_path)
    deadline = time.monotonic() + 30
    while not (tmp_path / "children.txt").exists() or len(psutil.Process(handle["pid"]).children(recursive=True)) < 3:
        assert time.monotonic() < deadline, "the stand-in worker did not start its children"
        time.sleep(0.1)
    tree = [handle["pid"], *(p.pid for p in psutil.Process(handle["pid"]).children(recursive=True))]
    assert len(tree) == 4  # worker, two children, one grandchild
    assert executor.is_alive(handle)
    t0 = time.monotonic()
    executor.cancel(handle)
    assert time.monotonic() - t0 < 6
    assert all(_gone(pid) for pid in tree), [p for p in tree if not _gone(p)]
    assert not executor.is_alive(handle)


def test_handles_name_their_executor_and_a_reused_pid_is_not_alive(tmp_path):
    handle = get_executor().submit("run_x", tmp_path)  # the real worker, on an empty folder: it fails fast
    assert handle["executor"] == "local"
    stale = {**handle, "create_time": handle["create_time"] - 1000}  # same pid, another process's start time
    assert not get_executor(handle["executor"]).is_alive(stale)
    get_executor(handle["executor"]).cancel(handle)
