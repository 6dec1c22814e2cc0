"""Registering a payment: every validation rule, the confirmation page, numbering, duplicates."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import threading
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from payout_testdata import (
    ACCOUNT,
    BANKGIRO,
    CLEARING,
    PNR,
    PNR_SAMORDNING,
    api_payments,
    bankgiro,
    csrf_from,
    handelsbanken_account,
    login,
    luhn_account,
    page_name,
    personnummer,
    register,
    type1_account,
)

from payout_system.db import connect, init_schema
from payout_system.settings import Settings
from payout_system.store import NewPayment, insert_payment


@pytest.fixture
def robot(logged_in: Callable[..., FlaskClient]) -> FlaskClient:
    return logged_in("robot")


def field_error(html: str, field: str) -> str | None:
    match = re.search(rf'id="error-{field}"[^>]*>([^<]*)<', html)
    return match.group(1) if match else None


def assert_refused(robot: FlaskClient, field: str, **overrides: str) -> str:
    response = register(robot, **overrides)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page_name(response) == "new-payment"
    assert 'id="form-errors"' in html
    message = field_error(html, field)
    assert message, f"no #error-{field} on the page"
    assert api_payments(robot) == []
    return message


def assert_accepted(robot: FlaskClient, **overrides: str) -> dict[str, object]:
    response = register(robot, **overrides)
    assert response.status_code == 303, re.findall(r'id="error-[^<]*', response.get_data(as_text=True))
    payments = api_payments(robot)
    assert len(payments) == 1
    return payments[0]


def test_new_payment_form_has_the_contracted_fields(robot: FlaskClient) -> None:
    page = robot.get("/payments/new")
    html = page.get_data(as_text=True)
    assert page_name(page) == "new-payment"
    for name in (
        "personnummer",
        "name",
        "clearing",
        "account",
        "bankgiro",
        "ocr",
        "amount",
        "payout_date",
        "reference",
        "message",
    ):
        assert f'id="{name}" name="{name}"' in html
    assert '<select id="method" name="method">' in html
    for method in ("KONTO", "AVI", "BANKGIRO"):
        assert f'<option value="{method}"' in html
    assert 'id="submit-payment"' in html and 'id="payment-form"' in html


def test_valid_payment_is_stored_and_confirmed(robot: FlaskClient) -> None:
    response = register(robot, amount="12 345,50", ocr="")
    assert response.status_code == 303
    assert response.headers["Location"] == "/payments/U-100001/kvitto"
    receipt = robot.get(response.headers["Location"])
    html = receipt.get_data(as_text=True)
    assert page_name(receipt) == "confirmation"
    assert "Utbetalningen är registrerad" in html
    assert '<dd id="payment-number">U-100001</dd>' in html
    assert '<dd id="detail-personnummer">19811218-9876</dd>' in html
    assert '<dd id="detail-amount">12 345,50</dd>' in html
    assert '<dd id="detail-status">registrerad</dd>' in html
    assert 'id="new-payment-link"' in html
    (stored,) = api_payments(robot)
    assert stored["personnummer"] == "198112189876"
    assert stored["amount_ore"] == 1234550
    assert (stored["clearing"], stored["account"]) == (CLEARING, ACCOUNT)
    assert stored["payout_date"] == "2026-03-25"
    assert stored["created_by"] == "robot"
    assert stored["status"] == "registrerad"


def test_payment_numbers_are_sequential(robot: FlaskClient) -> None:
    locations = [register(robot, reference=f"B-{n}/1").headers["Location"] for n in range(3)]
    assert locations == [f"/payments/U-10000{n}/kvitto" for n in (1, 2, 3)]


def test_duplicate_reference_is_accepted_like_the_legacy_system(robot: FlaskClient) -> None:
    assert register(robot, reference="B-7/1").status_code == 303
    assert register(robot, reference="B-7/1").status_code == 303
    numbers = [p["payment_number"] for p in api_payments(robot, reference="B-7/1")]
    assert numbers == ["U-100001", "U-100002"]


def test_refused_form_keeps_the_values_entered(robot: FlaskClient) -> None:
    response = register(robot, amount="abc", name="Bertil Berg")
    html = response.get_data(as_text=True)
    assert 'id="name" name="name" type="text" value="Bertil Berg"' in html
    assert 'id="amount" name="amount" type="text" value="abc"' in html
    assert '<option value="KONTO" selected>' in html
    assert csrf_from(response)


# Identity numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "twelve_digits"),
    [
        (PNR, "198112189876"),
        (PNR.replace("-", ""), "198112189876"),
        (PNR[2:], "198112189876"),
        (PNR[2:].replace("-", ""), "198112189876"),
        (PNR_SAMORDNING, "198112789873"),  # samordningsnummer: day + 60
    ],
)
def test_identity_numbers_in_every_accepted_form(robot: FlaskClient, value: str, twelve_digits: str) -> None:
    assert assert_accepted(robot, personnummer=value)["personnummer"] == twelve_digits


@pytest.mark.parametrize(
    "value",
    [
        "19811218-9875",  # wrong check digit
        PNR_SAMORDNING[:-1] + str((int(PNR_SAMORDNING[-1]) + 1) % 10),  # samordningsnummer, wrong check
        "19811318-9878",  # month 13
        personnummer("19810231"),  # 31 February, check digit right
        "1981121898",  # too short
        "abcdefgh-ijkl",
        "",
    ],
)
def test_invalid_identity_numbers_are_refused(robot: FlaskClient, value: str) -> None:
    assert assert_refused(robot, "personnummer", personnummer=value)


# Methods and accounts --------------------------------------------------------------------------


def test_konto_needs_clearing(robot: FlaskClient) -> None:
    assert_refused(robot, "clearing", clearing="")


def test_konto_needs_account(robot: FlaskClient) -> None:
    assert_refused(robot, "account", account="")


@pytest.mark.parametrize(
    ("clearing", "account"),
    [
        (CLEARING, ACCOUNT[:-1] + str((int(ACCOUNT[-1]) + 1) % 10)),  # check digit off by one
        ("0999", ACCOUNT),  # no bank has clearing 0999
        (CLEARING, "1234"),  # too short for Handelsbanken
    ],
)
def test_konto_needs_a_valid_account(robot: FlaskClient, clearing: str, account: str) -> None:
    assert "clearing" in assert_refused(robot, "account", clearing=clearing, account=account).lower()


SWEDBANK_CLEARING = luhn_account("8327")  # 8327-9: the fifth digit is a Luhn check digit


@pytest.mark.parametrize(
    ("clearing", "account", "stored"),
    [
        ("5000", type1_account("5000", 1), None),  # SEB: type 1, variant 1
        ("4000", type1_account("4000", 2), None),  # Nordea: type 1, variant 2
        ("9180", luhn_account("123456789"), None),  # Danske Bank: type 2, mod 10
        (CLEARING, ACCOUNT, None),  # Handelsbanken: type 2, mod 11
        (SWEDBANK_CLEARING, luhn_account("123456789"), None),  # Swedbank 8xxx-x
        (f"{SWEDBANK_CLEARING[:4]}-{SWEDBANK_CLEARING[4]}", luhn_account("123456"), "0001234566"),
        ("3300", PNR[2:].replace("-", ""), None),  # Nordea personkonto: the holder's personnummer
    ],
    ids=["type1-v1", "type1-v2", "type2-mod10", "handelsbanken", "swedbank", "swedbank-short", "personkonto"],
)
def test_konto_accepts_every_kind_of_bank_account(
    robot: FlaskClient, clearing: str, account: str, stored: str | None
) -> None:
    payment = assert_accepted(robot, clearing=clearing, account=account)
    assert payment["clearing"] == clearing.replace("-", "")
    assert payment["account"] == (stored or account)


@pytest.mark.parametrize(
    ("clearing", "account"),
    [
        ("5000", type1_account("5000", 1)[:-1] + str((int(type1_account("5000", 1)[-1]) + 1) % 10)),
        ("5000", type1_account("5000", 1) + "0"),  # type 1 has 7 digits
        ("4000", type1_account("5000", 1)),  # variant 1 digits do not satisfy variant 2
        ("9180", luhn_account("123456789")[:-1] + "0"),  # mod 10 check digit wrong
        (SWEDBANK_CLEARING[:4], luhn_account("123456789")),  # Swedbank clearing without its fifth digit
        (SWEDBANK_CLEARING[:4] + "0", luhn_account("123456789")),  # fifth digit wrong
        ("3300", luhn_account("811318987")),  # personkonto: mod 10 right, but month 13
        ("12a4", ACCOUNT),  # not digits
        ("9999", ACCOUNT),  # clearing not assigned to a bank
    ],
    ids=[
        "type1-check",
        "type1-length",
        "type1-variant",
        "type2-mod10-check",
        "swedbank-4-digits",
        "swedbank-fifth-digit",
        "personkonto-not-a-personnummer",
        "letters",
        "unassigned-clearing",
    ],
)
def test_konto_refuses_accounts_breaking_the_banks_rules(
    robot: FlaskClient, clearing: str, account: str
) -> None:
    assert assert_refused(robot, "account", clearing=clearing, account=account)


def test_konto_accepts_separators_in_the_account(robot: FlaskClient) -> None:
    other = handelsbanken_account("87654321")
    stored = assert_accepted(robot, clearing="6789", account=f"{other[:3]} {other[3:6]}-{other[6:]}")
    assert stored["account"] == other


def test_avi_needs_no_account_and_stores_none(robot: FlaskClient) -> None:
    stored = assert_accepted(robot, method="AVI", clearing="", account="")
    assert stored["method"] == "AVI"
    assert stored["clearing"] is None and stored["account"] is None and stored["bankgiro"] is None


def test_bankgiro_payment_with_ocr(robot: FlaskClient) -> None:
    stored = assert_accepted(
        robot, method="BANKGIRO", clearing="", account="", bankgiro=BANKGIRO, ocr="1234567897"
    )
    assert stored["method"] == "BANKGIRO"
    assert stored["bankgiro"] == "50501055"
    assert stored["ocr"] == "1234567897"
    assert stored["clearing"] is None


@pytest.mark.parametrize(
    ("value", "digits"),
    [
        (BANKGIRO, "50501055"),
        ("5050 1055", "50501055"),
        ("50501055", "50501055"),
        (bankgiro("505010"), "5050109"),
    ],
)
def test_bankgiro_numbers_of_seven_or_eight_digits(robot: FlaskClient, value: str, digits: str) -> None:
    assert (
        assert_accepted(robot, method="BANKGIRO", clearing="", account="", bankgiro=value)["bankgiro"]
        == digits
    )


@pytest.mark.parametrize("value", ["5050-1056", "505-0108", "123", "5050-105X", ""])
def test_bankgiro_payment_needs_a_valid_bankgiro(robot: FlaskClient, value: str) -> None:
    assert_refused(robot, "bankgiro", method="BANKGIRO", bankgiro=value)


def test_fields_of_other_methods_are_neither_checked_nor_stored(robot: FlaskClient) -> None:
    stored = assert_accepted(robot, method="BANKGIRO", clearing="0000", account="x", bankgiro=BANKGIRO)
    assert (stored["clearing"], stored["account"]) == (None, None)


def test_konto_ignores_the_bankgiro_field(robot: FlaskClient) -> None:
    assert assert_accepted(robot, method="KONTO", bankgiro="not-checked")["bankgiro"] is None


def test_method_is_read_case_insensitively(robot: FlaskClient) -> None:
    assert assert_accepted(robot, method="avi", clearing="", account="")["method"] == "AVI"


@pytest.mark.parametrize("value", ["12AB", "123-456", "1" * 26])
def test_ocr_must_be_at_most_25_digits(robot: FlaskClient, value: str) -> None:
    assert_refused(robot, "ocr", method="BANKGIRO", bankgiro=BANKGIRO, ocr=value)


@pytest.mark.parametrize(("value", "stored"), [("1" * 25, "1" * 25), ("1234 5678 97", "1234567897")])
def test_ocr_digits_are_stored_without_spaces(robot: FlaskClient, value: str, stored: str) -> None:
    assert assert_accepted(robot, method="BANKGIRO", bankgiro=BANKGIRO, ocr=value)["ocr"] == stored


@pytest.mark.parametrize("value", ["", "SWISH", "konto2"])
def test_unknown_method_is_refused(robot: FlaskClient, value: str) -> None:
    assert_refused(robot, "method", method=value)


# Amounts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ore"),
    [("12 345,50", 1234550), ("12345.50", 1234550), ("12345,5", 1234550), ("0,01", 1), ("7 000", 700000)],
)
def test_amount_formats(robot: FlaskClient, value: str, ore: int) -> None:
    assert assert_accepted(robot, amount=value)["amount_ore"] == ore


@pytest.mark.parametrize(
    "value", ["0", "0,00", "-100", "abc", "12,345", "1.234,50", "1.234,50,1", "100 000 000,01", ""]
)
def test_invalid_or_non_positive_amounts_are_refused(robot: FlaskClient, value: str) -> None:
    assert_refused(robot, "amount", amount=value)


def test_amounts_up_to_100_million_kronor_are_accepted_without_a_ceiling(robot: FlaskClient) -> None:
    assert assert_accepted(robot, amount="100 000 000")["amount_ore"] == 100_000_000_00


# Payout dates (today is Monday 2026-03-02) ---------------------------------------------------------


@pytest.mark.parametrize("value", ["2026-03-02", "2026-03-03", "2026-12-23"])
def test_bank_days_today_or_later_are_accepted(robot: FlaskClient, value: str) -> None:
    assert assert_accepted(robot, payout_date=value)["payout_date"] == value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-03-07", "bankdag"),  # Saturday
        ("2026-03-08", "bankdag"),  # Sunday
        ("2026-04-03", "bankdag"),  # Good Friday
        ("2026-06-19", "bankdag"),  # Midsummer Eve
        ("2026-12-24", "bankdag"),  # Christmas Eve
        ("2026-12-31", "bankdag"),  # New Year's Eve
        ("2026-02-27", "passerat"),  # last Friday
        ("2026-3-5", "ÅÅÅÅ-MM-DD"),
        ("05/03/2026", "ÅÅÅÅ-MM-DD"),
        ("2026-02-30", "ÅÅÅÅ-MM-DD"),
        ("", "ÅÅÅÅ-MM-DD"),
    ],
)
def test_payout_date_must_be_a_bank_day_not_in_the_past(robot: FlaskClient, value: str, reason: str) -> None:
    assert reason in assert_refused(robot, "payout_date", payout_date=value)


# Reference, name, message ----------------------------------------------------------------------


def test_reference_is_required(robot: FlaskClient) -> None:
    assert_refused(robot, "reference", reference="   ")


def test_reference_at_most_40_characters(robot: FlaskClient) -> None:
    assert_refused(robot, "reference", reference="R" * 41)
    assert assert_accepted(robot, reference="R" * 40)["reference"] == "R" * 40


def test_name_is_required(robot: FlaskClient) -> None:
    assert_refused(robot, "name", name="")


def test_name_at_most_100_characters(robot: FlaskClient) -> None:
    assert_refused(robot, "name", name="N" * 101)
    assert assert_accepted(robot, name="N" * 100)["name"] == "N" * 100


def test_message_is_optional_and_at_most_200_characters(robot: FlaskClient) -> None:
    assert_refused(robot, "message", message="M" * 201)
    assert assert_accepted(robot, message="")["message"] == ""


def test_message_of_200_characters_is_accepted(robot: FlaskClient) -> None:
    assert assert_accepted(robot, message="M" * 200)["message"] == "M" * 200


def test_an_oversized_form_is_refused_with_the_error_page(robot: FlaskClient) -> None:
    token = csrf_from(robot.get("/payments/new"))
    response = robot.post("/payments/new", data={"csrf_token": token, "message": "M" * 70_000})
    assert response.status_code == 413
    assert page_name(response) == "error"
    assert 'data-status="413"' in response.get_data(as_text=True)
    assert api_payments(robot) == []


def test_every_refused_field_gets_its_own_message(robot: FlaskClient) -> None:
    response = register(robot, personnummer="x", name="", amount="0", payout_date="2026-03-07", reference="")
    html = response.get_data(as_text=True)
    for field in ("personnummer", "name", "amount", "payout_date", "reference"):
        assert field_error(html, field)
    assert field_error(html, "account") is None


# The per-payment ceiling (--max-payment-kr, off by default) ----------------------------------------


def ceiling_client(make_app: Callable[..., Flask], max_payment_ore: int) -> FlaskClient:
    client = make_app(max_payment_ore=max_payment_ore).test_client()
    login(client)
    return client


@pytest.mark.parametrize(
    ("ceiling_ore", "amount", "shown"),
    [
        (50_000_00, "50 000,01", "50 000"),
        (50_000_00, "1 000 000", "50 000"),
        (12_345_50, "12345.51", "12 345,50"),
    ],
)
def test_amount_above_the_ceiling_is_refused_beside_the_amount(
    make_app: Callable[..., Flask], ceiling_ore: int, amount: str, shown: str
) -> None:
    client = ceiling_client(make_app, ceiling_ore)
    response = register(client, amount=amount)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page_name(response) == "new-payment"
    assert 'id="form-errors"' in html
    # Exactly as other refusals: the one #payment-form [id^='error-'] element is #error-amount.
    form = html[
        html.index('<form id="payment-form"') : html.index("</form>", html.index('id="payment-form"'))
    ]
    assert re.findall(r'id="(error-[^"]+)"', form) == ["error-amount"]
    assert (
        field_error(html, "amount") == f"Beloppet överstiger gränsen för en enskild utbetalning ({shown} kr)."
    )
    assert 'id="amount" name="amount" type="text" value="' + amount + '"' in html
    assert api_payments(client) == []


@pytest.mark.parametrize("amount", ["50 000", "50000.00", "0,01"])
def test_amount_up_to_the_ceiling_is_accepted(make_app: Callable[..., Flask], amount: str) -> None:
    client = ceiling_client(make_app, 50_000_00)
    assert register(client, amount=amount).status_code == 303
    assert len(api_payments(client)) == 1


def test_the_ceiling_only_adds_to_the_other_amount_rules(make_app: Callable[..., Flask]) -> None:
    client = ceiling_client(make_app, 50_000_00)
    assert "större än 0" in (field_error(register(client, amount="0").get_data(as_text=True), "amount") or "")
    assert "Ogiltigt" in (field_error(register(client, amount="abc").get_data(as_text=True), "amount") or "")


# Numbering under concurrency -------------------------------------------------------------------


def test_payment_numbers_stay_unique_under_concurrent_inserts(settings: Settings) -> None:
    init_schema(settings.db_path)
    payment = NewPayment(
        reference="B-1/1",
        personnummer="198112189876",
        name="Anna",
        method="AVI",
        clearing=None,
        account=None,
        bankgiro=None,
        ocr=None,
        amount_ore=100,
        payout_date=dt.date(2026, 3, 3),
        message="",
    )
    numbers: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        conn = connect(settings.db_path)
        try:
            for _ in range(10):
                number = insert_payment(conn, payment, "robot")
                with lock:
                    numbers.append(number)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == [f"U-{n}" for n in range(100001, 100081)]
    with sqlite3.connect(settings.db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM payments").fetchone()[0] == 80
