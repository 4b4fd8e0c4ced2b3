"""Turn a user's file into a DuckDB table, or refuse it with a sentence that says why.

Cheap checks run on a 64 KiB sample before DuckDB reads anything. Slow diagnosis
(finding the exact ragged line) runs only after DuckDB has refused a file, so the
happy path stays as fast as DuckDB's own CSV reader.
"""

import csv
import io
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from core.foundation import config
from core.foundation.db import quote_ident
from core.foundation.errors import InvalidInput

SAMPLE_BYTES = 64 * 1024
BOM = b"\xef\xbb\xbf"
# Bytes Latin-1 calls control characters; Windows-1252 (what Excel on Windows saves) puts the euro
# sign, curly quotes and dashes there.
C1_BYTES = re.compile(rb"[\x80-\x9f]")
CHUNK_BYTES = 1 << 20
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
# A JSON document opens an object with a key ({"), an empty object or array, or an array of objects,
# arrays, strings or plain values followed by a comma or its end. A CSV header may start with '['
# ('[click](http://evil),b' or '[1] first,[2] second'): that is a table.
JSON_START = re.compile(r"""\{\s*["}]|\[\s*[\[{"\]]|\[\s*(-?\d[\d.eE+-]*|true|false|null)\s*(,|\]\s*$)""")


@dataclass
class Source:
    """What we learned about a file before loading it."""

    path: Path
    display_name: str
    format: str  # csv | parquet | xlsx
    encoding: str | None = None  # utf-8 | utf-8-sig | windows-1252 | latin-1 (a Python codec name)
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
    if not head.removeprefix(BOM).strip():  # nothing, or only a byte-order mark (an empty file saved by Excel)
        raise InvalidInput(code="empty", value=name, msg="empty", name=name)
    if head.startswith(b"PAR1"):
        return Source(path, name, "parquet")
    if head.startswith(b"PK\x03\x04"):
        return _inspect_xlsx(path, name, sheet)
    for magic, kind in SIGNATURES:
        if head.startswith(magic):
            raise InvalidInput(code="not_a_table", value=name, msg="not_a_table", name=name, kind=kind)
    encoding = _detect_encoding(head, name)
    text = head.decode(encoding, errors="replace")
    if encoding == "utf-8-sig":
        text = text.lstrip("\ufeff")
    _reject_non_tabular_text(text, name)
    delimiter = _detect_delimiter(text, path.suffix.lower())
    # newline="": a lone CR (classic Mac) or a mix of CRLF and LF ends a line, as in the file
    header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
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
    return _single_byte_encoding(sample)


def _single_byte_encoding(data: bytes) -> str:
    """'windows-1252' when bytes 0x80-0x9F appear and all are Windows-1252 characters (the euro
    sign, curly quotes, dashes), else 'latin-1'. Both read every other byte alike."""
    if C1_BYTES.search(data):
        try:
            data.decode("cp1252")
            return "windows-1252"
        except UnicodeDecodeError:
            pass
    return "latin-1"


def _reject_non_tabular_text(text: str, name: str) -> None:
    start = text.lstrip()[:200].lower()
    if start.startswith(("<!doctype html", "<html")):
        raise InvalidInput(code="not_a_table", value=name, msg="not_a_table", name=name, kind="a web page (HTML)")
    if start.startswith("<?xml"):
        raise InvalidInput(code="not_a_table", value=name, msg="not_a_table", name=name, kind="an XML document")
    if JSON_START.match(start):
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
            rows = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delim) if r]
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
        # From an open file: given a path, openpyxl refuses a workbook whose name does not end in .xlsx,
        # and files are read by what they hold, not by their names.
        with open(path, "rb") as fh:
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
            try:
                sheets = wb.sheetnames
            finally:
                wb.close()
    except InvalidInput:
        raise
    except Exception as exc:
        raise InvalidInput(code="unreadable", value=name, msg="unreadable", name=name, format="an Excel workbook",
                           detail=_first_line(exc, {path: name})) from None
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
        _load_parquet(con, source, table)
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


