"""The one way the project writes ``.xlsx`` workbooks.

Every workbook (the case workers' ``manuell-hantering.xlsx``, finance's ``avstamning.xlsx``)
is written here, in openpyxl's write-only mode: rows stream from any iterable and memory
stays flat however many rows there are.

Text can never become a formula. openpyxl takes a string starting with ``=`` for a formula
(and ``#N/A`` and its kin for error values), so every ``str`` value is written as a cell whose
type is set to text *after* openpyxl guessed it: whatever an export or the payout system
holds (``=HYPERLINK(...)``, ``+1``, ``-1``, ``@SUM(...)``) is stored as the characters it is.
Characters that XML cannot hold (control characters) are replaced by ``?``; text is cut at
Excel's 32 767 characters. Numbers, dates and ``Decimal`` amounts stay numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

# Kronor with two decimals and a space between thousands: "3 746,08 kr" in a Swedish Excel.
KRONOR_FORMAT = '#,##0.00 "kr"'
DATE_FORMAT = "yyyy-mm-dd"
MAX_TEXT = 32767
_SHEET_TITLE_UNSAFE = re.compile(r"[^0-9A-Za-zÅÄÖåäöÉéÜü _.-]+")
MAX_SHEET_TITLE = 31
# Row heights for wrapped text, in points: one line of 11-point text, and Excel's largest row.
LINE_HEIGHT = 14.5
MAX_ROW_HEIGHT = 409
CHARACTERS_PER_WIDTH = 1.05  # characters of ordinary text per unit of column width (a conservative guess)

TEXT, KRONOR, DATE, INTEGER = "text", "kronor", "date", "integer"

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=13)
_WRAP = Alignment(wrap_text=True, vertical="top")
_HEADER = Alignment(wrap_text=True, vertical="bottom")


@dataclass(frozen=True)
class Column:
    """One column: its heading, its width in characters and what kind of values it holds."""

    title: str
    width: float
    kind: str = TEXT  # text, kronor (a Decimal or int of kronor), date, integer
    wrap: bool = True


class BoldRow(tuple[object, ...]):
    """A row written in bold (a heading inside a sheet)."""


@dataclass
class Sheet:
    """A sheet to write: lines above the table, the table's columns and its rows (any iterable)."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[object]]
    preamble: Sequence[Sequence[object]] = ()  # e.g. a title line and a line of facts
    landscape: bool = True
    freeze_first_column: bool = False
    autofilter: bool = True
    header: bool = True  # the columns' titles as the table's (printed, filtered) header row
    charts: Sequence[tuple[Any, str]] = ()  # native charts (openpyxl.chart) and the cell each is anchored at
    rows_written: int = field(default=0, init=False)


def clean_text(value: str) -> str:
    """``value`` as a worksheet can hold it: no XML-illegal characters, at most 32 767 characters."""
    cleaned: str = ILLEGAL_CHARACTERS_RE.sub("?", value)
    return cleaned[:MAX_TEXT]


def text_cell(sheet: Any, value: str, *, font: Font | None = None, wrap: bool = False) -> Cell:
    """A cell that holds ``value`` as text, never as a formula or an error value."""
    cell = WriteOnlyCell(sheet, value=clean_text(value))
    cell.data_type = "s"  # openpyxl guessed 'f' for "=..." and 'e' for "#N/A": text it is
    if font is not None:
        cell.font = font
    if wrap:
        cell.alignment = _WRAP
    return cell


