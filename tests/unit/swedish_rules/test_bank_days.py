"""Swedish bank days (docs/rules.md §2.3)."""

import datetime as dt

import pytest

from swedish_rules import is_bank_day, previous_bank_day

D = dt.date


def test_easter_2026() -> None:
    assert is_bank_day(D(2026, 4, 2))  # Maundy Thursday is a bank day
    assert not is_bank_day(D(2026, 4, 3))  # Good Friday
    assert not is_bank_day(D(2026, 4, 6))  # Easter Monday
    assert previous_bank_day(D(2026, 4, 6)) == D(2026, 4, 2)
    assert is_bank_day(D(2026, 4, 7))


@pytest.mark.parametrize("year", range(2020, 2041))
def test_midsummer_eve_is_the_friday_between_19_and_25_june(year: int) -> None:
    eve = next(D(year, 6, day) for day in range(19, 26) if D(year, 6, day).weekday() == 4)
    assert not is_bank_day(eve)
    assert previous_bank_day(eve) == eve - dt.timedelta(days=1)
    assert previous_bank_day(eve + dt.timedelta(days=2)) == eve - dt.timedelta(days=1)  # Sunday after


@pytest.mark.parametrize("year", range(2020, 2041))
def test_christmas_and_new_years_eve_are_never_bank_days(year: int) -> None:
    assert not is_bank_day(D(year, 12, 24))
    assert not is_bank_day(D(year, 12, 31))
    assert previous_bank_day(D(year, 12, 31)) < D(year, 12, 31)


def test_christmas_2026() -> None:
    # Thu 24 (eve), Fri 25, Sat 26, Sun 27: the previous bank day is Wed 23.
    assert previous_bank_day(D(2026, 12, 27)) == D(2026, 12, 23)
    assert is_bank_day(D(2026, 12, 28))
    # New Year: Thu 31 (eve), Fri 1 January: back to Wed 30.
    assert previous_bank_day(D(2027, 1, 1)) == D(2026, 12, 30)


def test_national_day_on_a_weekday_and_on_a_weekend() -> None:
    assert not is_bank_day(D(2025, 6, 6))  # Friday
    assert previous_bank_day(D(2025, 6, 6)) == D(2025, 6, 5)
    assert not is_bank_day(D(2026, 6, 6))  # Saturday
    assert is_bank_day(D(2026, 6, 5))
    assert is_bank_day(D(2027, 6, 7))  # Sunday the 6th: no substitute Monday in Sweden


def test_other_public_holidays_and_half_days() -> None:
    assert not is_bank_day(D(2026, 1, 6))  # Epiphany
    assert not is_bank_day(D(2026, 5, 1))  # May Day
    assert not is_bank_day(D(2026, 5, 14))  # Ascension Day
    assert is_bank_day(D(2026, 4, 30))  # Walpurgis Night: a half day only, still a bank day
    assert is_bank_day(D(2026, 12, 23))


def test_weekends_and_plain_weekdays() -> None:
    assert is_bank_day(D(2026, 3, 13))  # Friday
    assert previous_bank_day(D(2026, 3, 15)) == D(2026, 3, 13)  # Sunday
    assert previous_bank_day(D(2026, 3, 16)) == D(2026, 3, 16)  # Monday stays
