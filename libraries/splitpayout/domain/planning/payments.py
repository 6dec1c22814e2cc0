"""The plan of one decision: the rule checks, then the payments of a decision that passed them."""

from __future__ import annotations

from typing import Any

from splitpayout.domain.models import (
    Contact,
    Decision,
    DecisionPlan,
    Method,
    Outcome,
    PlannedPayment,
)
from splitpayout.domain.planning.parsing import parse_row, protected_plan
from splitpayout.domain.planning.rules import (
    RULES,
    Case,
    PlanningRules,
    make_case,
    ocr_digits,
    payment_message,
)
from splitpayout.domain.references import payment_reference


def _contact(case: Case) -> Contact:
    decision, checked = case.decision, case.checked
    a1, a2 = decision.applicant1, decision.applicant2
    return Contact.model_construct(
        applicant1_name=a1.name,
        applicant1_personnummer=checked[0].personnummer or a1.personnummer,
        applicant2_name=a2.name if a2 else "",
        applicant2_personnummer=(checked[1].personnummer if len(checked) > 1 else None)
        or (a2.personnummer if a2 else ""),
    )


def build_payments(case: Case) -> tuple[PlannedPayment, ...]:
    """The payments of a decision that passed every rule: sökande 1, sökande 2, the direct payment."""
    decision = case.decision
    common: dict[str, Any] = {
        "decision_id": decision.decision_id,
        "payout_date": case.pay_date,
        "message": payment_message(decision.payout_date),
    }
    payments: list[PlannedPayment] = []
    parts = zip(case.shares(), ("1", "2"), (decision.applicant1, case.partner), case.checked, strict=False)
    for amount, suffix, applicant, c in parts:
        if amount > 0 and applicant is not None:
            payments.append(
                PlannedPayment.model_construct(
                    reference=payment_reference(decision.decision_id, suffix),
                    method=Method.KONTO if c.account is not None else Method.AVI,
                    personnummer=c.personnummer,
                    name=applicant.name,
                    clearing=c.clearing,
                    account=c.account,
                    bankgiro=None,
                    ocr=None,
                    amount_ore=amount,
                    **common,
                )
            )
    if decision.direct_ore > 0:
        payments.append(
            PlannedPayment.model_construct(
                reference=payment_reference(decision.decision_id, "D"),
                method=Method.BANKGIRO,
                personnummer=case.checked[0].personnummer,
                name=decision.applicant1.name,
                clearing=None,
                account=None,
                bankgiro=case.bankgiro,
                ocr=ocr_digits(decision.direct_ocr) if decision.direct_ocr else None,
                amount_ore=decision.direct_ore,
                **common,
            )
        )
    return tuple(payments)


def plan_decision(decision: Decision, rules: PlanningRules) -> DecisionPlan:
    """What to pay for one decision, or ``manual`` with every reason that applies (docs/rules.md §2, §3)."""
    if decision.protected:
        return protected_plan(decision.decision_id, (decision.row_number,), (), decision.case_worker)
    case = make_case(decision, rules)
    reasons = [reason for rule in RULES for reason in rule(case)]
    return DecisionPlan.model_construct(
        decision_id=decision.decision_id,
        row_numbers=(decision.row_number,),
        amount_ore=decision.amount_ore,
        outcome=Outcome.MANUAL if reasons else Outcome.PLANNED,
        reasons=tuple(reasons),
        payments=() if reasons else build_payments(case),
        case_worker=decision.case_worker,
        protected=False,
        contact=_contact(case),
        requested_payout_date=decision.payout_date,
        share1_bp=decision.share1_bp if decision.split else None,
    )


def plan_row(row_number: int, raw: dict[str, object], rules: PlanningRules) -> DecisionPlan:
    """``parse_row`` then ``plan_decision``: the plan for one raw row, duplicates not considered."""
    parsed = parse_row(row_number, raw)
    if isinstance(parsed, DecisionPlan):
        return parsed
    return plan_decision(parsed, rules)
