"""The case workers' workbook (``manuell-hantering.xlsx``) read back for the case worker's pages.

This is the only place the console reads personal data, and only views of the
``handläggare`` role call it. Operator pages never do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook

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


_COLUMNS = {
    "decision_id": "Beslutsnummer",
    "applicant1": "Sökande 1",
    "applicant2": "Sökande 2",
    "amount": "Belopp (kr)",
    "status": "Status",
    "reason": "Orsak",
    "fields": "Felaktiga fält",
    "todo": "Vad du behöver göra",
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
                index = {key: names.index(title) for key, title in _COLUMNS.items() if title in names}
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
    if position is None or position >= len(row) or row[position] is None:
        return ""
    return str(row[position])
