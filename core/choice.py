"""Which model of a run is used downstream, and with which decision threshold.

AutoGluon's best model is the default; a person may overrule it. Every choice is a new row
(who, when, why), so the history stays; the latest row is the current choice.
"""

from core import config, db, runs
from core.errors import InvalidInput


def current(run_id: str) -> dict:
    """The model and threshold that evaluation, scoring and reports use for this run."""
    return runs.show(run_id)["choice"]


def choose(run_id: str, *, model: str | None = None, threshold: float | None = None,
           reason: str | None = None, user: str | None = None) -> dict:
    """Record a new choice; unspecified parts carry over from the current one."""
    run = runs.show(run_id)
    usable = usable_models(run)
    if not usable:
        raise InvalidInput(f"Run {run_id} has no trained model to choose ({run['status']}: {run['summary']}).")
    now = current(run_id)
    model = model or now["model"]
    if model not in usable:
        raise InvalidInput(f"Run {run_id} has no usable model '{model}'. Models are: {', '.join(usable)}.")
    if threshold is not None:
        if run["problem_type"] != "binary":
            raise InvalidInput("A decision threshold only applies to yes/no (binary) predictions; "
                               f"run {run_id} predicts {run['problem_type']}.")
        if not 0 < threshold < 1:
            raise InvalidInput(f"The threshold must be between 0 and 1 (exclusive); it is {threshold}.")
    else:
        threshold = now["threshold"]
    with db.transaction() as con:
        con.execute("INSERT INTO run_choices (run_id, model, threshold, reason, chosen_by) VALUES (?, ?, ?, ?, ?)",
                    [run_id, model, threshold, reason, user or config.default_user()])
    return current(run_id)


def usable_models(run: dict, *, max_ms_per_1000: float | None = None, max_disk_mb: float | None = None) -> list[str]:
    """Leaderboard models that can predict (themselves or through their refit twin), optionally
    only those under a prediction-time and a size limit.

    Before the holdout scores arrive (or for a cancelled run) every trained model counts."""
    candidates = [m for m in run["models"] if m.get("score_test") is not None] or run["models"]
    return [m["model"] for m in candidates
            if (not max_ms_per_1000 or (m.get("predict_ms_per_1000") or 0) < max_ms_per_1000)
            and (not max_disk_mb or (m.get("disk_mb") or 0) < max_disk_mb)]


def predicting_model(run: dict, model: str) -> str:
    """The model that actually predicts for a leaderboard row: its refit twin when it has one."""
    for m in run["models"]:
        if m["model"] == model:
            return m.get("refit_model") or model
    return model
