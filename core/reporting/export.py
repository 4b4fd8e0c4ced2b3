"""The code behind a run: a standalone Python script that reproduces it with plain AutoGluon.

The script carries the worker's own split and metric functions (their source, copied in), the
exact arguments `TabularPredictor(...)` and `fit(...)` were called with (recorded by the worker),
and whether the best model was refit afterwards. It prints the holdout metrics as one JSON line,
last, so they can be compared with the run's.
"""

import inspect
import pprint
import tempfile
from datetime import datetime
from pathlib import Path

import glossary
from core.analysis import metrics
from core.foundation import files
from core.foundation.errors import InvalidInput
from core.foundation.db import quote_ident
from core.governance.roles import action
from core.training import split, views
from core.training.views import RunRecord

HEADER = '''"""Reproduces Common Ground run {run_id} ("{name}") with plain AutoGluon.

Data set: {dataset} (file {source}, sha256 {hash}), {rows} rows.
Predicts '{label}' ({problem_type}), scored by {metric}; {share:.0%} of the rows are kept back as
the holdout (seed {seed}) and touched once, to report.
Trained on {created} with Python {python} and AutoGluon {autogluon}{others}.

    python {script} [--data PATH] [--model-dir DIR]

The last line printed is the holdout metrics as JSON. The run recorded:
{recorded}
"""
'''

BODY = '''
import argparse
import json
import os
import tempfile

CORES = {cores}
for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(variable, str(CORES))  # the thread count the run trained with

import pandas as pd  # noqa: E402
from autogluon.tabular import TabularPredictor  # noqa: E402

DATA = {data!r}  # {data_note}
LABEL = {label!r}
PROBLEM_TYPE = {problem_type!r}
HOLDOUT = {holdout!r}
SEED = {seed!r}
COLUMNS = {columns}  # the model's inputs, then the outcome{weight_note}
{left_out}
PREDICTOR = {predictor}
FIT = {fit}
REFIT_BEST = {refit_best!r}  # the best model refit on all training rows after fit, as the run did
{recipes_block}

{split_source}

{greater_source}

{natural_source}

{metrics_source}

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DATA, help="CSV or Parquet file with the columns above.")
    parser.add_argument("--model-dir", default=None, help="Where AutoGluon saves the models (default: a new "
                        "temporary folder).")
{raw_argument}    args = parser.parse_args()
    data = pd.read_parquet(args.data) if args.data.endswith(".parquet") else pd.read_csv(args.data)
{raw_use}
    train, holdout = holdout_split(data, LABEL, PROBLEM_TYPE, HOLDOUT, SEED)
    train, holdout = train[COLUMNS], holdout[COLUMNS]
    path = args.model_dir or tempfile.mkdtemp(prefix="commonground_")
    predictor = TabularPredictor(path=path, **PREDICTOR).fit(train, **FIT)
    if REFIT_BEST:
        predictor.refit_full(model=predictor.model_best, set_best_to_refit_full=True)
    print(json.dumps(holdout_metrics(predictor, holdout, PROBLEM_TYPE), sort_keys=True))


if __name__ == "__main__":
    main()
'''


def _source(fn) -> str:
    """A function's source without decorators (the script needs no caching)."""
    lines = inspect.getsource(fn).splitlines()
    return "\n".join(line for line in lines if not line.startswith("@")) + "\n"


def _literal(value) -> str:
    return pprint.pformat(value, width=100, sort_dicts=False)


def script(run: RunRecord, *, data: str | None = None) -> tuple[str, list[dict]]:
    """The script's text, and what a reader should know (notes with a message id and values)."""
    recorded = run.details.get("reproducibility")
    notes = []
    plan_features = list(run.features)
    if recorded:
        fit, columns = dict(recorded["fit_kwargs"]), recorded["columns"]
    else:  # runs trained before the worker recorded its call: the plan is what is known
        fit = dict(run.fit_kwargs or {})
        columns = plan_features + [run.target]
        notes.append({"msg": "export_from_plan", "run_id": run.run_id})
    snapshot = run.folder / "data.parquet"
    source = run.data_source.get("file") or f"{run.dataset_name}.csv"
    if data is None:
        if snapshot.exists():
            data, data_note = str(snapshot.resolve()), "the run's own copy of the data set"
        else:
            data, data_note = source, "the original file (the run's copy is gone)"
            notes.append({"msg": "export_snapshot_gone", "run_id": run.run_id, "file": source})
    else:
        data_note = "given when the script was written"
    if not _dataset_exists(run.dataset_id):
        notes.append({"msg": "export_dataset_deleted", "dataset": run.dataset_name, "file": source})
    weight = run.spec.get("sample_weight")
    env = run.environment or {}
    packages = env.get("packages") or {}
    others = "".join(f", {k} {v}" for k, v in packages.items() if v and k not in ("autogluon.tabular", "duckdb"))
    header = HEADER.format(
        run_id=run.run_id, name=run.name, dataset=run.dataset_name, source=source,
        hash=run.data_source.get("hash") or "unknown", rows=run.data_source.get("rows") or "?", label=run.target,
        problem_type=run.problem_type, metric=run.eval_metric, share=float(run.spec.get("holdout", 0.2)),
        seed=run.seed, created=run.created_at[:19].replace("T", " "), python=env.get("python", "?"),
        autogluon=packages.get("autogluon.tabular", "?"), others=others, script="run.py",
        recorded="\n".join(f"    {k}: {v:.6g}" for k, v in sorted(run.holdout_metrics.items()))
        or "    (no holdout metrics: the run did not finish)")
    every = _snapshot_columns(snapshot) or [*run.features, *run.excluded, *run.sensitive]
    left = [c for c in dict.fromkeys(every) if c not in columns]
    reasons = _reasons(run)
    left_out = "\n".join(f"# left out: {c!r} ({reasons.get(c, 'not chosen as an input')})" for c in left)
    predictor = {"label": run.target, "problem_type": run.problem_type, "eval_metric": run.eval_metric,
                 "sample_weight": weight, "verbosity": 2}
    body = BODY.format(
        cores=int(fit.get("num_cpus") or (env.get("cores") or 1)), data=data, data_note=data_note,
        label=run.target, problem_type=run.problem_type, holdout=float(run.spec.get("holdout", 0.2)),
        seed=run.seed, columns=_literal(columns), weight_note=" and the row weight" if weight else "",
        left_out=left_out + ("\n" if left_out else ""), predictor=_literal(predictor), fit=_literal(fit),
        refit_best=bool(run.details.get("refit_best")),
        **_recipe_parts(run, notes),
        split_source=_source(split.holdout_split), greater_source=_source(metrics.greater_is_better),
        natural_source=_source(metrics.natural), metrics_source=_source(metrics.holdout_metrics))
    return header + body, notes


