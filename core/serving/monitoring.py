"""Monitoring: every scored batch recorded with its drift against the training rows, and the
history a Monitoring page draws. Reads (`batches`, `history`) never write."""

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

import glossary
from core.analysis import evaluation
from core.analysis.artifacts import positive_class, training_features
from core.foundation import config, db
from core.serving import drift
from core.training.views import RunRecord


def drift_of(run: RunRecord, frame: pd.DataFrame, features: list[str], monitored: np.ndarray, *,
             lang: str = "en") -> dict:
    """The batch's columns against the training rows, and its predictions against the holdout's."""
    found = drift.compare(training_features(run)[features], frame, features, lang=lang)
    reference = _holdout_scores(run)
    if reference is not None and len(monitored):
        ref = pd.DataFrame({"prediction": reference})
        cur = pd.DataFrame({"prediction": monitored})
        said = drift.compare(ref, cur, ["prediction"], lang=lang)["columns"][0]
        said["alert"] = _about_predictions(said)
        said["message"] = glossary.message(said["alert"]["id"], lang, **said["alert"]["values"])
        found["prediction"] = said
    return found


def _about_predictions(row: dict) -> dict:
    """The predictions' own sentence: compared with the holdout's, not with training cases."""
    if not row["drifted"]:  # the test's verdict; PSI alone is noise on a small batch
        return {"id": "drift_prediction_none", "values": {}}
    if "batch_mean" in row:
        return {"id": "drift_prediction_shift", "values": {"batch": glossary.number(row["batch_mean"]),
                                                           "holdout": glossary.number(row["train_mean"])}}
    return {"id": "drift_prediction_mix", "values": {"value": row["value"], "batch": f"{100 * row['batch_share']:.0f}%",
                                                     "holdout": f"{100 * row['train_share']:.0f}%"}}


def _holdout_scores(run: RunRecord):
    """What the model said on the holdout rows, in the form `scoring.predict_frame` monitors."""
    try:
        pred = evaluation.predictions(run)
    except Exception:  # noqa: BLE001 - no stored predictions: no prediction drift, the rest stands
        return None
    if run.problem_type == "binary":
        return pred[f"p_{positive_class(run)}"].to_numpy()
    if run.problem_type == "regression":
        return pred["y_pred"].to_numpy(float)
    return pred["y_pred"].astype(str).to_numpy()


def _file_hash(path: Path) -> str | None:
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def record(run_id: str, *, input_path: Path, rows: int, output: str | None, rule: dict | None, drift: dict,
           user: str | None) -> str:
    batch_id = f"batch_{int(time.time() * 1000)}_{run_id[-4:]}"
    with db.transaction() as con:
        con.execute("INSERT INTO scoring_batches (batch_id, run_id, input_name, input_hash, rows, output, "
                    "decision_rule, drift, scored_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [batch_id, run_id, input_path.name, _file_hash(input_path), rows, output,
                     json.dumps(rule) if rule else None, json.dumps(drift, default=float),
                     user or config.default_user()])
    return batch_id


def batches(run_id: str, *, lang: str = "en") -> list[dict]:
    """A run's scored batches, oldest first, with their drift; messages in `lang`. Reads only."""
    with db.connect() as con:
        rows = con.execute("SELECT batch_id, input_name, input_hash, rows, output, decision_rule, drift, scored_by, "
                           "scored_at FROM scoring_batches WHERE run_id = ? ORDER BY scored_at, batch_id",
                           [run_id]).fetchall()
    out = []
    for batch_id, name, digest, n, output, rule, found, who, when in rows:
        found = json.loads(found)
        for col in found["columns"] + ([found["prediction"]] if "prediction" in found else []):
            col["message"] = glossary.message(col["alert"]["id"], lang, **col["alert"]["values"])
        out.append({"batch_id": batch_id, "run_id": run_id, "input_name": name, "input_hash": digest, "rows": n,
                    "output": output, "decision_rule": json.loads(rule) if rule else None, "drift": found,
                    "scored_by": who, "scored_at": when.isoformat(timespec="seconds")})
    return out
