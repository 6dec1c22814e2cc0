"""Parsing one cell of the export, as openpyxl hands it over, into a domain value.

Exports differ: the same column can hold a real Excel type (number, date) or text
in Swedish notation. Every parser here accepts both and is exact:

* numbers from Excel arrive as ``float``; they are read at Excel's own precision
  (15 significant digits, what the cell shows at full precision) into a ``Decimal``,
  so ``1234.56`` is 123 456 öre and ``0.1 + 0.2`` computed by a formula is ``0.3``.
  More than two decimals is refused, never rounded away.
* blank cells (``None`` or only whitespace) are the caller's business: the parsers
  below refuse them, ``is_blank`` tells them apart.

Dates accepted (decided here, tested in ``tests/unit/splitpayout/test_cells.py``):
real Excel dates, text ``YYYY-MM-DD`` (optionally followed by a time, as some
systems write timestamps), text or whole number ``YYYYMMDD``. Day-first or
month-first forms such as ``24/12/2026`` or ``12/24/2026`` are refused: they are
ambiguous, and the robot never guesses a payout date.

Every error is a ``CellError`` whose message never contains the cell's value.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation

from splitpayout.domain.errors import CellError
from swedish_rules import InvalidAmount, parse_amount_ore

_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SHARE_TEXT = re.compile(r"(\d{1,3})(?:[.,](\d+))?\s*%?")


def is_blank(value: object) -> bool:
    """True for an empty cell: ``None`` or text holding only whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def _kind(value: object) -> str:
    """A short name of what the cell holds, for error messages (never the value itself)."""
    if value is None:
        return "an empty cell"
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, dt.datetime | dt.date):
        return "a date"
    if isinstance(value, dt.time | dt.timedelta):
        return "a time"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "an unsupported value"


def number_to_decimal(value: int | float | Decimal) -> Decimal:
    """An Excel number as an exact ``Decimal`` at Excel's 15-significant-digit precision."""
    if isinstance(value, bool):
        raise CellError("expected a number, found a true/false value")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CellError("expected a number, found a value that is not finite")
        return value
    if not math.isfinite(value):
        raise CellError("expected a number, found a value that is not finite")
    return Decimal(format(value, ".15g"))


def _decimal_to_hundredths(value: Decimal, what: str) -> int:
    scaled = value * 100
    integral = scaled.to_integral_value()
    if scaled != integral:
        raise CellError(f"{what} has more than 2 decimals")
    return int(integral)


def parse_amount(value: object) -> int:
    """An amount in kronor (number or Swedish text) as integer öre, at least 0.

    Text goes through ``swedish_rules.parse_amount_ore`` (``12 345,50``, ``12345.50``,
    ``12 345 kr``); numbers are converted exactly. Refuses negatives and more than
    two decimals.
    """
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise CellError("expected an amount, found an empty cell")
        try:
            ore = parse_amount_ore(text)
        except InvalidAmount as exc:
            raise CellError("expected an amount in kronor with at most 2 decimals, found other text") from exc
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        ore = _decimal_to_hundredths(number_to_decimal(value), "the amount")
    else:
        raise CellError(f"expected an amount, found {_kind(value)}")
    if ore < 0:
        raise CellError("expected an amount of at least 0, found a negative amount")
    return ore


def _make_date(year: str, month: str, day: str) -> dt.date:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError as exc:
        raise CellError("expected a date, found a day that does not exist in the calendar") from exc


def parse_date(value: object) -> dt.date:
    """A date: an Excel date, text ``YYYY-MM-DD`` / ``YYYYMMDD``, or the whole number ``YYYYMMDD``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        match = _ISO_DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
        if match is None:
            raise CellError("expected a date written YYYY-MM-DD or YYYYMMDD, found other text")
        return _make_date(*match.groups())
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = number_to_decimal(value)
        if number == number.to_integral_value() and 10_000_000 <= number <= 99_999_999:
            text = str(int(number))
            return _make_date(text[:4], text[4:6], text[6:])
        raise CellError("expected a date, found a number (format the cell as a date or write YYYY-MM-DD)")
    raise CellError(f"expected a date, found {_kind(value)}")


def parse_yes_no(value: object) -> bool:
    """``Ja`` -> True, ``Nej`` -> False, in any letter case with surrounding spaces; nothing else."""
    if isinstance(value, str):
        word = value.strip().casefold()
        if word == "ja":
            return True
        if word == "nej":
            return False
        raise CellError("expected Ja or Nej, found other text")
    raise CellError(f"expected Ja or Nej, found {_kind(value)}")


def parse_share_bp(value: object, number_format: str | None = None) -> int:
    """A share in percent as hundredths of a percent (60 % -> 6000), between 1 and 99 %.

    Accepts a number (``60``, ``60.25``), text (``60``, ``60 %``, ``60,5``, ``60.25``) and a
    percent-formatted cell holding a fraction (``0.6`` shown as ``60%``). At most two
    decimals of a percent.
    """
    if isinstance(value, str):
        match = _SHARE_TEXT.fullmatch(value.strip())
        if match is None:
            raise CellError("expected a share in percent between 1 and 99, found other text")
        percent = Decimal(f"{match.group(1)}.{match.group(2) or '0'}")
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        percent = number_to_decimal(value)
        if number_format is not None and "%" in number_format:
            percent *= 100
    else:
        raise CellError(f"expected a share in percent, found {_kind(value)}")
    try:
        bp = _decimal_to_hundredths(percent, "the share")
    except InvalidOperation as exc:  # pragma: no cover - Decimal overflow on absurd exponents
        raise CellError("expected a share in percent between 1 and 99, found a number out of range") from exc
    if not 100 <= bp <= 9900:
        raise CellError("expected a share in percent between 1 and 99, found a share out of range")
    return bp


def parse_text(value: object) -> str | None:
    """Text without surrounding whitespace, or None for a blank cell.

    Numbers typed into a text column come back as Excel shows them: ``8327`` and an
    identity number ``198112189876`` (whole numbers, never with ``.0``). Leading zeros
    survive only in text cells: a number cell cannot hold them.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, bool):
        raise CellError("expected text, found a true/false value")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        number = number_to_decimal(value)
        if number == number.to_integral_value():
            return str(int(number))
        return format(number.normalize(), "f")
    raise CellError(f"expected text, found {_kind(value)}")
