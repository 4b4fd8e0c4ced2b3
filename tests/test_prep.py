"""Data preparation: each step kind against the same result computed with pandas, the SQL step's
refusals, bad recipes refused with one sentence and nothing written, lineage, and replay of the
every-row steps on raw rows when a model scores."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from core.data import datasets
from core.foundation.errors import InvalidInput
from core.prep import recipes
from core.serving import api, scoring
from core.training.spec import RunSpec
from tests.conftest import REPO, train

ROWS = 400


@pytest.fixture
def loans(tmp_path):
    """A raw table with the usual mess (text numbers, day-first dates, gaps, codes), and a reference."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({
        "id": np.arange(ROWS),
        "amount": [str(v) if i % 37 else "n/a" for i, v in enumerate(rng.integers(100, 5000, ROWS))],
        "opened": [f"{d:02d}/{m:02d}/20{y:02d}" for d, m, y in zip(rng.integers(1, 28, ROWS),
                                                                     rng.integers(1, 12, ROWS),
                                                                     rng.integers(15, 24, ROWS))],
        "income": np.where(rng.random(ROWS) < 0.15, np.nan, rng.normal(3000, 800, ROWS).round(0)),
        "region": rng.choice(["N", "S", "E", "W", "Q"], ROWS),
        "customer": rng.integers(0, 60, ROWS),
        "paid": rng.choice(["yes", "no"], ROWS),
    })
    frame.loc[5, "opened"] = "31/02/2020"
    frame = pd.concat([frame, frame.iloc[:7]], ignore_index=True)  # seven repeated rows
    path = tmp_path / "loans.csv"
    frame.to_csv(path, index=False)
    regions = pd.DataFrame({"code": ["N", "S", "E", "W", "N"], "region_name": ["North", "South", "East", "West", "dup"]})
    regions.to_csv(tmp_path / "regions.csv", index=False)
    return {"id": datasets.add(path)["dataset_id"], "regions": datasets.add(tmp_path / "regions.csv")["dataset_id"],
            "frame": pd.read_csv(path), "path": path}


def _apply(loans, steps, name="prepared"):
    made = recipes.apply(loans["id"], {"steps": steps}, name=name)
    return made, datasets.preview(made["dataset_id"], limit=10_000)


def test_select_and_rename(loans):
    _, out = _apply(loans, [{"kind": "select", "columns": ["id", "amount", "paid"], "rename": {"paid": "repaid"}}])
    want = loans["frame"][["id", "paid"]].rename(columns={"paid": "repaid"})
    assert list(out.columns) == ["id", "amount", "repaid"]
    pd.testing.assert_frame_equal(out[["id", "repaid"]].reset_index(drop=True), want, check_dtype=False)


def test_filter_cast_fill_and_derive_equal_pandas(loans):
    made, out = _apply(loans, [
        {"kind": "cast", "column": "amount", "to": "number"},
        {"kind": "cast", "column": "opened", "to": "date", "format": "%d/%m/%Y"},
        {"kind": "fill", "column": "income", "with": "median", "flag": True},
        {"kind": "derive", "name": "monthly", "expression": "round(amount / 12, 2)"},
        {"kind": "filter", "where": "amount IS NOT NULL AND income > 2000"},
    ])
    raw = loans["frame"]
    want = raw.assign(amount=pd.to_numeric(raw["amount"], errors="coerce"),
                      opened=pd.to_datetime(raw["opened"], format="%d/%m/%Y", errors="coerce"))
    want["income_was_missing"] = want["income"].isna()
    want["income"] = want["income"].fillna(raw["income"].median())
    want["monthly"] = (want["amount"] / 12).round(2)
    want = want[want["amount"].notna() & (want["income"] > 2000)]
    got = out.sort_values("id", kind="stable").reset_index(drop=True)
    want = want.sort_values("id", kind="stable").reset_index(drop=True)
    assert len(got) == len(want) == made["rows"]
    for column in ("amount", "income", "monthly"):
        np.testing.assert_allclose(got[column].astype(float), want[column].astype(float))
    assert pd.to_datetime(got["opened"]).dt.date.fillna("-").tolist() == want["opened"].dt.date.fillna("-").tolist()
    assert (got["income_was_missing"] == want["income_was_missing"]).all()
    assert pd.isna(pd.read_csv(loans["path"]).loc[5, "opened"]) is False  # the raw file keeps 31/02


