"""Actions on runs: plan (validate only), start (or queue), cancel, and wait for the end.

Each action writes what it means and nothing else; following a run's progress is
core.training.sync's job, and showing it is core.training.views'.
"""

import json
import platform
import shutil
import time
import uuid
from datetime import datetime, timezone
from importlib import metadata

from core.foundation import config, db
from core.foundation.db import quote_ident
from core.foundation.errors import InvalidInput
from core.training import resources, sync, views
from core.training.executors import get_executor
from core.training.plan import make_plan
from core.training.spec import RunSpec, spec_json
from core.governance import roles
from core.governance.roles import action

PACKAGES = ["autogluon.tabular", "lightgbm", "catboost", "xgboost", "scikit-learn", "pandas", "duckdb"]
RUNS_FOLDER = "runs"


def environment() -> dict:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"python": platform.python_version(), "packages": versions, **resources.machine()}


def plan(spec: RunSpec, *, lang: str = "en") -> dict:
    """Validate without starting anything (the run form's preview, and `runs plan`)."""
    return make_plan(spec, lang=lang)


@action("start_run", made="run_id")
def start(spec: RunSpec, *, user: str | None = None, rerun_of: str | None = None) -> views.RunRecord:
    """Validate, snapshot the data into a run folder, record the run, and start or queue it."""
    if spec.expert_controls():
        roles.require(user, "expert_controls", ", ".join(spec.expert_controls()))
    the_plan = make_plan(spec)
    run_id = "run_" + datetime.now(timezone.utc).strftime("%Y%m%d_%H%M%S_") + uuid.uuid4().hex[:4]
    run_dir = f"{RUNS_FOLDER}/{run_id}"  # relative to the workspace
    folder = views.run_folder(run_dir)
    folder.mkdir(parents=True)
    try:
        with db.connect() as con:
            table = con.execute("SELECT table_name FROM datasets WHERE dataset_id = ?",
                                [the_plan["dataset_id"]]).fetchone()[0]
            con.execute(f"COPY (SELECT * FROM {quote_ident(table)}) TO ? (FORMAT parquet)",
                        [str(folder / "data.parquet")])
        worker_plan = {**the_plan, "run_id": run_id}
        (folder / "plan.json").write_text(json.dumps(worker_plan, indent=2, default=str))
        (folder / "spec.json").write_text(spec_json(spec))
        with db.transaction() as con:
            con.execute(
                """INSERT INTO runs (run_id, dataset_id, dataset_hash, dataset_name, target, problem_type,
                       eval_metric, goal, quality, time_limit, seed, status, spec, plan, environment,
                       run_dir, parent_run_id, rerun_of, created_by)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)""",
                [run_id, the_plan["dataset_id"], the_plan["dataset_hash"], the_plan["dataset_name"],
                 spec.target, the_plan["problem_type"], the_plan["eval_metric"], the_plan["goal"],
                 spec.quality, spec.time_limit, spec.seed, spec_json(spec),
                 json.dumps(worker_plan, default=str), json.dumps(environment()), run_dir,
                 spec.parent_run_id, rerun_of, user or config.default_user()],
            )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    sync.schedule()  # starting is this action's point: a free slot takes it at once
    return views.load(run_id)


@action("rerun", obj="run_id")
def rerun(run_id: str, *, user: str | None = None) -> views.RunRecord:
    """Start a run identical to this one (same data set, spec and seed); lineage records it."""
    original = views.load(run_id)
    # Not a new choice of settings, so no expert check and one audit row (the rerun).
    return start.__wrapped__(RunSpec(**original.spec), user=user, rerun_of=original.rerun_of or run_id)


ENDED_WITHOUT_MODEL = ("failed", "cancelled", "interrupted")
RUN_TABLES = ("run_models", "run_choices", "run_comments", "fairness_analyses", "adopted_rules", "report_edits",
              "scoring_batches", "batch_outcomes")


@action("delete_failed_runs")
def delete_failed(*, confirmed: bool = False, user: str | None = None) -> dict:
    """Remove every run that ended without a model, with its rows and its folder (a run with a
    model, even a cancelled one, is kept: it can still be read). Needs confirming."""
    with db.connect() as con:
        doomed = [r[0] for r in con.execute(
            "SELECT r.run_id FROM runs r WHERE r.status IN (SELECT unnest(?)) AND NOT EXISTS "
            "(SELECT 1 FROM run_models m WHERE m.run_id = r.run_id) ORDER BY r.created_at",
            [list(ENDED_WITHOUT_MODEL)]).fetchall()]
    if not confirmed:
        raise InvalidInput(code="confirmation_needed", value=len(doomed), msg="delete_runs_confirm", n=len(doomed))
    folders = [views.load(r).folder for r in doomed]
    with db.transaction() as con:  # rows first: a crash leaves folders to sweep, never rows without one
        for table in RUN_TABLES:
            con.execute(f"DELETE FROM {quote_ident(table)} WHERE run_id IN (SELECT unnest(?))", [doomed])
        con.execute("DELETE FROM runs WHERE run_id IN (SELECT unnest(?))", [doomed])
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    return {"deleted": doomed, "folders_removed": len(folders), "by": user or config.default_user()}


@action("cancel_run", obj="run_id")
def cancel(run_id: str) -> views.RunRecord:
    """Stop a queued or running run; models trained so far stay in its folder."""
    run = views.load(run_id)
    if run.ended:
        raise InvalidInput(code="run_ended", value=run_id, msg="run_ended", run_id=run_id, status=run.status)
    executor = get_executor(run.executor_handle.get("executor")) if run.status == "running" else None
    if executor:  # it may have just finished: then there is nothing to cancel
        executor.collect(run.executor_handle, run.folder)
        sync.ingest(run_id, run.folder)
    # Status before the kill: the scheduler seeing a dead worker first would call it interrupted.
    sync.finish(run_id, "cancelled")
    if executor:
        executor.cancel(run.executor_handle)
        executor.collect(run.executor_handle, run.folder, final=True)  # the models trained so far
        sync.ingest(run_id, run.folder)
    sync.sync(run_id)  # the worker is gone: release it, and hand its slot to the next run
    return views.load(run_id)


MAX_NAME = 120


@action("rename_run", obj="run_id")
def rename(run_id: str, name: str, *, user: str | None = None) -> views.RunRecord:
    """Give a run a name people recognise (shown in every run picker)."""
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(code="empty_name", value=name, msg="empty_name_3")
    if len(name) > MAX_NAME:
        raise InvalidInput(code="name_too_long", value=len(name), msg="name_too_long_2", MAX_NAME=MAX_NAME,
                           p=len(name))
    with db.transaction() as con:
        views.row(con, run_id)
        con.execute("UPDATE runs SET name = ? WHERE run_id = ?", [name, run_id])
    return views.load(run_id)


def wait(run_id: str, *, timeout: float | None = None, poll: float = 0.5) -> views.RunRecord:
    """Drive sync until the run ends and its worker has reported everything (e.g. every model's
    holdout score); the CLI's --wait."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        sync.sync()
        run = views.load(run_id)
        if run.ended and not run.executor_handle:
            return run
        if deadline and time.monotonic() > deadline:
            return run
        time.sleep(poll)
