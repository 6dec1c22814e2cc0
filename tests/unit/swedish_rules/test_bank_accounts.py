"""Bank accounts by Bankgirot's "Bankernas kontonummer" (docs/rules.md §1.4)."""

import itertools

import bankkonto
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from swedish_rules import InvalidAccount, is_valid_account, normalize_account
from swedish_rules.bank_account import bank_name


def mod11_check(prefix: str) -> str | None:
    """The digit that makes ``prefix + digit`` pass mod 11 (weights 1..10 from the right), if any."""
    for digit in "0123456789":
        candidate = prefix + digit
        if sum(int(d) * (i % 10 + 1) for i, d in enumerate(reversed(candidate))) % 11 == 0:
            return digit
    return None


# Hand-checked: 0+0+0 + 1*7 + 2*6 + 3*5 + 4*4 + 5*3 + 6*2 = 77, divisible by 11, so C = 0.
def test_type1_variant1_seb() -> None:
    assert normalize_account("5000", "123 456-0") == ("5000", "1234560")
    assert not is_valid_account("5000", "1234561")


def test_type1_variant1_uses_only_the_last_three_clearing_digits() -> None:
    account = "123456" + mod11_check("000123456")  # clearing 5000 -> "000"
    assert is_valid_account("5000", account)
    assert is_valid_account("7000", account)  # Swedbank 7xxx, same last three digits
    # Clearing 5100 adds 1 x weight 10 to the sum: the same account cannot pass.
    assert not is_valid_account("5100", account)


def test_type1_variant2_svea_uses_all_four_clearing_digits() -> None:
    check = mod11_check("9660" + "765432")
    assert check is not None
    assert is_valid_account("9660", "765432" + check)
    assert not is_valid_account("9660", "765432" + str((int(check) + 1) % 10))


def test_type1_account_must_have_seven_digits() -> None:
    with pytest.raises(InvalidAccount, match="7 digits"):
        normalize_account("5000", "01234560")


def test_type2_handelsbanken_mod11_nine_digits() -> None:
    check = mod11_check("12345678")
    assert check is not None
    assert normalize_account("6789", "12345678" + check) == ("6789", "12345678" + check)
    assert not is_valid_account("6789", "12345678" + str((int(check) + 1) % 10))
    assert not is_valid_account("6789", "012345678" + check)


def test_type2_variant1_mod10_ten_digits() -> None:
    account = "123456789" + luhn.calc_check_digit("123456789")
    for clearing in ("9180", "9300", "9570", "9890"):
        assert is_valid_account(clearing, account)
        assert not is_valid_account(clearing, account[:-1] + str((int(account[-1]) + 1) % 10))
        assert not is_valid_account(clearing, account[1:])


def test_swedbank_8xxxx_with_valid_clearing_check_digit() -> None:
    account = "12345678" + luhn.calc_check_digit("12345678")
    # 9-digit account: padded to the canonical 10 digits.
    assert normalize_account("8327-9", account) == ("83279", "0" + account)
    assert normalize_account("8105 9", "0" + account) == ("81059", "0" + account)


def test_swedbank_8xxxx_with_wrong_clearing_check_digit_is_refused() -> None:
    account = "12345678" + luhn.calc_check_digit("12345678")
    with pytest.raises(InvalidAccount, match="fifth digit"):
        normalize_account("8327-1", account)
    # bankkonto accepts it: the gap this module covers.
    assert bankkonto.validate("83271", "0" + account)


def test_swedbank_8xxx_without_the_fifth_digit_is_refused() -> None:
    with pytest.raises(InvalidAccount, match="5 digits"):
        normalize_account("8327", "1234567897")


def test_swedbank_8xxxx_wrong_account_check_digit_is_refused() -> None:
    account = "1234567890"
    assert not luhn.is_valid(account)
    assert not is_valid_account("83279", account)


def test_nordea_personkonto_is_the_holders_personnummer() -> None:
    for clearing in ("3300", "3782"):
        assert normalize_account(clearing, "811218-9876") == (clearing, "8112189876")
        assert not is_valid_account(clearing, "8112189875")  # wrong check digit


