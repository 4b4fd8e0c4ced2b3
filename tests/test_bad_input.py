"""Every bad file is refused with InvalidInput, a message that says what and what to do, and no writes."""

import io
import os
import random
import re
import subprocess
import sys
import zipfile

import openpyxl
import pytest

from core.data import datasets
from core.foundation import db
from core.foundation.errors import InvalidInput
from tests.conftest import REPO


@pytest.fixture
def refuse(tmp_path, snapshot):
    """add() must raise InvalidInput and leave every table and row count as it was.

    The baseline is taken after a first, successful connection (migrations have run) and
    one unrelated data set, so the snapshot is not trivially empty.
    """
    with db.connect():
        pass
    unrelated = tmp_path / "unrelated.csv"
    unrelated.write_text("x,y\n1,2\n3,4\n")
    datasets.add(unrelated)

    def check(path, *, sheet=None) -> str:
        before = snapshot()
        with pytest.raises(InvalidInput) as exc:
            datasets.add(path, sheet=sheet)
        assert snapshot() == before
        assert [d["name"] for d in datasets.list_datasets()] == ["unrelated"]
        return str(exc.value)

    return check


@pytest.fixture
def write(tmp_path):
    def write(name: str, content) -> "os.PathLike":
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return write


# --- Empty or header only -------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"  \n\n\t \r\n"], ids=["zero-bytes", "whitespace-only"])
def test_empty_file(write, refuse, content):
    message = refuse(write("empty.csv", content))

    assert "'empty.csv'" in message
    assert "is empty" in message
    assert "header row and at least one data row" in message


@pytest.mark.parametrize("content", ["a,b,c\n", "a,b,c"], ids=["with-newline", "without-newline"])
def test_header_only(write, refuse, content):
    message = refuse(write("header.csv", content))

    assert "'header.csv'" in message
    assert "a, b, c" in message  # the header it did find
    assert "no data rows" in message
    assert "Add at least one data row" in message


# --- Not a table ----------------------------------------------------------------------------


def _random_bytes_with_nuls() -> bytes:
    rng = random.Random(7)
    data = bytearray(rng.randbytes(2048))
    data[10:14] = b"\x00\x00\x00\x00"
    return bytes(data)


@pytest.mark.parametrize(
    "filename, content, kind",
    [
        ("random.csv", _random_bytes_with_nuls(), "binary data"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(100), "a PNG image"),
        ("report.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n", "a PDF document"),
        ("page.csv", "<!DOCTYPE html>\n<html><body><table><tr><td>a</td></tr></table></body></html>\n",
         "a web page (HTML)"),
        ("records.json", '[{"a": 1, "b": 2},\n {"a": 3, "b": 4}]\n', "a JSON document"),
        ("object.csv", '{"a": [1, 3], "b": [2, 4]}\n', "a JSON document"),
    ],
    ids=["random-bytes", "png", "pdf", "html", "json-array", "json-object"],
)
def test_not_a_table(write, refuse, filename, content, kind):
    message = refuse(write(filename, content))

    assert f"'{filename}'" in message
    assert f"not a table: it looks like {kind}" in message
    assert "Upload a CSV, TSV, Parquet or Excel (.xlsx) file" in message


# --- Encodings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    ["a,b\n1,2\n".encode("utf-16"), "a,b\n1,2\n".encode("utf-16-le")],
    ids=["utf-16-with-bom", "utf-16-le-without-bom"],
)
def test_utf16_is_refused_with_advice(write, refuse, content):
    message = refuse(write("wide.csv", content))

    assert "'wide.csv'" in message
    assert "text encoding we cannot read (UTF-16)" in message
    assert "Save it as UTF-8" in message


# --- Ragged rows and quotes -----------------------------------------------------------------


@pytest.mark.parametrize(
    "content, line, found",
    [
        pytest.param("a,b,c\n1,2,3\n4,5,6\n7,8\n9,10,11\n", 4, 2, id="too-few-on-line-4"),
        pytest.param("a,b,c\n1,2,3\n4,5,6,7\n8,9,10\n", 3, 4, id="too-many-on-line-3"),
        pytest.param('a,b,c\n1,"two\nlines",3\n4,5\n', 4, 2, id="line-counts-newlines-inside-quotes"),
        pytest.param(
            "a,b,c\n1,2,3\n4,5,6\n7,8,9\n1,2,3,4,5\n", 5, 5, id="too-many-on-last-line",
        ),
    ],
)
def test_ragged_row_names_line_and_counts(write, refuse, content, line, found):
    message = refuse(write("ragged.csv", content))

    assert f"Line {line} of 'ragged.csv'" in message
    assert f"has {found} values but the header has 3 columns" in message
    assert "Fix that line" in message and "comma" in message


def test_ragged_row_names_the_detected_delimiter(write, refuse):
    message = refuse(write("ragged.csv", "a;b;c\n1;2;3\n4;5\n6;7;8\n"))

    assert "Line 3 of 'ragged.csv' has 2 values but the header has 3 columns" in message
    assert "semicolon" in message


@pytest.mark.parametrize(
    "content",
    [
        pytest.param('a,b,c\n1,"2,3\n', id="quote-on-last-line"),
        pytest.param(
            'a,b,c\n1,"2,3\n4,5,6\n7,8,9\n', id="quote-followed-by-more-lines",
        ),
    ],
)
def test_unclosed_quote_names_the_line_that_opens_it(write, refuse, content):
    message = refuse(write("quote.csv", content))

    assert "Line 2 of 'quote.csv'" in message
    assert "opens a quote" in message and "never closed" in message
    assert "Close the quote" in message


