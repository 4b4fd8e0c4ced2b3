"""The life of a training run: start (or queue), follow its events, cancel, and show it.

Workers report through events.jsonl in their run folder; `sync` ingests new events into
DuckDB whenever anyone looks (a page poll, a CLI call, the worker's own exit), marks runs
whose process died as interrupted, and starts queued runs while there is room.
"""

import json
import platform
import shutil
import threading
import time
import uuid
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from core import config, db, resources
from core.db import quote_ident
from core.errors import InvalidInput, NotFound
from core.executor import get_executor
from core.runplan import make_plan
from core.runspec import RunSpec, spec_json

TERMINAL = ("succeeded", "failed", "cancelled", "interrupted")
PACKAGES = ["autogluon.tabular", "lightgbm", "catboost", "xgboost", "scikit-learn", "pandas", "duckdb"]
INTERRUPTED = ("The training process stopped before it finished (the app or the machine restarted, "
               "or the process was killed). Models trained before that are kept.")
_schedule_lock = threading.Lock()


def runs_dir() -> Path:
    path = config.home() / "runs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def environment() -> dict:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"python": platform.python_version(), "packages": versions, **resources.machine()}


def plan(spec: RunSpec, lang: str = "en") -> dict:
    """Validate without starting anything (the run form's preview, and `runs plan`)."""
    return make_plan(spec, lang=lang)


def start(spec: RunSpec, *, user: str | None = None) -> dict:
    """Validate, snapshot the data into a run folder, record the run, and start or queue it."""
    the_plan = make_plan(spec)
    run_id = "run_" + datetime.now(timezone.utc).strftime("%Y%m%d_%H%M%S_") + uuid.uuid4().hex[:4]
    run_dir = runs_dir() / run_id
    run_dir.mkdir()
    try:
        with db.connect() as con:
            table = con.execute("SELECT table_name FROM datasets WHERE dataset_id = ?",
                                [the_plan["dataset_id"]]).fetchone()[0]
            con.execute(f"COPY (SELECT * FROM {quote_ident(table)}) TO '{run_dir / 'data.parquet'}' "
                        "(FORMAT parquet)")
        worker_plan = {**the_plan, "run_id": run_id}
        (run_dir / "plan.json").write_text(json.dumps(worker_plan, indent=2, default=str))
        (run_dir / "spec.json").write_text(spec_json(spec))
        with db.transaction() as con:
            con.execute(
                """INSERT INTO runs (run_id, dataset_id, dataset_hash, dataset_name, target, problem_type,
                       eval_metric, goal, quality, time_limit, seed, status, spec, plan, environment,
                       run_dir, parent_run_id, created_by)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)""",
                [run_id, the_plan["dataset_id"], the_plan["dataset_hash"], the_plan["dataset_name"],
                 spec.target, the_plan["problem_type"], the_plan["eval_metric"], the_plan["goal"],
                 spec.quality, spec.time_limit, spec.seed, spec_json(spec),
                 json.dumps(worker_plan, default=str), json.dumps(environment()), str(run_dir),
                 spec.parent_run_id, user or config.default_user()],
            )
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    schedule()
    return show(run_id)


def schedule() -> list[str]:
    """Start queued runs, oldest first, while fewer than the parallel limit are running."""
    started = []
    with _schedule_lock, db.transaction() as con:
        running, = con.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()
        room = resources.max_parallel_runs() - running
        if room <= 0:
            return started
        queued = con.execute("SELECT run_id, run_dir FROM runs WHERE status = 'queued' "
                             "ORDER BY created_at, run_id LIMIT ?", [room]).fetchall()
        for run_id, run_dir in queued:
            handle = get_executor().submit(run_id, Path(run_dir))
            con.execute("UPDATE runs SET status = 'running', executor_handle = ?, started_at = ? "
                        "WHERE run_id = ?", [json.dumps(handle), time.time(), run_id])
            started.append(run_id)
    return started


