"""The case workers' workbook (``manuell-hantering.xlsx``) read back for the case worker's pages.

This is the only place the console reads personal data, and only views of the
``handläggare`` role call it. Operator pages never do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from openpyxl import load_workbook

from swedish_rules import format_amount

MANUAL_WORKBOOK_FILE = "manuell-hantering.xlsx"
MAX_ROWS = 2000
_HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True)
class ManualRow:
    """One decision (and reason) that needs a case worker, as the workbook says it."""

    decision_id: str
    applicant1: str
    applicant2: str
    amount: str
    status: str
    reason: str
    fields: str
    todo: str
    handlaggare: str = ""
    payout_date: str = ""
    payment_numbers: str = ""


_COLUMNS = {
    "decision_id": ("Beslutsnummer",),
    "applicant1": ("Sökande 1",),
    "applicant2": ("Sökande 2",),
    "amount": ("Belopp", "Belopp (kr)"),  # "Belopp (kr)": workbooks of earlier versions (text)
    "status": ("Status",),
    "reason": ("Orsak",),
    "fields": ("Felaktiga fält",),
    "todo": ("Vad du behöver göra",),
    "handlaggare": ("Handläggare",),
    "payout_date": ("Utbetalningsdag",),
    "payment_numbers": ("Utbetalningsnummer",),
}


def read_manual_rows(path: Path, limit: int = MAX_ROWS) -> tuple[list[ManualRow], int]:
    """The workbook's rows (at most ``limit``) and how many there are in all; ([], 0) without a workbook."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError):
        return [], 0
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        index: dict[str, int] | None = None
        for _, row in zip(range(_HEADER_SEARCH_ROWS), rows, strict=False):
            names = [str(cell).strip() if cell is not None else "" for cell in row]
            if "Beslutsnummer" in names:
                index = {
                    key: names.index(title)
                    for key, titles in _COLUMNS.items()
                    for title in titles
                    if title in names
                }
                break
        if index is None:
            return [], 0
        result: list[ManualRow] = []
        total = 0
        for row in rows:
            if not any(cell not in (None, "") for cell in row):
                continue
            total += 1
            if len(result) < limit:
                result.append(ManualRow(**{key: _text(row, index.get(key)) for key in _COLUMNS}))
        return result, total
    finally:
        workbook.close()


def _text(row: tuple[object, ...], position: int | None) -> str:
    """A cell as the page shows it: amounts in kronor ('3 746,08 kr'), dates as ÅÅÅÅ-MM-DD."""
    if position is None or position >= len(row) or row[position] is None:
        return ""
    value = row[position]
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        try:
            ore = int((Decimal(str(value)) * 100).to_integral_value())
        except InvalidOperation:
            return str(value)
        return f"{format_amount(ore)} kr"
    return str(value)
