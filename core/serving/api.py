"""Serving a run's model: the endpoint's description of a run, the `serve` command, and the
deployment bundle (the model in use, slimmed, with the endpoint file and how to run it)."""

import json
import os
import shutil
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from core.analysis import mitigation
from core.analysis.artifacts import model_for_use, training_features
from core.analysis.explain import NUMERIC_KINDS
from core.foundation import config, files
from core.foundation.errors import InvalidInput
from core.prep import recipes
from core.serving import endpoint
from core.training import views
from core.training.views import RunRecord
from core.governance.roles import action

BUNDLE_PACKAGES = ("autogluon.tabular", "lightgbm", "catboost", "xgboost", "scikit-learn", "pandas", "numpy",
                   "fastapi", "uvicorn", "pydantic")


def meta_for(run: RunRecord, *, lang: str | None = None) -> dict:
    """What the endpoint needs to know about a run (and says on GET /model): the columns and their
    kinds, the threshold and classes, the adopted fairer rule, and, with `lang`, the summary."""
    if not run.models:
        raise InvalidInput(code="no_model", value=run.run_id, msg="no_model_6", run_id=run.run_id, status=run.status,
                           status_sentence=run.status_sentence)
    kinds = training_features(run).dtypes
    rule = mitigation.adopted(run.run_id) if run.problem_type == "binary" else None
    meta = {"run_id": run.run_id, "name": run.name, "target": run.target, "problem_type": run.problem_type,
            "threshold": run.threshold if run.problem_type == "binary" else None,
            "classes": run.details.get("classes"), "holdout_metrics": run.holdout_metrics,
            "features": [{"name": c, "type": "number" if kinds[c].kind in NUMERIC_KINDS else "text"}
                         for c in run.features_used],
            "extra_columns": [rule["sensitive"]] if rule and rule["sensitive"] not in run.features_used else [],
            "decision_rule": None if rule is None else {k: rule[k] for k in ("sensitive", "constraint", "adopted_by",
                                                                             "adopted_at", "reason")}}
    queries = recipes.replays(run.dataset_id)
    if queries:  # trained on prepared rows: a request carries the raw columns the recipe starts from
        meta["model_features"] = run.features_used
        meta["features"] = [c for c in raw_columns(run.dataset_id) if c["name"] != run.target]
        meta["extra_columns"] = []
    if lang:
        from core.reporting import narrative

        story = narrative.summary(run, lang)
        meta["summary"] = {"headline": story["headline"], "text": story["text"]}
    return meta


def raw_columns(dataset_id: str) -> list[dict]:
    """The raw file's columns and kinds, at the start of a prepared data set's lineage."""
    from core.data import datasets

    first = datasets.show(recipes.show(dataset_id)["lineage"][0]["dataset_id"])
    return [{"name": c["name"], "type": "number" if c["type"] == "number" else "text"} for c in first["columns"]]


def app_for(run_id: str, *, token: str | None = None, max_bytes: int = endpoint.MAX_BYTES, lang: str = "en"):
    """The FastAPI app for a run's model in use, loaded once and kept in memory."""
    run = views.load(run_id)
    meta = meta_for(run, lang=lang)
    predictor, model = model_for_use(run)
    predictor.persist(models=[model])
    queries = recipes.replays(run.dataset_id)
    return endpoint.create_app(predictor, model, meta, token=token, max_bytes=max_bytes,
                               decide=mitigation.decider(run), rate=config.serve_rate(),
                               prepare=(lambda frame: recipes.replay(queries, frame)) if queries else None)


@action("serve", obj="run_id", before=True)
def serve(run_id: str, *, host: str = "127.0.0.1", port: int = 8000, max_bytes: int = endpoint.MAX_BYTES) -> dict:
    """Serve until stopped (Ctrl-C). A token in COMMONGROUND_SERVE_TOKEN is required as a bearer."""
    import uvicorn

    app = app_for(run_id, token=os.environ.get(endpoint.TOKEN_ENV) or None, max_bytes=max_bytes)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return {"run_id": run_id, "stopped": True}


README = """# {name}: the model, ready to serve

Predicts '{target}' ({problem_type}) with {model}, from Common Ground run {run_id}.
Its holdout test: {metrics}.

    python -m venv .venv && .venv/bin/pip install -r requirements.txt
    .venv/bin/python endpoint.py --model-dir model --meta model.json --host 127.0.0.1 --port 8000

Then: GET /health, GET /model, POST /predict with a JSON array of records, for example

    curl -s -X POST http://127.0.0.1:8000/predict -H 'Content-Type: application/json' -d '[{example}]'

Every record needs these columns (null for a missing value): {columns}.
Set COMMONGROUND_SERVE_TOKEN to require `Authorization: Bearer <token>`. Listen on another address than
127.0.0.1 only behind a proxy that does TLS.
"""


@action("bundle", obj="run_id")
def bundle(run_id: str, *, output) -> dict:
    """A zip with the model in use (AutoGluon's `clone_for_deployment`: only what predicting needs),
    model.json, endpoint.py, pinned requirements and a README. Written whole or not at all."""
    run = views.load(run_id)
    meta = meta_for(run, lang="en")
    if meta.get("model_features"):  # replaying a recipe needs the workspace's reference data and DuckDB
        raise InvalidInput(code="bundle_with_recipe", value=run_id, msg="bundle_with_recipe", run_id=run_id)
    if meta["decision_rule"]:
        raise InvalidInput(code="bundle_with_rule", value=run_id, msg="bundle_with_rule", run_id=run_id,
                           column=meta["decision_rule"]["sensitive"])
    files.output_path(output, make=False)  # before the model is cloned
    predictor, model = model_for_use(run)
    path = files.output_path(output)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bundle"
        root.mkdir()
        predictor.clone_for_deployment(path=str(root / "model"), model=model)
        meta["model_in_bundle"] = model
        (root / "model.json").write_text(json.dumps(meta, indent=2, default=str))
        shutil.copy(Path(endpoint.__file__), root / "endpoint.py")
        (root / "requirements.txt").write_text("".join(f"{p}=={_version(p)}\n" for p in BUNDLE_PACKAGES))
        example = {f["name"]: (0 if f["type"] == "number" else "") for f in meta["features"]}
        (root / "README.md").write_text(README.format(
            name=run.name, target=run.target, problem_type=run.problem_type, model=model, run_id=run_id,
            metrics=", ".join(f"{k} {v:.4g}" for k, v in sorted(run.holdout_metrics.items())),
            example=json.dumps(example), columns=", ".join(f["name"] for f in meta["features"])))
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".zip", delete=False) as partial:
            pass
        with zipfile.ZipFile(partial.name, "w", zipfile.ZIP_DEFLATED) as zf:
            for file in sorted(root.rglob("*")):
                if file.is_file():
                    zf.write(file, file.relative_to(root))
        Path(partial.name).replace(path)
    return {"run_id": run_id, "output": str(path), "model": model, "bytes": path.stat().st_size}


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "0"
