"""The robot's domain model: decisions read from the export and what the robot plans for them.

Plain pydantic 2 models, no Robot Framework. Money is integer öre everywhere.
Personal data (identity numbers, names, accounts) lives only in ``Decision``,
``Applicant`` and ``PlannedPayment``; everything that reaches operator artifacts
(``DecisionResult`` minus its contact fields, ``PaymentResult``) carries none.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from splitpayout.domain.reasons import ReasonCode


class Method(StrEnum):
    """How a payment reaches its recipient."""

    KONTO = "KONTO"  # to the recipient's own bank account
    AVI = "AVI"  # payment notice to the registered address
    BANKGIRO = "BANKGIRO"  # direct payment to a landlord or supplier


class Outcome(StrEnum):
    """Every decision in the file ends in exactly one outcome (docs/rules.md §3.1)."""

    PAID = "paid"
    ALREADY_PAID = "already_paid"
    MANUAL = "manual"
    FAILED = "failed"
    PLANNED = "planned"


class Reason(BaseModel):
    """One reason a decision needs a human.

    ``fields`` names the export columns (or payout-system form fields) concerned;
    ``detail`` is a short English explanation that never holds personal data.
    """

    model_config = ConfigDict(frozen=True)

    code: ReasonCode
    fields: tuple[str, ...] = ()
    detail: str = ""


class Applicant(BaseModel):
    """One partner of the household, as validated from the export."""

    model_config = ConfigDict(frozen=True)

    # Personal data is left out of repr(): a traceback or a log line never shows it.
    personnummer: str = Field(repr=False)  # normalised: 12 digits, no separator (YYYYMMDDNNNC)
    name: str = Field(repr=False)
    clearing: str | None = Field(default=None, repr=False)  # digits only
    account: str | None = Field(default=None, repr=False)  # digits only


class Decision(BaseModel):
    """One approved decision, one row of the export, fully parsed.

    Rows that cannot be parsed never become a ``Decision``: they become a
    ``DecisionPlan`` with outcome ``manual`` and reason ``invalid_row``.
    """

    model_config = ConfigDict(frozen=True)

    row_number: int  # 1-based row number in the sheet, as a spreadsheet program shows it
    decision_id: str
    payout_date: dt.date  # as requested in the export (before moving to a bank day)
    amount_ore: int = Field(gt=0)  # Belopp
    direct_ore: int = Field(default=0, ge=0)  # Varav direktbetalning
    direct_bankgiro: str | None = None  # digits only
    direct_ocr: str | None = None
    split: bool
    share1_bp: int = Field(default=5000, ge=100, le=9900)  # Andel sökande 1 in hundredths of a percent
    applicant1: Applicant
    applicant2: Applicant | None = None
    protected: bool = False
    case_worker: str | None = None


class PlannedPayment(BaseModel):
    """One payment the robot will enter in the payout system. Its reference is its identity."""

    model_config = ConfigDict(frozen=True)

    reference: str  # "<Beslutsnummer>/1", "/2" or "/D"
    decision_id: str
    method: Method
    # Personal data is left out of repr(): a traceback or a log line never shows it.
    personnummer: str = Field(repr=False)  # 12 digits; for BANKGIRO the applicant the decision concerns
    name: str = Field(repr=False)
    clearing: str | None = Field(default=None, repr=False)
    account: str | None = Field(default=None, repr=False)
    bankgiro: str | None = None
    ocr: str | None = None
    amount_ore: int = Field(gt=0)
    payout_date: dt.date  # already moved to a bank day
    message: str = ""


class Contact(BaseModel):
    """What a case worker needs to find the household; only for the manual-handling workbook.

    Never filled for protected identities.
    """

    model_config = ConfigDict(frozen=True)

    applicant1_name: str = Field(default="", repr=False)
    applicant1_personnummer: str = Field(default="", repr=False)
    applicant2_name: str = Field(default="", repr=False)
    applicant2_personnummer: str = Field(default="", repr=False)


class DecisionPlan(BaseModel):
    """What the robot plans for one decision: its payments, or why a human must take it."""

    decision_id: str
    row_numbers: tuple[int, ...]
    amount_ore: int = 0  # Belopp when it could be read, else 0
    outcome: Outcome  # PLANNED or MANUAL after planning
    reasons: tuple[Reason, ...] = ()
    payments: tuple[PlannedPayment, ...] = ()
    case_worker: str | None = None
    protected: bool = False
    contact: Contact = Contact()  # personal data: only the manual workbook reads it
    # Utbetalningsdatum as the export has it (before moving to a bank day); None when it cannot be read.
    requested_payout_date: dt.date | None = None
    # Sökande 1's share in hundredths of a percent when the decision is split (5000: 50/50); None
    # when it is not split or could not be read. Counted by the follow-up, never reported per decision.
    share1_bp: int | None = None


class PaymentStatus(StrEnum):
    """Where one planned payment stands at the end of a run (operator artifacts: no personal data)."""

    PLANNED = "planned"  # dry run: would be entered
    REGISTERED = "registered"  # entered by this run
    ALREADY_REGISTERED = "already_registered"  # found in the payout system, entered earlier
    NOT_ENTERED = "not_entered"  # the decision went to manual handling; nothing entered for this one
    FAILED = "failed"  # a technical failure remained after retries; a later run completes it
    # the payout system holds it (payment number) but not as entered: a human corrects or cancels it
    STORED_DIFFERENTLY = "stored_differently"


class PaymentResult(BaseModel):
    """One payment as reported in summary.json: no names, identity or account numbers."""

    reference: str
    method: Method
    amount_ore: int
    payout_date: dt.date
    payment_number: str | None = None
    status: PaymentStatus


class DecisionResult(BaseModel):
    """One decision's end state, as reported in summary.json."""

    decision_id: str
    outcome: Outcome
    amount_ore: int = 0
    reasons: tuple[Reason, ...] = ()
    payments: tuple[PaymentResult, ...] = ()


def payment_results(plan: DecisionPlan, status: PaymentStatus) -> tuple[PaymentResult, ...]:
    """Every payment of ``plan`` as reported, all with ``status``."""
    return tuple(
        PaymentResult(
            reference=p.reference,
            method=p.method,
            amount_ore=p.amount_ore,
            payout_date=p.payout_date,
            status=status,
        )
        for p in plan.payments
    )


# The payout system's form fields (splitpayout.domain.contract) as a reason names them, in Swedish: the one
# table every page, workbook and report uses. Export columns are Swedish already and kept as named.
FIELD_LABELS: dict[str, str] = {
    "personnummer": "Personnummer",
    "name": "Namn",
    "method": "Betalningssätt",
    "clearing": "Clearingnummer",
    "account": "Kontonummer",
    "bankgiro": "Bankgironummer",
    "ocr": "OCR-nummer",
    "amount": "Belopp",
    "payout_date": "Utbetalningsdag",
    "reference": "Referens",
    "message": "Meddelande",
}


def field_label(name: str) -> str:
    """A field or column as a person reads it, in Swedish."""
    return FIELD_LABELS.get(name, name)
