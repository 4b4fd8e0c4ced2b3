"""The one step that moves runs forward: ingest workers' events, mark dead runs, start queued ones.

Workers never open the database; they append to events.jsonl in their run folder. This step
reads those events into DuckDB. It runs in one scheduler loop in the app process
(core.training.scheduler), in `python -m core runs sync`, and in the CLI's `--wait`;
never as a side effect of showing a run.
"""

import json
import threading
import time
from pathlib import Path

import glossary
from core.foundation import db
from core.training import executors, resources
from core.training.executors import choose, get_executor
from core.training.views import TERMINAL, run_folder

_schedule_lock = threading.Lock()
# One ingest at a time per process: the app's scheduler thread and a page's or the CLI's own
# sync would otherwise update the same run row at once, and DuckDB refuses the second writer.
_ingest_lock = threading.RLock()


def sync(run_id: str | None = None) -> dict:
    """Ingest new events of active runs, mark dead ones interrupted, then fill free slots."""
    with _ingest_lock:
        return _sync(run_id)


def _sync(run_id: str | None) -> dict:
    with db.connect() as con:
        rows = con.execute(
            "SELECT run_id, run_dir, executor_handle, status FROM runs "
            "WHERE (status = 'running' OR (status IN ('succeeded', 'cancelled', 'failed') "
            "AND executor_handle IS NOT NULL))" + (" AND run_id = ?" if run_id else ""),
            [run_id] if run_id else []).fetchall()
    interrupted = []
    for rid, run_dir, handle, status in rows:
        handle = json.loads(handle or "{}")
        executor, folder = get_executor(handle.get("executor")), run_folder(run_dir)
        alive = executor.is_alive(handle)
        executor.collect(handle, folder, final=not alive)
        ended = ingest(rid, folder)
        if not alive:
            ended = ingest(rid, folder) or ended  # a last look: it may have written its end just now
            gone = executor.gone_message(handle, folder) or glossary.to_store("run_interrupted")
            if not ended and finish(rid, "interrupted", error=gone, only_if_running=True):
                interrupted.append(rid)
            executor.release(handle)
            _release(rid)
    started = schedule()
    return {"started": started, "interrupted": interrupted, "active": len(rows) + len(started)}


def _release(run_id: str) -> None:
    """The worker is gone: nothing more will come from it, so stop looking at its folder."""
    with db.transaction() as con:
        con.execute("UPDATE runs SET executor_handle = NULL WHERE run_id = ?", [run_id])


def schedule() -> list[str]:
    """Start queued runs, oldest first, while fewer than the parallel limit are running."""
    started = []
    with _schedule_lock, db.transaction() as con:
        waiting, = con.execute("SELECT count(*) FROM runs WHERE status = 'queued'").fetchone()
        if not waiting:
            return started
        executor, warning = choose()
        cores, node_cores = executors.cores(executor.capacity())  # as resources.cores_where_runs_train
        running, = con.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()
        room = resources.max_parallel_runs(cores) - running
        if room <= 0:
            return started
        queued = con.execute("SELECT run_id, run_dir, plan FROM runs WHERE status = 'queued' "
                             "ORDER BY created_at, run_id LIMIT ?", [room]).fetchall()
        for run_id, run_dir, plan in queued:
            now = time.time()
            plan = json.loads(plan or "{}")
            cpus = resources.run_cores((plan.get("fit_kwargs") or {}).get("num_cpus"), cores, node_cores)
            handle = executor.submit(run_id, run_folder(run_dir), cpus=cpus, launched_at=now,
                                     memory_gb=(plan.get("estimate") or {}).get("memory_needed_gb"))
            con.execute("UPDATE runs SET status = 'running', executor_handle = ?, started_at = ? "
                        "WHERE run_id = ?", [json.dumps(handle), now, run_id])
            if warning:  # said on the run, where its analyst looks
                _merge_details(con, run_id, {"placement_warning": warning})
            started.append(run_id)
    return started


def ingest(run_id: str, folder: Path) -> bool:
    """Apply complete new lines of events.jsonl; return True once the run has ended."""
    path = folder / "events.jsonl"
    with _ingest_lock, db.transaction() as con:
        status, offset, started_at = con.execute(
            "SELECT status, events_offset, started_at FROM runs WHERE run_id = ?", [run_id]).fetchone()
        if not path.exists() or path.stat().st_size <= offset:
            return status in TERMINAL
        with open(path, "rb") as fh:
            fh.seek(offset)
            chunk = fh.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        ended = status in TERMINAL
        for line in complete.decode("utf-8").splitlines():
            ended = _apply(con, run_id, json.loads(line)) or ended
        con.execute("UPDATE runs SET events_offset = ? WHERE run_id = ?", [offset + len(complete), run_id])
        return ended


