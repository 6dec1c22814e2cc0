"""Exactly as decided (docs/rules.md §4.9): what the confirmation page shows is compared with what
was entered, field by field, after the payout system's documented normalising; a form the robot
does not know, or refusals that are not the decision's, mean the payout system has changed."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from splitpayout.adapters.gateway import RECEIPT_FIELDS, FormInspection, PayoutSystemChanged, receipt_payment
from splitpayout.domain.contract import FORM_FIELDS
from splitpayout.domain.models import Method, PlannedPayment
from splitpayout.domain.stops import RunStop, StopCode
from splitpayout.jobs.registration.changes import REPEATED_REFUSALS, RefusalWatch, form_change
from splitpayout.jobs.registration.matching import filled_fields, stored_differences

from swedish_rules import format_amount, format_bankgiro, format_identity

KONTO = PlannedPayment(
    reference="EB-7/1",
    decision_id="EB-7",
    method=Method.KONTO,
    personnummer="191212121212",
    name="Tolvan  Tolvansson",
    clearing="5000",
    account="1234567",
    amount_ore=1_234_501,
    payout_date=dt.date(2026, 12, 23),
    message="Ekonomiskt bistånd",
)
BANKGIRO = PlannedPayment(
    reference="EB-7/D",
    decision_id="EB-7",
    method=Method.BANKGIRO,
    personnummer="191212121212",
    name="Hyresvärden AB",
    bankgiro="50501055",
    ocr="12345678",
    amount_ore=500_000,
    payout_date=dt.date(2026, 12, 23),
)


def shown(payment: PlannedPayment, **changed: str) -> dict[str, str | None]:
    """The confirmation page's texts for ``payment``, formatted as the page formats them."""
    texts: dict[str, str | None] = {
        "payment_number": "U-100042",
        "reference": payment.reference,
        "personnummer": format_identity(payment.personnummer),
        "name": payment.name,
        "method": payment.method.value,
        "clearing": payment.clearing or "",
        "account": payment.account or "",
        "bankgiro": format_bankgiro(payment.bankgiro) if payment.bankgiro else "",
        "ocr": payment.ocr or "",
        "amount": format_amount(payment.amount_ore),
        "payout_date": payment.payout_date.isoformat(),
        "message": payment.message,
        "status": "registrerad",
    }
    texts.update(changed)
    return texts


@pytest.mark.parametrize("payment", [KONTO, BANKGIRO], ids=["konto", "bankgiro"])
def test_a_payment_shown_as_entered_has_no_difference(payment: PlannedPayment) -> None:
    stored = receipt_payment(shown(payment))
    assert stored.payment_number == "U-100042"
    assert stored_differences(payment, stored) == ()


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("amount", "12 345,00"),
        ("payout_date", "2026-12-24"),
        ("name", "TOLVAN TOLVANSSON"),
        ("message", "Ekonomiskt"),
        ("reference", "eb-7/1"),
        ("personnummer", "19121212-1213"),
        ("account", "7654321"),
        ("clearing", "5001"),
        ("method", "AVI"),
    ],
)
def test_a_field_stored_other_than_entered_is_named(field: str, text: str) -> None:
    assert stored_differences(KONTO, receipt_payment(shown(KONTO, **{field: text}))) == (field,)


def test_the_bankgiro_and_ocr_are_compared_as_the_payout_system_normalises_them() -> None:
    same = receipt_payment(shown(BANKGIRO, bankgiro="5050-1055", ocr="12345678"))
    assert stored_differences(BANKGIRO, same) == ()
    assert stored_differences(BANKGIRO, receipt_payment(shown(BANKGIRO, ocr="1234567"))) == ("ocr",)


@given(
    name=st.text(alphabet=st.characters(categories=["L", "Zs"]), min_size=1, max_size=100).filter(str.strip),
    amount_ore=st.integers(min_value=1, max_value=100_000_000_00),
    message=st.text(alphabet=st.characters(categories=["L", "N", "Zs"]), max_size=200),
)
def test_any_payment_shown_as_entered_reads_back_the_same(name: str, amount_ore: int, message: str) -> None:
    payment = KONTO.model_copy(update={"name": name.strip(), "amount_ore": amount_ore, "message": message})
    page_text = {k: None if v is None else " ".join(v.split()) for k, v in shown(payment).items()}
    assert stored_differences(payment, receipt_payment(page_text)) == ()


