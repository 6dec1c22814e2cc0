"""Swedish bank accounts: clearing number plus account number.

Checked by Bankgirot's "Bankernas kontonummer", driven by the one clearing table,
``clearing_numbers.txt`` (update it when Bankgirot publishes new ranges). The rules, and why
``bankkonto`` is only a test oracle: docs/swedish-rules.md, "Bank accounts". Error messages
never hold the digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from stdnum import luhn

from swedish_rules.identity import InvalidIdentity, normalize_identity

__all__ = ["InvalidAccount", "bank_name", "is_valid_account", "normalize_account"]

_SEPARATORS = re.compile(r"[\s\-.,]")


class InvalidAccount(ValueError):  # noqa: N818 - name agreed in CONTRACT.md
    """A clearing and account number that do not form a valid Swedish bank account."""


class _Kind(Enum):
    TYPE1_VARIANT1 = "type 1, variant 1"
    TYPE1_VARIANT2 = "type 1, variant 2"
    TYPE2_MOD10 = "type 2, variant 1"
    TYPE2_HANDELSBANKEN = "type 2, variant 2"
    TYPE2_PADDED_MOD10 = "type 2, variant 3"
    PERSONKONTO = "Nordea personkonto"


@dataclass(frozen=True)
class _Range:
    first: int
    last: int
    bank: str
    kind: _Kind


# Bankgirot, "Bankernas kontonummer": one line per range of clearing numbers.
CLEARING_TABLE = Path(__file__).with_name("clearing_numbers.txt")
_KIND_CODES = {
    "1:1": _Kind.TYPE1_VARIANT1,
    "1:2": _Kind.TYPE1_VARIANT2,
    "2:1": _Kind.TYPE2_MOD10,
    "2:2": _Kind.TYPE2_HANDELSBANKEN,
    "2:3": _Kind.TYPE2_PADDED_MOD10,
    "personkonto": _Kind.PERSONKONTO,
}


def _read_table(path: Path) -> tuple[_Range, ...]:
    ranges = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        numbers, kind, bank = line.split(maxsplit=2)
        first, _, last = numbers.partition("-")
        ranges.append(_Range(int(first), int(last or first), bank, _KIND_CODES[kind]))
    return tuple(ranges)


_RANGES = _read_table(CLEARING_TABLE)


def _digits(value: str, what: str) -> str:
    text = _SEPARATORS.sub("", str(value))
    if not text or not (text.isascii() and text.isdigit()):
        raise InvalidAccount(
            f"{what}: expected digits (spaces, '-', '.' and ',' allowed), found other characters"
        )
    return text


def _mod11(digits: str) -> bool:
    total = sum(int(d) * (i % 10 + 1) for i, d in enumerate(reversed(digits)))
    return total % 11 == 0


def _find_range(clearing: str) -> _Range:
    number = int(clearing[:4])
    for entry in _RANGES:
        if entry.first <= number <= entry.last:
            return entry
    raise InvalidAccount("clearing number: not assigned to a Swedish bank that takes account transfers")


def _check_clearing(clearing: str) -> _Range:
    if clearing.startswith("8"):
        if len(clearing) != 5:
            raise InvalidAccount(
                f"clearing number: Swedbank 8xxx-x clearing numbers have 5 digits, found {len(clearing)}"
            )
        if not luhn.is_valid(clearing):
            raise InvalidAccount(
                "clearing number: the fifth digit of a Swedbank 8xxx-x clearing number is wrong"
            )
    elif len(clearing) != 4:
        raise InvalidAccount(
            f"clearing number: expected 4 digits (5 for Swedbank 8xxx-x), found {len(clearing)}"
        )
    return _find_range(clearing)


def _wrong_length(kind: _Kind, expected: str, found: int) -> InvalidAccount:
    return InvalidAccount(f"account number: {kind.value} accounts have {expected} digits, found {found}")


def _check_account(entry: _Range, clearing: str, account: str) -> str:
    kind = entry.kind
    if kind in (_Kind.TYPE1_VARIANT1, _Kind.TYPE1_VARIANT2):
        if len(account) != 7:
            raise _wrong_length(kind, "7", len(account))
        checked = (clearing[1:] if kind is _Kind.TYPE1_VARIANT1 else clearing) + account
        valid = _mod11(checked)
    elif kind is _Kind.TYPE2_HANDELSBANKEN:
        if len(account) != 9:
            raise _wrong_length(kind, "9", len(account))
        valid = _mod11(account)
    elif kind is _Kind.TYPE2_PADDED_MOD10:
        if not 2 <= len(account) <= 10:
            raise _wrong_length(kind, "2 to 10", len(account))
        account = account.zfill(10)
        valid = luhn.is_valid(account)
    else:
        if len(account) != 10:
            raise _wrong_length(kind, "10", len(account))
        valid = luhn.is_valid(account)
        if valid and kind is _Kind.PERSONKONTO:
            try:
                # Any century will do for the date check: try the likely one, then the one before.
                normalize_identity(account)
            except InvalidIdentity:
                try:
                    normalize_identity(account[:6] + "+" + account[6:])
                except InvalidIdentity:
                    raise InvalidAccount(
                        "account number: a Nordea personkonto must be the holder's personnummer"
                    ) from None
    if not valid:
        raise InvalidAccount(f"account number: the check digit does not match ({kind.value})")
    if account.strip("0") == "":
        raise InvalidAccount("account number: all zeros")
    return account


def normalize_account(clearing: str, account: str) -> tuple[str, str]:
    """Validate a Swedish bank account and return ``(clearing, account)`` as canonical digits.

    Raises ``InvalidAccount`` naming the rule that failed (never the digits).
    """
    clearing_digits = _digits(clearing, "clearing number")
    account_digits = _digits(account, "account number")
    entry = _check_clearing(clearing_digits)
    return clearing_digits, _check_account(entry, clearing_digits, account_digits)


def is_valid_account(clearing: str, account: str) -> bool:
    """True when clearing and account number form a valid Swedish bank account."""
    try:
        normalize_account(clearing, account)
    except InvalidAccount:
        return False
    return True


def bank_name(clearing: str) -> str:
    """The bank a (valid) clearing number belongs to, for display. Raises ``InvalidAccount``."""
    return _check_clearing(_digits(clearing, "clearing number")).bank
