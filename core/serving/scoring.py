"""Batch scoring: a file in, the same rows out with predictions, using the run's chosen model.

The input goes through the same readers as an upload (so the same clear errors), is checked
against the columns the model was trained on, and is written with DuckDB for speed.
"""

import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from core.analysis import mitigation
from core.analysis.artifacts import model_for_use, training_features
from core.analysis.explain import NUMERIC_KINDS
from core.prep import recipes
from core.serving import api, endpoint, monitoring
from core.data import readers
from core.foundation import config, files
from core.foundation.db import quote_ident
from core.foundation.errors import InvalidInput
from core.training import views
from core.training.views import RunRecord
from core.governance.roles import action


def read_input(path) -> pd.DataFrame:
    source = readers.inspect(Path(path))
    con = duckdb.connect()
    try:
        readers.load(con, source, table="input")
        return con.execute("SELECT * FROM input").df()
    finally:
        con.close()


def prepared(run: RunRecord, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series | None]:
    """Raw rows through the every-row steps of the recipes that made the run's data set (none for
    an upload), so a file in the raw file's shape scores; and why a row's value could not be read."""
    queries = recipes.replays(run.dataset_id) if run.dataset_id else []
    if not queries:
        return frame, None
    try:
        return recipes.replay(queries, frame)
    except duckdb.BinderException as exc:  # a column the recipe reads is not in the file
        raise InvalidInput(code="replay_needs_columns", value=str(exc).splitlines()[0], msg="replay_needs_columns",
                           detail=" ".join(str(exc).split())[:200]) from None


def check_columns(run: RunRecord, frame: pd.DataFrame) -> dict:
    """Missing columns are an error; wrong types too; extra columns are kept and reported."""
    features = run.features_used
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise InvalidInput(code="missing_columns", value=missing, msg="missing_columns", p=len(missing),
                           p2=', '.join(missing))
    training = training_features(run).dtypes
    wrong = []
    for col in features:
        if training[col].kind in NUMERIC_KINDS and frame[col].dtype.kind not in NUMERIC_KINDS:
            converted = pd.to_numeric(frame[col], errors="coerce")
            bad = frame[col][converted.isna() & frame[col].notna()]
            if len(bad):
                wrong.append(f"'{col}' should hold numbers but has {bad.iloc[0]!r}")
            else:
                frame[col] = converted
    if wrong:
        raise InvalidInput(code="wrong_types", value=wrong, msg="wrong_types", problems="; ".join(wrong))
    extra = [c for c in frame.columns if c not in features]
    return {"features": features, "ignored_columns": extra}


def predict_frame(run: RunRecord, frame: pd.DataFrame, columns: dict) -> tuple[pd.DataFrame, np.ndarray, str]:
    """The predictions of the model in use for checked rows, by the endpoint's own rule (one rule
    for batch and REST), with the adopted fairer rule if there is one; the score monitoring
    follows; and the model used."""
    predictor, model = model_for_use(run)
    out, score = endpoint.predict_table(predictor, model, frame, api.meta_for(run), mitigation.decider(run))
    return out, score, model


@action("score", obj="run_id")
def score(run_id: str, *, input_path, output_path=None, user: str | None = None, lang: str = "en") -> dict:
    """Predict every row of `input_path` with the model in use and its threshold (or adopted rule);
    write a CSV (by default in the workspace's scored/ folder); record the batch with its drift
    against the training rows. A file that fails the checks writes nothing."""
    run = views.load(run_id)
    if output_path is None:
        stamp = time.strftime("%Y%m%d_%H%M%S")
        output_path = config.home() / "scored" / run_id / f"{stamp}_{Path(input_path).stem}_scored.csv"
    if not run.models:
        raise InvalidInput(code="no_model", value=run_id, msg="no_model_6", run_id=run_id, status=run.status,
                           status_sentence=run.status_sentence)
    files.output_path(output_path, make=False)  # a path that cannot be written is said before any work
    frame, problems = prepared(run, read_input(input_path))
    columns = check_columns(run, frame)
    predicted, monitored, model = predict_frame(run, frame, columns)
    out = pd.concat([frame, predicted], axis=1)  # the input columns, then the predictions
    if problems is not None and problems.notna().any():
        out["prep_problems"] = problems.to_numpy()  # a value a recipe step could not read: predicted as missing
    _write_csv(out, Path(output_path))
    found = monitoring.drift_of(run, frame, columns["features"], monitored, lang=lang)
    rule = _rule_said(mitigation.adopted(run_id)) if run.problem_type == "binary" else None
    batch = monitoring.record(run_id, input_path=Path(input_path), rows=len(out), output=str(output_path),
                              rule=rule, drift=found, user=user)
    return {"run_id": run_id, "batch_id": batch, "rows": len(out), "output": str(output_path),
            "model": run.chosen_model, "threshold": run.threshold, "ignored_columns": columns["ignored_columns"],
            "refit_on_all_rows": model != run.predicting_model(),
            "decision_rule": rule, "drift": found}


def _rule_said(rule: dict | None) -> dict | None:
    """Which adopted fairer rule made the decisions (None: the model's own threshold)."""
    if rule is None:
        return None
    return {k: rule[k] for k in ("analysis_id", "sensitive", "constraint", "adopted_by", "adopted_at", "reason")}


# Text cells a spreadsheet would run as a formula ('=cmd|...', '+1+1', '@SUM') get a leading
# apostrophe, as OWASP advises for CSV exports; numbers are untouched. DuckDB does it while it
# writes the file (a pandas scan of a million text cells costs seconds).
FORMULA_START = r"^[=+\-@\t\r]"


def _inert(con, table: str) -> str:
    """The SELECT list that writes `table` with its text cells made inert."""
    out = []
    for name, kind, *_ in con.execute(f"DESCRIBE {quote_ident(table)}").fetchall():
        col = quote_ident(name)
        if kind == "VARCHAR" or kind.startswith("ENUM"):
            text = f"{col}::VARCHAR"
            out.append(f"CASE WHEN regexp_matches({text}, '{FORMULA_START}') THEN chr(39) || {text} "
                       f"ELSE {text} END AS {col}")
        else:
            out.append(col)
    return ", ".join(out)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    path = files.output_path(path)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".csv", delete=False) as tmp:
        partial = Path(tmp.name)
    con = duckdb.connect()
    try:
        con.register("scored", frame)
        con.execute(f"COPY (SELECT {_inert(con, 'scored')} FROM scored) TO ? (HEADER, DELIMITER ',')",
                    [str(partial)])
        partial.replace(path)  # the output appears whole or not at all
    finally:
        con.close()
        partial.unlink(missing_ok=True)