@given(amount_ore=st.integers(min_value=1, max_value=100_000_000_00), cut=st.integers(1, 99))
def test_any_amount_stored_with_other_ore_is_named(amount_ore: int, cut: int) -> None:
    payment = KONTO.model_copy(update={"amount_ore": amount_ore})
    other = amount_ore - amount_ore % 100 + (amount_ore % 100 + cut) % 100
    stored = receipt_payment(shown(payment, amount=format_amount(other)))
    assert stored_differences(payment, stored) == ("amount",)


@pytest.mark.parametrize("field", RECEIPT_FIELDS)
def test_a_confirmation_without_an_element_means_a_changed_payout_system(field: str) -> None:
    with pytest.raises(PayoutSystemChanged) as raised:
        receipt_payment(shown(KONTO, **{field: None}))  # type: ignore[arg-type]
    assert raised.value.code is StopCode.ELEMENT_MISSING and raised.value.sent
    assert field in raised.value.detail and field in raised.value.subject


@pytest.mark.parametrize(
    ("field", "text"), [("amount", "tolv kronor"), ("payout_date", "23/12"), ("method", "SWISH")]
)
def test_a_confirmation_the_robot_cannot_read_names_the_field_not_the_text(field: str, text: str) -> None:
    with pytest.raises(PayoutSystemChanged) as raised:
        receipt_payment(shown(KONTO, **{field: text}))
    assert raised.value.sent and field in raised.value.detail and text not in str(raised.value.stop.as_dict())


def test_the_robot_fills_only_the_fields_of_its_method() -> None:
    assert filled_fields(KONTO) == {"reference", "personnummer", "name", "method", "clearing", "account",
                                    "amount", "payout_date", "message"}  # fmt: skip
    assert {"bankgiro", "ocr"} <= filled_fields(BANKGIRO) and "clearing" not in filled_fields(BANKGIRO)


def test_the_form_as_the_robot_knows_it_passes() -> None:
    assert form_change(FormInspection()) is None


def test_a_missing_field_stops_naming_it() -> None:
    change = form_change(FormInspection(missing=("amount", "#submit-payment")))
    assert change is not None and change.code is StopCode.ELEMENT_MISSING
    assert change.subject == "fältet Belopp (amount) och elementet #submit-payment"
    assert change.stop.sentence.startswith(
        "Utbetalningssystemet har ändrats: fältet Belopp (amount) och elementet #submit-payment saknas"
    )


def test_an_unknown_field_stops_unless_the_installation_ignores_it() -> None:
    change = form_change(FormInspection(unknown=("kostnadsstalle",)))
    assert change is not None and change.code is StopCode.UNKNOWN_FIELD
    assert "formuläret har fältet kostnadsstalle" in change.stop.sentence
    assert form_change(FormInspection(unknown=("kostnadsstalle",)), ["Kostnadsstalle "]) is None


def test_a_refused_field_the_robot_leaves_empty_is_a_changed_application() -> None:
    change = RefusalWatch().refused(KONTO, ("ocr",))
    assert change is not None and change.code is StopCode.FIELD_REFUSED
    assert change.subject == "OCR-nummer (ocr)"
    assert RefusalWatch().refused(KONTO, ("kostnadsstalle",)) is not None


def test_the_same_field_refused_decision_after_decision_is_a_changed_application() -> None:
    watch = RefusalWatch()
    for _ in range(REPEATED_REFUSALS - 1):
        assert watch.refused(KONTO, ("amount",)) is None
    change = watch.refused(KONTO, ("amount",))
    assert change is not None and change.subject == "Belopp (amount)"


def test_refusals_with_a_registration_between_are_each_the_decisions_own() -> None:
    watch = RefusalWatch()
    for _ in range(REPEATED_REFUSALS * 2):
        assert watch.refused(KONTO, ("amount",)) is None
        watch.registered()
    assert watch.refused(KONTO, ("amount",)) is None
    assert watch.refused(KONTO, ("payout_date",)) is None, "another field: not the same refusal"


def test_a_stop_names_its_subject_in_the_sentence_and_survives_summary_json() -> None:
    stop = RunStop(
        StopCode.STORED_DIFFERENTLY, "the payout system stored EB-7/1 with other amount", "fältet amount"
    )
    assert stop.sentence.startswith("Utbetalningssystemet har ändrats: fältet amount sparades annorlunda")
    assert "inga fler utbetalningar har registrerats" in stop.sentence
    assert RunStop.from_dict(stop.as_dict()) == stop
    assert stop.changed_application and not RunStop(StopCode.LOGIN_REFUSED, "x").changed_application


def test_the_form_fields_compared_are_the_contracts() -> None:
    assert set(RECEIPT_FIELDS) == {"payment_number", "status", *FORM_FIELDS}
