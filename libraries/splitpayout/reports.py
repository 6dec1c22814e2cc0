"""The run's reports: ``summary.json`` for operators and systems, the manual-handling
workbook for case workers.

``summary.json`` holds no names, identity or account numbers. The workbook is the
only artifact with personal data, and never of protected identities.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from splitpayout.models import DecisionPlan, DecisionResult, Outcome, PaymentStatus, ReasonCode
from swedish_rules import format_amount

SUMMARY_FILE = "summary.json"
MANUAL_WORKBOOK_FILE = "manuell-hantering.xlsx"

# What each reason means to a case worker, and what they should do about it.
REASON_TEXT: dict[ReasonCode, tuple[str, str]] = {
    ReasonCode.INVALID_ROW: (
        "Raden i exporten är ofullständig eller felaktig",
        "Rätta beslutet i verksamhetssystemet (se felaktiga fält) och registrera utbetalningen manuellt "
        "eller kör roboten på en ny export.",
    ),
    ReasonCode.DUPLICATE_DECISION: (
        "Beslutsnumret förekommer på flera rader",
        "Kontrollera vilken rad som är rätt och registrera utbetalningen manuellt.",
    ),
    ReasonCode.PROTECTED_IDENTITY: (
        "Skyddade personuppgifter",
        "Hantera utbetalningen manuellt enligt rutinen för skyddade personuppgifter.",
    ),
    ReasonCode.MISSING_PARTNER: (
        "Delad utbetalning utan uppgifter om sökande 2",
        "Komplettera uppgifterna om sökande 2 eller ändra beslutet till odelad utbetalning.",
    ),
    ReasonCode.INVALID_IDENTITY: (
        "Ogiltigt person- eller samordningsnummer",
        "Kontrollera personnumret mot folkbokföringen och rätta det i verksamhetssystemet.",
    ),
    ReasonCode.INVALID_ACCOUNT: (
        "Ogiltigt eller ofullständigt bankkonto",
        "Kontrollera clearing- och kontonummer med den sökande, eller betala via avi.",
    ),
    ReasonCode.INVALID_BANKGIRO: (
        "Ogiltigt eller saknat bankgironummer för direktbetalningen",
        "Kontrollera mottagarens bankgironummer och registrera direktbetalningen manuellt.",
    ),
    ReasonCode.AMOUNT_ABOVE_LIMIT: (
        "Beloppet överstiger robotens beloppsgräns",
        "Granska beslutet och registrera utbetalningen manuellt.",
    ),
    ReasonCode.PAYOUT_DATE_PASSED: (
        "Utbetalningsdagen har redan passerat",
        "Bestäm ett nytt utbetalningsdatum och registrera utbetalningen manuellt.",
    ),
    ReasonCode.CONFLICT_EXISTING_PAYMENT: (
        "Utbetalningssystemet har redan en utbetalning med samma referens men annat belopp eller mottagare",
        "Jämför beslutet med den registrerade utbetalningen och rätta den som är fel. "
        "Roboten registrerar inget mer för beslutet.",
    ),
    ReasonCode.REJECTED_BY_PAYOUT_SYSTEM: (
        "Utbetalningssystemet godtog inte uppgifterna",
        "Kontrollera de fält som nämns och registrera utbetalningen manuellt.",
    ),
    ReasonCode.REGISTERED_NOT_FOUND: (
        "Roboten har registrerat utbetalningen, men den syns inte längre i utbetalningssystemet",
        "Sök på utbetalningsnumret i utbetalningssystemet och ta reda på vad som hänt med den. "
        "Roboten registrerar den inte igen.",
    ),
}
FAILED_TEXT = (
    "Tekniskt fel i utbetalningssystemet",
    "Ingen åtgärd behövs: utbetalningen slutförs när roboten körs igen. Kontakta driften om felet kvarstår.",
)


_REGISTERED = (PaymentStatus.REGISTERED, PaymentStatus.ALREADY_REGISTERED)


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


def public_result(result: DecisionResult, protected: bool) -> dict[str, Any]:
    """One decision as summary.json shows it: protected decisions show their number only."""
    if protected:
        return {
            "decision_id": result.decision_id,
            "outcome": result.outcome.value,
            "reasons": [{"code": ReasonCode.PROTECTED_IDENTITY.value}],
            "payments": [],
        }
    return result.model_dump(mode="json")


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
    are written as they come, never held as a list)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = dict(run)
    document["totals"] = totals.as_dict()
    head = json.dumps(document, ensure_ascii=False, indent=2)
    temporary = path.with_suffix(path.suffix + ".tmp")
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
    temporary.replace(path)


MANUAL_COLUMNS = (
    ("Beslutsnummer", 16),
    ("Rad i exporten", 10),
    ("Handläggare", 14),
    ("Sökande 1", 24),
    ("Personnummer sökande 1", 16),
    ("Sökande 2", 24),
    ("Personnummer sökande 2", 16),
    ("Belopp (kr)", 14),
    ("Status", 16),
    ("Orsak", 48),
    ("Felaktiga fält", 30),
    ("Vad du behöver göra", 70),
)

STATUS_TEXT = {Outcome.MANUAL: "Manuell hantering", Outcome.FAILED: "Tekniskt fel"}


def needs_a_human(result: DecisionResult) -> bool:
    return result.outcome in (Outcome.MANUAL, Outcome.FAILED)


def manual_rows(plan: DecisionPlan, result: DecisionResult) -> list[tuple[str, ...]]:
    """The workbook rows for one decision: one per reason, or one for a technical failure."""
    if plan.protected:
        reason, todo = REASON_TEXT[ReasonCode.PROTECTED_IDENTITY]
        return [(plan.decision_id, "", "", "", "", "", "", "", STATUS_TEXT[Outcome.MANUAL], reason, "", todo)]
    rows_text = ", ".join(str(n) for n in plan.row_numbers)
    contact = plan.contact
    base = (
        plan.decision_id,
        rows_text,
        plan.case_worker or "",
        contact.applicant1_name,
        contact.applicant1_personnummer,
        contact.applicant2_name,
        contact.applicant2_personnummer,
        format_amount(plan.amount_ore) if plan.amount_ore else "",
        STATUS_TEXT.get(result.outcome, ""),
    )
    held = [p for p in result.payments if p.status in _REGISTERED]
    already = ""
    if held:
        listed = ", ".join(f"{p.reference} ({p.payment_number or 'registrerad'})" for p in held)
        already = f" Redan registrerat i utbetalningssystemet: {listed}; registrera inte dessa igen."
    if result.outcome is Outcome.FAILED:
        return [(*base, FAILED_TEXT[0], "", FAILED_TEXT[1] + already)]
    rows: list[tuple[str, ...]] = []
    for found in result.reasons:
        text, todo = REASON_TEXT[found.code]
        rows.append((*base, text, ", ".join(found.fields), todo + already))
    return rows


def write_manual_workbook(
    path: Path,
    items: Sequence[tuple[DecisionPlan, DecisionResult]],
    *,
    source_name: str,
    run_id: str,
    created: dt.datetime,
) -> int:
    """Write the case workers' workbook; returns the number of decisions in it."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Manuell hantering"
    sheet.append([f"Beslut som behöver handläggare: {source_name}"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(
        [f"Körning {run_id}, skapad {created:%Y-%m-%d %H:%M}", "", "", f"Antal beslut: {len(items)}"]
    )
    sheet.append([])
    sheet.append([name for name, _ in MANUAL_COLUMNS])
    header_row = sheet.max_row
    for index, (_, width) in enumerate(MANUAL_COLUMNS, start=1):
        cell = sheet.cell(row=header_row, column=index)
        cell.font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = width
    for plan, result in items:
        for row in manual_rows(plan, result):
            sheet.append(list(row))
    for row in sheet.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=2)
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(MANUAL_COLUMNS))}{sheet.max_row}"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp.xlsx")
    workbook.save(temporary)
    temporary.replace(path)
    return len(items)
