"""Read-only views of runs: one typed record per run, loaded from DuckDB and nothing else.

Nothing here ingests events, starts a worker or touches a run folder: showing a run is a read.
Events reach DuckDB through core.training.sync, run by the app's scheduler loop and the CLI.
"""

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import glossary
from core.foundation import config, db
from core.foundation.errors import InvalidInput, NotFound
from core.governance import vocabulary

TERMINAL = ("succeeded", "failed", "cancelled", "interrupted")
STATUSES = ("queued", "running", *TERMINAL)
MODEL_COLUMNS = ("model, score_val, score_test, fit_time, predict_time, stack_level, refit_model, "
                 "predict_ms_per_1000, disk_mb, decision_threshold, recorded_at")
@dataclass(frozen=True)
class RunRecord:
    """Everything pages and the CLI show about one run. `chosen_model` is the model in use
    (a person's choice, else AutoGluon's pick); AutoGluon's own pick is `autogluon_best`."""

    run_id: str
    name: str
    status: str
    dataset_id: str
    dataset_name: str
    target: str
    problem_type: str
    problem_sentence: str | None  # in the language of whoever launched it; problem_in(lang) says it in any
    problem: dict | None  # what it predicts, as values (runs planned before it was kept have only the sentence)
    goal: str | None
    eval_metric: str
    quality: str
    time_limit: float
    seed: int
    first_model_seconds: float | None
    elapsed_seconds: float | None
    current_model: str | None
    chosen_model: str | None
    autogluon_best: str | None
    threshold: float | None
    choice: dict
    models: list[dict]
    holdout_metrics: dict
    failures: list[dict]
    error_stored: str | None  # why it failed, as kept (glossary.to_store); `error` says it in English
    status_sentence: str
    excluded: list[str]
    exclusions: dict
    data_warnings: list[dict]
    sensitive: list[str]
    features: list[str]
    details: dict
    estimate: dict
    spec: dict
    fit_kwargs: dict | None
    environment: dict
    parent_run_id: str | None
    run_dir: str
    decision: str
    suspect: bool | None
    suspect_reasons: list[dict]
    created_by: str | None
    created_at: str
    executor_handle: dict = field(default_factory=dict, repr=False)
    data_source: dict = field(default_factory=dict)  # the data set's hash, file name and rows at launch
    rerun_of: str | None = None  # the run this one repeats, identically

    @property
    def folder(self) -> Path:
        """The run folder (stored relative to the workspace)."""
        return run_folder(self.run_dir)

    @property
    def has_model(self) -> bool:
        """A run with a model to read: succeeded, or cancelled after some models finished."""
        return has_model(self.status, len(self.models))

    @property
    def features_used(self) -> list[str]:
        """The columns the model reads: AutoGluon's own list once known, else the plan's."""
        return self.details.get("features_used") or self.features

    @property
    def ended(self) -> bool:
        return self.status in TERMINAL

    def predicting_model(self, model: str | None = None) -> str | None:
        """The model that predicts for a leaderboard row: its refit twin when it has one."""
        model = model or self.chosen_model
        for m in self.models:
            if m["model"] == model:
                return m.get("refit_model") or model
        return model

    def sentence(self, lang: str = "en") -> str:
        """`status_sentence` in another language."""
        return sentence(status=self.status, models=self.models, current_model=self.current_model,
                        step=self.details.get("step"), metrics=self.holdout_metrics, metric=self.eval_metric,
                        best=self.autogluon_best, error=self.error_stored, lang=lang)

    @property
    def error(self) -> str | None:
        return self.error_in("en")

    def problem_in(self, lang: str = "en") -> str | None:
        """What the run predicts, in `lang`."""
        return say_problem(self.problem, lang) if self.problem else self.problem_sentence

    def error_in(self, lang: str = "en") -> str | None:
        """Why the run failed or was interrupted, in `lang`."""
        return glossary.stored(self.error_stored, lang)

    def to_json(self) -> dict:
        """The `runs show --json` fields (the CLI adds `summary`)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in ("executor_handle", "error_stored")}
        out["error"] = self.error
        out["run_dir"] = str(self.folder)
        return out


def estimate_vs_actual(run: "RunRecord") -> list[dict]:
    """What the plan estimated before launch against what the run used (None where not known)."""
    e, used = run.estimate, run.details.get("usage") or {}
    return [{"measure": "memory_gb", "estimated": e.get("memory_needed_gb"), "actual": used.get("peak_memory_gb")},
            {"measure": "first_model_seconds", "estimated": e.get("first_model_seconds"),
             "actual": run.first_model_seconds},
            {"measure": "wall_seconds", "estimated": run.time_limit, "actual": run.elapsed_seconds},
            {"measure": "cores", "estimated": e.get("cores"), "actual": used.get("cores")}]


def has_model(status: str, model_count: int) -> bool:
    """The one rule for "has a model": succeeded, or cancelled after some models finished."""
    return status in ("succeeded", "cancelled") and model_count > 0


def run_folder(run_dir: str) -> Path:
    """A run's folder, which must lie inside the workspace's runs/ folder: models are loaded from
    it, and a model file can run code when loaded, so a row pointing elsewhere is refused."""
    runs = (config.home() / "runs").resolve()
    path = (config.home() / run_dir).resolve()  # an absolute run_dir stays absolute
    if not path.is_relative_to(runs):
        raise InvalidInput(code="run_folder_outside", value=str(run_dir), msg="run_folder_outside",
                           folder=str(run_dir), runs=str(runs))
    return path


def row(con, run_id: str) -> dict:
    """The raw `runs` row; NotFound names recent runs."""
    cur = con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id])
    found = cur.fetchone()
    if found is None:
        known = [r for (r,) in con.execute("SELECT run_id FROM runs ORDER BY created_at DESC LIMIT 5").fetchall()]
        raise NotFound(code="run_not_found", value=run_id, msg="run_not_found", run_id=run_id,
                       p=', '.join(known) or 'none yet')
    return dict(zip([d[0] for d in cur.description], found))


def load(run_id: str) -> RunRecord:
    """One run, read from DuckDB (pages load it once per rerun and pass it on)."""
    with db.connect() as con:
        run = row(con, run_id)
        cur = con.execute(f"SELECT {MODEL_COLUMNS} FROM run_models WHERE run_id = ? ORDER BY recorded_at, model",
                          [run_id])
        models = [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]
        picked = con.execute(
            "SELECT model, threshold, reason, chosen_by, chosen_at FROM run_choices WHERE run_id = ? "
            "ORDER BY chosen_at DESC, rowid DESC LIMIT 1", [run_id]).fetchone()
    started, first, ended = run["started_at"], run["first_model_at"], run["ended_at"]
    for m in models:
        recorded = m.pop("recorded_at")
        m["seconds_after_launch"] = None if not (started and recorded) else round(recorded - started, 2)
    details = json.loads(run["details"] or "{}")
    choice = _choice(run, models, picked)
    plan = json.loads(run["plan"])
    return RunRecord(
        run_id=run_id, name=run_name(run), status=run["status"], dataset_id=run["dataset_id"],
        dataset_name=run["dataset_name"],
        target=run["target"], problem_type=run["problem_type"], problem_sentence=plan.get("problem_sentence"),
        problem=plan.get("problem"),
        goal=run["goal"], eval_metric=run["eval_metric"], quality=run["quality"], time_limit=run["time_limit"],
        seed=run["seed"],
        first_model_seconds=None if not (first and started) else round(first - started, 2),
        elapsed_seconds=None if not started else round((ended or time.time()) - started, 1),
        current_model=run["current_model"], chosen_model=choice["model"], autogluon_best=run["autogluon_best"],
        threshold=choice["threshold"], choice=choice, models=models,
        holdout_metrics=json.loads(run["holdout_metrics"] or "null") or {},
        failures=[{**f, "reason": plain_reason(f)} for f in details.get("failures") or []],
        error_stored=run["error"], status_sentence=status_sentence(run, models),
        excluded=plan.get("excluded", []), exclusions=plan.get("exclusions") or {},
        data_warnings=plan.get("warnings", []),
        sensitive=plan.get("sensitive", []), features=plan.get("features", []), details=details,
        estimate=plan.get("estimate") or {},
        spec=json.loads(run["spec"]), fit_kwargs=plan.get("fit_kwargs"), environment=json.loads(run["environment"]),
        parent_run_id=run["parent_run_id"], run_dir=run["run_dir"], decision=run["decision"] or "draft",
        suspect=run["suspect"], suspect_reasons=json.loads(run["suspect_reasons"] or "[]"),
        created_by=run["created_by"], created_at=run["created_at"].isoformat(timespec="seconds"),
        executor_handle=json.loads(run["executor_handle"] or "{}"),
        data_source={"hash": plan.get("dataset_hash"), "file": plan.get("source_filename"), "rows": plan.get("rows")},
        rerun_of=run.get("rerun_of"),
    )


def run_name(run: dict) -> str:
    """A run's name: the one people gave it, else "target · quality · date"."""
    return run["name"] or f"{run['target']} · {run['quality']} · {run['created_at']:%Y-%m-%d %H:%M}"