def test_join_aggregate_dedupe_and_sample_equal_pandas(loans):
    raw, regions = loans["frame"], pd.read_csv(loans["path"].parent / "regions.csv")
    _, joined = _apply(loans, [{"kind": "join", "dataset": "regions", "left_on": "region", "right_on": "code",
                                "columns": ["region_name"]}], name="joined")
    want = raw.merge(regions.drop_duplicates("code"), how="left", left_on="region", right_on="code")
    got = joined.sort_values(["id", "region"], kind="stable").reset_index(drop=True)
    want = want.sort_values(["id", "region"], kind="stable").reset_index(drop=True)
    assert got["region_name"].fillna("-").tolist() == want["region_name"].fillna("-").tolist()
    _, grouped = _apply(loans, [{"kind": "cast", "column": "amount", "to": "number"},
                                {"kind": "aggregate", "by": ["customer"],
                                 "aggregations": {"loans": "count(*)", "total": "sum(amount)"}}], name="grouped")
    want = pd.to_numeric(raw["amount"], errors="coerce").groupby(raw["customer"]).agg(["size", "sum"])
    got = grouped.set_index("customer").sort_index()
    assert got["loans"].tolist() == want["size"].tolist()
    np.testing.assert_allclose(got["total"].astype(float), want["sum"].astype(float))
    _, unique = _apply(loans, [{"kind": "dedupe"}], name="unique")
    assert len(unique) == len(raw.drop_duplicates()) == ROWS
    first, kept = _apply(loans, [{"kind": "sample", "rows": 100, "seed": 7}], name="sampled")
    again = recipes.apply(loans["id"], {"steps": [{"kind": "sample", "rows": 100, "seed": 7}]}, name="again")
    assert again["dataset_id"] == first["dataset_id"] and not again["created"]  # the same rows, the same version
    assert 60 <= len(kept) <= 140


def test_the_sql_step_and_its_refusals(loans, snapshot):
    made = recipes.apply_sql(loans["id"], "SELECT region, count(*) AS n FROM data GROUP BY region", name="by region")
    assert made["rows"] == 5
    joined = recipes.apply_sql(loans["id"], "SELECT d.id, r.region_name FROM data d JOIN regions r ON d.region = r.code",
                               name="sql join")
    assert joined["rows"] > 0
    before = snapshot()
    refused = {
        "COPY data TO '/tmp/out.csv'": "only a plain SELECT", "ATTACH '/tmp/other.duckdb' AS o": "only a plain SELECT",
        "INSTALL httpfs": "only a plain SELECT", "LOAD httpfs": "only a plain SELECT",
        "PRAGMA database_list": "only a plain SELECT", "CREATE TABLE x AS SELECT 1": "only a plain SELECT",
        "INSERT INTO datasets VALUES (1)": "only a plain SELECT", "DELETE FROM datasets": "only a plain SELECT",
        "DROP TABLE datasets": "only a plain SELECT", "SELECT 1; DROP TABLE datasets": "only a plain SELECT",
        "SELECT * FROM read_csv('/etc/passwd')": "read_csv reads files",
        "SELECT * FROM read_parquet('x.parquet')": "read_parquet reads files",
        "SELECT * FROM glob('/*')": "glob reads files", "SELECT getenv('HOME') FROM data": "getenv reads the machine",
        "SELECT * FROM runs": "no data set 'runs'", "SELECT * FROM main.datasets": "no data set 'main.datasets'",
        "SELECT * FROM (SELECT * FROM read_text('/etc/hosts'))": "read_text reads files",
    }
    for sql, said in refused.items():
        with pytest.raises(InvalidInput, match=said):
            recipes.apply_sql(loans["id"], sql, name="nope")
    assert snapshot() == before