RECIPES_BLOCK = '''# The data set was prepared from a raw file by these DuckDB queries, oldest first (each reads the
# previous rows as `data`); --raw runs them, so the script also starts from the raw file.
RECIPES = {queries}


def prepare(frame):
    import duckdb

    con = duckdb.connect()
    for sql in RECIPES:
        con.register("data", frame)
        frame = con.execute(sql).df()
        con.unregister("data")
    return frame
'''
RAW_ARGUMENT = '''    parser.add_argument("--raw", default=None, help="The raw file the recipes start from (needs duckdb); "
                        "its prepared rows are used instead of --data.")
'''
RAW_USE = '''    if args.raw:
        raw = pd.read_parquet(args.raw) if args.raw.endswith(".parquet") else pd.read_csv(args.raw)
        data = prepare(raw)
'''


def _recipe_parts(run: RunRecord, notes: list) -> dict:
    """For a run on a prepared data set: the recipes' SQL over `data`, so the script can start
    from the raw file; a recipe that reads other data sets cannot travel, and the notes say so."""
    from core.prep import recipes

    none = {"recipes_block": "", "raw_argument": "", "raw_use": ""}
    if not _dataset_exists(run.dataset_id):
        return none
    versions = [v for v in recipes.show(run.dataset_id)["lineage"] if v["recipe"]]
    if not versions:
        return none
    queries = []
    for version in versions:
        stored = recipes.recipe_of(version["dataset_id"])
        if len(stored["sources"]) > 1 or any(s["kind"] == "sql" for s in stored["recipe"]["steps"]):
            notes.append({"msg": "export_recipe_reads_others", "dataset": version["name"]})
            return none
        source = datasets_table(stored["sources"][0]["dataset_id"])
        queries.append(stored["sql"].replace(f"SELECT * FROM {quote_ident(source)}", "SELECT * FROM data", 1))
    return {"recipes_block": RECIPES_BLOCK.format(queries=_literal(queries)), "raw_argument": RAW_ARGUMENT,
            "raw_use": RAW_USE}


def datasets_table(dataset_id: str) -> str:
    from core.foundation import db

    with db.connect() as con:
        return con.execute("SELECT table_name FROM datasets WHERE dataset_id = ?", [dataset_id]).fetchone()[0]


def _snapshot_columns(snapshot: Path) -> list[str]:
    import pyarrow.parquet as pq

    return pq.read_schema(snapshot).names if snapshot.exists() else []


def _reasons(run: RunRecord) -> dict:
    ex = run.exclusions or {}
    out = {c: "recommended: left out before training" for c in ex.get("recommended", [])}
    out |= {c: "left out by the analyst" for c in ex.get("added", [])}
    out |= {c: "sensitive: kept out of training, analysed for fairness" for c in run.sensitive}
    return out


def _dataset_exists(dataset_id: str) -> bool:
    from core.foundation import db

    with db.connect() as con:
        return con.execute("SELECT 1 FROM datasets WHERE dataset_id = ?", [dataset_id]).fetchone() is not None


@action("export_code", obj="run_id")
def export_code(run_id: str, *, output=None, data: str | None = None, lang: str = "en") -> dict:
    """Write the script to `output` (whole or not at all), or, without one, return it as `script`;
    what it reads and what to know."""
    run = views.load(run_id)
    if run.status in ("queued", "running"):
        raise InvalidInput(code="export_not_ended", value=run.status, msg="export_not_ended", run_id=run_id,
                           status=run.status_sentence)
    if output is not None:
        files.output_path(output, make=False)  # before the script is written
    text, notes = script(run, data=data)
    said = [{"code": n["msg"], "text": glossary.message(n["msg"], lang, **{k: v for k, v in n.items() if k != "msg"})}
            for n in notes]
    done = {"run_id": run_id, "data": data or _default_data(run), "notes": said,
            "written_at": datetime.now().isoformat(timespec="seconds")}
    if output is None:
        return done | {"script": text}
    path = files.output_path(output)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".py", delete=False) as tmp:
        tmp.write(text)
    Path(tmp.name).replace(path)
    return done | {"output": str(path)}


def _default_data(run: RunRecord) -> str:
    snapshot = run.folder / "data.parquet"
    return str(snapshot.resolve()) if snapshot.exists() else (run.data_source.get("file") or run.dataset_name)
