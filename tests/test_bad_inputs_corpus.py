"""The bad-input corpus (issue 15): every hostile file and value in tests/bad_inputs/cases.yaml is
either refused, with a message that names it and says what to do and nothing written, or loads
exactly as it should, hostile names round-tripping unchanged.

Files go through core.data.datasets.add (what the Data page calls); values through other core
functions, or through the CLI in a subprocess (`python -m core ...`, COMMONGROUND_HOME set to the
test's workspace). One tiny run on penguins, shared by the module, serves the cases that need a
trained model ({run}). cases.yaml says what each key of a case means.
"""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from core.data import datasets
from core.foundation import db, errors
from core.foundation.errors import InvalidInput, UserError
from core.governance import users, vocabulary
from core.reporting import export, render
from core.serving import scoring
from core.training import views
from core.training.spec import RunSpec
from tests.conftest import DATA, REPO

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))["cases"]
# The {run} was started by this user: its name shows in the model card, as text.
HOSTILE_USER = "<script>alert(1)</script> **[admin](http://evil)**"
# Text that must never reach a person: a traceback, an internal error, our own source paths.
LEAKS = ("Traceback (most recent call last)", 'File "/', "Internal error", "site-packages", "errors.log")
MAX_FILE_BYTES = 16 * 1024
# The core functions a case may call (entry: core).
CALLS = {"datasets.rename": datasets.rename, "datasets.show": datasets.show, "datasets.preview": datasets.preview,
         "views.load": views.load, "scoring.score": scoring.score, "vocabulary.show": vocabulary.show,
         "users.set_preference": users.set_preference, "render.write": render.write,
         "export.export_code": export.export_code}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """(home, run_id): one finished run on penguins in its own workspace, started by HOSTILE_USER."""
    from core.training import lifecycle

    home = tmp_path_factory.mktemp("corpus-run-home")
    old = os.environ.get("COMMONGROUND_HOME")
    os.environ["COMMONGROUND_HOME"] = str(home)
    try:
        dataset = datasets.add(DATA / "penguins.csv")["dataset_id"]
        spec = RunSpec(dataset, "species", quality="fast", time_limit=5, sensitive=[], model_families=["LR"])
        run = lifecycle.wait(lifecycle.start(spec, user=HOSTILE_USER).run_id)
    finally:
        os.environ["COMMONGROUND_HOME"] = old or ""
    assert run.status == "succeeded", run.error
    return home, run.run_id


def _cli(argv: list[str], seconds: float = 120) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([sys.executable, "-m", "core", *argv], cwd=REPO, env=os.environ.copy(),
                              capture_output=True, text=True, timeout=seconds)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`python -m core {' '.join(argv)}` took more than {seconds:g} s (stopped)")


def _said(proc: subprocess.CompletedProcess) -> str:
    return f"exit {proc.returncode}\nstdout: {proc.stdout[:2000]}\nstderr: {proc.stderr[:2000]}"


def _check_message(message: str, expected: list[str]) -> None:
    missing = [s for s in expected if s not in message]
    assert not missing, f"the message lacks {missing}: {message!r}"
    leaked = [s for s in LEAKS if s in message]
    assert not leaked, f"the message shows {leaked}: {message!r}"


