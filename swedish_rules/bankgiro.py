"""Bankgiro numbers: 7 or 8 digits with a Luhn (mod 10) check digit.

Written ``NNN-NNNN`` or ``NNNN-NNNN``; ``-`` and spaces are accepted anywhere on
input. python-stdnum has no Swedish bankgiro module; its ``luhn`` module is the
check-digit algorithm and is used here. Error messages never echo the number.
"""

from __future__ import annotations

import re

from stdnum import luhn

__all__ = ["InvalidBankgiro", "format_bankgiro", "normalize_bankgiro"]

_SEPARATORS = re.compile(r"[\s\-\u2010-\u2013\u2212]")


class InvalidBankgiro(ValueError):  # noqa: N818 - name agreed in CONTRACT.md
    """A bankgiro number that is not 7 or 8 digits with a valid check digit."""


def normalize_bankgiro(value: str) -> str:
    """Validate a bankgiro number and return its digits. Raises ``InvalidBankgiro``."""
    digits = _SEPARATORS.sub("", str(value))
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidBankgiro("expected 7 or 8 digits ('-' and spaces allowed), found other characters")
    if len(digits) not in (7, 8):
        raise InvalidBankgiro(f"expected 7 or 8 digits, found {len(digits)}")
    if not luhn.is_valid(digits):
        raise InvalidBankgiro("the check digit does not match (Luhn)")
    return digits


def format_bankgiro(digits: str) -> str:
    """Format a bankgiro number as ``NNN-NNNN`` or ``NNNN-NNNN``."""
    if not (len(digits) in (7, 8) and digits.isascii() and digits.isdigit()):
        raise InvalidBankgiro(f"expected 7 or 8 digits, found {len(digits)} characters")
    return f"{digits[:-4]}-{digits[-4:]}"
