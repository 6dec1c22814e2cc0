"""Test data and helpers for the payout-system tests: valid identity, account and bankgiro
numbers computed from their check-digit rules, a controllable clock, and form/login helpers."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

# Monday 2 March 2026, 10:00 UTC: a bank day. Tests that need "today" use this clock.
START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC).timestamp()
TODAY = dt.date(2026, 3, 2)
PASSWORDS = {
    "robot": "robot-demo-password",
    "attestant": "attestant-demo-password",
    "viewer": "viewer-demo-password",
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def luhn_check_digit(digits: str) -> str:
    """The Luhn check digit to append to ``digits`` (weights 2,1,2,... from the right)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def personnummer(date_part: str = "19811218", serial: str = "987") -> str:
    """A valid identity number 'YYYYMMDD-NNNC' (day + 60 gives a samordningsnummer)."""
    return f"{date_part}-{serial}{luhn_check_digit(date_part[2:] + serial)}"


def handelsbanken_account(base: str = "12345678") -> str:
    """A valid 9-digit Handelsbanken account (type 2, mod 11 over the account)."""
    for start in range(int(base), int(base) + 20):
        digits = f"{start:08d}"
        weighted = sum(int(d) * w for d, w in zip(reversed(digits), range(2, 10), strict=True))
        check = (11 - weighted % 11) % 11
        if check < 10:
            return digits + str(check)
    raise AssertionError("no valid account near the base")


def type1_account(clearing: str, variant: int, base: int = 1234560) -> str:
    """A valid 7-digit type 1 account: mod 11 (weights 1..10 from the right) over the last three
    clearing digits (variant 1) or all four (variant 2) followed by the account."""
    prefix = clearing[1:] if variant == 1 else clearing
    for number in range(base, base + 20):
        digits = f"{number:07d}"
        weighted = sum(int(d) * (i % 10 + 1) for i, d in enumerate(reversed(prefix + digits)))
        if weighted % 11 == 0:
            return digits
    raise AssertionError("no valid account near the base")


def luhn_account(base: str) -> str:
    """``base`` with its Luhn check digit appended (type 2 mod 10 accounts, Swedbank 8xxxx clearings)."""
    return base + luhn_check_digit(base)


def bankgiro(base: str = "5050105") -> str:
    """A valid bankgiro number 'NNNN-NNNN'."""
    digits = base + luhn_check_digit(base)
    return f"{digits[:-4]}-{digits[-4:]}"


PNR = personnummer()  # 19811218-9876
PNR_SAMORDNING = personnummer("19811278")  # day 18 + 60
CLEARING = "6789"
ACCOUNT = handelsbanken_account()
BANKGIRO = bankgiro()  # 5050-1055


class FakeClock:
    """Wall-clock seconds that only move when a test says so."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def valid_form_data(**overrides: str) -> dict[str, str]:
    """A KONTO payment that passes every rule, with fields overridden."""
    data = {
        "personnummer": PNR,
        "name": "Anna Andersson",
        "method": "KONTO",
        "clearing": CLEARING,
        "account": ACCOUNT,
        "bankgiro": "",
        "ocr": "",
        "amount": "12 345,50",
        "payout_date": "2026-03-25",
        "reference": "B-1001/1",
        "message": "Ekonomiskt bistånd mars",
    }
    data.update(overrides)
    return data


def csrf_from(response: TestResponse) -> str:
    match = CSRF.search(response.get_data(as_text=True))
    assert match, f"no csrf_token on the page (status {response.status_code})"
    return match.group(1)


def login(client: FlaskClient, username: str = "robot") -> TestResponse:
    """Log in through the form, as a browser would."""
    token = csrf_from(client.get("/login"))
    response = client.post(
        "/login", data={"username": username, "password": PASSWORDS[username], "csrf_token": token}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


def register(client: FlaskClient, **overrides: str) -> TestResponse:
    """Post the payment form (fetching a fresh CSRF token first)."""
    token = csrf_from(client.get("/payments/new"))
    return client.post("/payments/new", data={**valid_form_data(**overrides), "csrf_token": token})


def api_payments(client: FlaskClient, **params: str) -> list[dict[str, Any]]:
    response = client.get(
        "/api/payments", query_string=params, headers={"Authorization": "Bearer dev-api-token"}
    )
    assert response.status_code == 200
    result: list[dict[str, Any]] = response.get_json()
    return result


def page_name(response: TestResponse) -> str:
    match = re.search(r'<main id="main" data-page="([a-z-]+)"', response.get_data(as_text=True))
    assert match, "no data-page on the response"
    return match.group(1)
