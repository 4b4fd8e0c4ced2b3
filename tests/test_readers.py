"""Every loader path, through datasets.add(); expected values come from pandas reading the same file."""

import pandas as pd
import pytest

from core.data import datasets
from core.foundation.errors import InvalidInput
from tests.conftest import DATA

CITIES = pd.DataFrame(
    {
        "city": ["Lisboa", "Porto", "Faro", "Braga", "Porto", "Lisboa"],
        "temp": [21.5, 18.0, 25.1, 17.2, 19.4, 22.0],
        "visits": [3, 4, 5, 1, 2, 7],
    }
)


def _col(info, name):
    return next(c for c in info["columns"] if c["name"] == name)


def _expected_type(series: pd.Series) -> str:
    return "number" if pd.api.types.is_numeric_dtype(series) else "category"


def _assert_same_table(info, expected: pd.DataFrame):
    """Columns, row count, types and every value of the stored table match `expected`."""
    assert [c["name"] for c in info["columns"]] == list(expected.columns)
    assert info["rows"] == len(expected)
    assert {c["name"]: c["type"] for c in info["columns"]} == {
        name: _expected_type(expected[name]) for name in expected.columns
    }
    stored = datasets.preview(info["dataset_id"], limit=len(expected) + 10)
    pd.testing.assert_frame_equal(stored, expected.reset_index(drop=True), check_dtype=False)


# --- CSV delimiters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "delimiter, filename",
    [(",", "cities.csv"), (";", "cities.csv"), ("\t", "cities.tsv"), ("\t", "cities.csv"), ("|", "cities.csv")],
    ids=["comma", "semicolon", "tab-tsv", "tab-in-csv", "pipe"],
)
def test_delimiter_is_detected(tmp_path, delimiter, filename):
    path = tmp_path / filename
    CITIES.to_csv(path, sep=delimiter, index=False)

    info = datasets.add(path)

    assert info["format"] == "csv"
    assert info["delimiter"] == delimiter
    _assert_same_table(info, pd.read_csv(path, sep=delimiter))


def test_quoted_fields_keep_delimiters_newlines_and_quotes(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text(
        'name,note,n\n'
        '"Smith, John","first line\nsecond line",1\n'
        '"Doe; Jane","she said ""hi""",2\n'
        'Plain,"a|b",3\n',
        encoding="utf-8",
    )
    expected = pd.read_csv(path)
    assert expected.loc[0, "note"] == "first line\nsecond line"  # the file really holds a newline

    info = datasets.add(path)

    assert info["delimiter"] == ","
    _assert_same_table(info, expected)


def test_single_column_csv_loads(tmp_path):
    path = tmp_path / "names.csv"
    path.write_text("name\nAna\nBruno\nCarla\n")

    info = datasets.add(path)

    _assert_same_table(info, pd.read_csv(path))


# --- Encodings ------------------------------------------------------------------------------

ACCENTED = pd.DataFrame({"city": ["São Paulo", "Belém", "Zürich"], "drink": ["café", "chá", "Bier"]})


@pytest.mark.parametrize(
    "write_encoding, stored_encoding",
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("latin-1", "latin-1")],
    ids=["utf-8", "utf-8-bom", "latin-1"],
)
def test_encoding_is_detected_and_text_reads_back(tmp_path, write_encoding, stored_encoding):
    path = tmp_path / "cities.csv"
    ACCENTED.to_csv(path, index=False, encoding=write_encoding)

    info = datasets.add(path)

    assert info["encoding"] == stored_encoding
    _assert_same_table(info, pd.read_csv(path, encoding=write_encoding))