def test_nordea_personkonto_with_impossible_date_is_refused() -> None:
    body = "811318987"  # month 13
    account = body + luhn.calc_check_digit(body)
    assert luhn.is_valid(account)
    assert not is_valid_account("3300", account)
    assert bankkonto.validate("3300", account)  # the library only checks mod 10


def test_nordea_personkonto_accepts_samordningsnummer_and_a_century_old_holder() -> None:
    body = "811278987"
    assert is_valid_account("3300", body + luhn.calc_check_digit(body))
    body = "000229123"  # 29 February 2000 (leap year)
    assert is_valid_account("3300", body + luhn.calc_check_digit(body))


def test_plusgirot_account_is_padded_to_ten_digits() -> None:
    number = "123456" + luhn.calc_check_digit("123456")
    assert normalize_account("9960", number[:-1] + "-" + number[-1]) == ("9960", "000" + number)


def test_current_ranges_unknown_to_bankkonto_are_accepted() -> None:
    for clearing in ("9580", "9070", "9710", "9750"):
        prefix = (clearing[1:] if clearing in ("9580", "9070") else clearing) + "345678"
        check = mod11_check(prefix)
        assert check is not None, clearing
        assert is_valid_account(clearing, "345678" + check), clearing
        assert bank_name(clearing)


@pytest.mark.parametrize("clearing", ["1000", "0999", "2200", "9999", "123", "12345", "abcd", ""])
def test_unassigned_or_malformed_clearing_is_refused(clearing: str) -> None:
    assert not is_valid_account(clearing, "1234560")


def test_error_messages_never_contain_the_account_number() -> None:
    with pytest.raises(InvalidAccount) as err:
        normalize_account("5000", "1234561")
    assert "1234561" not in str(err.value)


def test_all_zero_account_is_refused() -> None:
    assert not is_valid_account("9300", "0000000000")


_SHARED_RANGES = [
    (1100, 1199, 7), (1200, 1399, 7), (1400, 2099, 7), (2300, 2399, 7), (3000, 3299, 7), (3400, 3409, 7),
    (4000, 4999, 7), (5000, 5999, 7), (6000, 6999, 9), (7000, 7999, 7), (9020, 9029, 7), (9150, 9169, 7),
    (9180, 9189, 10), (9190, 9199, 7), (9270, 9279, 7), (9300, 9349, 10), (9550, 9569, 7), (9570, 9579, 10),
    (9660, 9669, 7), (9780, 9789, 7), (9880, 9889, 7), (9890, 9899, 10),
]  # fmt: skip


@st.composite
def shared_accounts(draw: st.DrawFn) -> tuple[str, str]:
    first, last, length = draw(st.sampled_from(_SHARED_RANGES))
    clearing = str(draw(st.integers(first, last)))
    account = draw(st.text("0123456789", min_size=length, max_size=length))
    return clearing, account


@given(shared_accounts())
def test_agrees_with_bankkonto_where_its_tables_are_current(pair: tuple[str, str]) -> None:
    clearing, account = pair
    try:
        expected = bankkonto.validate(clearing, account)
    except bankkonto.BankkontoValidationError:
        expected = False
    if account.strip("0") == "":
        expected = False
    assert is_valid_account(clearing, account) == expected


def test_the_clearing_table_is_ordered_without_overlaps_and_every_line_is_read() -> None:
    # A hand edit of the table (a new range from Bankgirot) must not shadow another bank's range.
    from swedish_rules.bank_account import _RANGES, CLEARING_TABLE

    lines = [
        line
        for line in CLEARING_TABLE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(_RANGES) == len(lines) > 50
    for earlier, later in itertools.pairwise(_RANGES):
        assert earlier.first <= earlier.last < later.first, (earlier, later)
    assert bank_name("9580") == "Aion Bank"
    assert bank_name("3300") == "Nordea (personkonto)"
