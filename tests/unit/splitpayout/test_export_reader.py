"""Reading the export: header detection, empty rows, Excel types, file-level errors."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from export_builder import raw_row, write_export
from splitpayout.adapters.reader import iter_rows, read_header
from splitpayout.domain.errors import ExportFileError
from splitpayout.domain.export_columns import ALL_COLUMNS, REQUIRED_COLUMNS, SHARE, number_format_key


def _codes_of(path: Path) -> str:
    with pytest.raises(ExportFileError) as error:
        list(iter_rows(path))
    return error.value.code


@pytest.mark.parametrize("leading", [0, 4, 9])
def test_header_found_in_row_1_5_and_10(tmp_path: Path, leading: int) -> None:
    titles = [["Utbetalningar december"], [], ["Exporterad 2026-11-30"]] * 3
    path = write_export(tmp_path / "e.xlsx", [raw_row()], leading_rows=titles[:leading])
    header = read_header(path)
    assert header.row_number == leading + 1
    rows = list(iter_rows(path))
    assert [number for number, _ in rows] == [leading + 2]
    assert rows[0][1]["Beslutsnummer"] == "B-1"


def test_header_in_row_11_is_not_found(tmp_path: Path) -> None:
    path = write_export(tmp_path / "e.xlsx", [raw_row()], leading_rows=[["titel"]] * 10)
    with pytest.raises(ExportFileError) as error:
        read_header(path)
    assert error.value.code == "no_header"
    assert "Beslutsnummer" in error.value.message


def test_header_matching_ignores_letter_case_and_whitespace(tmp_path: Path) -> None:
    header = [
        f"  {name.upper()} " if i % 2 else name.lower().replace(" ", "  ")
        for i, name in enumerate(ALL_COLUMNS)
    ]
    path = write_export(tmp_path / "e.xlsx", [raw_row()], header=header)
    (_, raw) = next(iter_rows(path))
    assert raw["Sökande 1 namn"] == "Anna Andersson"
    assert raw["Belopp"] == "10 000,00"


def test_unknown_columns_are_ignored_and_order_does_not_matter(tmp_path: Path) -> None:
    header = ["Kommentar", *reversed(ALL_COLUMNS), "Intern kod"]
    path = write_export(tmp_path / "e.xlsx", [raw_row()], header=header)
    (_, raw) = next(iter_rows(path))
    assert set(raw) == set(ALL_COLUMNS)
    assert raw["Beslutsnummer"] == "B-1"


def test_optional_columns_may_be_absent(tmp_path: Path) -> None:
    path = write_export(tmp_path / "e.xlsx", [raw_row()], header=REQUIRED_COLUMNS)
    (_, raw) = next(iter_rows(path))
    assert set(raw) == set(REQUIRED_COLUMNS)


def test_missing_required_columns_are_all_named(tmp_path: Path) -> None:
    header = [c for c in ALL_COLUMNS if c not in ("Belopp", "Sökande 1 namn")]
    path = write_export(tmp_path / "e.xlsx", [raw_row()], header=header)
    with pytest.raises(ExportFileError) as error:
        read_header(path)
    assert error.value.code == "missing_columns"
    assert error.value.columns == ("Belopp", "Sökande 1 namn")
    assert "Belopp" in error.value.message
    assert "Sökande 1 namn" in error.value.message


def test_a_column_given_twice_is_refused(tmp_path: Path) -> None:
    path = write_export(tmp_path / "e.xlsx", [raw_row()], header=[*ALL_COLUMNS, " belopp"])
    with pytest.raises(ExportFileError) as error:
        read_header(path)
    assert error.value.code == "duplicate_columns"
    assert error.value.columns == ("Belopp",)


def test_fully_empty_rows_are_skipped_and_row_numbers_stay_those_of_the_sheet(tmp_path: Path) -> None:
    rows = [raw_row(Beslutsnummer="B-1"), {}, {}, raw_row(Beslutsnummer="B-2"), {"Beslutsnummer": "   "}]
    path = write_export(tmp_path / "e.xlsx", rows)
    assert [(n, raw["Beslutsnummer"]) for n, raw in iter_rows(path)] == [(2, "B-1"), (5, "B-2")]


def test_a_row_with_data_only_in_unknown_columns_counts_as_empty(tmp_path: Path) -> None:
    path = write_export(
        tmp_path / "e.xlsx", [raw_row(), {"Kommentar": "x"}], header=[*ALL_COLUMNS, "Kommentar"]
    )
    assert len(list(iter_rows(path))) == 1


def test_real_excel_types_come_through(tmp_path: Path) -> None:
    row = raw_row(Belopp=12345.5, Utbetalningsdatum=dt.date(2026, 12, 18), Andel_sökande_1=0.6)
    row["Sökande 1 personnummer"] = 198112189876
    path = write_export(tmp_path / "e.xlsx", [row], number_formats={SHARE: "0%"})
    (_, raw) = next(iter_rows(path))
    assert raw["Belopp"] == 12345.5
    assert raw["Utbetalningsdatum"] == dt.datetime(2026, 12, 18)
    assert raw["Sökande 1 personnummer"] == 198112189876
    assert raw[SHARE] == 0.6
    assert raw[number_format_key(SHARE)] == "0%"


def test_columns_can_be_limited(tmp_path: Path) -> None:
    path = write_export(tmp_path / "e.xlsx", [raw_row()])
    (_, raw) = next(iter_rows(path, columns=("Beslutsnummer",)))
    assert raw == {"Beslutsnummer": "B-1"}


def test_a_header_without_decisions_is_refused(tmp_path: Path) -> None:
    path = write_export(tmp_path / "e.xlsx", [{}, {}])
    assert read_header(path).row_number == 1
    assert _codes_of(path) == "no_decisions"


def test_a_csv_renamed_to_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_text("Beslutsnummer;Belopp\nB-1;100,00\n", encoding="utf-8")
    with pytest.raises(ExportFileError) as error:
        read_header(path)
    assert error.value.code == "not_xlsx"
    assert "CSV" in error.value.message


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_bytes(b"")
    assert _codes_of(path) == "not_xlsx"


def test_a_truncated_workbook_is_refused(tmp_path: Path) -> None:
    good = write_export(tmp_path / "good.xlsx", [raw_row()])
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ExportFileError) as error:
        read_header(path)
    assert error.value.code == "not_xlsx"
    assert "damaged" in error.value.message


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hej")
    assert _codes_of(path) == "not_xlsx"


def test_a_damaged_sheet_inside_a_valid_zip_is_unreadable(tmp_path: Path) -> None:
    good = write_export(tmp_path / "good.xlsx", [raw_row(Beslutsnummer=f"B-{i}") for i in range(50)])
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) * 2 // 3]  # cut in the middle of the rows
            target.writestr(item, data)
    assert _codes_of(path) == "unreadable"


def test_an_encrypted_workbook_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "locked.xlsx"
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    path.write_bytes(ole2 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 1024)
    with pytest.raises(ExportFileError) as error:
        read_header(path)
    assert error.value.code == "encrypted"
    assert "password" in error.value.message


def test_a_legacy_xls_workbook_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "Workbook".encode("utf-16-le") + b"\x00" * 1024)
    with pytest.raises(ExportFileError) as error:
        read_header(path)
    assert error.value.code == "not_xlsx"
    assert ".xls" in error.value.message


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(ExportFileError) as error:
        read_header(tmp_path / "nowhere.xlsx")
    assert error.value.code == "unreadable"


def test_file_errors_never_contain_cell_values(tmp_path: Path) -> None:
    header = [c for c in ALL_COLUMNS if c != "Belopp"]
    path = write_export(tmp_path / "e.xlsx", [raw_row()], header=header)
    with pytest.raises(ExportFileError) as error:
        list(iter_rows(path))
    assert "198112189876" not in error.value.message
    assert "Anna" not in error.value.message


def _with_sheet_xml(tmp_path: Path, sheet_data: str) -> Path:
    """A real workbook whose first sheet's rows are replaced by ``sheet_data``."""
    good = write_export(tmp_path / "base.xlsx", [raw_row()])
    path = tmp_path / "handmade.xlsx"
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{sheet_data}</sheetData></worksheet>"
    )
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, xml.encode() if item.filename == "xl/worksheets/sheet1.xml" else data)
    return path


