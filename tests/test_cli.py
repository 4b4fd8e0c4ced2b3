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