def _tables() -> set[str]:
    with db.connect() as con:
        return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def _check_dataset(dataset_id: str, want: dict) -> None:
    """What the registry, the profile (what pages show) and the stored table say all agree with `want`."""
    shown = datasets.show(dataset_id)
    names = [c["name"] for c in shown["columns"]]
    frame = datasets.preview(dataset_id, limit=10_000)
    with db.connect() as con:
        registered = [r[0] for r in con.execute(
            "SELECT name FROM dataset_columns WHERE dataset_id = ? ORDER BY position", [dataset_id]).fetchall()]
    assert list(frame.columns) == names == registered, "the table, the profile and the registry name columns apart"
    if "rows" in want:
        assert (shown["rows"], len(frame)) == (want["rows"], want["rows"])
    if "columns" in want:
        assert names == want["columns"]
    if "n_columns" in want:
        assert len(names) == want["n_columns"]
    if "first_column_repeats" in want:
        char, times = want["first_column_repeats"]
        assert names[0] == char * times, f"the first column is {len(names[0])} characters: {names[0][:40]!r}..."
    listed = {d["dataset_id"]: d for d in datasets.list_datasets()}[dataset_id]
    assert (listed["name"], listed["rows"], listed["n_columns"]) == (shown["name"], shown["rows"], len(names))
    if "name" in want:
        assert shown["name"] == want["name"]
        assert datasets.show(want["name"])["dataset_id"] == dataset_id  # found again by its exact name
    if "created_by" in want:
        assert shown["created_by"] == listed["created_by"] == want["created_by"]
    for column, values in (want.get("values") or {}).items():
        assert [_plain(v) for v in frame[column].head(len(values))] == values, column
    renamed = [w for w in shown["warnings"] if w["kind"] == "renamed_column"]
    for new, old in (want.get("renamed") or {}).items():
        said = [w["message"] for w in renamed if w["column"] == new]
        assert said and f"'{old}'" in said[0], f"no warning says '{new}' was '{old}': {renamed}"
    for column in want.get("numbers") or []:
        kind = {c["name"]: c["type"] for c in shown["columns"]}[column]
        warned = [w for w in shown["warnings"] if w["kind"] == "number_as_text" and w["column"] == column]
        assert kind == "number" or warned, f"'{column}' is read as {kind}, with no warning that it holds numbers"


def _check_tables(want: dict, before: set[str]) -> None:
    now = _tables()
    assert before <= now, f"tables disappeared: {before - now}"
    assert set(want.get("tables") or []) <= now


def _check_written(want: dict, fill) -> None:
    if "writes" not in want:
        return
    path = Path(fill(want["writes"]))
    assert path.is_file(), f"{path} was not written; the folder holds {sorted(p.name for p in path.parent.iterdir())}"
    text = path.read_text(encoding="utf-8")
    for piece in want.get("contains") or []:
        assert piece in text, f"{path.name} lacks {piece!r}"
    for piece in want.get("not_contains") or []:
        at = text.find(piece)
        assert at < 0, f"{path.name} holds {piece!r}: ...{text[max(0, at - 80):at + 80]}..."
    if "python_constant" in want:
        tree = ast.parse(text)  # the generated script is still valid Python
        constants = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                     for t in node.targets if isinstance(t, ast.Name)}
        for name, value in want["python_constant"].items():
            assert ast.literal_eval(constants[name]) == fill(value), name


# --- The cases ----------------------------------------------------------------------------


def _file_case(case: dict, tmp_path, snapshot) -> str:
    path = CORPUS / case["file"]
    assert path.exists() != bool(case.get("missing")), path
    with db.connect():
        pass
    unrelated = tmp_path / "unrelated.csv"  # so that "nothing written" is not trivially true
    unrelated.write_text("unrelated_x,unrelated_y\n1,2\n3,4\n")
    datasets.add(unrelated)
    options = {arg: case[key] for key, arg in (("name_arg", "name"), ("sheet", "sheet"), ("user", "user"))
               if key in case}
    before, tables = snapshot(), _tables()
    expect = case["expect"]
    if "refused" in expect:
        try:
            info = datasets.add(path, **options)
        except InvalidInput as exc:
            message = str(exc)
        else:
            pytest.fail(f"loaded instead of refused: {info['rows']} rows, columns "
                        f"{[c['name'][:40] for c in info['columns']][:10]}")
        _check_message(message, expect["refused"])
        assert snapshot() == before
        return "refused"
    try:
        info = datasets.add(path, **options)
    except UserError as exc:
        pytest.fail(f"refused instead of loaded: {exc}")
    assert info["created"]
    _check_dataset(info["dataset_id"], expect["loads"])
    _check_tables(expect["loads"], tables)
    assert snapshot()["datasets"] == before["datasets"] + 1
    return "loaded"


