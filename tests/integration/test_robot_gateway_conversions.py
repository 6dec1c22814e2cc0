"""The UI layer's conversions, without a browser: typed failures, settings, search rows, form values."""

from __future__ import annotations

import datetime as dt

import pytest
from robotglue.browser import (
    BrowserSettings,
    FormValues,
    PaymentRows,
    format_form_amount,
    payment_form_values,
)
from robotglue.PayoutPages import PageNames, PayoutSystemError, failure_for_page
from robotglue.robot_gateway import to_registered_payment
from splitpayout.adapters.gateway import (
    ApplicationError,
    BusinessError,
    LoginRefusedError,
    PayoutSystemChanged,
)
from splitpayout.config import Settings
from splitpayout.domain.models import Method, PlannedPayment
from splitpayout.domain.reasons import ReasonCode
from splitpayout.domain.stops import StopCode

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


NAMES = PageNames(login="login", maintenance="maintenance", error="error")


def test_a_refused_form_fails_as_a_business_error_naming_the_fields() -> None:
    refused = BusinessError(ReasonCode.REJECTED_BY_PAYOUT_SYSTEM, ("personnummer", "amount"))
    failure = PayoutSystemError(refused)
    assert str(failure) == "BUSINESS: rejected_by_payout_system fields=personnummer,amount"
    assert failure.error is refused
    assert isinstance(failure, AssertionError), "Robot Framework reports it as a plain failure"


def test_a_refusal_without_fields_is_still_a_business_failure() -> None:
    failure = PayoutSystemError(BusinessError(ReasonCode.REJECTED_BY_PAYOUT_SYSTEM))
    assert str(failure) == "BUSINESS: rejected_by_payout_system fields="


@pytest.mark.parametrize(
    ("page", "status", "kind", "message"),
    [
        (
            "login",
            "",
            "session_expired",
            "APPLICATION: session_expired expected the search page, got the login page",
        ),
        (
            "maintenance",
            "",
            "maintenance",
            "APPLICATION: maintenance the payout system is closed for maintenance",
        ),
        (
            "error",
            "503",
            "server_error",
            "APPLICATION: server_error the payout system answered with an error page (503)",
        ),
        (
            "error",
            "",
            "server_error",
            "APPLICATION: server_error the payout system answered with an error page ()",
        ),
        (
            "error",
            "404",
            "unexpected_page",
            "APPLICATION: unexpected_page expected the search page, got an error page (404)",
        ),
        ("home", "", "unexpected_page", "APPLICATION: unexpected_page expected the search page, got 'home'"),
        ("", "", "unexpected_page", "APPLICATION: unexpected_page expected the search page, got ''"),
    ],
)
def test_the_page_shown_instead_types_the_failure(page: str, status: str, kind: str, message: str) -> None:
    error = failure_for_page(NAMES, page, status, "the search page")
    assert type(error) is ApplicationError
    assert error.kind == kind
    assert str(PayoutSystemError(error)) == message


def test_the_page_names_come_from_the_resource() -> None:
    other = PageNames(login="inloggning", maintenance="underhall", error="fel")
    assert failure_for_page(other, "inloggning", "", "x").kind == "session_expired"
    assert failure_for_page(other, "login", "", "x").kind == "unexpected_page"


def test_refused_credentials_stop_instead_of_being_retried() -> None:
    failure = PayoutSystemError(LoginRefusedError("the payout system refused the username or password"))
    assert str(failure) == "LOGIN_REFUSED: the payout system refused the username or password"
    assert not isinstance(failure.error, ApplicationError), "retrying a wrong password could lock the account"


def test_the_browser_settings_come_from_the_robots_settings() -> None:
    settings = Settings.from_env(
        {
            "PAYOUT_SYSTEM_URL": "http://payout.example:8080/",
            "PAYOUT_SYSTEM_HEADLESS": "false",
            "PAYOUT_SYSTEM_TIMEOUT": "12.5",
            "PAYOUT_FAST_FILL": "false",
            "PAYOUT_TYPED_FIELDS": "amount,payout_date",
        }
    )
    browser = BrowserSettings.from_settings(settings)
    assert browser.url == "http://payout.example:8080"
    assert (browser.headless, browser.page_timeout_seconds, browser.fast_fill) == (False, 12.5, False)
    assert browser.typed_fields == ("amount", "payout_date")


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


def test_a_missing_search_column_is_a_changed_payout_system_naming_the_column() -> None:
    row = {"payment_number": "U-1", "reference": "B-1/1", "personnummer": "19121212-1212", "method": "KONTO"}
    row |= {"amount": None, "payout_date": "2026-12-23", "status": "registrerad"}  # type: ignore[dict-item]
    with pytest.raises(PayoutSystemChanged) as raised:
        to_registered_payment(row)
    assert raised.value.code is StopCode.ELEMENT_MISSING and "amount" in raised.value.detail
    assert "1212" not in str(raised.value.stop.as_dict())


def test_a_changed_payout_system_fails_as_such_never_as_a_retry() -> None:
    change = PayoutSystemChanged(StopCode.ELEMENT_MISSING, "fältet amount", "the payment form lacks amount")
    failure = PayoutSystemError(change)
    assert str(failure) == "CHANGED: payout_system_element_missing the payment form lacks amount"
    assert failure.error is change and not isinstance(change, ApplicationError)


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