def test_utf8_bom_is_not_part_of_first_column_name(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffid,name\n1,Ana\n2,Bruno\n".encode("utf-8"))
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    info = datasets.add(path)

    first = info["columns"][0]["name"]
    assert first == "id"
    assert "\ufeff" not in first
    assert list(datasets.preview(info["dataset_id"]).columns) == ["id", "name"]


def test_latin1_accents_read_back_exactly(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("city,drink\nSão Paulo,café\nBelém,chá\n".encode("latin-1"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8

    info = datasets.add(path)

    frame = datasets.preview(info["dataset_id"])
    assert frame["city"].tolist() == ["São Paulo", "Belém"]
    assert frame["drink"].tolist() == ["café", "chá"]


def test_latin1_character_after_the_sample_is_read_or_named(tmp_path):
    path = tmp_path / "late_latin.csv"
    body = "id,city\n" + "".join(f"{i},Lisboa\n" for i in range(8000)) + "9999,São Paulo\n"
    path.write_bytes(body.encode("latin-1"))
    assert path.stat().st_size > 64 * 1024

    try:
        info = datasets.add(path)
    except InvalidInput as exc:  # refusing is acceptable if the message says what is wrong
        assert "encoding" in str(exc) and "UTF-8" in str(exc)
    else:
        assert "São Paulo" in datasets.preview(info["dataset_id"], limit=10_000)["city"].tolist()


# --- Parquet and Excel ----------------------------------------------------------------------

MIXED = pd.DataFrame(
    {"score": [1.5, 2.25, 3.0, 4.75], "label": ["a", "b", "a", "c"], "count": [1, 2, 3, 4]}
)


def test_parquet_columns_rows_and_types(tmp_path):
    path = tmp_path / "mixed.parquet"
    MIXED.to_parquet(path, engine="pyarrow", index=False)

    info = datasets.add(path)

    assert info["format"] == "parquet"
    assert info["encoding"] is None and info["delimiter"] is None
    _assert_same_table(info, pd.read_parquet(path))
    assert _col(info, "score")["type"] == "number"
    assert _col(info, "label")["type"] == "category"


@pytest.fixture
def two_sheets(tmp_path):
    """A workbook whose sheets have different columns, so the sheet read is visible."""
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        MIXED.to_excel(writer, sheet_name="First", index=False)
        pd.DataFrame({"year": [2020, 2021, 2022], "region": ["north", "south", "north"]}).to_excel(
            writer, sheet_name="Second", index=False
        )
    return path


def test_xlsx_reads_first_sheet_by_default(two_sheets):
    info = datasets.add(two_sheets)

    assert info["format"] == "xlsx"
    _assert_same_table(info, pd.read_excel(two_sheets, sheet_name=0))
    assert _col(info, "score")["type"] == "number"
    assert _col(info, "label")["type"] == "category"


def test_xlsx_sheet_option_reads_that_sheet(two_sheets):
    info = datasets.add(two_sheets, sheet="Second")

    _assert_same_table(info, pd.read_excel(two_sheets, sheet_name="Second"))
    assert _col(info, "year")["type"] == "number"
    assert _col(info, "region")["type"] == "category"


def test_xlsx_second_sheet_after_first_is_a_new_data_set(two_sheets):
    first = datasets.add(two_sheets)

    second = datasets.add(two_sheets, sheet="Second")

    assert second["created"] is True
    assert second["dataset_id"] != first["dataset_id"]
    assert [c["name"] for c in second["columns"]] == ["year", "region"]


# --- One data set per content ---------------------------------------------------------------


def test_same_file_twice_is_one_data_set(tmp_path):
    path = tmp_path / "cities.csv"
    CITIES.to_csv(path, index=False)

    first = datasets.add(path)
    second = datasets.add(path)

    assert first["created"] is True
    assert second["created"] is False
    assert second["dataset_id"] == first["dataset_id"]
    assert [d["dataset_id"] for d in datasets.list_datasets()] == [first["dataset_id"]]


def test_same_content_under_another_file_name_is_one_data_set(tmp_path):
    original = tmp_path / "cities.csv"
    CITIES.to_csv(original, index=False)
    copy = tmp_path / "copy of cities.csv"
    copy.write_bytes(original.read_bytes())

    first = datasets.add(original)
    second = datasets.add(copy, name="Another name")

    assert second["created"] is False
    assert second["dataset_id"] == first["dataset_id"]
    assert second["name"] == "cities"  # the existing data set, not renamed
    assert len(datasets.list_datasets()) == 1


# --- Names, rename, delete ------------------------------------------------------------------


def _distinct_files(tmp_path, stem, n):
    """n files with the same stem (in different folders) and different content."""
    paths = []
    for i in range(n):
        folder = tmp_path / f"upload{i}"
        folder.mkdir()
        path = folder / f"{stem}.csv"
        path.write_text(f"a,b\n{i},{i + 1}\n")
        paths.append(path)
    return paths


def test_name_defaults_to_file_stem(tmp_path):
    path = tmp_path / "sales 2024.csv"
    CITIES.to_csv(path, index=False)

    info = datasets.add(path)

    assert info["name"] == "sales 2024"
    assert info["source_filename"] == "sales 2024.csv"


def test_name_collisions_get_a_number(tmp_path):
    paths = _distinct_files(tmp_path, "sales", 3)

    names = [datasets.add(p)["name"] for p in paths]

    assert names == ["sales", "sales (2)", "sales (3)"]
    assert sorted(d["name"] for d in datasets.list_datasets()) == sorted(names)


def test_name_collision_ignores_case(tmp_path):
    first, second = _distinct_files(tmp_path, "sales", 2)
    datasets.add(first)

    info = datasets.add(second, name="SALES")

    assert info["name"] == "SALES (2)"


def test_rename_changes_the_name_everywhere(tmp_path):
    path = tmp_path / "cities.csv"
    CITIES.to_csv(path, index=False)
    info = datasets.add(path)

    renamed = datasets.rename(info["dataset_id"], "  Portuguese cities  ")

    assert renamed["name"] == "Portuguese cities"
    assert datasets.show(info["dataset_id"])["name"] == "Portuguese cities"
    assert datasets.show("portuguese cities")["dataset_id"] == info["dataset_id"]
    assert [d["name"] for d in datasets.list_datasets()] == ["Portuguese cities"]


@pytest.mark.parametrize("taken", ["other", "OTHER"], ids=["same-case", "other-case"])
def test_rename_to_an_existing_name_is_invalid(tmp_path, taken):
    first, second = _distinct_files(tmp_path, "data", 2)
    keep = datasets.add(first, name="keep")
    other = datasets.add(second, name="other")

    with pytest.raises(InvalidInput) as exc:
        datasets.rename(keep["dataset_id"], taken)

    assert other["dataset_id"] in str(exc.value) and taken in str(exc.value)
    assert sorted(d["name"] for d in datasets.list_datasets()) == ["keep", "other"]


def test_rename_to_empty_name_is_invalid(tmp_path):
    path = tmp_path / "cities.csv"
    CITIES.to_csv(path, index=False)
    info = datasets.add(path)

    with pytest.raises(InvalidInput, match="cannot be empty"):
        datasets.rename(info["dataset_id"], "   ")
    assert datasets.show(info["dataset_id"])["name"] == "cities"


def test_delete_removes_data_set_and_its_table(tmp_path, snapshot):
    path = tmp_path / "cities.csv"
    CITIES.to_csv(path, index=False)
    before = snapshot()
    info = datasets.add(path)
    assert snapshot()[info["table_name"]] == len(CITIES)

    result = datasets.delete(info["dataset_id"])

    assert result == {"dataset_id": info["dataset_id"], "name": "cities", "deleted": True}
    assert snapshot() == before
    assert datasets.list_datasets() == []


def test_deleted_file_can_be_added_again(tmp_path):
    path = tmp_path / "cities.csv"
    CITIES.to_csv(path, index=False)
    info = datasets.add(path)
    datasets.delete(info["dataset_id"])

    again = datasets.add(path)

    assert again["created"] is True
    assert again["dataset_id"] == info["dataset_id"]


# --- Missing values -------------------------------------------------------------------------


def test_penguins_na_strings_are_missing():
    info = datasets.add(DATA / "penguins.csv")
    expected = pd.read_csv(DATA / "penguins.csv")  # pandas also reads 'NA' as missing
    assert "NA" in (DATA / "penguins.csv").read_text()  # the file spells missing as 'NA'

    sex, bill = _col(info, "sex"), _col(info, "bill_length_mm")

    assert sex["missing"] == expected["sex"].isna().sum() > 0
    assert bill["type"] == "number"
    assert bill["missing"] == expected["bill_length_mm"].isna().sum() > 0
    assert "NA" not in [t["value"] for t in sex["top_values"]]
