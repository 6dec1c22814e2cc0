"""The messages and addresses made from export cells (untrusted): generated values as well as chosen."""

from __future__ import annotations

import datetime as dt
import string

from hypothesis import given, settings
from hypothesis import strategies as st
from splitpayout.domain.models import (
    DecisionPlan,
    DecisionResult,
    Method,
    Outcome,
    PaymentResult,
    PaymentStatus,
    Reason,
)
from splitpayout.domain.reasons import ReasonCode
from splitpayout.jobs.notify.config import CASE_WORKER_ID, case_worker_address, valid_address
from splitpayout.jobs.notify.messages import FALLBACK_KEY, case_worker_message, group_by_case_worker
from splitpayout.jobs.notify.outbox import Message
from splitpayout.jobs.notify.sender import build_email

TEMPLATE = "{handlaggare}@kommun.example"


@given(st.text(max_size=80))
def test_an_address_is_made_only_from_a_plain_id_and_is_one_address(case_worker: str) -> None:
    address = case_worker_address(TEMPLATE, case_worker)
    if address is None:
        assert not CASE_WORKER_ID.fullmatch(case_worker)
    else:
        assert address == f"{case_worker}@kommun.example" and valid_address(address)
        assert not any(ch in address for ch in "\r\n,;<> ")


def test_chosen_ids_that_would_change_the_address_go_to_the_fallback() -> None:
    for bad in (
        "a@evil.example",
        "hl1,x@evil.example",
        "hl1\r\nBcc: x@evil.example",
        "",
        " hl1",
        "hl 1",
        "<hl1>",
    ):
        assert case_worker_address(TEMPLATE, bad) is None, bad
    assert case_worker_address(TEMPLATE, "HL01") == "HL01@kommun.example"
    assert case_worker_address("", "HL01") is None


def manual(
    decision_id: str, case_worker: str | None, fields: tuple[str, ...] = (), protected: bool = False
) -> tuple[DecisionPlan, DecisionResult]:
    reason = (
        Reason(code=ReasonCode.INVALID_ROW, fields=fields)
        if fields
        else Reason(code=ReasonCode.INVALID_ACCOUNT)
    )
    plan = DecisionPlan.model_construct(
        decision_id=decision_id,
        row_numbers=(7,),
        amount_ore=123_456,
        outcome=Outcome.MANUAL,
        reasons=(reason,),
        payments=(),
        case_worker=case_worker,
        protected=protected,
    )
    return plan, DecisionResult(
        decision_id=decision_id, outcome=Outcome.MANUAL, amount_ore=123_456, reasons=(reason,)
    )


@settings(max_examples=200)
@given(decision_id=st.text(min_size=1, max_size=60), field=st.text(max_size=40))
def test_a_decision_number_or_field_that_is_not_plain_is_never_quoted(decision_id: str, field: str) -> None:
    draft = case_worker_message(
        "HL01", [manual(decision_id, "HL01", (field,) if field else ())], run_id="R1", console_url=""
    )
    plain = set(string.ascii_letters + string.digits + "ÅÄÖåäöÉéÜü._-")
    if set(decision_id) <= plain and len(decision_id) <= 37:
        assert decision_id in draft.body
    else:
        assert "(beslutet på rad 7 i exporten)" in draft.body
    amount_texts = ("1 234,56", "123456")  # the decision's amount, never in a message
    if not any(text in given for text in amount_texts for given in (decision_id, field)):
        assert not any(text in draft.body for text in amount_texts)
    email = build_email(
        Message(
            "R1.case_worker.HL01",
            "R1",
            "/tmp/r",
            "case_worker",
            "HL01",
            ["hl01@kommun.example"],
            draft.subject,
            draft.body,
        ),
        "robot@kommun.example",
    )
    assert email["To"] == "hl01@kommun.example" and "Bcc" not in email


def test_protected_and_unaddressable_decisions_go_to_the_fallback_counted() -> None:
    items = [
        manual("EB-1", "HL01"),
        manual("EB-2", "HL01", protected=True),
        manual("EB-3", "x@y.example"),
        manual("EB-4", None),
    ]
    groups = group_by_case_worker(items, valid_ids={"HL01"})
    assert {key: [p.decision_id for p, _ in group] for key, group in groups.items()} == {
        "HL01": ["EB-1"],
        FALLBACK_KEY: ["EB-2", "EB-3", "EB-4"],
    }
    body = case_worker_message(
        FALLBACK_KEY, groups[FALLBACK_KEY], run_id="R1", console_url="https://k.example"
    ).body
    assert "EB-2" not in body and "1 beslut med skyddade personuppgifter" in body
    assert "EB-3" in body and "EB-4" in body and "https://k.example/" in body


def test_a_decision_with_payments_already_registered_says_so_without_amounts() -> None:
    plan, result = manual("EB-9", "HL01")
    held = PaymentResult(
        reference="EB-9/1",
        method=Method.KONTO,
        amount_ore=123_456,
        payout_date=dt.date(2026, 12, 18),
        payment_number="U-1001",
        status=PaymentStatus.REGISTERED,
    )
    result = result.model_copy(
        update={"reasons": (Reason(code=ReasonCode.REJECTED_BY_PAYOUT_SYSTEM),), "payments": (held,)}
    )
    body = case_worker_message("HL01", [(plan, result)], run_id="R1", console_url="").body
    assert "EB-9 (delvis registrerat, se arbetsboken)" in body
    assert "Utbetalningssystemet godtog inte uppgifterna" in body
    assert "1 234,56" not in body and "U-1001" not in body


def test_one_case_worker_in_two_spellings_gets_one_message_and_a_long_list_is_cut() -> None:
    items = [manual(f"EB-{n}", "HL01" if n % 2 else "hl01") for n in range(1, 251)]
    groups = group_by_case_worker(items, valid_ids={"HL01", "hl01"})
    assert list(groups) == ["HL01"] and len(groups["HL01"]) == 250
    body = case_worker_message("HL01", groups["HL01"], run_id="R1", console_url="").body
    assert "250 av dina beslut" in body and "EB-200" in body and "EB-201" not in body
    assert "... och 50 till: se arbetsboken" in body