def _value_case(case: dict, request, tmp_path, snapshot, monkeypatch) -> str:
    """entry core or cli: a hostile value given to a core function or on the command line."""
    words = json.dumps([case.get("args"), case.get("kwargs")])
    values = {"{corpus}": str(CORPUS), "{repo}": str(REPO), "{tmp}": str(tmp_path)}
    if "{run}" in words:
        home, run_id = request.getfixturevalue("hostile_run")
        monkeypatch.setenv("COMMONGROUND_HOME", str(home))
        values["{run}"] = run_id
    request.getfixturevalue("no_leftover_workers")  # a run that should have been refused is cancelled
    with db.connect():
        pass
    if "{dataset}" in words:
        values["{dataset}"] = datasets.add(DATA / "penguins.csv")["dataset_id"]

    def fill(text):
        if not isinstance(text, str):
            return text
        for key, value in values.items():
            text = text.replace(key, value)
        return text

    args = [fill(a) for a in case.get("args") or []]
    kwargs = {k: fill(v) for k, v in (case.get("kwargs") or {}).items()}
    before, tables = snapshot(), _tables()
    expect = case["expect"]
    if case["entry"] == "core":
        function, error = CALLS[case["call"]], getattr(errors, expect.get("error", "InvalidInput"))
        if "refused" in expect:
            try:
                result = function(*args, **kwargs)
            except error as exc:
                message = str(exc)
            else:
                pytest.fail(f"{case['call']} did not refuse: {str(result)[:300]}")
        else:
            result = function(*args, **kwargs)
    elif "refused" in expect:
        proc = _cli(args, case.get("seconds", 120))
        assert proc.returncode == 2, _said(proc)
        assert proc.stdout == "", _said(proc)
        assert len(proc.stderr.splitlines()) == 1, _said(proc)
        message = proc.stderr
    else:
        proc = _cli([*args, "--json"], case.get("seconds", 120))
        assert proc.returncode == 0, _said(proc)
        result = json.loads(proc.stdout)
    if "refused" in expect:
        _check_message(message, [fill(s) for s in expect["refused"]])
        assert snapshot() == before
        if "no_file" in expect:
            assert not Path(fill(expect["no_file"])).exists()
        return "refused"
    want = expect["loads"]
    for key, value in (want.get("json") or {}).items():
        assert result[key] == fill(value), key
    if isinstance(result, dict) and "dataset_id" in result:
        _check_dataset(result["dataset_id"], want)
    _check_written(want, fill)
    _check_tables(want, tables)
    return "loaded"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_input(case, request, tmp_path, snapshot, monkeypatch):
    """Each helper checks the message or the load in detail and says which of the two happened."""
    if case["entry"] == "datasets.add":
        outcome = _file_case(case, tmp_path, snapshot)
    else:
        outcome = _value_case(case, request, tmp_path, snapshot, monkeypatch)
    assert outcome == ("refused" if "refused" in case["expect"] else "loaded"), case["name"]


# --- The corpus itself --------------------------------------------------------------------


def test_the_corpus_is_complete_and_small():
    names = [c["name"] for c in CASES]
    assert len(names) >= 30 and len(set(names)) == len(names)
    used = set()
    for case in CASES:
        assert case["entry"] in ("datasets.add", "core", "cli"), case["name"]
        if case["entry"] == "core":
            assert case["call"] in CALLS, case["name"]
        assert case["what"].strip(), case["name"]
        assert len(case["expect"].keys() & {"refused", "loads"}) == 1, case["name"]
        if "refused" in case["expect"]:  # at least the bad value and what to do next
            assert len(case["expect"]["refused"]) >= 2, case["name"]
        if case["entry"] == "datasets.add":
            used.add(case["file"])
        words = [*(case.get("args") or []), *(case.get("kwargs") or {}).values()]
        used |= {w.split("{corpus}/", 1)[1] for w in words if isinstance(w, str) and "{corpus}/" in w}
    files = {p.name for p in CORPUS.iterdir()
             if p.name not in ("make_corpus.py", "cases.yaml", ".gitattributes", "__pycache__")}
    missing = {c["file"] for c in CASES if c.get("missing")}
    assert files == {u.split("/")[0] for u in used} - missing, "every file has a case, every case its file"
    big = [name for name in files if (CORPUS / name).stat().st_size > MAX_FILE_BYTES]
    assert not big, big