def _shown_name(best: str | None, models: list[dict]) -> str | None:
    """AutoGluon's pick may be a refit '_FULL' twin; the leaderboard shows it by its bagged name."""
    return next((m["model"] for m in models if best in (m["model"], m.get("refit_model"))), best)


def _choice(run: dict, models: list[dict], picked) -> dict:
    """The model (and threshold) in use: a person's latest choice, else AutoGluon's best."""
    if picked:
        model, threshold, reason, who, when = picked
        return {"model": model, "threshold": threshold, "reason": reason, "chosen_by": who,
                "chosen_at": when.isoformat(timespec="seconds")}
    model = _shown_name(run["autogluon_best"], models) if run["autogluon_best"] else \
        (models[0]["model"] if models else None)
    return {"model": model, "threshold": default_threshold(run, models, model),
            "reason": "AutoGluon's best model on validation", "chosen_by": "autogluon", "chosen_at": None}


def default_threshold(run: dict, models: list[dict], model: str | None) -> float | None:
    """AutoGluon's decision threshold for a model (tuned on validation or out-of-fold rows), else 0.5."""
    if run["problem_type"] != "binary":
        return None
    own = next((m.get("decision_threshold") for m in models if m["model"] == model), None)
    if own is None and model is not None and _shown_name(run["autogluon_best"], models) == model:
        own = json.loads(run["details"] or "{}").get("decision_threshold")
    return 0.5 if own is None else own


