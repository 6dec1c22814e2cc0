"""What a comparison finds: the finding codes, one finding, and the totals of a reconciliation."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from splitpayout.jobs.reconcile.settings import Period
from swedish_rules import format_amount


class FindingCode(StrEnum):
    """The kinds of discrepancy, stable and machine-readable (in report order)."""

    REGISTERED_WITHOUT_DECISION = "registered_without_decision"
    REGISTERED_FOR_MANUAL_DECISION = "registered_for_manual_decision"
    NOT_FULLY_REGISTERED = "not_fully_registered"
    AMOUNT_DIFFERS = "amount_differs"
    RECIPIENT_DIFFERS = "recipient_differs"
    PAYOUT_DATE_DIFFERS = "payout_date_differs"
    DUPLICATE_REFERENCE = "duplicate_reference"
    LEDGER_DISAGREES = "ledger_disagrees"


@dataclass
class Finding:
    """One discrepancy: references, numbers, amounts and dates only (no personal data)."""

    code: FindingCode
    reference: str
    decision_id: str | None = None
    payment_numbers: list[str] = field(default_factory=list)
    planned_amount_ore: int | None = None
    held_amount_ore: int | None = None
    planned_payout_date: dt.date | None = None
    held_payout_dates: list[dt.date] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)  # names of the fields that differ, never values
    sources: list[str] = field(default_factory=list)  # payout_system, ledger
    ledger_state: str | None = None
    ledger_payment_number: str | None = None
    detail: str = ""
    registered_by_robot: bool = False  # the ledger holds this payment number: a run registered it

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "reference": self.reference,
            "decision_id": self.decision_id,
            "payment_numbers": list(self.payment_numbers),
            "planned_amount_ore": self.planned_amount_ore,
            "held_amount_ore": self.held_amount_ore,
            "planned_payout_date": None
            if self.planned_payout_date is None
            else self.planned_payout_date.isoformat(),
            "held_payout_dates": [day.isoformat() for day in self.held_payout_dates],
            "fields": list(self.fields),
            "sources": list(self.sources),
            "ledger_state": self.ledger_state,
            "ledger_payment_number": self.ledger_payment_number,
            "detail": self.detail,
            "registered_by_robot": self.registered_by_robot,
        }

    def line(self) -> str:
        """One line for the log: code, reference, payment numbers, amounts, dates, fields."""
        parts = [self.code.value, self.reference]
        if self.payment_numbers:
            parts.append(", ".join(self.payment_numbers))
        if self.planned_amount_ore is not None:
            parts.append(f"planned {format_amount(self.planned_amount_ore)} kr")
        if self.held_amount_ore is not None:
            parts.append(f"held {format_amount(self.held_amount_ore)} kr")
        if self.planned_payout_date is not None:
            parts.append(f"planned for {self.planned_payout_date.isoformat()}")
        if self.held_payout_dates:
            parts.append("held for " + ", ".join(day.isoformat() for day in self.held_payout_dates))
        if self.fields:
            parts.append("differs: " + ", ".join(self.fields))
        if self.ledger_state:
            number = f" {self.ledger_payment_number}" if self.ledger_payment_number else ""
            parts.append(f"ledger: {self.ledger_state}{number}")
        return "  ".join(parts) + (f"  ({self.detail})" if self.detail else "")


@dataclass
class Count:
    payments: int = 0
    amount_ore: int = 0

    def add(self, amount_ore: int) -> None:
        self.payments += 1
        self.amount_ore += amount_ore

    def as_dict(self) -> dict[str, int]:
        return {"payments": self.payments, "amount_ore": self.amount_ore}


@dataclass
class Reconciliation:
    """The outcome of a comparison: totals and findings."""

    period: Period
    findings: list[Finding] = field(default_factory=list)
    held: Count = field(default_factory=Count)
    planned: Count = field(default_factory=Count)
    matched: Count = field(default_factory=Count)
    # Held payments a run of the robot registered (by the ledger) for a decision no export compared
    # holds: their export was left out. Not findings.
    registered_by_robot_outside_exports: Count = field(default_factory=Count)
    decisions_read: int = 0
    decisions_planned: int = 0
    decisions_manual: int = 0
    decisions_protected: int = 0
    decisions_in_period: int = 0
    decisions_fully_registered: int = 0
    held_for_protected_decisions: int = 0
    ledger_entries_compared: int = 0

    def by_code(self) -> dict[FindingCode, list[Finding]]:
        grouped: dict[FindingCode, list[Finding]] = {code: [] for code in FindingCode}
        for finding in self.findings:
            grouped[finding.code].append(finding)
        return grouped

    def counts(self) -> dict[str, int]:
        counter = Counter(finding.code for finding in self.findings)
        return {code.value: counter[code] for code in FindingCode}

    def totals(self) -> dict[str, Any]:
        return {
            "held": self.held.as_dict(),
            "planned": self.planned.as_dict(),
            "matched": self.matched.as_dict(),
            "registered_by_robot_outside_exports": self.registered_by_robot_outside_exports.as_dict(),
            "decisions": {
                "decision_numbers": self.decisions_read,
                "planned": self.decisions_planned,
                "manual": self.decisions_manual,
                "protected": self.decisions_protected,
                "with_payments_in_period": self.decisions_in_period,
                "fully_registered": self.decisions_fully_registered,
            },
            "held_for_protected_decisions": self.held_for_protected_decisions,
            "ledger_entries_compared": self.ledger_entries_compared,
        }
