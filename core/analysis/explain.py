"""One prediction, explained: SHAP contributions of each input, and what-if edits.

SHAP values come from the `shap` package's model-agnostic (permutation) explainer on the
chosen model, with a small background sample of training rows and a bounded number of
model calls, so an explanation takes seconds, not minutes.
"""

import numpy as np
import pandas as pd

from core.analysis.artifacts import holdout_frame, load_predictor, training_features
from core.foundation.errors import InvalidInput
from core.training.views import RunRecord

NUMERIC_KINDS = "biufc"

BACKGROUND_ROWS = 50


def holdout_row(run: RunRecord, position: int) -> dict:
    """One holdout row's inputs and true outcome (the what-if form starts from it)."""
    X, y = holdout_frame(run)
    if not 0 <= position < len(X):
        raise InvalidInput(code="row_out_of_range", value=position, msg="row_out_of_range", position=position,
                           p=len(X) - 1)
    values = {k: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v))
              for k, v in X.iloc[position].items()}
    return {"values": values, "actual": y.iloc[position].item() if hasattr(y.iloc[position], "item")
            else y.iloc[position]}


def check_values(run: RunRecord, values: dict) -> tuple[pd.DataFrame, list[str]]:
    """One row as the model expects it, plus warnings; bad values become missing, not errors."""
    train = training_features(run)
    row, warnings = {}, []
    for col in train.columns:
        value = values.get(col)
        if train[col].dtype.kind in NUMERIC_KINDS:
            number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
            if value not in (None, "") and pd.isna(number):
                warnings.append(f"'{col}' needs a number, not {value!r}; it was treated as missing.")
            elif not pd.isna(number):
                lo, hi = train[col].min(), train[col].max()
                if number < lo or number > hi:
                    warnings.append(f"'{col}' = {number:g} is outside the training range ({lo:g} to {hi:g}); "
                                    "the prediction is an extrapolation.")
            row[col] = number
        else:
            if value is not None and str(value) not in set(train[col].dropna().astype(str)):
                warnings.append(f"'{col}' = {value!r} never appeared in training; the model treats it as unknown.")
            row[col] = value
    frame = pd.DataFrame([row]).astype({c: train[c].dtype for c in train.columns
                                        if train[c].dtype.kind in NUMERIC_KINDS}, errors="ignore")
    return frame, warnings


def predict_one(run: RunRecord, values: dict) -> dict:
    """The chosen model's prediction for one (possibly edited) row, with warnings."""
    frame, warnings = check_values(run, values)
    predictor = load_predictor(run)
    model = run.predicting_model()
    out = {"run_id": run.run_id, "model": run.chosen_model, "warnings": warnings}
    if run.problem_type == "regression":
        out["prediction"] = float(predictor.predict(frame, model=model).iloc[0])
        return out
    proba = predictor.predict_proba(frame, model=model).iloc[0]
    out["probabilities"] = {str(k): float(v) for k, v in proba.items()}
    if run.problem_type == "binary":
        positive = predictor.positive_class
        negative = next(c for c in proba.index if c != positive)
        out["prediction"] = str(positive if proba[positive] >= run.threshold else negative)
    else:
        out["prediction"] = str(proba.idxmax())
    return out


def shap_values(run: RunRecord, values: dict, *, max_evals: int = 300) -> dict:
    """Each input's push up or down on this prediction (for classification: the chance of the
    positive class, or of the predicted class), relative to the average prediction."""
    import shap

    frame, warnings = check_values(run, values)
    predictor = load_predictor(run)
    model = run.predicting_model()
    train = training_features(run)
    background = train.sample(min(BACKGROUND_ROWS, len(train)), random_state=0)
    columns = list(train.columns)
    target_class = None
    if run.problem_type != "regression":
        probs = predictor.predict_proba(frame, model=model).iloc[0]
        target_class = predictor.positive_class if run.problem_type == "binary" else probs.idxmax()

    # SHAP's masker compares values numerically, so text columns travel as category codes.
    text_columns = [c for c in columns if train[c].dtype.kind not in NUMERIC_KINDS]
    categories = {c: sorted(set(background[c].dropna().astype(str)) | {str(frame.iloc[0][c])}) for c in text_columns}

    def encode(df: pd.DataFrame) -> np.ndarray:
        out = df.copy()
        for c in text_columns:
            lookup = {v: i for i, v in enumerate(categories[c])}
            out[c] = df[c].map(lambda v: -1 if v is None or v != v else lookup[str(v)])
        return out.to_numpy(dtype=float)

    def decode(array: np.ndarray) -> pd.DataFrame:
        batch = pd.DataFrame(array, columns=columns)
        for c in text_columns:
            batch[c] = [None if i < 0 else categories[c][int(i)] for i in batch[c]]
        return batch.astype({c: train[c].dtype for c in columns if c not in text_columns}, errors="ignore")

    def f(array):
        batch = decode(array)
        if target_class is None:
            return predictor.predict(batch, model=model).to_numpy(dtype=float)
        return predictor.predict_proba(batch, model=model)[target_class].to_numpy(dtype=float)

    masker = shap.maskers.Independent(encode(background), max_samples=BACKGROUND_ROWS)
    explainer = shap.explainers.Permutation(f, masker, feature_names=columns)
    point = encode(frame)
    explanation = explainer(point, max_evals=max(max_evals, 2 * len(columns) + 1), silent=True)
    contributions = [{"feature": c, "value": _plain(frame.iloc[0][c]), "contribution": float(v)}
                     for c, v in zip(columns, explanation.values[0])]
    contributions.sort(key=lambda r: -abs(r["contribution"]))
    return {"run_id": run.run_id, "model": run.chosen_model, "explains": str(target_class) if target_class is not None
            else run.target, "base_value": float(np.ravel(explanation.base_values)[0]),
            "prediction": float(f(point)[0]), "contributions": contributions,
            "warnings": warnings}


def _plain(v):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    return v.item() if hasattr(v, "item") else v


def feature_inputs(run: RunRecord) -> list[dict]:
    """What each input accepts, for a what-if form: numbers with their training range, or categories."""
    train = training_features(run)
    out = []
    for col in train.columns:
        if train[col].dtype.kind in NUMERIC_KINDS:
            out.append({"name": col, "kind": "number", "min": float(train[col].min()), "max": float(train[col].max()),
                        "integer": train[col].dtype.kind in "iu" or bool((train[col].dropna() % 1 == 0).all())})
        else:
            out.append({"name": col, "kind": "category",
                        "values": sorted(train[col].dropna().astype(str).unique().tolist())[:200]})
    return out
