"""When a payment held by the payout system is the planned one, and the reasons a decision stops."""

from __future__ import annotations

from splitpayout.gateway import RegisteredPayment
from splitpayout.models import DecisionPlan, PlannedPayment, Reason, ReasonCode


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
