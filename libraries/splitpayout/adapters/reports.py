"""The run's reports: ``summary.json`` for operators and systems, the manual-handling
workbook for case workers (its columns: ``splitpayout.adapters.manual_columns``).

``summary.json`` holds no names, identity or account numbers. The workbook is the
only artifact with personal data, and never of protected identities.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from splitpayout.adapters.manual_columns import HELD_STATUSES, MANUAL_COLUMNS, manual_rows
from splitpayout.adapters.storage import translated
from splitpayout.adapters.workbook import Sheet, local_time_text, write_workbook
from splitpayout.config.names import MANUAL_WORKBOOK_FILE as MANUAL_WORKBOOK_FILE
from splitpayout.config.names import SUMMARY_FILE as SUMMARY_FILE
from splitpayout.domain.errors import StorageFolder
from splitpayout.domain.localtime import LOCAL_ZONE as LOCAL_ZONE
from splitpayout.domain.models import FIELD_LABELS as FIELD_LABELS
from splitpayout.domain.models import DecisionPlan, DecisionResult, Outcome
from splitpayout.domain.models import field_label as field_label
from splitpayout.domain.reasons import ReasonCode


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
        registered = sum(p.amount_ore for p in result.payments if p.status in HELD_STATUSES)
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
