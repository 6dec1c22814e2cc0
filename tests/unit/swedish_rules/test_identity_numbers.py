"""Identity numbers: personnummer and samordningsnummer (docs/rules.md §1.4)."""

import datetime as dt

import personnummer.personnummer as pnr_oracle
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from swedish_rules import (
    InvalidIdentity,
    format_identity,
    is_coordination_number,
    is_valid_identity,
    normalize_identity,
)

TODAY = dt.date(2026, 3, 15)


def make(yymmdd: str, serial: str = "987") -> str:
    """A 10-digit identity number with a correct check digit."""
    return yymmdd + serial + luhn.calc_check_digit(yymmdd + serial)


def test_skatteverket_example_in_every_written_form() -> None:
    for written in ("811218-9876", "8112189876", "19811218-9876", "198112189876", " 811218-9876 "):
        assert normalize_identity(written, TODAY) == "198112189876"


def test_format_identity_puts_the_dash_before_the_last_four() -> None:
    assert format_identity("198112189876") == "19811218-9876"
    with pytest.raises(InvalidIdentity):
        format_identity("8112189876")


def test_wrong_check_digit_is_refused_without_echoing_the_number() -> None:
    with pytest.raises(InvalidIdentity) as err:
        normalize_identity("811218-9875", TODAY)
    assert "check digit" in str(err.value)
    assert "9875" not in str(err.value)
    assert "811218" not in str(err.value)


def test_samordningsnummer_with_day_plus_60_is_valid() -> None:
    number = make("811278")  # born 18 December 1981
    assert normalize_identity(number, TODAY) == "19" + number
    assert is_coordination_number(number, TODAY)
    assert not is_coordination_number("811218-9876", TODAY)


def test_samordningsnummer_whose_real_day_does_not_exist_is_refused() -> None:
    assert not is_valid_identity(make("810291"), TODAY)  # 31 February + 60
    assert not is_valid_identity(make("811292"), TODAY)  # day 32 + 60


def test_plus_sign_moves_a_ten_digit_number_back_a_century() -> None:
    number = make("250101")
    assert normalize_identity(number[:6] + "-" + number[6:], TODAY) == "20" + number
    assert normalize_identity(number[:6] + "+" + number[6:], TODAY) == "19" + number


def test_plus_sign_century_depends_on_today() -> None:
    number = make("260101")
    dash = number[:6] + "-" + number[6:]
    assert normalize_identity(dash, dt.date(2026, 1, 1)) == "20" + number
    # On 31 December 2025 nobody is born in 2026 yet: the same text is someone born in 1926.
    assert normalize_identity(dash, dt.date(2025, 12, 31)) == "19" + number


def test_future_birth_date_is_refused() -> None:
    assert not is_valid_identity("20" + make("270101"), TODAY)


def test_29_february_1900_is_refused_and_2004_accepted() -> None:
    number = make("000229")
    with pytest.raises(InvalidIdentity, match="calendar date"):
        normalize_identity("19" + number, TODAY)
    assert is_valid_identity("20" + make("040229"), TODAY)
    assert not is_valid_identity("20" + make("050229"), TODAY)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "81121898",
        "81121-89876",
        "811218--9876",
        "811218 9876",
        "81121A-9876",
        "1981121898761",
        "19811218+98",
    ],
)
def test_malformed_text_is_refused(text: str) -> None:
    assert not is_valid_identity(text, TODAY)


def test_birth_number_000_is_refused() -> None:
    assert not is_valid_identity(make("811218", "000"), TODAY)


def test_month_13_and_day_00_are_refused() -> None:
    assert not is_valid_identity(make("811318"), TODAY)
    assert not is_valid_identity(make("811200"), TODAY)


@given(
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
    serial=st.integers(min_value=1, max_value=999),
    coordination=st.booleans(),
    check_offset=st.integers(min_value=0, max_value=9),
)
def test_agrees_with_the_personnummer_library(
    birth: dt.date, serial: int, coordination: bool, check_offset: int
) -> None:
    day = birth.day + (60 if coordination else 0)
    body = f"{birth:%Y%m}{day:02d}{serial:03d}"
    check = (int(luhn.calc_check_digit(body[2:])) + check_offset) % 10
    twelve = f"{body}{check}"
    assert is_valid_identity(twelve, TODAY) == pnr_oracle.valid(twelve)
    assert is_valid_identity(twelve, TODAY) == (check_offset == 0)