def status_sentence(run: dict, models: list[dict], lang: str = "en") -> str:
    """One plain sentence about where the run stands (`run` is the raw row)."""
    return sentence(status=run["status"], models=models, current_model=run["current_model"],
                    step=json.loads(run.get("details") or "{}").get("step"),
                    metrics=json.loads(run["holdout_metrics"] or "{}"), metric=run["eval_metric"],
                    best=run["autogluon_best"], error=run["error"], lang=lang)


def say_problem(values: dict, lang: str = "en") -> str:
    """What a run predicts (plan.problem's values), in `lang`."""
    return glossary.story(f"problem_{values['kind']}", lang, **{k: v for k, v in values.items() if k != "kind"})


def sentence(*, status: str, models: list[dict], current_model: str | None, step: str | None, metrics: dict,
             metric: str, best: str | None, error: str | None, lang: str = "en") -> str:
    def say(key, **values):
        return glossary.message(key, lang, **values)

    n = len(models)
    if status == "queued":
        return say("status_queued")
    if status == "running":
        now = say("status_finishing", step=say("step_" + step)) if step else \
            say("status_now_training", model=current_model) if current_model else ""
        return say("status_running_one" if n == 1 else "status_running", count=n) + now
    if status == "succeeded":
        score = metrics.get(metric)
        shown = "" if score is None else say("status_scores", score=glossary.number(float(score), lang),
                                             metric=vocabulary.show(metric, lang)["term"]
                                             if metric in glossary.terms() else metric)
        return say("status_succeeded", count=n, best=_shown_name(best, models), shown=shown)
    if status == "cancelled":
        return say("status_cancelled", count=n) if models else say("status_cancelled_none")
    return glossary.stored(error, lang) or status


def plain_reason(failure: dict, lang: str = "en") -> str:
    """AutoGluon's exception type for a model, as a phrase a person can read."""
    key = "failure_" + str(failure.get("exc_type"))
    if key in glossary.messages():
        return glossary.message(key, lang)
    detail = (failure.get("detail") or failure.get("exc_type") or "an unknown error").strip()
    return glossary.message("failure_error", lang, detail=detail)


FILTERS = ("dataset", "target", "status", "decision", "suspect", "author")


