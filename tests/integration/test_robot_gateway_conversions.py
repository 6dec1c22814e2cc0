"""RobotGateway's conversions, without a browser: typed failures, search rows, form values."""

from __future__ import annotations

import datetime as dt

import pytest
from robotglue.browser import FormValues, PaymentRows, format_form_amount, payment_form_values
from robotglue.robot_gateway import to_gateway_error, to_registered_payment
from splitpayout.gateway import ApplicationError, BusinessError, LoginRefusedError
from splitpayout.models import Method, PlannedPayment, ReasonCode

PERSONNUMMER = "191212121212"
NAME = "Tolvan Tolvansson"


def planned(**changes: object) -> PlannedPayment:
    values: dict[str, object] = {
        "reference": "B-1/1",
        "decision_id": "B-1",
        "method": Method.KONTO,
        "personnummer": PERSONNUMMER,
        "name": NAME,
        "clearing": "5000",
        "account": "5837278",
        "amount_ore": 1234550,
        "payout_date": dt.date(2026, 12, 23),
    }
    values.update(changes)
    return PlannedPayment.model_validate(values)


def test_a_refused_form_is_a_business_error_naming_the_fields() -> None:
    error = to_gateway_error("BUSINESS: rejected_by_payout_system fields=personnummer,amount")
    assert isinstance(error, BusinessError)
    assert error.code is ReasonCode.REJECTED_BY_PAYOUT_SYSTEM
    assert error.fields == ("personnummer", "amount")


def test_a_refusal_without_fields_is_still_a_business_error() -> None:
    error = to_gateway_error("BUSINESS: rejected_by_payout_system fields=")
    assert isinstance(error, BusinessError)
    assert error.fields == ()


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("APPLICATION: session_expired expected the search page, got the login page", "session_expired"),
        ("APPLICATION: maintenance the payout system is closed for maintenance", "maintenance"),
        ("APPLICATION: server_error the payout system answered with an error page (503)", "server_error"),
        ("APPLICATION: timeout no answer from the payout system within 30 seconds", "timeout"),
        ("APPLICATION: unexpected_page expected the new-payment page, got 'home'", "unexpected_page"),
        ("Element 'id:payment-number' did not appear in 30 seconds.", "timeout"),
        ("TimeoutException: Message: timeout: Timed out receiving message from renderer", "timeout"),
        ("Element with locator 'id:submit-payment' not found.", "unexpected_page"),
        ("APPLICATION: something_new happened", "unexpected_page"),
    ],
)
def test_other_failures_are_application_errors_of_a_known_kind(message: str, kind: str) -> None:
    error = to_gateway_error(message)
    assert type(error) is ApplicationError
    assert error.kind == kind


def test_refused_credentials_stop_instead_of_being_retried() -> None:
    error = to_gateway_error("LOGIN_REFUSED: the payout system refused the username or password")
    assert isinstance(error, LoginRefusedError)
    assert not isinstance(error, ApplicationError), "retrying a wrong password could lock the account"
    assert "refused the username or password" in str(error)


def test_a_search_row_becomes_a_registered_payment() -> None:
    row = {
        "payment_number": "U-100042",
        "reference": "B-1/1",
        "personnummer": "19121212-1212",
        "name": NAME,
        "method": "KONTO",
        "clearing": "5000",
        "account": "583 72 78",
        "bankgiro": "",
        "ocr": "",
        "amount": "12 345,50",
        "payout_date": "2026-12-23",
        "status": "registrerad",
    }
    payment = to_registered_payment(row)
    assert payment.payment_number == "U-100042"
    assert payment.personnummer == PERSONNUMMER
    assert payment.method is Method.KONTO
    assert (payment.clearing, payment.account) == ("5000", "5837278")
    assert (payment.bankgiro, payment.ocr) == (None, None)
    assert payment.amount_ore == 1234550
    assert payment.payout_date == dt.date(2026, 12, 23)


def test_an_unreadable_row_names_the_column_never_the_value() -> None:
    row = {"payment_number": "U-1", "reference": "B-1/1", "personnummer": "19121212-1212", "method": "KONTO"}
    row |= {"amount": "tolv kronor", "payout_date": "2026-12-23", "status": "registrerad"}
    with pytest.raises(ApplicationError) as raised:
        to_registered_payment(row)
    assert raised.value.kind == "unexpected_page"
    assert "1212" not in str(raised.value)


@pytest.mark.parametrize(("ore", "text"), [(1234550, "12345,50"), (99, "0,99"), (100, "1,00"), (0, "0,00")])
def test_amounts_are_entered_without_thousands_separators(ore: int, text: str) -> None:
    assert format_form_amount(ore) == text


def test_a_planned_payment_fills_every_field_of_the_form() -> None:
    values = payment_form_values(planned(ocr="123", message="Bistånd"))
    assert dict(values) == {
        "personnummer": PERSONNUMMER,
        "name": NAME,
        "method": "KONTO",
        "clearing": "5000",
        "account": "5837278",
        "bankgiro": "",
        "ocr": "123",
        "amount": "12345,50",
        "payout_date": "2026-12-23",
        "reference": "B-1/1",
        "message": "Bistånd",
    }


def test_a_dictionary_with_form_texts_is_taken_as_it_is() -> None:
    values = payment_form_values({"reference": "B-2/2", "amount": "10,00", "method": "avi"})
    assert (values["amount"], values["method"], values["name"]) == ("10,00", "AVI", "")


def test_values_and_rows_never_show_personal_data_as_text() -> None:
    values = payment_form_values(planned())
    rows = PaymentRows([{"personnummer": PERSONNUMMER, "name": NAME}])
    for shown in (str(values), repr(values), str(rows), repr(rows), str([values])):
        assert PERSONNUMMER not in shown
        assert NAME not in shown
    assert isinstance(values, FormValues)
    assert "B-1/1" in str(values)