def value_cell(sheet: Any, value: object, column: Column | None = None) -> Cell | None:
    """A cell of the right type for ``value``: text stays text, amounts and dates stay numbers."""
    if value is None or value == "":
        return None
    wrap = column is None or column.wrap
    if isinstance(value, str):
        return text_cell(sheet, value, wrap=wrap)
    if isinstance(value, bool):
        return text_cell(sheet, "Ja" if value else "Nej", wrap=wrap)
    if isinstance(value, int | float | Decimal | dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        kind = column.kind if column is not None else TEXT
        if kind == KRONOR:
            cell.number_format = KRONOR_FORMAT
        elif isinstance(value, dt.date) or kind == DATE:
            cell.number_format = DATE_FORMAT
        cell.alignment = _WRAP
        return cell
    return text_cell(sheet, str(value), wrap=wrap)


def sheet_title(wanted: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (at most 31 characters, none of ``[]:*?/\\``), unique in ``taken``."""
    base = _SHEET_TITLE_UNSAFE.sub("-", wanted).strip(" -'") or "Blad"
    base = base[:MAX_SHEET_TITLE]
    title, number = base, 1
    while title.lower() in taken:
        number += 1
        suffix = f" ({number})"
        title = base[: MAX_SHEET_TITLE - len(suffix)] + suffix
    taken.add(title.lower())
    return title


def _write_sheet(workbook: Workbook, spec: Sheet, taken: set[str]) -> None:
    sheet = workbook.create_sheet(sheet_title(spec.title, taken))
    columns = spec.columns
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    header_row = len(spec.preamble) + 1
    last = get_column_letter(len(columns))
    _page_setup(sheet, spec.landscape)
    if spec.header:
        # Before the first row: write-only mode writes the sheet's view when the first row comes.
        sheet.freeze_panes = f"{'B' if spec.freeze_first_column else 'A'}{header_row + 1}"
        sheet.print_title_rows = f"{header_row}:{header_row}"
    for number, line in enumerate(spec.preamble):
        font = _TITLE if number == 0 else None
        sheet.append([_preamble_cell(sheet, value, font) for value in line])
    if spec.header:
        header = []
        for column in columns:
            cell = text_cell(sheet, column.title, font=_BOLD)
            cell.alignment = _HEADER
            header.append(cell)
        _append(sheet, header_row, header, [c.title for c in columns], columns)
    written = 0
    number = header_row + 1 if spec.header else header_row
    for row in spec.rows:
        cells = [value_cell(sheet, value, column) for value, column in zip(row, columns, strict=False)]
        if isinstance(row, BoldRow):
            for cell in cells:
                if cell is not None:
                    cell.font = _BOLD
        _append(sheet, number, cells, row, columns)
        written += 1
        number += 1
    spec.rows_written = written
    for chart, anchor in spec.charts:
        sheet.add_chart(chart, anchor)
    if spec.header and spec.autofilter:
        sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + max(written, 1)}"


def _append(
    sheet: Any, number: int, cells: list[Cell | None], values: Sequence[object], columns: Sequence[Column]
) -> None:
    """Append one row, as tall as its longest wrapped text needs: spreadsheet programs do not all
    work that out when they open a file, and rows that are too low overlap when printed."""
    lines = max(
        (_lines(value, column) for value, column in zip(values, columns, strict=False) if column.wrap),
        default=1,
    )
    if lines > 1:
        sheet.row_dimensions[number].height = min(LINE_HEIGHT * lines + 2, MAX_ROW_HEIGHT)
    sheet.append(cells)
    if lines > 1:
        del sheet.row_dimensions[number]  # written: keep no per-row state (memory stays flat)


def _lines(value: object, column: Column) -> int:
    if not isinstance(value, str) or not value:
        return 1
    per_line = max(1, int(column.width * CHARACTERS_PER_WIDTH))
    return sum(max(1, -(-len(part) // per_line)) for part in value.split("\n"))


def _page_setup(sheet: Any, landscape: bool) -> None:
    """A4, landscape or portrait, fitted to the page's width, as many pages down as it takes."""
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_options.gridLines = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4


def _preamble_cell(sheet: Any, value: object, font: Font | None) -> Cell | None:
    cell = value_cell(sheet, value)
    if cell is not None and font is not None:
        cell.font = font
    if cell is not None and cell.data_type == "s":
        cell.alignment = Alignment(wrap_text=False, vertical="top")
    return cell


def write_workbook(path: Path, sheets: Iterable[Sheet]) -> None:
    """Write ``sheets`` (in order) to ``path``, atomically: readers see the old file or the new one."""
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    for spec in sheets:
        _write_sheet(workbook, spec, taken)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    try:
        workbook.save(str(temporary))
        temporary.chmod(0o600)  # the case workers' workbook holds personal data: owner only
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def local_time_text(moment: dt.datetime, zone: dt.tzinfo) -> str:
    """'2026-11-23 11:42 (svensk tid, CET)': a moment in local time, with its zone named."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} (svensk tid, {local.tzname()})"
