"""Work-item payloads: what producers write, consumers and reporters read, and how items are released."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography.fernet import Fernet
from splitpayout.adapters.sealing import Sealer, WorkItemKeyError
from splitpayout.adapters.workitems import (
    Batch,
    Release,
    WorkItemError,
    decision_item,
    key_check,
    not_attempted,
    open_decision,
    open_result,
    release_for,
    result_item,
    seal_decision,
    seal_result,
)
from splitpayout.domain.models import (
    Contact,
    DecisionPlan,
    DecisionResult,
    Method,
    Outcome,
    PaymentResult,
    PaymentStatus,
    PlannedPayment,
    Reason,
)
from splitpayout.domain.reasons import ReasonCode

PNR = "198112289874"
SEALER = Sealer([Fernet.generate_key()])
BATCH = Batch(
    batch_id="2026-11-23T101500Z-abc123",
    source_name="beslut.xlsx",
    source_sha256="0" * 64,
    decisions=2,
    run_date=dt.date(2026, 11, 23),
    key_check=key_check(SEALER, "2026-11-23T101500Z-abc123"),
)
PERSONAL = (PNR, "8112289874", "811228-9874", "19811228-9874", "Anna Andersson", "123456789", "6789123456789")


def planned() -> DecisionPlan:
    payment = PlannedPayment(
        reference="EB-1/1",
        decision_id="EB-1",
        method=Method.KONTO,
        personnummer=PNR,
        name="Anna Andersson",
        clearing="6789",
        account="123456789",
        amount_ore=512_350,
        payout_date=dt.date(2026, 11, 25),
    )
    return DecisionPlan(
        decision_id="EB-1", row_numbers=(2,), amount_ore=512_350, outcome=Outcome.PLANNED, payments=(payment,)
    )


def result(outcome: Outcome, reasons: tuple[Reason, ...] = ()) -> DecisionResult:
    return DecisionResult(
        decision_id="EB-1",
        outcome=outcome,
        amount_ore=512_350,
        reasons=reasons,
        payments=(
            PaymentResult(
                reference="EB-1/1",
                method=Method.KONTO,
                amount_ore=512_350,
                payout_date=dt.date(2026, 11, 25),
                status=PaymentStatus.REGISTERED,
            ),
        ),
    )


def test_a_decision_item_survives_the_json_round_trip_exactly_with_no_personal_data_in_clear() -> None:
    item = seal_decision(SEALER, BATCH, 1, planned())
    text = json.dumps(item.model_dump(mode="json"))
    assert [value for value in PERSONAL if value in text] == []
    payload = json.loads(text)
    assert payload["kind"] == "splitpayout.decision/2"
    assert payload["plan"]["payments"][0]["reference"] == "EB-1/1"
    assert open_decision(SEALER, decision_item(payload)) == planned()


def test_a_version_1_item_with_its_plan_in_clear_text_is_not_taken() -> None:
    payload = seal_decision(SEALER, BATCH, 1, planned()).model_dump(mode="json")
    payload["kind"] = "splitpayout.decision/1"
    with pytest.raises(WorkItemError, match=r"kind 'splitpayout\.decision/2', got 'splitpayout\.decision/1'"):
        decision_item(payload)


def test_a_decision_item_opens_only_with_the_key_it_was_sealed_with() -> None:
    item = seal_decision(SEALER, BATCH, 1, planned())
    with pytest.raises(WorkItemKeyError) as caught:
        open_decision(Sealer([Fernet.generate_key()]), item)
    assert caught.value.code == "work_item_key_wrong"
    assert "nyckel" in caught.value.plain


def test_a_sealed_part_moved_to_another_decision_is_refused() -> None:
    first = seal_decision(SEALER, BATCH, 1, planned())
    other_plan = planned().model_copy(update={"decision_id": "EB-2"})
    other = seal_decision(SEALER, BATCH, 2, other_plan)
    swapped = decision_item({**other.model_dump(mode="json"), "sealed": first.sealed})
    with pytest.raises(WorkItemError, match="belongs to another decision"):
        open_decision(SEALER, swapped)


def test_a_result_carries_the_outcome_a_sealed_contact_only_for_a_human_and_sealed_recipients_if_paid() -> (
    None
):
    item = seal_decision(SEALER, BATCH, 1, planned())
    contact = Contact(applicant1_name="Anna Andersson", applicant1_personnummer=PNR)
    plan = planned().model_copy(update={"contact": contact})
    paid = seal_result(SEALER, item, plan, result(Outcome.PAID))
    manual = seal_result(
        SEALER, item, plan, result(Outcome.MANUAL, (Reason(code=ReasonCode.INVALID_ACCOUNT),))
    )
    protected = seal_result(SEALER, item, plan.model_copy(update={"protected": True}), result(Outcome.MANUAL))
    for outcome in (paid, manual, protected):
        text = json.dumps(outcome.model_dump(mode="json"))
        assert [value for value in PERSONAL if value in text] == []
    assert protected.sealed is None
    assert open_result(SEALER, result_item(manual.model_dump(mode="json"))).contact == contact
    # A paid decision: the recipients' identity numbers alone (the follow-up's legal sex), sealed.
    opened = open_result(SEALER, result_item(paid.model_dump(mode="json")))
    assert opened.contact == Contact()
    assert [p.personnummer for p in opened.payments] == [p.personnummer for p in plan.payments]
    assert all(p.name == "" and p.account is None for p in opened.payments)


def test_a_result_item_is_not_taken_for_a_decision_and_the_other_way_round() -> None:
    decision = seal_decision(SEALER, BATCH, 1, planned())
    payload = decision.model_dump(mode="json")
    outcome = seal_result(SEALER, decision, planned(), result(Outcome.PAID)).model_dump(mode="json")
    assert result_item(outcome).result.outcome is Outcome.PAID
    with pytest.raises(WorkItemError, match=r"expected a work item of kind 'splitpayout\.result/2'"):
        result_item(payload)
    with pytest.raises(WorkItemError, match=r"expected a work item of kind 'splitpayout\.decision/2'"):
        decision_item(outcome)
    with pytest.raises(WorkItemError, match="got 'list'"):
        decision_item([1, 2])


def test_a_malformed_item_names_the_places_never_the_values() -> None:
    payload = seal_decision(SEALER, BATCH, 1, planned()).model_dump(mode="json")
    payload["plan"]["payments"][0]["amount_ore"] = "lots"
    payload["plan"]["payments"][0]["personnummer"] = None
    with pytest.raises(WorkItemError) as caught:
        decision_item(payload)
    message = str(caught.value)
    assert "plan.payments.0.amount_ore" in message and "plan.payments.0.personnummer" in message
    assert "lots" not in message and PNR not in message


def test_paid_and_already_paid_decisions_are_released_done() -> None:
    assert release_for(result(Outcome.PAID)) == Release("DONE")
    assert release_for(result(Outcome.ALREADY_PAID)) == Release("DONE")


def test_a_decision_for_manual_handling_is_a_business_exception_with_its_reason_code() -> None:
    reasons = (
        Reason(code=ReasonCode.CONFLICT_EXISTING_PAYMENT, detail="the payout system already holds EB-1/1"),
        Reason(code=ReasonCode.AMOUNT_ABOVE_LIMIT),
    )
    release = release_for(result(Outcome.MANUAL, reasons))
    assert (release.state, release.exception_type, release.code) == (
        "FAILED",
        "BUSINESS",
        "conflict_existing_payment",
    )
    assert release.message is not None
    assert "EB-1" in release.message and "amount_above_limit" in release.message


def test_a_technical_failure_is_an_application_exception_a_retry_completes() -> None:
    release = release_for(result(Outcome.FAILED))
    assert (release.state, release.exception_type, release.code) == (
        "FAILED",
        "APPLICATION",
        "technical_failure",
    )
    stopped = release_for(result(Outcome.FAILED), stopped="5 payments in a row failed")
    assert stopped.code == "payout_system_unavailable"
    assert stopped.message is not None and "5 payments in a row failed" in stopped.message


def test_a_release_message_is_cut_to_what_control_room_shows() -> None:
    reasons = tuple(Reason(code=ReasonCode.INVALID_ROW, detail="x" * 300) for _ in range(3))
    message = release_for(result(Outcome.MANUAL, reasons)).message
    assert message is not None and len(message) == 500


def test_a_decision_no_worker_reached_is_failed_with_every_payment_failed() -> None:
    outcome = not_attempted(planned())
    assert outcome.outcome is Outcome.FAILED
    assert [p.status for p in outcome.payments] == [PaymentStatus.FAILED]
    assert outcome.amount_ore == 512_350