def list_runs(*, dataset: str | None = None, target: str | None = None, status: str | None = None,
              decision: str | None = None, suspect: bool | None = None, author: str | None = None,
              sort: str = "newest") -> list[dict]:
    """Every run as short rows (for pickers, the registry and `runs list`): newest first, or by
    holdout score, best first (each run's metric in its own direction). Filters match exactly;
    the data set by id or name."""
    with db.connect() as con:
        cur = con.execute(
            """SELECT r.run_id, r.name, r.status, r.dataset_id, r.dataset_name, r.target, r.problem_type,
                      r.eval_metric, r.quality, r.time_limit, r.autogluon_best, r.decision, r.suspect, r.created_by,
                      r.created_at, r.started_at, r.ended_at, r.parent_run_id, r.rerun_of,
                      r.holdout_metrics ->> r.eval_metric AS score, count(m.model) AS models
               FROM runs r LEFT JOIN run_models m USING (run_id)
               WHERE (? IS NULL OR r.dataset_id = ? OR r.dataset_name = ?) AND (? IS NULL OR r.target = ?)
                 AND (? IS NULL OR r.status = ?) AND (? IS NULL OR coalesce(r.decision, 'draft') = ?)
                 AND (? IS NULL OR coalesce(r.suspect, false) = ?) AND (? IS NULL OR r.created_by = ?)
               GROUP BY ALL ORDER BY r.created_at DESC, r.run_id DESC""",
            [dataset, dataset, dataset, target, target, status, status, decision, decision, suspect, suspect,
             author, author])
        rows = [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]
    for r in rows:
        r["name"] = run_name(r)
        r["created_at"] = r["created_at"].isoformat(timespec="seconds")
        r["decision"] = r["decision"] or "draft"
        r["score"] = None if r["score"] is None else float(r["score"])
        started, ended = r.pop("started_at"), r.pop("ended_at")
        r["elapsed_seconds"] = None if not started else round((ended or time.time()) - started, 1)
        r["has_model"] = has_model(r["status"], r["models"])
    if sort == "score":
        from core.analysis.metrics import greater_is_better

        def best_first(r):
            if r["score"] is None:
                return (1, 0.0)
            return (0, -r["score"] if greater_is_better(r["eval_metric"], r["problem_type"]) else r["score"])
        rows.sort(key=best_first)
    elif sort != "newest":
        raise InvalidInput(code="unknown_sort", value=sort, msg="unknown_sort", sort=sort, known="newest, score")
    return rows


def lineage(run_id: str) -> dict:
    """Where a run comes from and what came of it: its data set version and the versions and recipe
    steps back to the raw file, the model in use and the batches it scored, the run it tweaks, the
    run it repeats, and the runs that tweak or repeat it. Reads only."""
    run = load(run_id)
    with db.connect() as con:
        tweaks = [r[0] for r in con.execute("SELECT run_id FROM runs WHERE parent_run_id = ? ORDER BY created_at",
                                            [run_id]).fetchall()]
        reruns = [r[0] for r in con.execute("SELECT run_id FROM runs WHERE rerun_of = ? ORDER BY created_at",
                                            [run.rerun_of or run_id]).fetchall()]
        batches = [{"batch_id": b, "input_name": n, "rows": r, "scored_at": str(t)} for b, n, r, t in con.execute(
            "SELECT batch_id, input_name, rows, scored_at FROM scoring_batches WHERE run_id = ? ORDER BY scored_at",
            [run_id]).fetchall()]
        exists = con.execute("SELECT 1 FROM datasets WHERE dataset_id = ?", [run.dataset_id]).fetchone()
    from core.prep import recipes  # the data set's versions back to the raw file, with their recipes

    versions = recipes.show(run.dataset_id)["lineage"] if exists else []
    return {"run_id": run_id, "dataset": {"id": run.dataset_id, "name": run.dataset_name, **run.data_source},
            "data_versions": versions, "model": run.chosen_model, "scored_batches": batches,
            "parent_run_id": run.parent_run_id, "tweaks": tweaks, "rerun_of": run.rerun_of,
            "reruns": [r for r in reruns if r != run_id]}


def with_results() -> list[dict]:
    """Runs with a model to read, newest first."""
    return [r for r in list_runs() if r["has_model"]]
