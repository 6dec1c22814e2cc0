"""When a payment held by the payout system is the planned one, whether it holds it exactly as
entered, and the reasons a decision stops."""

from __future__ import annotations

from splitpayout.adapters.gateway import RegisteredPayment
from splitpayout.domain.contract import FORM, FormField, stored_value
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


def _planned(field: FormField, payment: PlannedPayment) -> object:
    return stored_value(field, getattr(payment, field.source))


def stored_differences(planned: PlannedPayment, stored: RegisteredPayment) -> tuple[str, ...]:
    """The form fields (in the form's order) whose stored value is not what the robot entered.

    ``stored`` is the payment as the confirmation page shows it after the submit: every field of
    the form (``contract.FORM``) is compared, after the payout system's own normalising
    (``contract.stored_value``). Names only, never values.
    """
    return tuple(
        field.name
        for field in FORM
        if (shown := stored.form.get(field.name)) is None
        or _planned(field, planned) != stored_value(field, shown)
    )


def filled_fields(payment: PlannedPayment) -> frozenset[str]:
    """The form fields the robot fills in for ``payment`` (the others it leaves empty)."""
    return frozenset(field.name for field in FORM if _planned(field, payment) not in ("", None))


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
