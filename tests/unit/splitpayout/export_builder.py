"""Builds real .xlsx exports with openpyxl for the reader and planner tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from splitpayout.domain.export_columns import ALL_COLUMNS

TODAY = dt.date(2026, 12, 1)  # a Tuesday
PAYOUT_DATE = dt.date(2026, 12, 18)  # a Friday and a bank day

# Valid test identities, accounts and bankgiro numbers (checked by swedish_rules).
A1_PNR = "198112189876"
A2_PNR = "191212121212"
COORDINATION_NUMBER = "198112789873"  # day 18 + 60
A1_CLEARING, A1_ACCOUNT = "6000", "100000002"  # Handelsbanken, type 2
A2_CLEARING, A2_ACCOUNT = "5000", "1000004"  # SEB, type 1
BANKGIRO = "5050-1055"


def raw_row(**overrides: object) -> dict[str, object]:
    """A valid split decision of 10 000,00 kr as a raw row; keys are column names.

    Keyword arguments use the column names with spaces as underscores, e.g.
    ``Delad_utbetalning="Nej"``; a value of None empties the cell.
    """
    row: dict[str, object] = {
        "Beslutsnummer": "B-1",
        "Utbetalningsdatum": PAYOUT_DATE,
        "Belopp": "10 000,00",
        "Varav direktbetalning": None,
        "Direktbetalning bankgiro": None,
        "Direktbetalning OCR": None,
        "Delad utbetalning": "Ja",
        "Andel sökande 1": None,
        "Sökande 1 personnummer": A1_PNR,
        "Sökande 1 namn": "Anna Andersson",
        "Sökande 1 clearingnummer": A1_CLEARING,
        "Sökande 1 kontonummer": A1_ACCOUNT,
        "Sökande 2 personnummer": A2_PNR,
        "Sökande 2 namn": "Bertil Berg",
        "Sökande 2 clearingnummer": A2_CLEARING,
        "Sökande 2 kontonummer": A2_ACCOUNT,
        "Skyddade personuppgifter": "Nej",
        "Handläggare": "HL01",
    }
    for key, value in overrides.items():
        column = key.replace("_", " ")
        assert column in row, f"unknown column {column!r}"
        row[column] = value
    return row


def write_export(
    path: Path,
    rows: Sequence[dict[str, object]],
    *,
    header: Sequence[str] = ALL_COLUMNS,
    leading_rows: Sequence[Sequence[object]] = (),
    number_formats: dict[str, str] | None = None,
) -> Path:
    """Write ``rows`` under ``header`` (after ``leading_rows``) to a real .xlsx file.

    Rows are dicts keyed by canonical column name; a header cell spelled differently
    (case, spaces) still receives its column's value. ``number_formats`` sets a cell
    format per column (e.g. ``{"Andel sökande 1": "0%"}``). An empty dict writes an
    empty row.
    """
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for leading in leading_rows:
        sheet.append(list(leading))
    sheet.append(list(header))
    canonical = {" ".join(name.split()).casefold(): name for name in ALL_COLUMNS}
    keys = [canonical.get(" ".join(str(h).split()).casefold(), str(h)) for h in header]
    for row in rows:
        sheet.append([row.get(key) for key in keys])
        for column, number_format in (number_formats or {}).items():
            if column in keys and row:
                sheet.cell(row=sheet.max_row, column=keys.index(column) + 1).number_format = number_format
    workbook.save(path)
    return path
