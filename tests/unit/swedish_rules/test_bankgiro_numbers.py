"""Bankgiro numbers (docs/rules.md §1.4)."""

import pytest
from stdnum import luhn

from swedish_rules import InvalidBankgiro, format_bankgiro, normalize_bankgiro


def test_seven_digit_bankgiro() -> None:
    number = "540296" + luhn.calc_check_digit("540296")
    assert normalize_bankgiro(number[:3] + "-" + number[3:]) == number
    assert format_bankgiro(number) == number[:3] + "-" + number[3:]


def test_eight_digit_bankgiro() -> None:
    number = "5050105" + luhn.calc_check_digit("5050105")
    assert normalize_bankgiro(f" {number[:4]} - {number[4:]} ") == number
    assert format_bankgiro(number) == number[:4] + "-" + number[4:]


def test_wrong_check_digit_is_refused() -> None:
    number = "5050105" + str((int(luhn.calc_check_digit("5050105")) + 1) % 10)
    with pytest.raises(InvalidBankgiro, match="check digit"):
        normalize_bankgiro(number)


@pytest.mark.parametrize("text", ["", "123456", "123456789", "BG 123-4567", "12a-4567"])
def test_wrong_length_or_characters_are_refused(text: str) -> None:
    with pytest.raises(InvalidBankgiro):
        normalize_bankgiro(text)
