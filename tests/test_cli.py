"""The CLI contract: JSON on stdout only, one-line errors on stderr, exit codes 0 / 2."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import DATA, REPO


def cli(*args):
    proc = subprocess.run([sys.executable, "-m", "core", *map(str, args)], cwd=REPO,
                          env=os.environ.copy(), capture_output=True, text=True, timeout=120)
    return proc


def cli_json(*args):
    proc = cli(*args, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_add_list_show_follow_the_contract():
    added = cli_json("datasets", "add", DATA / "titanic.csv", "--name", "Titanic")
    assert {"dataset_id", "name", "rows", "columns", "warnings"} <= set(added)
    assert added["rows"] == 2207 and added["name"] == "Titanic"
    col = added["columns"][0]
    assert {"name", "type", "missing_share"} <= set(col)
    assert all({"column", "kind", "message"} <= set(w) for w in added["warnings"])
    listed = cli_json("datasets", "list")
    assert [d["dataset_id"] for d in listed] == [added["dataset_id"]]
    shown = cli_json("datasets", "show", added["dataset_id"], "--target", "survived")
    assert shown["target"] == "survived"
    assert shown["columns"] == added["columns"]


def test_show_with_a_misspelt_target_exits_2_with_one_line():
    ds = cli_json("datasets", "add", DATA / "bikeshare.csv")
    proc = cli("datasets", "show", ds["dataset_id"], "--target", "biker", "--json")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Did you mean 'bikers'?" in proc.stderr


def test_unknown_dataset_and_bad_arguments_exit_2():
    for args in (["datasets", "show", "ds_nope"], ["datasets", "frobnicate"], ["nothing"]):
        proc = cli(*args)
        assert proc.returncode == 2, args
        assert proc.stderr.strip() and proc.stderr.count("\n") == 1, proc.stderr


def test_delete_needs_yes_and_then_deletes():
    ds = cli_json("datasets", "add", DATA / "penguins.csv")
    refused = cli("datasets", "delete", ds["dataset_id"])
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert len(cli_json("datasets", "list")) == 1
    cli_json("datasets", "delete", ds["dataset_id"], "--yes")
    assert cli_json("datasets", "list") == []


def test_rename_and_preferences():
    ds = cli_json("datasets", "add", DATA / "penguins.csv")
    assert cli_json("datasets", "rename", ds["dataset_id"], "Penguins 2008")["name"] == "Penguins 2008"
    assert cli_json("preferences", "set", "audience", "expert", "--user", "ana")["audience"] == "expert"
    assert cli_json("preferences", "show", "--user", "ana")["audience"] == "expert"
    bad = cli("preferences", "set", "language", "fr", "--user", "ana")
    assert bad.returncode == 2 and "en, pt" in bad.stderr


def test_init_loads_the_demo_data_once():
    first = cli_json("init")
    assert len(first["demo_datasets_added"]) == 4
    names = {d["name"] for d in cli_json("datasets", "list")}
    assert "German credit" in names
    cli_json("datasets", "delete", "German credit", "--yes")
    assert cli_json("init")["demo_datasets_added"] == []  # a deletion sticks
    assert len(cli_json("datasets", "list")) == 3


@pytest.mark.parametrize("command", [["--help"], ["datasets", "add", "--help"]])
def test_help_exits_0(command):
    assert cli(*command).returncode == 0


@pytest.mark.parametrize("data, target, kind, extra", [
    ("german_credit.csv", "risk", "binary", ["--goal", "best_ranking", "--sensitive", "sex", "age"]),
    ("penguins.csv", "species", "multiclass", []),
    ("bikeshare.csv", "bikers", "regression", ["--exclude", "casual", "registered"]),
])
def test_runs_start_wait_show_list(data, target, kind, extra):
    ds = cli_json("datasets", "add", DATA / data)
    run = cli_json("runs", "start", "--dataset", ds["dataset_id"], "--target", target, "--quality", "fast",
                   "--time-limit", "10", "--family", "GBM", "LR", *extra, "--wait")
    assert run["status"] == "succeeded", run["error"]
    assert run["problem_type"] == kind
    assert {"run_id", "status", "problem_type", "target", "eval_metric", "first_model_seconds",
            "elapsed_seconds", "chosen_model", "models", "holdout_metrics", "summary"} <= set(run)
    assert all({"model", "score_val", "score_test", "fit_time", "predict_time"} <= set(m) for m in run["models"])
    assert run["first_model_seconds"] > 0 and run["holdout_metrics"]
    assert cli_json("runs", "show", run["run_id"])["models"] == run["models"]
    assert [r["run_id"] for r in cli_json("runs", "list")] == [run["run_id"]]


def test_runs_start_refuses_bad_input_with_one_line():
    ds = cli_json("datasets", "add", DATA / "penguins.csv")
    for args, words in (
        (["--target", "specie"], "Did you mean 'species'?"),
        (["--target", "species", "--time-limit", "0"], "more than 0 seconds"),
        (["--target", "species", "--metric", "rmse"], "does not fit a multiclass problem"),
    ):
        proc = cli("runs", "start", "--dataset", ds["dataset_id"], *args, "--json")
        assert proc.returncode == 2 and proc.stdout == "", args
        assert proc.stderr.count("\n") == 1 and words in proc.stderr, proc.stderr


def test_a_hyperparameter_file_that_does_not_parse_is_refused(tmp_path):
    ds = cli_json("datasets", "add", DATA / "penguins.csv")
    bad = tmp_path / "hp.yaml"
    bad.write_text("GBM: {num_leaves: 64\nCAT: [\n")
    proc = cli("runs", "start", "--dataset", ds["dataset_id"], "--target", "species",
               "--hyperparameters", bad, "--json")
    assert proc.returncode == 2 and "do not parse at line" in proc.stderr, proc.stderr
    assert cli_json("runs", "list") == []


def test_errors_with_json_are_one_json_line_with_code_message_and_value():
    proc = cli("runs", "show", "run_nope", "--json")
    assert proc.returncode == 2 and proc.stdout == ""
    error = json.loads(proc.stderr)["error"]
    assert error["code"] == "run_not_found" and error["value"] == "run_nope"
    assert "No run 'run_nope'" in error["message"] and proc.stderr.count("\n") == 1
    bad = cli("datasets", "frobnicate", "--json")
    assert bad.returncode == 2 and json.loads(bad.stderr)["error"]["code"] == "bad_arguments"


def test_list_flags_take_their_values_either_way():
    from core.cli import build_parser

    parser = build_parser()
    base = ["runs", "plan", "--dataset", "d", "--target", "t"]
    spaced = parser.parse_args([*base, "--sensitive", "sex", "age", "--exclude", "a", "b"])
    repeated = parser.parse_args([*base, "--sensitive", "sex", "--sensitive", "age", "--exclude", "a", "--exclude", "b"])
    assert spaced.sensitive == repeated.sensitive == ["sex", "age"]
    assert spaced.exclude == repeated.exclude == ["a", "b"]
    assert parser.parse_args(base).sensitive is None  # nothing given: the plan decides


def test_a_repeated_sensitive_flag_keeps_every_column_out_of_the_model():
    ds = cli_json("datasets", "add", DATA / "german_credit.csv")
    plan = cli_json("runs", "plan", "--dataset", ds["dataset_id"], "--target", "risk",
                    "--sensitive", "sex", "--sensitive", "age")
    assert plan["sensitive"] == ["sex", "age"]
    assert "sex" not in plan["features"] and "age" not in plan["features"]
