"""One export cell -> amount, date, yes/no, share or text, for text and real Excel types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from splitpayout.domain.cells import (
    is_blank,
    parse_amount,
    parse_date,
    parse_share_bp,
    parse_text,
    parse_yes_no,
)
from splitpayout.domain.errors import CellError

# --- amounts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ore"),
    [
        ("12 345,50", 1_234_550),
        ("12345,50", 1_234_550),
        ("12345.50", 1_234_550),
        ("12\u00a0345,5", 1_234_550),
        ("  800 kr ", 80_000),
        (12345, 1_234_500),
        (12345.5, 1_234_550),
        (1234.56, 123_456),
        (0.1 + 0.2, 30),  # a formula's float noise is read at Excel's precision
        (Decimal("99.99"), 9_999),
        (0, 0),
    ],
)
def test_amounts_in_swedish_text_and_excel_numbers_become_exact_ore(value: object, ore: int) -> None:
    assert parse_amount(value) == ore


@pytest.mark.parametrize(
    "value",
    [
        "12,345",
        "1 234,567",
        1234.567,
        0.001,
        "abc",
        "",
        None,
        -5,
        "-5,00",
        True,
        dt.date(2026, 1, 1),
        float("nan"),
    ],
)
def test_amounts_with_more_than_two_decimals_or_not_amounts_are_refused(value: object) -> None:
    with pytest.raises(CellError):
        parse_amount(value)


def test_amount_error_message_never_contains_the_value() -> None:
    with pytest.raises(CellError) as error:
        parse_amount("4711,123")
    assert "4711" not in str(error.value)


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        dt.date(2026, 12, 24),
        dt.datetime(2026, 12, 24, 0, 0),
        dt.datetime(2026, 12, 24, 13, 45),
        "2026-12-24",
        " 2026-12-24 ",
        "2026-12-24 00:00:00",
        "20261224",
        20261224,
    ],
)
def test_dates_as_excel_dates_iso_text_and_compact_form(value: object) -> None:
    assert parse_date(value) == dt.date(2026, 12, 24)


@pytest.mark.parametrize(
    "value",
    ["24/12/2026", "12/24/2026", "24.12.2026", "2026-02-30", "20261324", 46380, 46380.0, "", None, True],
)
def test_ambiguous_impossible_or_serial_dates_are_refused(value: object) -> None:
    with pytest.raises(CellError):
        parse_date(value)


# --- yes/no -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [("Ja", True), (" JA ", True), ("ja", True), ("Nej", False), ("NEJ ", False)]
)
def test_ja_and_nej_in_any_letter_case(value: str, expected: bool) -> None:
    assert parse_yes_no(value) is expected


@pytest.mark.parametrize("value", ["Yes", "J", "N", "", None, 1, True, "Ja!"])
def test_anything_but_ja_or_nej_is_refused(value: object) -> None:
    with pytest.raises(CellError):
        parse_yes_no(value)


# --- shares -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "number_format", "bp"),
    [
        (60, None, 6000),
        (60, "General", 6000),
        ("60", None, 6000),
        ("60 %", None, 6000),
        ("60%", None, 6000),
        ("60,5", None, 6050),
        ("60.25", None, 6025),
        (60.25, None, 6025),
        (0.6, "0%", 6000),
        (0.605, "0.0%", 6050),
        (0.6025, "0.00%", 6025),
        (1, None, 100),
        (99, None, 9900),
    ],
)
def test_shares_as_numbers_text_and_percent_cells_in_hundredths_of_a_percent(
    value: object, number_format: str | None, bp: int
) -> None:
    assert parse_share_bp(value, number_format) == bp


@pytest.mark.parametrize(
    ("value", "number_format"),
    [
        (0, None),
        (100, None),
        (0.5, None),  # 0.5 % without a percent format is below 1 %
        ("99,999", None),
        (60.125, None),
        (60, "0%"),  # 6000 %
        ("sextio", None),
        ("60 kr", None),
        (True, None),
    ],
)
def test_shares_outside_1_to_99_or_with_more_than_two_decimals_are_refused(
    value: object, number_format: str | None
) -> None:
    with pytest.raises(CellError):
        parse_share_bp(value, number_format)


# --- text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("  Anna  ", "Anna"),
        (8327, "8327"),
        (198112189876, "198112189876"),
        (198112189876.0, "198112189876"),
        ("0123456", "0123456"),
        ("   ", None),
        (None, None),
    ],
)
def test_text_is_trimmed_and_whole_numbers_never_show_a_decimal_point(
    value: object, text: str | None
) -> None:
    assert parse_text(value) == text


def test_a_date_in_a_text_column_is_refused() -> None:
    with pytest.raises(CellError):
        parse_text(dt.date(2026, 1, 1))


@pytest.mark.parametrize(
    ("value", "blank"), [(None, True), ("", True), ("  \t", True), (0, False), ("x", False)]
)
def test_blank_cells(value: object, blank: bool) -> None:
    assert is_blank(value) is blank
