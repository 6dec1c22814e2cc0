"""Swedish identity numbers: personnummer and samordningsnummer.

The rules, and why the parsing is our own with ``stdnum.luhn`` for the check digit:
docs/swedish-rules.md, "Identity numbers". Error messages never hold the digits.
"""

from __future__ import annotations

import datetime as dt
import re

from stdnum import luhn

__all__ = [
    "InvalidIdentity",
    "format_identity",
    "is_coordination_number",
    "is_valid_identity",
    "normalize_identity",
]

_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2212": "-"})
_PATTERN = re.compile(r"(?P<date>\d{6}|\d{8})(?P<sep>[-+]?)(?P<tail>\d{4})")
_COORDINATION_DAY_OFFSET = 60


class InvalidIdentity(ValueError):  # noqa: N818 - name agreed in CONTRACT.md
    """An identity number that is not a valid personnummer or samordningsnummer."""


def normalize_identity(value: str, today: dt.date | None = None) -> str:
    """Validate a personnummer or samordningsnummer and return it as 12 digits ``YYYYMMDDNNNC``.

    ``today`` decides the century of a 10-digit number (default: the current date).
    Raises ``InvalidIdentity`` naming what was expected and what was found.
    """
    today = today or dt.date.today()
    text = str(value).strip().translate(_DASHES)
    match = _PATTERN.fullmatch(text)
    if match is None:
        digits = sum(ch.isdigit() for ch in text)
        raise InvalidIdentity(
            "expected 10 or 12 digits with an optional '-' or '+' before the last four, "
            f"found {len(text)} characters of which {digits} digits"
        )
    date_part, sep, tail = match["date"], match["sep"], match["tail"]
    if len(date_part) == 8:
        year = int(date_part[:4])
        month_day = date_part[4:]
    else:
        base = today.year - 100 if sep == "+" else today.year
        year = base - ((base - int(date_part[:2])) % 100)
        month_day = date_part[2:]
    month, day = int(month_day[:2]), int(month_day[2:])
    coordination = day > _COORDINATION_DAY_OFFSET
    if coordination:
        day -= _COORDINATION_DAY_OFFSET
    try:
        birth = dt.date(year, month, day)
    except ValueError:
        raise InvalidIdentity("the date part is not a valid calendar date") from None
    if birth > today:
        raise InvalidIdentity("the date part lies in the future")
    if tail[:3] == "000":
        raise InvalidIdentity("the birth number (digits 7-9 of 10) must not be 000")
    twelve = f"{year:04d}{month_day}{tail}"
    if not luhn.is_valid(twelve[2:]):
        raise InvalidIdentity("the check digit does not match (Luhn over the last ten digits)")
    return twelve


def is_valid_identity(value: str, today: dt.date | None = None) -> bool:
    """True when ``value`` is a valid personnummer or samordningsnummer."""
    try:
        normalize_identity(value, today)
    except InvalidIdentity:
        return False
    return True


def is_coordination_number(value: str, today: dt.date | None = None) -> bool:
    """True when ``value`` is a valid samordningsnummer (day of birth + 60)."""
    try:
        twelve = normalize_identity(value, today)
    except InvalidIdentity:
        return False
    return int(twelve[6:8]) > _COORDINATION_DAY_OFFSET


def format_identity(twelve_digits: str) -> str:
    """Format a normalised 12-digit identity number as ``YYYYMMDD-NNNC``."""
    if not (len(twelve_digits) == 12 and twelve_digits.isascii() and twelve_digits.isdigit()):
        raise InvalidIdentity(
            f"expected a normalised identity number of 12 digits, found {len(twelve_digits)} characters"
        )
    return f"{twelve_digits[:8]}-{twelve_digits[8:]}"
