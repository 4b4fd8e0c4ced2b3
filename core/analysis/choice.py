"""Which model of a run is used downstream, and with which decision threshold.

AutoGluon's best model is the default; a person may overrule it. Every choice is a new row
(who, when, why), so the history stays; the latest row is the current choice, which the run
record carries as `chosen_model`, `threshold` and `choice`.
"""

from core.analysis import metrics
from core.foundation import config, db
from core.foundation.errors import InvalidInput
from core.training import views
from core.training.views import RunRecord
from core.governance.roles import action


@action("choose_model", obj="run_id")
def choose(run_id: str, *, model: str | None = None, threshold: float | None = None,
           reason: str | None = None, user: str | None = None) -> RunRecord:
    """Record a new choice; unspecified parts carry over from the current one."""
    run = views.load(run_id)
    usable = usable_models(run)
    if not usable:
        raise InvalidInput(code="no_model", value=run_id, msg="no_model", run_id=run_id, status=run.status,
                           status_sentence=run.status_sentence)
    model = model or run.chosen_model
    if model not in usable:
        raise InvalidInput(code="unknown_model", value=model, msg="unknown_model", run_id=run_id, model=model,
                           p=', '.join(usable))
    if threshold is not None:
        if run.problem_type != "binary":
            raise InvalidInput(code="threshold_not_binary", value=threshold, msg="threshold_not_binary",
                               run_id=run_id, problem_type=run.problem_type)
        if not 0 < threshold < 1:
            raise InvalidInput(code="threshold_out_of_range", value=threshold, msg="threshold_out_of_range",
                               threshold=threshold)
    elif model != run.chosen_model and run.problem_type == "binary":
        # Another model: AutoGluon's threshold for that model (tuned on validation rows), not the old one's.
        threshold = next((m.get("decision_threshold") for m in run.models if m["model"] == model), None) or 0.5
    else:
        threshold = run.threshold
    with db.transaction() as con:
        con.execute("INSERT INTO run_choices (run_id, model, threshold, reason, chosen_by) VALUES (?, ?, ?, ?, ?)",
                    [run_id, model, threshold, reason, user or config.default_user()])
    return views.load(run_id)


def leaderboard(run: RunRecord) -> list[dict]:
    """The run's models, best first by holdout score (then validation score) in the metric's own
    direction, each marked whether it is the model in use."""
    greater = metrics.greater_is_better(run.eval_metric, run.problem_type)

    def key(m):
        scores = [m.get("score_test"), m.get("score_val")]
        return [(s is None, -s if greater and s is not None else s or 0) for s in scores]
    return [{**m, "in_use": m["model"] == run.chosen_model} for m in sorted(run.models, key=key)]


def usable_models(run: RunRecord, *, max_ms_per_1000: float | None = None,
                  max_disk_mb: float | None = None) -> list[str]:
    """Leaderboard models that can predict (themselves or through their refit twin), optionally
    only those under a prediction-time and a size limit.

    Before the holdout scores arrive (or for a cancelled run) every trained model counts."""
    candidates = [m for m in run.models if m.get("score_test") is not None] or run.models
    return [m["model"] for m in candidates
            if (not max_ms_per_1000 or (m.get("predict_ms_per_1000") or 0) < max_ms_per_1000)
            and (not max_disk_mb or (m.get("disk_mb") or 0) < max_disk_mb)]
