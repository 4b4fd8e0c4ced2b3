"""Turn a user's file into a DuckDB table, or refuse it with a sentence that says why.

Cheap checks run on a 64 KiB sample before DuckDB reads anything. Slow diagnosis
(finding the exact ragged line) runs only after DuckDB has refused a file, so the
happy path stays as fast as DuckDB's own CSV reader.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from core.foundation import config
from core.foundation.db import quote_ident
from core.foundation.errors import InvalidInput

SAMPLE_BYTES = 64 * 1024
DELIMITERS = [",", ";", "\t", "|"]
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
# Read as missing, as pandas (and so AutoGluon users) would; the data page says so.
MISSING_MARKERS = ["", "NA", "N/A", "NaN", "nan", "NULL", "null", "#N/A"]
# No BOOLEAN: DuckDB would turn 'yes'/'no' into true/false, and users must see their own values.
TYPE_CANDIDATES = ["BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "VARCHAR"]

# Messages live in glossary/messages.yaml (English and Portuguese), by the ids used below.

# (magic bytes, what it is); checked before anything else.
SIGNATURES = [
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel 97-2003 (.xls) file; save it as .xlsx or CSV"),
    (b"SQLite format 3", "a SQLite database"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
]


@dataclass
class Source:
    """What we learned about a file before loading it."""

    path: Path
    display_name: str
    format: str  # csv | parquet | xlsx
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    columns: list[str] | None = None  # the header after renaming repeated names
    renamed: list[dict] = field(default_factory=list)  # [{"column": "score_2", "original": "score"}]


def inspect(path: Path, display_name: str | None = None, *, sheet: str | None = None) -> Source:
    """Check size, format, encoding, delimiter and header; raise InvalidInput if unusable."""
    path = Path(path)
    name = display_name or path.name
    if not path.is_file():
        raise InvalidInput(code="file_missing", value=str(path), msg="file_missing", path=path)
    size = path.stat().st_size
    limit = config.max_upload_bytes()
    if size > limit:
        raise InvalidInput(code="too_big", value=name, msg="too_big", name=name, size_mb=size / 2**20,
                           limit_mb=limit / 2**20)
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    if not head.strip():
        raise InvalidInput(code="empty", value=name, msg="empty", name=name)
    if head.startswith(b"PAR1"):
        return Source(path, name, "parquet")
    if head.startswith(b"PK\x03\x04"):
        return _inspect_xlsx(path, name, sheet)
    for magic, kind in SIGNATURES:
        if head.startswith(magic):
            raise InvalidInput(code="not_a_table", value=name, msg="not_a_table", name=name, kind=kind)
    encoding = _detect_encoding(head, name)
    text = head.decode("latin-1" if encoding == "latin-1" else "utf-8", errors="replace")
    if encoding == "utf-8-sig":
        text = text.lstrip("\ufeff")
    _reject_non_tabular_text(text, name)
    delimiter = _detect_delimiter(text, path.suffix.lower())
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    columns, renamed = unique_header(header, name)
    return Source(path, name, "csv", encoding=encoding, delimiter=delimiter, columns=columns, renamed=renamed)


def _detect_encoding(head: bytes, name: str) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidInput(code="bad_encoding", value=name, msg="bad_encoding", name=name, detail="UTF-16")
    if b"\x00" in head:
        # Every other byte zero is UTF-16 without a byte-order mark; anything else is binary.
        if head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4:
            raise InvalidInput(code="bad_encoding", value=name, msg="bad_encoding", name=name, detail="UTF-16")
        raise InvalidInput(code="not_a_table", value=name, msg="not_a_table", name=name, kind="binary data")
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    # A sample may end inside a multi-byte character; only judge whole lines.
    cut = head.rfind(b"\n")
    sample = head[: cut + 1] if 0 < cut < len(head) - 1 else head
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    controls = sum(1 for b in sample if b < 0x20 and b not in (9, 10, 13))
    high = sum(1 for b in sample if b >= 0x80)
    # Latin-1 text is mostly ASCII; double-byte encodings (Shift-JIS, GBK...) are not.
    if controls or high > 0.3 * len(sample):
        raise InvalidInput(code="bad_encoding", value=name, msg="bad_encoding", name=name,
                           detail="neither UTF-8 nor Latin-1")
    return "latin-1"


def _reject_non_tabular_text(text: str, name: str) -> None:
    start = text.lstrip()[:200].lower()
    if start.startswith(("<!doctype html", "<html")):
        raise InvalidInput(code="not_a_table", value=name, msg="not_a_table", name=name, kind="a web page (HTML)")
    if start.startswith("<?xml"):
        raise InvalidInput(code="not_a_table", value=name, msg="not_a_table", name=name, kind="an XML document")
    if start.startswith(("{", "[")):
        raise InvalidInput(code="not_a_table", value=name, msg="not_a_table", name=name, kind="a JSON document")


def _detect_delimiter(text: str, suffix: str) -> str:
    """Pick the delimiter that splits the first lines into the most consistent columns."""
    lines = text.splitlines(keepends=True)
    if len(lines) > 1:
        lines = lines[:-1]  # the last sampled line may be cut
    sample = "".join(lines[:200])
    best, best_score = ("\t" if suffix == ".tsv" else ","), (0.0, 1)
    for delim in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delim) if r]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistent = sum(len(r) == width for r in rows) / len(rows)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delim, score
    return best


def unique_header(header: list, name: str) -> tuple[list[str], list[dict]]:
    """Every column needs a name; a repeated name (DuckDB ignores case) becomes `score_2`, `score_3`.

    Pandas, Excel and DuckDB all load such files, so we do too, and say which column is which.
    """
    taken = {str(c).strip().lower() for c in header if c is not None}
    seen: set[str] = set()
    columns, renamed = [], []
    for position, col in enumerate(header, start=1):
        col = "" if col is None else str(col)
        if not col.strip():
            raise InvalidInput(code="unnamed_column", value=position, msg="unnamed_column", position=position,
                               name=name)
        new, n = col, 2
        # a new name must not clash with an earlier column, nor with one further along the header
        while new.strip().lower() in seen or (new != col and new.strip().lower() in taken):
            new, n = f"{col}_{n}", n + 1
        seen.add(new.strip().lower())
        columns.append(new)
        if new != col:
            renamed.append({"column": new, "original": col})
    return columns, renamed


def _inspect_xlsx(path: Path, name: str, sheet: str | None) -> Source:
    import openpyxl

    try:
        with zipfile.ZipFile(path) as zf:
            if "xl/workbook.xml" not in zf.namelist():
                raise InvalidInput(code="not_a_table", value=name, msg="not_a_table", name=name, kind="a ZIP archive")
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except InvalidInput:
        raise
    except Exception as exc:
        raise InvalidInput(code="unreadable", value=name, msg="unreadable", name=name, format="an Excel workbook",
                           detail=exc) from None
    try:
        sheets = wb.sheetnames
    finally:
        wb.close()
    if not sheets:
        raise InvalidInput(code="no_sheets", value=name, msg="no_sheets", name=name)
    if sheet is not None and sheet not in sheets:
        raise InvalidInput(code="unknown_sheet", value=sheet, msg="unknown_sheet", name=name, sheet=sheet,
                           sheets=", ".join(sheets))
    return Source(path, name, "xlsx", sheet=sheet or sheets[0])


def load(con: duckdb.DuckDBPyConnection, source: Source, *, table: str) -> None:
    """CREATE TABLE `table` from the source inside the caller's transaction."""
    if source.format == "csv":
        _load_csv(con, source, table)
    elif source.format == "parquet":
        try:
            con.execute(
                f"CREATE TABLE {quote_ident(table)} AS SELECT * FROM read_parquet(?)",
                [str(source.path)],
            )
        except duckdb.Error as exc:
            raise InvalidInput(code="unreadable", value=source.display_name, msg="unreadable",
                               name=source.display_name, format="Parquet", detail=_first_line(exc)) from None
    else:
        _load_xlsx(con, source, table)
    width = len(con.execute(f"DESCRIBE {quote_ident(table)}").fetchall())
    if width > config.max_columns():
        raise InvalidInput(code="too_many_columns", value=width, msg="too_many_columns", name=source.display_name,
                           columns=width, limit=config.max_columns())
    count, = con.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchone()
    if count == 0:
        columns = [r[0] for r in con.execute(f"DESCRIBE {quote_ident(table)}").fetchall()]
        raise InvalidInput(code="header_only", value=source.display_name, msg="header_only", name=source.display_name,
                           columns=", ".join(columns))