def _apply(con, run_id: str, event: dict) -> bool:
    kind, t = event["event"], event["t"]
    if kind == "fitting":
        con.execute("UPDATE runs SET current_model = ? WHERE run_id = ? AND status = 'running'",
                    [event["model"], run_id])
    elif kind == "model":
        con.execute("INSERT OR REPLACE INTO run_models (run_id, model, score_val, fit_time, predict_time, "
                    "stack_level, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [run_id, event["model"], event["score_val"], event["fit_time"], event["predict_time"],
                     event["stack_level"], t])
        con.execute("UPDATE runs SET first_model_at = coalesce(first_model_at, ?) WHERE run_id = ?", [t, run_id])
    elif kind == "step":  # finishing work after the fit: refitting, scoring, explaining
        con.execute("UPDATE runs SET current_model = NULL WHERE run_id = ?", [run_id])
        _merge_details(con, run_id, {"step": event["step"]})
    elif kind == "reproducibility":
        _merge_details(con, run_id, {"reproducibility": {k: event[k] for k in ("fit_kwargs", "columns")}})
    elif kind == "placed":  # where the worker runs: this machine, or a Ray node
        _merge_details(con, run_id, {"placement": {k: v for k, v in event.items() if k not in ("t", "event")}})
    elif kind == "split":
        _merge_details(con, run_id, {"train_rows": event["train_rows"], "holdout_rows": event["holdout_rows"]})
    elif kind == "finished":
        keep = ("failures", "positive_class", "classes", "features_used", "features_dropped", "autogluon_version",
                "decision_threshold", "usage", "model_for_use", "refit_best")
        _merge_details(con, run_id, {k: event.get(k) for k in keep} | {"step": None})
        con.execute("UPDATE runs SET status = 'succeeded', autogluon_best = ?, holdout_metrics = ?, ended_at = ?, "
                    "current_model = NULL WHERE run_id = ? AND status NOT IN ('cancelled', 'interrupted')",
                    [event["chosen_model"], json.dumps(event["holdout_metrics"]), t, run_id])
        return True
    elif kind == "scored":
        for m in event["models"]:
            con.execute(
                """INSERT INTO run_models (run_id, model, score_val, score_test, fit_time, predict_time,
                       stack_level, recorded_at, refit_model, predict_ms_per_1000, disk_mb, decision_threshold)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT DO UPDATE SET score_val = excluded.score_val, score_test = excluded.score_test,
                       fit_time = excluded.fit_time, predict_time = excluded.predict_time,
                       refit_model = excluded.refit_model, predict_ms_per_1000 = excluded.predict_ms_per_1000,
                       disk_mb = excluded.disk_mb, decision_threshold = excluded.decision_threshold""",
                [run_id, m["model"], m["score_val"], m["score_test"], m["fit_time"], m["predict_time"],
                 m["stack_level"], t, m.get("refit_model"), m.get("predict_ms_per_1000"), m.get("disk_mb"),
                 m.get("decision_threshold")])
    elif kind == "assessed":
        con.execute("UPDATE runs SET suspect = ?, suspect_reasons = ? WHERE run_id = ?",
                    [event["suspect"], json.dumps(event["reasons"]), run_id])
        _merge_details(con, run_id, {k: event.get(k) for k in ("baseline_error", "model_error", "importance_shares")})
    elif kind == "failed":
        con.execute("UPDATE runs SET status = 'failed', error = ?, ended_at = ?, current_model = NULL "
                    "WHERE run_id = ? AND status NOT IN ('cancelled', 'interrupted')",
                    [_plain_failure(event["error"]), t, run_id])
        return True
    return False


def _merge_details(con, run_id: str, values: dict) -> None:
    current, = con.execute("SELECT details FROM runs WHERE run_id = ?", [run_id]).fetchone()
    merged = {**json.loads(current or "{}"), **values}
    con.execute("UPDATE runs SET details = ? WHERE run_id = ?", [json.dumps(merged, default=str), run_id])


def _plain_failure(error: str) -> str:
    if "No models were trained" in error or "Trainer has no fit models" in error:
        return glossary.to_store("run_no_model")
    return glossary.to_store("run_failed", error=error)


def finish(run_id: str, status: str, *, error: str | None = None, only_if_running: bool = False) -> bool:
    """Move a run to a terminal status unless it already has one; True if it moved."""
    with db.transaction() as con:
        current, = con.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchone()
        if current in TERMINAL or (only_if_running and current != "running"):
            return False
        con.execute("UPDATE runs SET status = ?, error = ?, ended_at = ?, current_model = NULL "
                    "WHERE run_id = ?", [status, error, time.time(), run_id])
        return True