# --- Header problems ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, columns, renamed",
    [("name,age,name", ["name", "age", "name_2"], [("name_2", "name")]),
     ("name,Age,age", ["name", "Age", "age_2"], [("age_2", "age")]),
     ("x,x,x_2", ["x", "x_3", "x_2"], [("x_3", "x")])],
    ids=["exact", "differ-only-by-case", "suffix-already-taken"],
)
def test_repeated_column_names_load_renamed_with_a_warning(write, header, columns, renamed):
    """Pandas, Excel and DuckDB load such files; so do we, renaming deterministically and saying so."""
    info = datasets.add(write("people.csv", f"{header}\nAna,30,31\nBia,40,41\n"))
    assert [c["name"] for c in info["columns"]] == columns
    shown = [(w["column"], w["message"]) for w in info["warnings"] if w["kind"] == "renamed_column"]
    assert [c for c, _ in shown] == [new for new, _ in renamed]
    for (new, old), (_, message) in zip(renamed, shown):
        assert f"'{old}'" in message and f"'{new}'" in message


@pytest.mark.parametrize(
    "header, position",
    [("a,,c", 2), ("a,b,", 3), ("a,  ,c", 2)],
    ids=["empty-middle", "empty-last", "blank-spaces"],
)
def test_empty_column_name(write, refuse, header, position):
    message = refuse(write("unnamed.csv", f"{header}\n1,2,3\n"))

    assert f"Column {position} of 'unnamed.csv' has no name" in message
    assert "Give every column a name" in message


# --- Size limit -----------------------------------------------------------------------------


def test_file_over_the_size_limit(write, refuse, monkeypatch):
    path = write("large.csv", "a,b\n" + "1,2\n" * 100)  # 404 bytes
    monkeypatch.setenv("COMMONGROUND_MAX_UPLOAD_MB", "0.0001")  # 104 bytes

    message = refuse(path)

    assert "'large.csv'" in message
    assert "limit" in message
    assert "Upload a smaller sample, or raise COMMONGROUND_MAX_UPLOAD_MB" in message


def test_size_limit_message_shows_a_fractional_limit(write, refuse, monkeypatch):
    path = write("large.csv", b"a,b\n" + b"1,2\n" * 160_000)  # about 0.61 MB
    monkeypatch.setenv("COMMONGROUND_MAX_UPLOAD_MB", "0.5")

    message = refuse(path)

    assert "is 0.6 MB" in message
    assert "0.5 MB limit" in message


# --- Spreadsheets ---------------------------------------------------------------------------


def _workbook(path, *sheet_names):
    wb = openpyxl.Workbook()
    wb.active.title = sheet_names[0]
    for name in sheet_names[1:]:
        wb.create_sheet(name)
    for ws in wb.worksheets:
        ws.append(["x", "y"])
        ws.append([1, "a"])
    wb.save(path)
    return path


def _without_sheets(xlsx: bytes) -> bytes:
    """Rewrite a valid workbook so it declares <sheets/> and holds no worksheet parts."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename.startswith("xl/worksheets/"):
                continue
            data = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = re.sub(rb"<sheets>.*?</sheets>", b"<sheets/>", data, flags=re.S)
                assert b"<sheets/>" in data
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = re.sub(rb"<Relationship [^>]*worksheets/[^>]*/>", b"", data)
            elif item.filename == "[Content_Types].xml":
                data = re.sub(rb"<Override [^>]*worksheets/[^>]*/>", b"", data)
            dst.writestr(item, data)
    return out.getvalue()


def test_spreadsheet_without_sheets(tmp_path, write, refuse):
    valid = _workbook(tmp_path / "valid.xlsx", "Data").read_bytes()
    path = write("nosheets.xlsx", _without_sheets(valid))

    message = refuse(path)

    assert "'nosheets.xlsx'" in message
    assert "has no sheets" in message
    assert "Put the data in the first sheet" in message


def test_spreadsheet_unknown_sheet_lists_the_sheets(tmp_path, refuse):
    path = _workbook(tmp_path / "book.xlsx", "First", "Second")

    message = refuse(path, sheet="Nope")

    assert "'book.xlsx'" in message
    assert "no sheet 'Nope'" in message
    assert "Its sheets are: First, Second." in message


def test_zip_that_is_not_a_workbook(write, refuse):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("readme.txt", "hello")
    message = refuse(write("archive.xlsx", buffer.getvalue()))

    assert "'archive.xlsx' is not a table: it looks like a ZIP archive" in message


# --- Path -----------------------------------------------------------------------------------


def test_path_that_does_not_exist(tmp_path, refuse):
    path = tmp_path / "missing" / "nothing.csv"

    message = refuse(path)

    assert str(path) in message
    assert "Check the path" in message


# --- The same refusals through the CLI ------------------------------------------------------


@pytest.mark.parametrize(
    "filename, content, expected",
    [
        ("empty.csv", b"", "The file 'empty.csv' is empty."),
        ("ragged.csv", b"a,b,c\n1,2,3\n4,5,6\n7,8\n", "Line 4 of 'ragged.csv' has 2 values"),
    ],
    ids=["empty", "ragged"],
)
def test_cli_refusal_is_one_line_on_stderr_and_exit_2(write, snapshot, filename, content, expected):
    path = write(filename, content)
    before = snapshot()

    result = subprocess.run(
        [sys.executable, "-m", "core", "datasets", "add", str(path), "--json"],
        env=dict(os.environ),  # carries the test's COMMONGROUND_HOME
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert expected in result.stderr
    assert snapshot() == before