@pytest.mark.parametrize("steps, said", [
    ([{"kind": "derive", "name": "x", "expression": "amount +* 2"}], "step 1 \\(derive\\) does not parse"),
    ([{"kind": "filter", "where": "ammount > 3"}], "there is no column 'ammount'. The closest names are: amount"),
    ([{"kind": "join", "dataset": "regions", "left_on": "customer", "right_on": "code", "columns": ["region_name"]}],
     "no row found a match for 'customer' in 'regions'"),
    ([{"kind": "cast", "column": "region", "to": "number"}], "cannot be read as number \\(for example"),
    ([{"kind": "explode", "column": "x"}], "'explode' is not a kind of step"),
    ([{"kind": "derive", "name": "x", "expression": "(SELECT max(id) FROM data)"}], "one row at a time"),
    ([{"kind": "cast", "column": "amount", "to": "money"}], "'money' is not a type"),
])
def test_bad_steps_are_refused_in_one_sentence_and_nothing_is_written(loans, snapshot, steps, said):
    before = snapshot()
    with pytest.raises(InvalidInput, match=said):
        recipes.apply(loans["id"], {"steps": steps}, name="bad")
    assert snapshot() == before


def test_a_recipe_file_through_the_cli_gives_the_same_version_and_its_lineage(loans, tmp_path):
    steps = [{"kind": "cast", "column": "amount", "to": "number"}, {"kind": "dedupe"}]
    made = recipes.apply(loans["id"], {"steps": steps}, name="in core")
    (tmp_path / "recipe.yaml").write_text(json.dumps({"steps": steps}))
    from core.foundation import config

    env = {**__import__("os").environ, "COMMONGROUND_HOME": str(config.home())}
    out = subprocess.run([sys.executable, "-m", "core", "prep", "apply", loans["id"], "--recipe",
                          str(tmp_path / "recipe.yaml"), "--name", "from the cli", "--json"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["content_hash"] == made["content_hash"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps:\n  - kind: teleport\n")
    refused = subprocess.run([sys.executable, "-m", "core", "prep", "apply", loans["id"], "--recipe", str(bad),
                              "--name", "x"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "'teleport' is not a kind of step" in refused.stderr
    shown = recipes.show(made["dataset_id"])
    assert [v["dataset_id"] for v in shown["lineage"]] == [loans["id"], made["dataset_id"]]
    assert shown["lineage"][0]["source_filename"] == "loans.csv" and shown["recipe"]["steps"][0]["kind"] == "cast"
    assert "TRY_CAST" in shown["sql"] and shown["replay_sql"]


def test_preview_says_what_each_step_does(loans):
    found = recipes.preview(loans["id"], {"steps": [
        {"kind": "cast", "column": "opened", "to": "date", "format": "%d/%m/%Y"},
        {"kind": "fill", "column": "income", "with": "median"},
        {"kind": "join", "dataset": "regions", "left_on": "region", "right_on": "code", "columns": ["region_name"]},
        {"kind": "dedupe"}]}, rows=200)
    said = [s["effect"] for s in found["steps"]]
    assert said[0].startswith("1 values of 'opened' could not be read as a date") and "row 6 '31/02/2020'" in said[0]
    assert said[1].startswith("Fills ") and "(median)" in said[1]
    assert "found a match in 'regions'" in said[2]
    assert found["steps"][3]["rows_after"] <= 200 and found["sample_rows"] == 200
    assert [s["every_row"] for s in found["steps"]] == [True, True, True, False]


def test_scoring_replays_the_every_row_steps_on_raw_rows(loans, tmp_path):
    made, _ = _apply(loans, [
        {"kind": "cast", "column": "amount", "to": "number"},
        {"kind": "fill", "column": "income", "with": "median", "flag": True},
        {"kind": "join", "dataset": "regions", "left_on": "region", "right_on": "code", "columns": ["region_name"]},
        {"kind": "derive", "name": "ratio", "expression": "amount / income"},
        {"kind": "filter", "where": "amount IS NOT NULL"},
    ])
    run = train(RunSpec(made["dataset_id"], "paid", quality="fast", time_limit=15, model_families=["GBM"],
                        exclude=["id"], refit_for_use=False))
    raw = loans["frame"].drop(columns=["paid"]).head(30).copy()
    raw.loc[3, "amount"] = "twelve"
    raw.to_csv(tmp_path / "new.csv", index=False)
    scored = scoring.score(run.run_id, input_path=tmp_path / "new.csv", output_path=tmp_path / "out.csv")
    out = pd.read_csv(tmp_path / "out.csv")
    assert scored["rows"] == 30 and len(out) == 30 and out["id"].tolist() == raw["id"].tolist()  # order kept
    assert out.loc[3, "prep_problems"] == "amount: 'twelve' is not a number"
    assert out["prep_problems"].drop(index=3).isna().all() and out["prediction"].notna().all()
    assert {"ratio", "region_name", "income_was_missing"} <= set(out.columns)
    from core.training import views

    lineage = views.lineage(run.run_id)  # a scored prediction back to the raw file
    assert [v["dataset_id"] for v in lineage["data_versions"]] == [loans["id"], made["dataset_id"]]
    assert lineage["data_versions"][1]["recipe"]["steps"][2]["kind"] == "join"
    assert lineage["model"] == run.chosen_model and lineage["scored_batches"][0]["rows"] == 30
    _served_like_batch(run.run_id, raw, out)
    with pytest.raises(InvalidInput, match="a bundle does not carry"):
        api.bundle(run.run_id, output=tmp_path / "bundle.zip")
    with pytest.raises(InvalidInput, match="its recipe reads columns this file does not have"):
        raw.drop(columns=["region"]).to_csv(tmp_path / "short.csv", index=False)
        scoring.score(run.run_id, input_path=tmp_path / "short.csv", output_path=tmp_path / "out2.csv")


def _served_like_batch(run_id: str, raw: pd.DataFrame, batch: pd.DataFrame) -> None:
    """The REST endpoint takes the same raw records and answers what batch scoring wrote."""
    import os

    from core.foundation import config
    from tests.test_serving import _call, _free_port, _start

    port = _free_port()
    env = {**os.environ, "COMMONGROUND_HOME": str(config.home())}
    proc = _start([sys.executable, "-m", "core", "serve", run_id, "--port", str(port)], env, port)
    try:
        records = json.loads(raw.to_json(orient="records"))
        status, body = _call(f"http://127.0.0.1:{port}", "/predict", records, token=None)
        assert status == 200, body
        assert [p["prediction"] for p in body["predictions"]] == batch["prediction"].tolist()
        assert body["predictions"][3]["prep_problems"] == "amount: 'twelve' is not a number"
        status, body = _call(f"http://127.0.0.1:{port}", "/predict", [{"id": 1}], token=None)
        assert status == 422 and "amount" in json.dumps(body)  # raw columns are what a request needs
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_exported_script_starts_from_the_raw_file(loans, tmp_path):
    from core.reporting import export

    made, _ = _apply(loans, [{"kind": "cast", "column": "amount", "to": "number"},
                             {"kind": "derive", "name": "ratio", "expression": "amount / (income + 1)"},
                             {"kind": "filter", "where": "amount IS NOT NULL"}])
    run = train(RunSpec(made["dataset_id"], "paid", quality="fast", time_limit=60, model_families=["GBM"],
                        exclude=["id"], refit_for_use=False))
    written = export.export_code(run.run_id, output=tmp_path / "run.py")
    assert not written["notes"] or all("prepared with steps" not in n["text"] for n in written["notes"])
    out = subprocess.run([sys.executable, str(tmp_path / "run.py"), "--raw", str(loans["path"]), "--model-dir",
                          str(tmp_path / "models")], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    printed = json.loads(out.stdout.strip().splitlines()[-1])
    for name, value in run.holdout_metrics.items():
        assert printed[name] == pytest.approx(value, abs=1e-9), name
