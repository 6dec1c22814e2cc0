"""The case workers' workbook (``manuell-hantering.xlsx``) read back for the case worker's pages.

This is the only place the console reads personal data, and only views of the
``handläggare`` role call it. Operator pages never do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from splitpayout.adapters.reports import read_manual_workbook

from swedish_rules import format_amount

MAX_ROWS = 2000


@dataclass(frozen=True)
class ManualRow:
    """One decision (and reason) that needs a case worker, as the workbook says it: the text of each
    column by its key in ``splitpayout.adapters.reports.MANUAL_COLUMNS`` (``row.decision_id``,
    ``row.reason``, ...; a column an earlier workbook did not have reads as "")."""

    cells: Mapping[str, str]

    def __getattr__(self, key: str) -> str:
        cells = self.__dict__.get("cells", {})
        if key not in cells:
            raise AttributeError(key)
        return str(cells[key])


def read_manual_rows(path: Path, limit: int = MAX_ROWS) -> tuple[list[ManualRow], int]:
    """The workbook's rows (at most ``limit``) and how many there are in all; ([], 0) without a workbook."""
    rows, total = read_manual_workbook(path, limit)
    return [ManualRow({key: _text(value) for key, value in row.items()}) for row in rows], total


def _text(value: object) -> str:
    """A cell as the page shows it: amounts in kronor ('3 746,08 kr'), dates as ÅÅÅÅ-MM-DD."""
    if value is None:
        return ""
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
