"""The case workers' workbook (``manuell-hantering.xlsx``), column by column: declared once here.

Each column of ``MANUAL_COLUMNS`` has its Swedish heading, width and number format (a ``Column`` of
the workbook writer), the key the console reads it back by, and how its value is taken from one
row: a decision that needs a human and one reason why. ``splitpayout.adapters.reports`` writes the
workbook from it; ``read_manual_workbook`` reads it back, by heading, for the console's pages.
A new column is one entry here (and its line in the README's "Reading a run's output").

A protected decision is listed by number only: only the columns marked ``shown_when_protected``
(its case worker's id, its number, the status and the reason) are filled, nothing of the household.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from splitpayout.adapters.workbook import DATE, INTEGER, KRONOR, Column
from splitpayout.domain.models import (
    DecisionPlan,
    DecisionResult,
    Outcome,
    PaymentStatus,
    Reason,
    field_label,
)
from splitpayout.domain.reasons import ReasonCode, reason_text
from swedish_rules import format_identity, previous_bank_day

# What the payout system holds; a payment stored differently is held too (until a human corrects it).
HELD_STATUSES = (PaymentStatus.REGISTERED, PaymentStatus.ALREADY_REGISTERED, PaymentStatus.STORED_DIFFERENTLY)
STATUS_TEXT = {Outcome.MANUAL: "Manuell hantering", Outcome.FAILED: "Tekniskt fel"}
_HEADER_SEARCH_ROWS = 10  # the header row is found among the first rows (a title and facts come first)


@dataclass(frozen=True)
class ManualLine:
    """One row of the workbook: a decision that needs a human, and one reason why."""

    plan: DecisionPlan
    result: DecisionResult
    reason: Reason


@dataclass(frozen=True, kw_only=True)
class ManualColumn(Column):
    """A column of the case workers' workbook: heading, width and format, as the writer takes them;
    the key the console reads it back by; how its value is taken from a row."""

    key: str
    value: Callable[[ManualLine], object]
    shown_when_protected: bool = False
    earlier_titles: tuple[str, ...] = ()  # headings of earlier versions' workbooks, read back too


def identity_text(value: str) -> str:
    """An identity number as case workers write it (ÅÅÅÅMMDD-NNNN); one that is not valid as written."""
    if len(value) == 12 and value.isascii() and value.isdigit():
        return format_identity(value)
    return value


def payout_day(plan: DecisionPlan, result: DecisionResult) -> dt.date | None:
    """The bank day the decision is (or would be) paid on."""
    if plan.requested_payout_date is not None:
        return previous_bank_day(plan.requested_payout_date)
    return min((p.payout_date for p in result.payments), default=None)


def _kronor(line: ManualLine) -> Decimal | None:
    return Decimal(line.plan.amount_ore) / 100 if line.plan.amount_ore else None


def _identity1(line: ManualLine) -> str:
    return identity_text(line.plan.contact.applicant1_personnummer)


def _identity2(line: ManualLine) -> str:
    return identity_text(line.plan.contact.applicant2_personnummer)


def _payment_numbers(line: ManualLine) -> str:
    return ", ".join(p.payment_number for p in line.result.payments if p.payment_number)


def _todo(line: ManualLine) -> str:
    """What to do about the reason; and what of the decision the payout system holds already."""
    todo = reason_text(line.reason.code).todo
    held = [p for p in line.result.payments if p.status in HELD_STATUSES]
    if not held:
        return todo
    listed = ", ".join(f"{p.reference} ({p.payment_number or 'registrerad'})" for p in held)
    return f"{todo} Redan registrerat i utbetalningssystemet: {listed}; registrera inte dessa igen."


def _export_rows(line: ManualLine) -> object:
    """The decision's rows in the export: one is a number, as the spreadsheet program counts rows."""
    numbers = line.plan.row_numbers
    return numbers[0] if len(numbers) == 1 else ", ".join(str(n) for n in numbers)


