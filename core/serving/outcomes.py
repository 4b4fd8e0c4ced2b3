"""When the truth arrives: true outcomes for scored rows, matched by an id column, give the model's
real performance per batch (beside its holdout score) and the gap between groups over time."""

import json

import numpy as np
import pandas as pd

from core.analysis import artifacts, fairness
from core.foundation import config, db
from core.foundation.errors import InvalidInput
from core.serving import monitoring
from core.training import views
from core.governance.roles import action


def _matched(batch: dict, truth: pd.DataFrame, id_column: str) -> pd.DataFrame | None:
    """The batch's scored rows that have an outcome in `truth`, joined by the id (as text)."""
    from core.serving import scoring

    output = batch.get("output")
    if not output:
        return None
    try:
        scored = scoring.read_input(output)
    except InvalidInput:  # the scored file is gone: nothing to match
        return None
    if id_column not in scored.columns:
        return None
    scored = scored.assign(_id=scored[id_column].astype(str))
    return scored.merge(truth, on="_id", how="inner")


def _performance(run, rows: pd.DataFrame) -> dict:
    y, p = rows["_truth"], rows["prediction"].astype(str)
    if run.problem_type == "regression":
        err = np.abs(pd.to_numeric(y, errors="coerce").to_numpy(float) - rows["prediction"].to_numpy(float))
        return {"mean_absolute_error": float(np.nanmean(err)),
                "holdout": run.holdout_metrics.get("mean_absolute_error")}
    out = {"accuracy": float(np.mean(y.to_numpy() == p.to_numpy())), "holdout": run.holdout_metrics.get("accuracy")}
    if run.problem_type == "binary":
        positive = artifacts.positive_class(run)
        yes, truly = p.to_numpy() == positive, y.to_numpy() == positive
        out |= {"selection_rate": float(yes.mean()),
                "true_positive_rate": float(yes[truly].mean()) if truly.any() else None}
    return out


def _groups(run, rows: pd.DataFrame) -> list[dict]:
    """The gap between groups on the main measure, per column marked sensitive or analysed for
    fairness, when the scored file carries it."""
    out = []
    kind = run.problem_type
    metric = fairness.MAIN[kind]
    analysed = (fairness.latest(run.run_id) or {}).get("sensitive", [])
    for col in dict.fromkeys([*run.sensitive, *analysed]):
        if col not in rows.columns or rows[col].nunique(dropna=True) < 2:
            continue
        groups = fairness.group_labels(rows, [col], {})
        if kind == "binary":
            positive = artifacts.positive_class(run)
            y, p = rows["_truth"].to_numpy() == positive, rows["prediction"].astype(str).to_numpy() == positive
        elif kind == "multiclass":
            y, p = rows["_truth"].to_numpy(), rows["prediction"].astype(str).to_numpy()
        else:
            y, p = (pd.to_numeric(rows["_truth"], errors="coerce").to_numpy(float),
                    rows["prediction"].to_numpy(float))
        metrics = {"count": fairness.count, metric: fairness.BINARY.get(metric) or fairness.REGRESSION.get(metric)
                   or fairness.MULTICLASS[metric]}
        y, p, sf, w = fairness.collapse(kind, y, p, groups)
        table = fairness.group_frame(metrics, y, p, sf[col], w).by_group
        values = {str(g): fairness.clean(v) for g, v in table[metric].items()}
        known = [v for v in values.values() if v is not None]
        out.append({"column": col, "metric": metric, "groups": values,
                    "counts": {str(g): int(n) for g, n in table["count"].items()},
                    "gap": max(known) - min(known) if len(known) > 1 else None})
    return out


@action("add_outcomes", obj="run_id")
def add(run_id: str, *, input_path, id_column: str, user: str | None = None) -> dict:
    """Match a file of true outcomes (an id column and the target) to every scored batch of the
    run; store, per batch, the model's real performance and the gap between groups."""
    from core.serving import scoring

    run = views.load(run_id)
    truth = scoring.read_input(input_path)
    missing = [c for c in (id_column, run.target) if c not in truth.columns]
    if missing:
        raise InvalidInput(code="outcomes_missing_columns", value=missing, msg="outcomes_missing_columns",
                           path=str(input_path), columns=", ".join(missing), known=", ".join(truth.columns))
    truth = truth[truth[run.target].notna()]
    values = truth[run.target]
    if run.problem_type != "regression":
        values = fairness.as_classes(values, [str(c) for c in run.details.get("classes") or []], input_path)
    truth = pd.DataFrame({"_id": truth[id_column].astype(str), "_truth": values.astype(str).to_numpy()
                          if run.problem_type != "regression" else values.to_numpy()}).drop_duplicates("_id", keep="last")
    found = []
    for batch in monitoring.batches(run_id):
        rows = _matched(batch, truth, id_column)
        if rows is None or rows.empty:
            continue
        found.append({"batch_id": batch["batch_id"], "rows_matched": len(rows), "metrics": _performance(run, rows),
                      "fairness": _groups(run, rows)})
    if not found:
        raise InvalidInput(code="outcomes_no_match", value=id_column, msg="outcomes_no_match", column=id_column,
                           run_id=run_id, examples=", ".join(repr(x) for x in truth["_id"].head(3)))
    with db.transaction() as con:
        for f in found:
            con.execute("INSERT INTO batch_outcomes (batch_id, run_id, source_name, rows_matched, metrics, fairness, "
                        "added_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [f["batch_id"], run_id, str(getattr(input_path, "name", input_path)), f["rows_matched"],
                         json.dumps(f["metrics"]), json.dumps(f["fairness"]), user or config.default_user()])
    return {"run_id": run_id, "batches": found, "rows_matched": sum(f["rows_matched"] for f in found)}


def history(run_id: str) -> list[dict]:
    """The latest outcomes of each scored batch, in scoring order. Reads only."""
    with db.connect() as con:
        rows = con.execute(
            """SELECT o.batch_id, b.scored_at, o.rows_matched, o.metrics, o.fairness, o.added_by, o.added_at
               FROM batch_outcomes o JOIN scoring_batches b USING (batch_id)
               WHERE o.run_id = ? QUALIFY row_number() OVER (PARTITION BY o.batch_id ORDER BY o.added_at DESC) = 1
               ORDER BY b.scored_at""", [run_id]).fetchall()
    return [{"batch_id": r[0], "scored_at": r[1].isoformat(timespec="seconds"), "rows_matched": r[2],
             "metrics": json.loads(r[3]), "fairness": json.loads(r[4]), "added_by": r[5],
             "added_at": r[6].isoformat(timespec="seconds")} for r in rows]
