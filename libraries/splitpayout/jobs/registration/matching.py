"""When a payment held by the payout system is the planned one, whether it holds it exactly as
entered, and the reasons a decision stops."""

from __future__ import annotations

from collections.abc import Callable

from splitpayout.adapters.gateway import RegisteredPayment
from splitpayout.domain.models import DecisionPlan, PlannedPayment, Reason
from splitpayout.domain.reasons import ReasonCode


def reference_key(reference: str) -> str:
    """The payout system matches references case-insensitively; so does the engine."""
    return reference.strip().casefold()


def _digits(value: str | None) -> str:
    return "".join(ch for ch in (value or "") if ch.isdigit())


def same_payment(planned: PlannedPayment, held: RegisteredPayment) -> bool:
    """True when the payout system holds exactly this amount, recipient and payout date."""
    return (
        planned.method == held.method
        and planned.personnummer == held.personnummer
        and _digits(planned.clearing) == _digits(held.clearing)
        and _digits(planned.account) == _digits(held.account)
        and _digits(planned.bankgiro) == _digits(held.bankgiro)
        and planned.amount_ore == held.amount_ore
        and planned.payout_date == held.payout_date
    )


def _text(value: str | None) -> str:
    """Free text as a page shows it: runs of white space are one space, none at the ends."""
    return " ".join((value or "").split())


def _ocr(value: str | None) -> str:
    return (value or "").replace(" ", "")


#: Each form field the robot enters, and its value after the payout system's documented normalising
#: (docs/payout_system_ui.md): identity, account and bankgiro numbers by their digits (dashes and
#: spaces are formatting), the OCR number without spaces, free text trimmed, the reference exactly
#: as entered (the payout system stores it as written and only searches it without regard to case).
_STORED_AS: dict[str, Callable[[PlannedPayment | RegisteredPayment], object]] = {
    "reference": lambda p: p.reference.strip(),
    "personnummer": lambda p: _digits(p.personnummer),
    "name": lambda p: _text(p.name),
    "method": lambda p: p.method,
    "clearing": lambda p: _digits(p.clearing),
    "account": lambda p: _digits(p.account),
    "bankgiro": lambda p: _digits(p.bankgiro),
    "ocr": lambda p: _ocr(p.ocr),
    "amount": lambda p: p.amount_ore,
    "payout_date": lambda p: p.payout_date,
    "message": lambda p: _text(p.message),
}


def stored_differences(planned: PlannedPayment, stored: RegisteredPayment) -> tuple[str, ...]:
    """The form fields (in the form's order) whose stored value is not what the robot entered.

    ``stored`` is the payment as the confirmation page shows it after the submit: every field is
    compared, after the payout system's own normalising. Names only, never values.
    """
    return tuple(name for name, value in _STORED_AS.items() if value(planned) != value(stored))


def filled_fields(payment: PlannedPayment) -> frozenset[str]:
    """The form fields the robot fills in for ``payment`` (the others it leaves empty)."""
    return frozenset(name for name, value in _STORED_AS.items() if value(payment) not in ("", None))


def stored_differently_reason(reference: str, payment_number: str, fields: tuple[str, ...]) -> Reason:
    return Reason(
        code=ReasonCode.STORED_DIFFERENTLY,
        fields=fields,
        detail=(
            f"the payout system stored {reference} as {payment_number} with other "
            + ", ".join(fields)
            + " than the robot entered; correct or cancel it before it is attested"
        ),
    )


def conflict_reason(references: list[str]) -> Reason:
    return Reason(
        code=ReasonCode.CONFLICT_EXISTING_PAYMENT,
        fields=("reference",),
        detail=(
            "the payout system already holds "
            + ", ".join(references)
            + " with another amount, recipient or payout date"
        ),
    )


def lost_reason(lost: list[tuple[str, str]]) -> Reason:
    return Reason(
        code=ReasonCode.REGISTERED_NOT_FOUND,
        fields=("reference",),
        detail=(
            "the robot registered "
            + ", ".join(f"{reference} as {number}" for reference, number in lost)
            + " but the payout system no longer shows it; it is not entered again"
        ),
    )


def check_plan(plan: DecisionPlan) -> None:
    """A planned decision the engine can work on: payments, distinct references, within its amount."""
    if not plan.payments:
        raise ValueError(f"planned decision {plan.decision_id} has no payments")
    references = [reference_key(p.reference) for p in plan.payments]
    if len(set(references)) != len(references):
        raise ValueError(f"planned decision {plan.decision_id} repeats a payment reference")
    total = sum(p.amount_ore for p in plan.payments)
    if total > plan.amount_ore:
        raise ValueError(
            f"planned payments of decision {plan.decision_id} add up to {total} öre,"
            f" more than its amount of {plan.amount_ore} öre"
        )
