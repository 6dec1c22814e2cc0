"""Amounts in kronor, as Swedish exports write them, converted exactly to öre.

What is accepted and what is refused (rather than guessed): docs/swedish-rules.md,
"Amounts". No arithmetic is ever done in binary floating point.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

__all__ = ["InvalidAmount", "format_amount", "parse_amount_ore"]

_GROUP_SPACES = "\u0020\u00a0\u202f\u2009"
_PATTERN = re.compile(
    r"""
    (?P<sign>[-\u2212])?\s*
    (?P<int>\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+|\d+)
    (?:(?P<sep>[.,])(?P<dec>\d{1,2}))?
    (?P<whole>[,:]-)?
    \s*(?:kr\.?|sek)?
    """,
    re.VERBOSE | re.IGNORECASE,
)


class InvalidAmount(ValueError):  # noqa: N818 - name agreed in CONTRACT.md
    """A value that is not an amount in kronor with at most two decimals."""


def _from_decimal(amount: Decimal, allow_negative: bool) -> int:
    if not amount.is_finite():
        raise InvalidAmount("expected a finite amount in kronor")
    ore = amount * 100
    if ore != ore.to_integral_value():
        raise InvalidAmount("expected at most 2 decimals (whole öre)")
    result = int(ore)
    if result < 0 and not allow_negative:
        raise InvalidAmount("expected an amount of 0 or more, found a negative amount")
    return result


def parse_amount_ore(value: str | int | Decimal | float, *, allow_negative: bool = False) -> int:
    """Parse an amount in kronor (text in Swedish notation or a number) into integer öre.

    Raises ``InvalidAmount`` saying what was expected.
    """
    if isinstance(value, bool):
        raise InvalidAmount("expected an amount in kronor, found a yes/no value")
    if isinstance(value, int):
        return _from_decimal(Decimal(value), allow_negative)
    if isinstance(value, Decimal):
        return _from_decimal(value, allow_negative)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidAmount("expected a finite amount in kronor")
        return _from_decimal(Decimal(repr(value)), allow_negative)
    if not isinstance(value, str):
        raise InvalidAmount(f"expected an amount in kronor, found a value of type {type(value).__name__}")
    text = value.strip()
    if not text:
        raise InvalidAmount("expected an amount in kronor, found empty text")
    match = _PATTERN.fullmatch(text)
    if match is None:
        raise InvalidAmount(
            "expected kronor like '12 345,50' or '12345.50' (at most 2 decimals, "
            "no '.' or ',' as thousands separator)"
        )
    if match["dec"] is not None and match["whole"] is not None:
        raise InvalidAmount("expected either decimals or ',-' for whole kronor, not both")
    integer = match["int"]
    for space in _GROUP_SPACES:
        integer = integer.replace(space, "")
    decimals = (match["dec"] or "").ljust(2, "0")
    try:
        ore = int(integer) * 100 + int(decimals)
    except (ValueError, InvalidOperation):  # pragma: no cover - the pattern only lets digits through
        raise InvalidAmount("expected digits") from None
    if match["sign"]:
        ore = -ore
    if ore < 0 and not allow_negative:
        raise InvalidAmount("expected an amount of 0 or more, found a negative amount")
    return ore


def format_amount(ore: int) -> str:
    """Format öre as Swedish kronor with two decimals: ``1234550`` -> ``'12 345,50'``."""
    if isinstance(ore, bool) or not isinstance(ore, int):
        raise TypeError(f"expected integer öre, found {type(ore).__name__}")
    sign = "-" if ore < 0 else ""
    kronor, rest = divmod(abs(ore), 100)
    grouped = f"{kronor:,}".replace(",", " ")
    return f"{sign}{grouped},{rest:02d}"