def sync(run_id: str | None = None) -> None:
    """Ingest new events of running runs, mark dead ones interrupted, then fill free slots."""
    with db.connect() as con:
        rows = con.execute(
            "SELECT run_id, run_dir, events_offset, executor_handle FROM runs WHERE status = 'running'"
            + (" AND run_id = ?" if run_id else ""), [run_id] if run_id else []).fetchall()
    for rid, run_dir, _, handle in rows:
        ended = _ingest(rid, Path(run_dir), None)
        if not ended and not get_executor().is_alive(json.loads(handle or "{}")):
            _ingest(rid, Path(run_dir), None)  # a last look: it may have written its end just now
            _finish(rid, "interrupted", INTERRUPTED, only_if_running=True)
    schedule()


def _ingest(run_id: str, run_dir: Path, offset: int | None) -> bool:
    """Apply complete new lines of events.jsonl; return True once the run has ended."""
    path = run_dir / "events.jsonl"
    with db.transaction() as con:
        status, stored, started_at = con.execute(
            "SELECT status, events_offset, started_at FROM runs WHERE run_id = ?", [run_id]).fetchone()
        offset = stored if offset is None else offset
        if not path.exists() or path.stat().st_size <= offset:
            return status in TERMINAL
        with open(path, "rb") as fh:
            fh.seek(offset)
            chunk = fh.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        ended = status in TERMINAL
        for line in complete.decode("utf-8").splitlines():
            ended = _apply(con, run_id, json.loads(line), started_at) or ended
        con.execute("UPDATE runs SET events_offset = ? WHERE run_id = ?", [offset + len(complete), run_id])
        return ended


def _apply(con, run_id: str, event: dict, started_at: float) -> bool:
    kind, t = event["event"], event["t"]
    if kind == "fitting":
        con.execute("UPDATE runs SET current_model = ? WHERE run_id = ?", [event["model"], run_id])
    elif kind == "model":
        con.execute("INSERT OR REPLACE INTO run_models (run_id, model, score_val, fit_time, predict_time, "
                    "stack_level, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [run_id, event["model"], event["score_val"], event["fit_time"], event["predict_time"],
                     event["stack_level"], t])
        con.execute("UPDATE runs SET first_model_at = coalesce(first_model_at, ?) WHERE run_id = ?", [t, run_id])
    elif kind == "split":
        _merge_details(con, run_id, {"train_rows": event["train_rows"], "holdout_rows": event["holdout_rows"]})
    elif kind == "finished":
        keep = ("failures", "positive_class", "classes", "features_used", "features_dropped", "autogluon_version")
        _merge_details(con, run_id, {k: event.get(k) for k in keep})
        con.execute("UPDATE runs SET status = 'succeeded', chosen_model = ?, holdout_metrics = ?, ended_at = ?, "
                    "current_model = NULL WHERE run_id = ? AND status NOT IN ('cancelled', 'interrupted')",
                    [event["chosen_model"], json.dumps(event["holdout_metrics"]), t, run_id])
        return True
    elif kind == "scored":
        for m in event["models"]:
            con.execute(
                """INSERT INTO run_models (run_id, model, score_val, score_test, fit_time, predict_time,
                       stack_level, recorded_at, refit_model, predict_ms_per_1000, disk_mb)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT DO UPDATE SET score_val = excluded.score_val, score_test = excluded.score_test,
                       fit_time = excluded.fit_time, predict_time = excluded.predict_time,
                       refit_model = excluded.refit_model, predict_ms_per_1000 = excluded.predict_ms_per_1000,
                       disk_mb = excluded.disk_mb""",
                [run_id, m["model"], m["score_val"], m["score_test"], m["fit_time"], m["predict_time"],
                 m["stack_level"], t, m.get("refit_model"), m.get("predict_ms_per_1000"), m.get("disk_mb")])
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


FAILURE_WORDS = {
    "NotEnoughMemoryError": "skipped: this machine did not have enough free memory for it",
    "NotEnoughCudaMemoryError": "skipped: not enough GPU memory",
    "TimeLimitExceeded": "stopped: the time budget ran out before it finished",
    "ImportError": "skipped: a package it needs is not installed",
    "ModuleNotFoundError": "skipped: a package it needs is not installed",
    "NoValidFeatures": "skipped: none of the columns suits this kind of model",
    "NoGPUError": "skipped: it needs a GPU and this machine has none",
    "InsufficientTime": "skipped: too little time was left to train it",
}


def plain_reason(failure: dict) -> str:
    """AutoGluon's exception type for a model, as a phrase a person can read."""
    words = FAILURE_WORDS.get(failure.get("exc_type"))
    if words:
        return words
    detail = (failure.get("detail") or failure.get("exc_type") or "an unknown error").strip()
    return f"failed with an error: {detail}"


