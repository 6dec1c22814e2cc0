"""Amounts in Swedish notation, exact in öre (docs/rules.md §1.1; money never as floats)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swedish_rules import InvalidAmount, format_amount, parse_amount_ore


@pytest.mark.parametrize(
    ("text", "ore"),
    [
        ("12 345,50", 1_234_550),
        ("12345,50", 1_234_550),
        ("12345.50", 1_234_550),
        ("12 345", 1_234_500),
        ("12345,5", 1_234_550),
        ("0,5", 50),
        ("0,01", 1),
        ("1 234 567,89", 123_456_789),
        ("12\u00a0345,50", 1_234_550),  # non-breaking space
        ("12\u202f345,50", 1_234_550),  # narrow no-break space (Excel, LibreOffice)
        ("12\u2009345,50", 1_234_550),  # thin space
        ("  12 345,50 kr ", 1_234_550),
        ("12345 SEK", 1_234_500),
        ("12 345:-", 1_234_500),
        ("500,-", 50_000),
        ("0", 0),
    ],
)
def test_swedish_text_formats(text: str, ore: int) -> None:
    assert parse_amount_ore(text) == ore


@pytest.mark.parametrize(
    "text",
    [
        "1.234,50",  # dot as thousands separator: refused, see module docstring
        "1,234.50",
        "1.234",  # three decimals
        "12,345",
        "12 345,505",
        "1.234.567",
        "12 34,50",  # bad grouping
        "1234 567",
        ",50",
        "12,",
        "",
        "   ",
        "tolv kronor",
        "12,50,-",
        "+12",
    ],
)
def test_refused_text(text: str) -> None:
    with pytest.raises(InvalidAmount):
        parse_amount_ore(text)


def test_negative_only_when_allowed() -> None:
    with pytest.raises(InvalidAmount, match="negative"):
        parse_amount_ore("-12,50")
    assert parse_amount_ore("-12,50", allow_negative=True) == -1250
    assert parse_amount_ore("\u221212,50", allow_negative=True) == -1250


def test_numbers_from_cells_are_exact() -> None:
    assert parse_amount_ore(12345) == 1_234_500
    assert parse_amount_ore(Decimal("12345.5")) == 1_234_550
    assert parse_amount_ore(12345.5) == 1_234_550
    assert parse_amount_ore(0.07) == 7  # 0.07 * 100 is 7.000000000000001 in binary floating point
    assert parse_amount_ore(1234.56) == 123_456


@pytest.mark.parametrize("value", [Decimal("1.005"), 0.1 + 0.2, float("nan"), float("inf"), True, -1])
def test_numbers_that_are_not_whole_ore_or_not_amounts_are_refused(value: object) -> None:
    with pytest.raises(InvalidAmount):
        parse_amount_ore(value)  # type: ignore[arg-type]


def test_format_amount() -> None:
    assert format_amount(1_234_550) == "12 345,50"
    assert format_amount(5) == "0,05"
    assert format_amount(-123_456_789) == "-1 234 567,89"


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_format_then_parse_round_trips(ore: int) -> None:
    assert parse_amount_ore(format_amount(ore), allow_negative=True) == ore


@given(st.integers(min_value=0, max_value=10**11))
def test_float_cells_holding_whole_ore_parse_exactly(ore: int) -> None:
    # What a spreadsheet holds for a two-decimal amount typed in kronor.
    assert parse_amount_ore(float(Decimal(ore) / 100)) == ore
