"""The run's reports: ``summary.json`` for operators and systems, the manual-handling
workbook (``manuell-hantering.xlsx``) for case workers.

``summary.json`` holds no names, identity or account numbers. The workbook is the
only artifact with personal data, and never of protected identities.

The workbook's columns are declared once, in ``MANUAL_COLUMNS``: each its Swedish heading, width
and number format (a ``Column`` of the workbook writer), the key the console reads it back by, and
how its value is taken from one row, a decision that needs a human and one reason why. The robot
writes the workbook from it (``write_manual_workbook``); ``read_manual_workbook`` reads it back, by
heading, for the console's pages. A new column is one entry there (and its line in the README's
"Reading a run's output"). A protected decision is listed by number only: only the columns marked
``shown_when_protected`` are filled, nothing of the household.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from splitpayout.adapters.storage import translated
from splitpayout.adapters.workbook import (
    DATE,
    INTEGER,
    KRONOR,
    Column,
    Sheet,
    local_time_text,
    write_workbook,
)
from splitpayout.config.names import MANUAL_WORKBOOK_FILE as MANUAL_WORKBOOK_FILE
from splitpayout.config.names import SUMMARY_FILE as SUMMARY_FILE
from splitpayout.domain.errors import StorageFolder
from splitpayout.domain.localtime import LOCAL_ZONE as LOCAL_ZONE
from splitpayout.domain.models import FIELD_LABELS as FIELD_LABELS
from splitpayout.domain.models import DecisionPlan, DecisionResult, Outcome, PaymentStatus, Reason
from splitpayout.domain.models import field_label as field_label
from splitpayout.domain.reasons import ReasonCode, reason_text
from swedish_rules import format_identity, previous_bank_day

# What the payout system holds; a payment stored differently is held too (until a human corrects it).
_REGISTERED = (PaymentStatus.REGISTERED, PaymentStatus.ALREADY_REGISTERED, PaymentStatus.STORED_DIFFERENTLY)


@dataclass
class Totals:
    """Counts per outcome and öre. ``in_file`` = registered + planned + manual + failed, to the öre.

    ``registered`` is every payment the payout system holds, whatever its decision's
    outcome (a decision refused half-way still had its first payments registered);
    ``manual`` and ``failed`` are what is left of those decisions. Protected decisions
    are counted, but their amounts are left out everywhere.
    """

    decisions: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    amount_in_file_ore: int = 0
    amount_registered_ore: int = 0
    amount_left_by_outcome: Counter[str] = field(default_factory=Counter)
    payments_by_status: Counter[str] = field(default_factory=Counter)

    def add(self, result: DecisionResult) -> None:
        self.decisions += 1
        self.outcomes[result.outcome.value] += 1
        self.amount_in_file_ore += result.amount_ore
        registered = sum(p.amount_ore for p in result.payments if p.status in _REGISTERED)
        self.amount_registered_ore += registered
        self.amount_left_by_outcome[result.outcome.value] += result.amount_ore - registered
        for payment in result.payments:
            self.payments_by_status[payment.status.value] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "decisions": self.decisions,
            "outcomes": {outcome.value: self.outcomes[outcome.value] for outcome in Outcome},
            "amounts_ore": {
                "in_file": self.amount_in_file_ore,
                "registered": self.amount_registered_ore,
                "planned": self.amount_left_by_outcome[Outcome.PLANNED],
                "manual": self.amount_left_by_outcome[Outcome.MANUAL],
                "failed": self.amount_left_by_outcome[Outcome.FAILED],
            },
            "payments": dict(sorted(self.payments_by_status.items())),
        }

    def check(self) -> None:
        """Raise when the amounts do not add up (a defect, never expected)."""
        paid_left = sum(self.amount_left_by_outcome[o] for o in (Outcome.PAID, Outcome.ALREADY_PAID))
        parts = self.amount_registered_ore + sum(self.amount_left_by_outcome.values())
        if parts != self.amount_in_file_ore or paid_left != 0:
            raise AssertionError(
                f"control totals do not add up: expected {self.amount_in_file_ore} öre, got {parts} öre "
                f"({paid_left} öre of paid decisions not registered)"
            )


def public_result(
    result: DecisionResult,
    protected: bool,
    case_worker: str | None = None,
    requested_payout_date: dt.date | None = None,
) -> dict[str, Any]:
    """One decision as summary.json shows it: protected decisions show their number only.

    Others also name their ``handlaggare`` (the export's case worker id, or null) for routing
    follow-up, and the ``requested_payout_date`` of the export (payments carry the bank day).
    """
    if protected:
        return {
            "decision_id": result.decision_id,
            "outcome": result.outcome.value,
            "reasons": [{"code": ReasonCode.PROTECTED_IDENTITY.value}],
            "payments": [],
        }
    document = result.model_dump(mode="json")
    document["handlaggare"] = case_worker or None
    document["requested_payout_date"] = (
        None if requested_payout_date is None else requested_payout_date.isoformat()
    )
    return document


def write_json_atomically(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)


def write_summary(
    path: Path,
    *,
    run: dict[str, Any],
    totals: Totals,
    decisions: Iterable[dict[str, Any]],
) -> None:
    """Write summary.json: run facts, totals, then one entry per decision, streamed (the decisions
    are written as they come, never held as a list). A folder that cannot take it raises
    ``StorageError`` (``ROBOT_ARTIFACTS``) and leaves the summary that was there, if any."""
    document = dict(run)
    document["totals"] = totals.as_dict()
    head = json.dumps(document, ensure_ascii=False, indent=2)
    temporary = path.with_suffix(path.suffix + ".tmp")
    with translated(StorageFolder.ARTIFACTS, path.parent):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with temporary.open("w", encoding="utf-8") as handle:
                handle.write(head[: head.rindex("}")].rstrip() + ',\n  "decisions": [')
                separator = "\n"
                for decision in decisions:
                    item = json.dumps(decision, ensure_ascii=False, indent=2).replace("\n", "\n    ")
                    handle.write(f"{separator}    {item}")
                    separator = ",\n"
                handle.write("\n  ]\n}\n" if separator == ",\n" else "]\n}\n")
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            temporary.unlink(missing_ok=True)  # a part-written summary takes room and tells nothing
            raise
        temporary.replace(path)


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
    held = [p for p in line.result.payments if p.status in _REGISTERED]
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


MANUAL_SHEET = "Manuell hantering"
# Sheets of their own for at most this many case workers (beyond that: the one sheet for all).
MAX_CASE_WORKER_SHEETS = 100


def needs_a_human(result: DecisionResult) -> bool:
    """A decision a case worker must handle. A technical failure is not one: the next run completes it
    (the operators are told), so it is never in the case workers' list or workbook."""
    return result.outcome is Outcome.MANUAL


def manual_order(plan: DecisionPlan) -> tuple[int, str, str]:
    """Handläggare, then Beslutsnummer (ignoring letter case); decisions without handläggare last."""
    worker = plan.case_worker or ""
    return (0 if worker else 1, worker.casefold(), plan.decision_id.casefold())


def write_manual_workbook(
    path: Path,
    items: Iterable[tuple[DecisionPlan, DecisionResult]],
    *,
    source_name: str,
    run_id: str,
    created: dt.datetime,
    per_case_worker: bool = True,
) -> int:
    """Write the case workers' workbook; returns the number of decisions in it.

    ``items`` may be any iterable of (plan, result), e.g. streamed from the run's files; only the
    decisions that need a human are kept (in memory) and sorted by Handläggare, then Beslutsnummer.
    One sheet holds them all; with two or more case workers each also gets a sheet of their own.
    """
    human = sorted(
        ((plan, result) for plan, result in items if needs_a_human(result)),
        key=lambda item: manual_order(item[0]),
    )
    preamble = (
        (f"Beslut som kräver manuell hantering: {source_name}",),
        (f"Körning {run_id}, skapad {local_time_text(created, LOCAL_ZONE)}. Antal beslut: {len(human)}.",),
        (),
    )
    sheets = [Sheet(MANUAL_SHEET, MANUAL_COLUMNS, _rows(human), preamble, freeze_first_column=False)]
    workers = sorted({p.case_worker for p, _ in human if p.case_worker}, key=lambda w: (w.casefold(), w))
    if per_case_worker and 2 <= len(workers) <= MAX_CASE_WORKER_SHEETS:
        for worker in workers:
            mine = [(p, r) for p, r in human if p.case_worker == worker]
            lines = (
                (f"Beslut som kräver manuell hantering: {source_name}",),
                (f"Handläggare {worker}: {len(mine)} beslut. Körning {run_id}.",),
                (),
            )
            sheets.append(Sheet(worker, MANUAL_COLUMNS, _rows(mine), lines))
    write_workbook(path, sheets)
    return len(human)


def _rows(items: Iterable[tuple[DecisionPlan, DecisionResult]]) -> Iterator[tuple[object, ...]]:
    for plan, result in items:
        yield from manual_rows(plan, result)