def _plain_failure(error: str) -> str:
    if "No models were trained" in error or "Trainer has no fit models" in error:
        return ("No model finished training. Give the run more time, choose the 'fast' quality level, "
                "or include more model families.")
    return f"Training stopped with an error: {error}. The full log is in the run folder (worker.log)."


def _finish(run_id: str, status: str, error: str | None, *, only_if_running: bool = False) -> None:
    with db.transaction() as con:
        current, = con.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchone()
        if current in TERMINAL or (only_if_running and current != "running"):
            return
        con.execute("UPDATE runs SET status = ?, error = ?, ended_at = ?, current_model = NULL "
                    "WHERE run_id = ?", [status, error, time.time(), run_id])


def cancel(run_id: str) -> dict:
    """Stop a queued or running run; models trained so far stay in its folder."""
    run = _row(run_id)
    if run["status"] in TERMINAL:
        raise InvalidInput(f"Run {run_id} already ended ({run['status']}); there is nothing to cancel.")
    if run["status"] == "running":
        get_executor().cancel(json.loads(run["executor_handle"] or "{}"))
        _ingest(run_id, Path(run["run_dir"]), None)
    _finish(run_id, "cancelled", None)
    schedule()
    return show(run_id)


def after_worker(run_id: str) -> None:
    """Called by a worker as it exits: record its events and hand its slot to the next run."""
    run = _row(run_id)
    _ingest(run_id, Path(run["run_dir"]), None)
    sync(run_id)