def _load_csv(con, source: Source, table: str) -> None:
    # skip=0: otherwise DuckDB's sniffer may skip rows above a ragged line and take it as the header.
    sql = (
        f"CREATE TABLE {quote_ident(table)} AS SELECT * FROM read_csv(?, delim=?, quote='\"', "
        "escape='\"', header=true, skip=0, strict_mode=true, encoding=?, nullstr=?, "
        "sample_size={sample}, auto_type_candidates=?" + (", names=?)" if source.renamed else ")")
    )

    def attempt(sample: int) -> duckdb.Error | None:
        encoding = "latin-1" if source.encoding == "latin-1" else "utf-8"
        params = [str(source.path), source.delimiter, encoding, MISSING_MARKERS, TYPE_CANDIDATES]
        if source.renamed:
            params.append(source.columns)
        try:
            con.execute(sql.format(sample=sample), params)
            return None
        except duckdb.Error as exc:
            return exc

    error = attempt(20480)
    if error and "unicode" in str(error).lower() and source.encoding != "latin-1":
        # A non-UTF-8 byte beyond the sampled start: the file is Latin-1 after all.
        source.encoding = "latin-1"
        error = attempt(20480)
    if error is None:
        return
    _diagnose_csv(source)  # raises the precise message when it can find the bad line
    if "convert" in str(error).lower():
        # Types sniffed on the first rows did not hold further down: sniff the whole file.
        error = attempt(-1)
        if error is None:
            return
    raise InvalidInput(code="unreadable", value=source.display_name, msg="unreadable", name=source.display_name,
                       format="CSV", detail=_first_line(error)) from None


