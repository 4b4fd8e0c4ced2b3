"""Will a run fit this machine? Rough memory and time estimates, said before launch."""

import os

import psutil

import glossary
from core.foundation import config

# Calibrated on measured peaks (bench/results/runs_d.md, runs_e.md, 2 cores, 60 s): a worker with
# AutoGluon imported peaks at 0.32-0.39 GB on small tables; the models a level trains add a fixed
# amount (medium_quality's forests and neighbours ~1.1 GB at 32k rows, barely more at 320k); the
# data term stays a conservative slope (copies of the frame a fit holds, fold models included).
BASE_PROCESS_GB = 0.35
MODEL_OVERHEAD_GB = {"fast": 1.2, "balanced": 0.4, "best": 1.0}
MEMORY_FACTOR = {"fast": 8, "balanced": 14, "best": 20}
BAGGED = {"fast": False, "balanced": True, "best": True}


def machine() -> dict:
    memory = psutil.virtual_memory()
    return {
        "cores": os.cpu_count() or 1,
        "memory_total_gb": round(memory.total / 1e9, 1),
        "memory_available_gb": round(memory.available / 1e9, 1),
    }


def max_parallel_runs(cores: int | None = None) -> int:
    """Runs that train at once: the setting, else half the cores (of this machine, or of the
    Ray cluster when runs go there)."""
    explicit = config.SETTINGS["COMMONGROUND_MAX_PARALLEL_RUNS"].value().strip()
    if explicit:
        return max(1, int(explicit))
    return max(1, int(cores or os.cpu_count() or 1) // 2)


def core_share(cores: int | None = None, node_cores: int | None = None) -> int:
    """Cores each training run gets: the cores split evenly between the runs allowed at once
    (never more than one node has: a run trains on one node).

    The queue (max_parallel_runs), the estimate and the executor use this one number, so a
    16-core server runs 8 runs on 2 cores each, not 8 runs of 16 threads each.
    """
    cores = int(cores or os.cpu_count() or 1)
    return max(1, min(cores // max_parallel_runs(cores), int(node_cores or cores)))


def run_cores(asked: int | None, cores: int | None = None, node_cores: int | None = None) -> int:
    """Cores one run reserves and its libraries' threads use: what an expert set (num_cpus, never
    more than a node has), else the even share. AutoGluon gets the same number, so a run never
    uses more cores than it holds (on Ray, more than its actor reserved on the node)."""
    if asked:
        return max(1, min(int(asked), int(node_cores or cores or os.cpu_count() or 1)))
    return core_share(cores, node_cores)


def cores_where_runs_train() -> tuple[int, int]:
    """(all cores, the largest node's) where new runs train: this machine, or the Ray cluster.
    The queue, the core share and the estimate all start from these two numbers."""
    from core.training.executors import cores, where_runs_train

    return cores(where_runs_train())


def free_disk_gb() -> float:
    """Free space where runs write their folders."""
    import shutil

    return shutil.disk_usage(config.home()).free / 1e9


def estimate(rows: int, columns: int, *, quality: str, time_limit: float,
             memory_limit_gb: float | None = None, cpus: int | None = None, lang: str = "en") -> dict:
    """Memory and time needs; level is ok, warn or refuse, with sentences (in `lang`) that say why."""
    def say(key, **params):
        return glossary.message(key, lang, **params)

    info = machine()
    data_gb = rows * max(columns, 1) * 8 / 1e9
    need_gb = BASE_PROCESS_GB + MODEL_OVERHEAD_GB.get(quality, 1.2) + data_gb * MEMORY_FACTOR.get(quality, 14)
    have_gb = min(info["memory_available_gb"], memory_limit_gb or float("inf"))
    # The quick first model (strategy.QUICK_GBM): one LightGBM, on two folds when the level bags.
    first_model_s = 2 + rows * max(columns, 1) / 1.5e6 * (2 if BAGGED.get(quality) else 1)
    level, messages, suggestions = "ok", [], []
    if need_gb > 0.9 * have_gb:
        level = "refuse"
        fixed = BASE_PROCESS_GB + MODEL_OVERHEAD_GB.get(quality, 1.2)  # needed whatever the rows
        fit_rows = int(rows * max(0.9 * have_gb - fixed, 0) / max(need_gb - fixed, 1e-9))
        messages.append(say("estimate_memory_refuse", needed=need_gb, free=have_gb))
        if quality != "fast":
            suggestions.append(say("suggest_fast"))
        suggestions.append(say("suggest_sample", rows=max(fit_rows, 0)))
    elif need_gb > 0.5 * have_gb:
        level = "warn"
        messages.append(say("estimate_memory_warn", needed=need_gb, free=have_gb))
    if time_limit < first_model_s:
        level = "warn" if level == "ok" else level
        messages.append(say("estimate_time_short", limit=time_limit, first=first_model_s))
        suggestions.append(say("suggest_more_time" if quality == "fast" else "suggest_more_time_or_fast"))
    return {
        "level": level,
        "memory_needed_gb": round(need_gb, 2),
        "memory_available_gb": round(have_gb, 1),
        "first_model_seconds": round(first_model_s, 1),
        "cores": run_cores(cpus, *cores_where_runs_train()),
        "messages": messages,
        "suggestions": suggestions,
    }
