"""Batch scoring: a file in, the same rows out with predictions, using the run's chosen model.

The input goes through the same readers as an upload (so the same clear errors), is checked
against the columns the model was trained on, and is written with DuckDB for speed.
"""

import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from core.analysis import mitigation
from core.analysis.artifacts import model_for_use, training_features
from core.analysis.explain import NUMERIC_KINDS
from core.data import readers
from core.foundation.errors import InvalidInput
from core.training import views
from core.training.views import RunRecord


def read_input(path) -> pd.DataFrame:
    source = readers.inspect(Path(path))
    con = duckdb.connect()
    try:
        readers.load(con, source, table="input")
        return con.execute("SELECT * FROM input").df()
    finally:
        con.close()


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


def score(run_id: str, *, input_path, output_path, user: str | None = None) -> dict:
    """Predict every row of `input_path` with the chosen model and threshold; write a CSV."""
    run = views.load(run_id)
    if not run.models:
        raise InvalidInput(code="no_model", value=run_id, msg="no_model_6", run_id=run_id, status=run.status,
                           status_sentence=run.status_sentence)
    frame = read_input(input_path)
    columns = check_columns(run, frame)
    predictor, model = model_for_use(run)
    features = frame[columns["features"]]
    out = frame  # the input columns, then the predictions (no copy of a large file)
    if run.problem_type == "regression":
        out["prediction"] = predictor.predict(features, model=model).to_numpy()
    else:
        proba = predictor.predict_proba(features, model=model)
        if run.problem_type == "binary":
            positive = predictor.positive_class
            negative = next(c for c in proba.columns if c != positive)
            rule = mitigation.adopted(run_id)
            score = proba[positive].to_numpy()
            yes = (score >= run.threshold if rule is None
                   else mitigation.decide(rule["rule"], score, frame, rule["sensitive"]))
            out["prediction"] = np.where(yes, positive, negative)
        else:
            out["prediction"] = proba.idxmax(axis=1).to_numpy()
        for cls in proba.columns:
            out[f"probability_{cls}"] = proba[cls].to_numpy()
    _write_csv(out, Path(output_path))
    return {"run_id": run_id, "rows": len(out), "output": str(output_path), "model": run.chosen_model,
            "threshold": run.threshold, "ignored_columns": columns["ignored_columns"],
            "refit_on_all_rows": model != run.predicting_model(),
            "decision_rule": _rule_said(mitigation.adopted(run_id)) if run.problem_type == "binary" else None,
            "drift": drift(run, frame, features=columns["features"])}


def _rule_said(rule: dict | None) -> dict | None:
    """Which adopted fairer rule made the decisions (None: the model's own threshold)."""
    if rule is None:
        return None
    return {k: rule[k] for k in ("analysis_id", "sensitive", "constraint", "adopted_by", "adopted_at", "reason")}


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".csv", delete=False) as tmp:
        partial = Path(tmp.name)
    con = duckdb.connect()
    try:
        con.register("scored", frame)
        con.execute("COPY scored TO ? (HEADER, DELIMITER ',')", [str(partial)])
        partial.replace(path)  # the output appears whole or not at all
    finally:
        con.close()
        partial.unlink(missing_ok=True)


def drift(run: RunRecord, frame: pd.DataFrame, *, features: list[str]) -> dict:
    """How far the new rows sit from the training data: mean shift (in standard deviations) for
    numbers, share of unseen categories for the rest, and missing shares."""
    train = training_features(run)[features]
    out = []
    for col in features:
        row = {"column": col, "missing_share_train": float(train[col].isna().mean()),
               "missing_share_input": float(frame[col].isna().mean())}
        if train[col].dtype.kind in NUMERIC_KINDS:
            sd = float(train[col].std()) or 1.0
            row["mean_shift_sd"] = round((float(frame[col].mean()) - float(train[col].mean())) / sd, 3)
        else:
            seen = set(train[col].dropna().astype(str))
            values = frame[col].dropna().astype(str)
            row["unseen_share"] = float((~values.isin(seen)).mean()) if len(values) else 0.0
        out.append(row)
    return {"columns": out}