def _load_parquet(con, source: Source, table: str) -> None:
    """Parquet as it is, except that names DuckDB takes for one ('Name' and 'name', which it would
    silently call 'name_1') are renamed as a CSV header's are, and said so."""
    alias = ""
    names = _parquet_names(source.path)
    if names and all(str(n).strip() for n in names):
        columns, renamed = unique_header(names, source.display_name)
        if renamed:
            try:
                width = len(con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(source.path)]).fetchall())
            except duckdb.Error:
                width = None  # the read below says what is wrong
            if width == len(columns):
                source.columns, source.renamed = columns, renamed
                alias = " AS p(" + ", ".join(quote_ident(c) for c in columns) + ")"
    try:
        con.execute(f"CREATE TABLE {quote_ident(table)} AS SELECT * FROM read_parquet(?){alias}", [str(source.path)])
    except duckdb.Error as exc:
        raise InvalidInput(code="unreadable", value=source.display_name, msg="unreadable", name=source.display_name,
                           format="Parquet", detail=_first_line(exc, {source.path: source.display_name})) from None


def _parquet_names(path: Path) -> list[str] | None:
    """The top-level column names as the file writes them (None: the footer cannot be read)."""
    import pyarrow.parquet as pq

    try:
        return list(pq.read_schema(path).names)
    except Exception:
        return None


# --- CSV ----------------------------------------------------------------------------------------
# DuckDB reads UTF-8 files where they are (the fast path). A file it cannot read as it is gets a
# temporary UTF-8 copy: Windows-1252 or Latin-1 text, transcoded; a file whose lines end in CRLF
# and LF both, with every line ending made LF. The copy is removed once the table is made.

UTF8 = ("utf-8", "utf-8-sig")


class _Copies:
    """A temporary folder for UTF-8 copies, made when the first copy is; removed by `remove`."""

    def __init__(self):
        self.folder: Path | None = None
        self.made = 0

    def new(self) -> Path:
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="commonground-csv-"))
        self.made += 1
        return self.folder / f"copy_{self.made}.csv"

    def remove(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def _load_csv(con, source: Source, table: str) -> None:
    copies = _Copies()
    try:
        _read_csv(con, source, table, copies)
    finally:
        copies.remove()


def _read_csv(con, source: Source, table: str, copies: _Copies) -> None:
    # skip=0: otherwise DuckDB's sniffer may skip rows above a ragged line and take it as the header.
    sql = (
        f"CREATE TABLE {quote_ident(table)} AS SELECT * FROM read_csv(?, delim=?, quote='\"', "
        "escape='\"', header=true, skip=0, strict_mode=true, encoding='utf-8', nullstr=?, "
        "sample_size={sample}, auto_type_candidates=?{names})"
    )
    path = source.path

    def attempt(sample: int) -> duckdb.Error | None:
        params = [str(path), source.delimiter, MISSING_MARKERS, TYPE_CANDIDATES]
        if source.renamed:
            params.append(source.columns)
        try:
            con.execute(sql.format(sample=sample, names=", names=?" if source.renamed else ""), params)
            return None
        except duckdb.Error as exc:
            return exc

    if source.encoding not in UTF8:
        path = _utf8_copy(source, copies)
    error = attempt(20480)
    if error and "unicode" in str(error).lower() and path == source.path:
        # A non-UTF-8 byte beyond the sampled start: the file is Windows-1252 or Latin-1 after all.
        path = _utf8_copy(source, copies)
        error = attempt(20480)
    if error is None:
        return
    _diagnose_csv(source, path)  # raises the precise message when it can find the bad line
    if _mixed_line_ends(path):
        # CRLF and LF in one file (rows pasted together on two machines) defeat DuckDB's sniffer.
        path = _utf8_copy(source, copies, newlines=True)
        error = attempt(20480)
        if error is None:
            return
    if "convert" in str(error).lower():
        # Types sniffed on the first rows did not hold further down: sniff the whole file.
        error = attempt(-1)
        if error is None:
            return
    raise InvalidInput(code="unreadable", value=source.display_name, msg="unreadable", name=source.display_name,
                       format="CSV", detail=_first_line(error, {path: source.display_name,
                                                                source.path: source.display_name})) from None


def _utf8_copy(source: Source, copies: _Copies, *, newlines: bool = False) -> Path:
    """A UTF-8 copy of the file, its text decoded by the first encoding that reads all of it (UTF-8
    if detected, else Windows-1252, else Latin-1, which reads any byte); with `newlines`, every
    line ending (CRLF, CR) made LF. Sets `source.encoding` to the one that read it, and reads the
    header again from the copy, as DuckDB will."""
    target = copies.new()
    tried = [source.encoding, "windows-1252", "latin-1"] if source.encoding in UTF8 else ["windows-1252", "latin-1"]
    for codec in dict.fromkeys(tried):
        try:
            c1 = _transcode(source.path, target, codec, newlines=newlines)
        except UnicodeDecodeError:
            continue
        if codec == "windows-1252" and not c1:
            codec = "latin-1"  # no byte where the two differ: the plainer name
        source.encoding = codec
        break
    with open(target, encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh, delimiter=source.delimiter), [])
    source.columns, source.renamed = unique_header(header, source.display_name)
    return target


