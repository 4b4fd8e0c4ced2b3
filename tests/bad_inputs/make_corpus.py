"""Write the bad-input corpus next to this script (run once; its output is committed with it).

    .venv/bin/python tests/bad_inputs/make_corpus.py

Every file is small (a few KB at most) and deterministic (zip entries carry a fixed date), so
re-running it gives the same bytes and `git status` shows only what a change to this script
changed. What each file is, why it is hostile and what must happen to it is in cases.yaml.
"""

import gzip
import io
import random
import re
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def text(name: str, content: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(content.encode(encoding))


def raw(name: str, content: bytes) -> None:
    (HERE / name).write_bytes(content)


# --- Text files ---------------------------------------------------------------------------


def text_files() -> None:
    text("good.csv", "species,island,mass\nAdelie,Torgersen,3750\nGentoo,Biscoe,5000\nChinstrap,Dream,3500\n")
    raw("utf8_bom.csv", b"\xef\xbb\xbfid,name\n1,Ana\n2,Bia\n3,Caio\n")
    raw("only_bom.csv", b"\xef\xbb\xbf")
    text("latin1.csv", "nome,cidade,preço\nJosé,São Paulo,10\nFrançois,Zürich,20\n", "latin-1")
    text("cp1252.csv", "item,note\nCafé,€5 “special”\nChá,– dash\n", "cp1252")
    text("semicolon.csv", "name;age;city\nAna;30;Lisboa\nBia;40;Porto\n")
    text("tab_in_a_csv.csv", "name\tage\tcity\nAna\t30\tLisboa\nBia\t40\tPorto\n")
    text("single_column.csv", "value\n1\n2\n3\n")
    text("quoted_newlines.csv",
         'id,comment\n1,"first line\nsecond line"\n2,"a ""quoted"" word, and a comma"\n')
    text("sql_column.csv", '"""; DROP TABLE datasets; --",b\n1,2\n3,4\n')
    text("markdown_column.csv", "[click](http://evil),**bold**,# heading\n1,2,3\n4,5,6\n")
    text("html_column.csv",
         '<script>alert(1)</script>,<img src=x onerror=alert(1)>\n"<b>hi</b>",2\n"<i>yo</i>",3\n')
    text("quote_backslash_column.csv", '"a""b",c\\d,e\'f\n1,2,3\n')
    text("reserved_words.csv", "select,from,where,table,rowid\n1,2,3,4,5\n")
    text("formula_cells.csv",
         'id,cmd\n1,"=cmd|\' /C calc\'!A0"\n2,+1+1\n3,@SUM(A1:A2)\n4,"=HYPERLINK(""http://evil"",""x"")"\n')
    text("duplicate_columns.csv", "name,name,NAME\nAna,Bia,Caio\nDani,Edu,Fabi\n")
    text("empty_column_name.csv", "a,,c\n1,2,3\n")
    text("long_header.csv", "x" * 10_000 + ",b\n1,2\n3,4\n")
    text("thousands_separators.csv", 'city,population\nLisboa,"545,923"\nPorto,"1,231,800"\n')
    text("header_only.csv", "a,b,c\n")
    text("blank_lines.csv", "a,b\n\n1,2\n\n3,4\n\n")
    # Windows and Unix line ends alternating (a file pasted together on two machines)
    raw("mixed_line_endings.csv", b"a,b\r\n1,2\n3,4\r\n5,6\n")
    raw("cr_line_endings.csv", b"a,b\r1,2\r3,4\r")  # classic Mac OS (Excel for Mac's 'CSV' until 2016)
    raw("nul_bytes.csv", b"a,b\n1,x\x00y\n2,z\n")
    rng = random.Random(15)
    garbage = bytearray(rng.randbytes(2048))
    garbage[10:14] = b"\x00\x00\x00\x00"
    raw("binary_garbage.csv", bytes(garbage))
    raw("gzipped.csv", gzip.compress(b"a,b\n1,2\n3,4\n", mtime=0))
    raw("utf16.csv", "a,b\n1,2\n".encode("utf-16"))
    raw("old_excel.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    raw("sqlite.csv", b"SQLite format 3\x00" + bytes(496))
    text("web_page.csv", "<!DOCTYPE html>\n<html><body><table><tr><td>a</td></tr></table></body></html>\n")
    text("ragged.csv", "a,b,c\n1,2,3\n4,5\n6,7,8\n")
    text("unclosed_quote.csv", 'a,b,c\n1,"2,3\n4,5,6\n')
    text("text_named.xlsx", "a,b\n1,2\n3,4\n")
    # More columns than anyone types: there is no configured maximum (core/foundation/config.py), so it loads.
    width = 1000
    text("wide.csv", ",".join(f"c{i}" for i in range(width)) + "\n" + ",".join(str(i) for i in range(width)) + "\n")
    # Hostile file names: the data set is named after the file.
    text("it's \"mine\".csv", "a,b\n1,2\n3,4\n")
    text("données ünïcödé 📊.csv", "a,b\n1,2\n3,4\n5,6\n")
    text("x'); DROP TABLE runs; --.csv", "a,b\n1,2\n")


# --- Spreadsheets -------------------------------------------------------------------------


def _fixed_zip(entries: dict[str, bytes]) -> bytes:
    """A zip with fixed timestamps, so the file's bytes do not change between runs."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return out.getvalue()


def _workbook(fill) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    fill(wb.active)
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as zf:
        entries = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    for name in list(entries):  # openpyxl stamps the creation time in docProps/core.xml
        if name == "docProps/core.xml":
            entries[name] = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2020-01-01T00:00:00Z", entries[name])
    return _fixed_zip(entries)


def _without_sheets(xlsx: bytes) -> bytes:
    """A valid workbook rewritten to declare <sheets/> and hold no worksheet parts."""
    entries = {}
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src:
        for item in src.infolist():
            if item.filename.startswith("xl/worksheets/"):
                continue
            data = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = re.sub(rb"<sheets>.*?</sheets>", b"<sheets/>", data, flags=re.S)
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = re.sub(rb"<Relationship [^>]*worksheets/[^>]*/>", b"", data)
            elif item.filename == "[Content_Types].xml":
                data = re.sub(rb"<Override [^>]*worksheets/[^>]*/>", b"", data)
            entries[item.filename] = data
    return _fixed_zip(entries)


def spreadsheets() -> None:
    def rows(*values):
        def fill(ws):
            for row in values:
                ws.append(list(row))
        return fill

    valid = _workbook(rows(["x", "y"], [1, "a"], [2, "b"]))
    raw("zip_renamed.xlsx", _fixed_zip({"readme.txt": b"hello, this is not a workbook\n"}))
    raw("no_sheets.xlsx", _without_sheets(valid))
    raw("empty_sheet.xlsx", _workbook(lambda ws: None))
    raw("truncated.xlsx", valid[: len(valid) // 2])
    raw("hostile_header.xlsx", _workbook(rows(
        ['"; DROP TABLE datasets; --', "<script>alert(1)</script>", "[click](http://evil)"],
        [1, "a", "x"], [2, "b", "y"])))

    def header_lower_down(ws):
        ws["C3"], ws["D3"] = "city", "people"
        ws["C4"], ws["D4"] = "Lisboa", 545923
        ws["C5"], ws["D5"] = "Porto", 231800

    raw("header_lower_down.xlsx", _workbook(header_lower_down))
    raw("xlsx_named.csv", valid)


# --- Parquet ------------------------------------------------------------------------------


def _parquet(table) -> bytes:
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def parquet_files() -> None:
    import pyarrow as pa

    raw("struct_column.parquet", _parquet(pa.table({
        "id": [1, 2, 3],
        "address": [{"street": "Rua A", "number": 1}, {"street": "Rua B", "number": 2},
                    {"street": "Rua C", "number": 3}],
    })))
    raw("list_column.parquet", _parquet(pa.table({
        "id": [1, 2, 3], "tags": [["a", "b"], ["c"], []],
    })))
    good = _parquet(pa.table({"a": [1, 2, 3, 4], "b": ["w", "x", "y", "z"]}))
    raw("truncated.parquet", good[: len(good) // 2])
    raw("zero_rows.parquet", _parquet(pa.table({"a": pa.array([], pa.int64()), "b": pa.array([], pa.string())})))
    raw("hostile_names.parquet", _parquet(pa.table({
        '"; DROP TABLE datasets; --': [1, 2],
        "x'); DROP TABLE runs; --": [3, 4],
        "<script>alert(1)</script>": ["a", "b"],
    })))
    raw("case_duplicates.parquet", _parquet(pa.table([pa.array([1, 2]), pa.array([3, 4])], names=["Name", "name"])))
    raw("parquet_named.csv", good)


if __name__ == "__main__":
    text_files()
    spreadsheets()
    parquet_files()
    files = sorted(p for p in HERE.iterdir() if p.suffix not in (".py", ".yaml") and p.name != ".gitattributes")
    biggest = max(files, key=lambda p: p.stat().st_size)
    print(f"{len(files)} files; the largest is {biggest.name} ({biggest.stat().st_size:,} bytes)")