MANUAL_COLUMNS: tuple[ManualColumn, ...] = (
    ManualColumn(
        "Handläggare",
        12,
        key="handlaggare",
        value=lambda line: line.plan.case_worker or "",
        shown_when_protected=True,
    ),
    ManualColumn(
        "Beslutsnummer",
        16,
        key="decision_id",
        value=lambda line: line.plan.decision_id,
        shown_when_protected=True,
    ),
    ManualColumn(
        "Utbetalningsdag", 15, DATE, key="payout_date", value=lambda line: payout_day(line.plan, line.result)
    ),
    ManualColumn("Belopp", 15, KRONOR, key="amount", value=_kronor, earlier_titles=("Belopp (kr)",)),
    ManualColumn("Sökande 1", 17, key="applicant1", value=lambda line: line.plan.contact.applicant1_name),
    ManualColumn("Personnummer sökande 1", 15, key="applicant1_identity", value=_identity1),
    ManualColumn("Sökande 2", 17, key="applicant2", value=lambda line: line.plan.contact.applicant2_name),
    ManualColumn("Personnummer sökande 2", 15, key="applicant2_identity", value=_identity2),
    ManualColumn(
        "Status",
        11,
        key="status",
        value=lambda line: STATUS_TEXT.get(line.result.outcome, ""),
        shown_when_protected=True,
    ),
    ManualColumn(
        "Orsak",
        24,
        key="reason",
        value=lambda line: reason_text(line.reason.code).label,
        shown_when_protected=True,
    ),
    ManualColumn(
        "Felaktiga fält",
        26,
        key="fields",
        value=lambda line: ", ".join(field_label(name) for name in line.reason.fields),
    ),
    ManualColumn("Utbetalningsnummer", 21, key="payment_numbers", value=_payment_numbers),
    ManualColumn("Vad du behöver göra", 38, key="todo", value=_todo, shown_when_protected=True),
    ManualColumn("Rad i exporten", 9, INTEGER, key="export_rows", value=_export_rows),
)
MANUAL_KEYS = tuple(column.key for column in MANUAL_COLUMNS)
_FIRST = next(c.title for c in MANUAL_COLUMNS if c.key == "decision_id")  # the header row has it


def manual_rows(plan: DecisionPlan, result: DecisionResult) -> list[tuple[object, ...]]:
    """The workbook's rows for one decision, one per reason (a protected decision: one, by number only)."""
    if plan.protected:
        # Its case worker sees it by number only (their sheet and filter), nothing of the household.
        line = ManualLine(plan, result, Reason(code=ReasonCode.PROTECTED_IDENTITY))
        return [tuple(c.value(line) if c.shown_when_protected else None for c in MANUAL_COLUMNS)]
    lines = [ManualLine(plan, result, reason) for reason in result.reasons]
    return [tuple(column.value(line) for column in MANUAL_COLUMNS) for line in lines]


def read_manual_workbook(path: Path, limit: int) -> tuple[list[dict[str, object]], int]:
    """The workbook's rows (at most ``limit``), each its cells by column key (None for a column the
    workbook does not have), and how many rows there are in all; ([], 0) without a readable workbook."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError):
        return [], 0
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        index: dict[str, int] | None = None
        for _, row in zip(range(_HEADER_SEARCH_ROWS), rows, strict=False):
            names = [str(cell).strip() if cell is not None else "" for cell in row]
            if _FIRST in names:
                index = _positions(names)
                break
        if index is None:
            return [], 0
        found: list[dict[str, object]] = []
        total = 0
        for row in rows:
            if not any(cell not in (None, "") for cell in row):
                continue
            total += 1
            if len(found) < limit:
                found.append({key: _cell(row, index.get(key)) for key in MANUAL_KEYS})
        return found, total
    finally:
        workbook.close()


def _positions(names: list[str]) -> dict[str, int]:
    """Where each column is in a header row, by its heading (or a heading it had before)."""
    return {
        column.key: names.index(title)
        for column in MANUAL_COLUMNS
        for title in (column.title, *column.earlier_titles)
        if title in names
    }


def _cell(row: tuple[object, ...], position: int | None) -> object:
    return None if position is None or position >= len(row) else row[position]