def _transcode(path: Path, target: Path, codec: str, *, newlines: bool) -> bool:
    """Write `path`'s text, read as `codec`, to `target` as UTF-8; whether bytes 0x80-0x9F occur."""
    import codecs

    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    c1, pending_cr = False, ""
    with open(path, "rb") as src, open(target, "w", encoding="utf-8", newline="") as out:
        while True:
            chunk = src.read(CHUNK_BYTES)
            c1 = c1 or (codec == "windows-1252" and bool(C1_BYTES.search(chunk)))
            text = decoder.decode(chunk, final=not chunk)
            if newlines:
                text = pending_cr + text
                pending_cr = "\r" if chunk and text.endswith("\r") else ""  # a CRLF may straddle two chunks
                text = (text[:-1] if pending_cr else text).replace("\r\n", "\n").replace("\r", "\n")
            out.write(text)
            if not chunk:
                return c1


def _mixed_line_ends(path: Path) -> bool:
    """Whether lines end in more than one way: CRLF beside a lone LF, or a lone CR beside either."""
    crlf = cr = lf = 0
    last = b""
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_BYTES), b""):
            crlf += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            cr, lf, last = cr + chunk.count(b"\r"), lf + chunk.count(b"\n"), chunk[-1:]
    kinds = [crlf > 0, cr > crlf, lf > crlf]  # CRLF, lone CR, lone LF
    return sum(kinds) > 1


def _diagnose_csv(source: Source, path: Path) -> None:
    """Walk the file with Python's csv module to name the first line that breaks the table."""
    encoding = source.encoding if path == source.path else "utf-8"
    with open(path, newline="", encoding=encoding, errors="replace") as fh:
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


# --- Excel --------------------------------------------------------------------------------------

def _load_xlsx(con, source: Source, table: str) -> None:
    try:
        with open(source.path, "rb") as fh:  # from an open file, whatever the file is called
            df = pd.read_excel(fh, sheet_name=source.sheet, engine="openpyxl", header=None)
    except Exception as exc:
        raise InvalidInput(code="unreadable", value=source.display_name, msg="unreadable", name=source.display_name,
                           format="an Excel workbook", detail=_first_line(exc, {source.path: source.display_name})
                           ) from None
    df = df.dropna(how="all").dropna(axis=1, how="all")
    if df.empty:
        raise InvalidInput(code="empty_sheet", value=source.sheet, msg="empty_sheet", name=source.display_name,
                           sheet=source.sheet)
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


# A path in quotes, as DuckDB and Python name files in their errors.
QUOTED_PATH = re.compile(r"""(["'])(/[^"']*)\1""")


def _first_line(exc: Exception, names: dict | None = None) -> str:
    """The first line of an error, with the files it names (ours, temporary copies, anything in
    quotes that looks like a path) called by the name the person knows, never by a server path."""
    text = str(exc).split("\n")[0]
    for path, name in (names or {}).items():
        text = text.replace(str(path), name)
    fallback = next(iter((names or {}).values()), "the file")
    text = QUOTED_PATH.sub(lambda m: m.group(1) + (Path(m.group(2)).name or fallback) + m.group(1), text)
    return text.replace("Invalid Input Error: ", "").strip()