def _inline(text: str) -> str:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


def test_rows_and_cells_without_references_rich_text_and_formula_results(tmp_path: Path) -> None:
    header = "".join(_inline(name) for name in REQUIRED_COLUMNS)
    data = (
        '<c t="inlineStr"><is><r><t>B-</t></r><r><rPr><b/></rPr><t>7</t></r></is></c>'  # rich text
        '<c t="str"><f>TEXT(A1)</f><v>2026-12-18</v></c>'  # a formula's cached text result
        "<c><f>100*2</f><v>200.5</v></c>"  # a formula's cached number
        '<c t="b"><v>1</v></c>'  # TRUE in Delad utbetalning
        f"{_inline('198112189876')}{_inline('Anna')}"
    )
    path = _with_sheet_xml(tmp_path, f'<row r="2">{header}</row><row>{data}</row><row r="9">{data}</row>')
    rows = list(iter_rows(path))
    assert [number for number, _ in rows] == [3, 9]
    raw = rows[0][1]
    assert raw["Beslutsnummer"] == "B-7"
    assert raw["Utbetalningsdatum"] == "2026-12-18"
    assert raw["Belopp"] == 200.5
    assert raw["Delad utbetalning"] is True
    assert raw["Sökande 1 namn"] == "Anna"


def test_cells_are_placed_by_their_column_letters(tmp_path: Path) -> None:
    header = "".join(
        f'<c r="{letter}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for letter, name in zip(["A", "C", "AB", "B", "E", "F"], REQUIRED_COLUMNS, strict=True)
    )
    data = '<c r="AB2"><v>12.5</v></c><c r="A2" t="inlineStr"><is><t>B-1</t></is></c>'
    path = _with_sheet_xml(tmp_path, f'<row r="1">{header}</row><row r="2">{data}</row>')
    ((_, raw),) = iter_rows(path)
    assert raw["Beslutsnummer"] == "B-1"
    assert raw["Belopp"] == 12.5
    assert raw["Utbetalningsdatum"] is None