def _diagnose_csv(source: Source) -> None:
    """Walk the file with Python's csv module to name the first line that breaks the table."""
    encoding = "latin-1" if source.encoding == "latin-1" else source.encoding
    with open(source.path, newline="", encoding=encoding, errors="replace") as fh:
        reader = csv.reader(fh, delimiter=source.delimiter, strict=True)
        first_line = 1  # where the record being read starts (a quoted field may span lines)
        try:
            header = next(reader)
            first_line = reader.line_num + 1
            for row in reader:
                if row and len(row) != len(header):
                    raise InvalidInput(code="ragged", value=first_line, msg="ragged", line=first_line,
                                       name=source.display_name, found=len(row), expected=len(header),
                                       delimiter=DELIMITER_NAMES[source.delimiter])
                first_line = reader.line_num + 1
        except csv.Error:
            raise InvalidInput(code="unclosed_quote", value=first_line, msg="unclosed_quote", line=first_line,
                               name=source.display_name) from None


def _load_xlsx(con, source: Source, table: str) -> None:
    try:
        df = pd.read_excel(source.path, sheet_name=source.sheet, engine="openpyxl", header=None)
    except Exception as exc:
        raise InvalidInput(code="unreadable", value=source.display_name, msg="unreadable", name=source.display_name,
                           format="an Excel workbook", detail=exc) from None
    df = df.dropna(how="all").dropna(axis=1, how="all")
    if df.empty:
        raise InvalidInput(code="empty", value=f"{source.display_name}' (sheet '{source.sheet}", msg="empty",
                           name=f"{source.display_name}' (sheet '{source.sheet}")
    columns, source.renamed = unique_header(list(df.iloc[0]), source.display_name)
    df = df.iloc[1:].reset_index(drop=True).infer_objects()
    df.columns = columns
    for col in df.columns:
        if df[col].dtype != object:
            continue
        values = df[col].dropna()
        if values.map(lambda v: isinstance(v, (int, float))).all():
            df[col] = pd.to_numeric(df[col])
        elif values.map(lambda v: hasattr(v, "year")).all():
            df[col] = pd.to_datetime(df[col])
        else:  # a mix of text and numbers stays text, as a CSV reader would keep it
            df[col] = df[col].map(lambda v: None if pd.isna(v) else str(v))
    con.register("_upload_frame", df)
    try:
        con.execute(f"CREATE TABLE {quote_ident(table)} AS SELECT * FROM _upload_frame")
    finally:
        con.unregister("_upload_frame")


def _first_line(exc: Exception) -> str:
    text = str(exc).split("\n")[0]
    return text.replace("Invalid Input Error: ", "").strip()