def wait(run_id: str, timeout: float | None = None, poll: float = 0.5) -> dict:
    """Block until the run ends and its worker has reported everything (e.g. every model's holdout score)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        info = show(run_id)
        if deadline and time.monotonic() > deadline:
            return info
        if info["status"] in TERMINAL:
            handle = json.loads(_row(run_id)["executor_handle"] or "{}")
            if not handle or not get_executor().is_alive(handle):
                return show(run_id)
        time.sleep(poll)


def _row(run_id: str) -> dict:
    with db.connect() as con:
        cur = con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id])
        row = cur.fetchone()
        if row is None:
            known = [r for (r,) in con.execute(
                "SELECT run_id FROM runs ORDER BY created_at DESC LIMIT 5").fetchall()]
            raise NotFound(f"No run '{run_id}'. Recent runs are: {', '.join(known) or 'none yet'}. "
                           "List them with 'python -m core runs list'.")
        return dict(zip([d[0] for d in cur.description], row))


def show(run_id: str) -> dict:
    """Status, models, scores and timings of one run (the `runs show --json` shape)."""
    with db.connect():  # one open file for the whole look, however many steps it takes
        return _show(run_id)


def _show(run_id: str) -> dict:
    run = _row(run_id)
    if run["status"] == "running":
        sync(run_id)
    else:
        _ingest(run_id, Path(run["run_dir"]), None)  # late events, e.g. holdout scores of every model
    run = _row(run_id)
    with db.connect() as con:
        cur = con.execute("SELECT model, score_val, score_test, fit_time, predict_time, stack_level, "
                          "refit_model, predict_ms_per_1000, disk_mb, recorded_at FROM run_models "
                          "WHERE run_id = ? ORDER BY recorded_at, model", [run_id])
        models = [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]
        picked = con.execute(
            "SELECT model, threshold, reason, chosen_by, chosen_at FROM run_choices WHERE run_id = ? "
            "ORDER BY chosen_at DESC, rowid DESC LIMIT 1", [run_id]).fetchone()
    started, first, ended = run["started_at"], run["first_model_at"], run["ended_at"]
    for m in models:
        m["seconds_after_launch"] = None if not started else round(m.pop("recorded_at") - started, 2)
    details = json.loads(run["details"] or "{}")
    choice = _choice(run, models, picked)
    spec = json.loads(run["spec"])
    plan_ = json.loads(run["plan"])
    return {
        "run_id": run_id,
        "status": run["status"],
        "dataset_id": run["dataset_id"],
        "dataset_name": run["dataset_name"],
        "target": run["target"],
        "problem_type": run["problem_type"],
        "problem_sentence": plan_.get("problem_sentence"),
        "goal": run["goal"],
        "eval_metric": run["eval_metric"],
        "quality": run["quality"],
        "time_limit": run["time_limit"],
        "seed": run["seed"],
        "first_model_seconds": None if not (first and started) else round(first - started, 2),
        "elapsed_seconds": None if not started else round((ended or time.time()) - started, 1),
        "current_model": run["current_model"],
        "chosen_model": choice["model"],
        "autogluon_best": run["chosen_model"],
        "threshold": choice["threshold"],
        "choice": choice,
        "models": models,
        "holdout_metrics": json.loads(run["holdout_metrics"] or "null") or {},
        "failures": [{**f, "reason": plain_reason(f)} for f in details.get("failures") or []],
        "error": run["error"],
        "summary": summary(run, models),
        "excluded": plan_.get("excluded", []),
        "data_warnings": plan_.get("warnings", []),
        "sensitive": plan_.get("sensitive", []),
        "features": plan_.get("features", []),
        "details": details,
        "spec": spec,
        "fit_kwargs": plan_.get("fit_kwargs"),
        "environment": json.loads(run["environment"]),
        "parent_run_id": run["parent_run_id"],
        "run_dir": run["run_dir"],
        "created_by": run["created_by"],
        "created_at": run["created_at"].isoformat(timespec="seconds"),
    }


def _choice(run: dict, models: list[dict], picked) -> dict:
    """The model (and threshold) used downstream: a person's latest choice, else AutoGluon's best."""
    if picked:
        model, threshold, reason, who, when = picked
        return {"model": model, "threshold": threshold, "reason": reason, "chosen_by": who,
                "chosen_at": when.isoformat(timespec="seconds")}
    best = run["chosen_model"]
    shown = next((m["model"] for m in models if best in (m["model"], m.get("refit_model"))), best)
    return {"model": shown, "threshold": 0.5 if run["problem_type"] == "binary" else None,
            "reason": "AutoGluon's best model on validation", "chosen_by": "autogluon", "chosen_at": None}


def summary(run: dict, models: list[dict]) -> str:
    """One plain sentence about where the run stands (the glossary issue makes the full narrative)."""
    status = run["status"]
    if status == "queued":
        return "Waiting for a free slot; it starts when a running run ends."
    if status == "running":
        return f"{len(models)} models trained so far." + (
            f" Now training {run['current_model']}." if run["current_model"] else "")
    if status == "succeeded":
        metrics = json.loads(run["holdout_metrics"] or "{}")
        score = metrics.get(run["eval_metric"])
        shown = "" if score is None else f" scores {score:.3g} {run['eval_metric']} on the holdout rows it never saw"
        best = next((m["model"] for m in models if run["chosen_model"] in (m["model"], m.get("refit_model"))),
                    run["chosen_model"])
        return f"{len(models)} models trained; AutoGluon's best model, {best},{shown}."
    if status == "cancelled":
        if not models:
            return "No model had finished training."
        return f"{len(models)} models had finished; they are kept and can be used."
    return run["error"] or status


def list_runs() -> list[dict]:
    with db.connect() as con:
        sync()
        cur = con.execute(
            """SELECT r.run_id, r.status, r.dataset_id, r.dataset_name, r.target, r.problem_type,
                      r.eval_metric, r.quality, r.time_limit, r.chosen_model, r.created_by, r.created_at,
                      r.started_at, r.ended_at, r.parent_run_id, count(m.model) AS models
               FROM runs r LEFT JOIN run_models m USING (run_id)
               GROUP BY ALL ORDER BY r.created_at DESC, r.run_id DESC""")
        rows = [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]
    for r in rows:
        r["created_at"] = r["created_at"].isoformat(timespec="seconds")
        started, ended = r.pop("started_at"), r.pop("ended_at")
        r["elapsed_seconds"] = None if not started else round((ended or time.time()) - started, 1)
    return rows


def has_results(run: dict) -> bool:
    """A run with a model to read: succeeded, or cancelled after some models finished.

    `run` is a `show` or `list_runs` row (models as a list or as a count).
    """
    return run["status"] in ("succeeded", "cancelled") and bool(run["models"])


def with_results() -> list[dict]:
    """Runs with a model to read, newest first."""
    return [r for r in list_runs() if has_results(r)]
