"""Swedish bank accounts: clearing number plus account number.

Checked by Bankgirot's "Bankernas kontonummer", driven by the one clearing table below
(update it when Bankgirot publishes new ranges). The rules, and why ``bankkonto`` is only a
test oracle: docs/swedish-rules.md, "Bank accounts". Error messages never hold the digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

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


_T1V1, _T1V2 = _Kind.TYPE1_VARIANT1, _Kind.TYPE1_VARIANT2

# Bankgirot, "Bankernas kontonummer". Ordered by first clearing number.
_RANGES: tuple[_Range, ...] = (
    _Range(1100, 1199, "Nordea", _T1V1),
    _Range(1200, 1399, "Danske Bank", _T1V1),
    _Range(1400, 2099, "Nordea", _T1V1),
    _Range(2300, 2399, "Ålandsbanken", _T1V2),
    _Range(2400, 2499, "Danske Bank", _T1V1),
    _Range(3000, 3299, "Nordea", _T1V1),
    _Range(3300, 3300, "Nordea (personkonto)", _Kind.PERSONKONTO),
    _Range(3301, 3399, "Nordea", _T1V1),
    _Range(3400, 3409, "Länsförsäkringar Bank", _T1V1),
    _Range(3410, 3781, "Nordea", _T1V1),
    _Range(3782, 3782, "Nordea (personkonto)", _Kind.PERSONKONTO),
    _Range(3783, 3999, "Nordea", _T1V1),
    _Range(4000, 4999, "Nordea", _T1V2),
    _Range(5000, 5999, "SEB", _T1V1),
    _Range(6000, 6999, "Handelsbanken", _Kind.TYPE2_HANDELSBANKEN),
    _Range(7000, 7999, "Swedbank", _T1V1),
    _Range(8000, 8999, "Swedbank", _Kind.TYPE2_PADDED_MOD10),
    _Range(9020, 9029, "Länsförsäkringar Bank", _T1V2),
    _Range(9040, 9049, "Citibank", _T1V2),
    _Range(9060, 9069, "Länsförsäkringar Bank", _T1V1),
    _Range(9070, 9079, "Multitude Bank", _T1V1),
    _Range(9100, 9109, "Nordnet Bank", _T1V2),
    _Range(9120, 9124, "SEB", _T1V1),
    _Range(9130, 9149, "SEB", _T1V1),
    _Range(9150, 9169, "Skandiabanken", _T1V2),
    _Range(9170, 9179, "Ikano Bank", _T1V1),
    _Range(9180, 9189, "Danske Bank", _Kind.TYPE2_MOD10),
    _Range(9190, 9199, "DNB Bank", _T1V2),
    _Range(9230, 9239, "Marginalen Bank", _T1V1),
    _Range(9250, 9259, "SBAB", _T1V1),
    _Range(9260, 9269, "DNB Bank", _T1V2),
    _Range(9270, 9279, "ICA Banken", _T1V1),
    _Range(9280, 9289, "Resurs Bank", _T1V1),
    _Range(9300, 9349, "Swedbank", _Kind.TYPE2_MOD10),
    _Range(9390, 9399, "Landshypotek", _T1V2),
    _Range(9400, 9449, "Forex Bank", _T1V1),
    _Range(9460, 9469, "Santander Consumer Bank", _T1V1),
    _Range(9470, 9479, "BNP Paribas", _T1V2),
    _Range(9500, 9549, "Nordea (Plusgirot)", _Kind.TYPE2_PADDED_MOD10),
    _Range(9550, 9569, "Avanza Bank", _T1V2),
    _Range(9570, 9579, "Sparbanken Syd", _Kind.TYPE2_MOD10),
    _Range(9580, 9589, "Aion Bank", _T1V1),
    _Range(9590, 9599, "Erik Penser", _T1V2),
    _Range(9630, 9639, "Lån & Spar Bank", _T1V1),
    _Range(9640, 9649, "NOBA Bank", _T1V2),
    _Range(9650, 9659, "MedMera Bank", _T1V2),
    _Range(9660, 9669, "Svea Bank", _T1V2),
    _Range(9670, 9679, "JAK Medlemsbank", _T1V2),
    _Range(9680, 9689, "Bluestep Finans", _T1V1),
    _Range(9700, 9709, "Ekobanken", _T1V2),
    _Range(9710, 9719, "Lunar Bank", _T1V2),
    _Range(9750, 9759, "Northmill Bank", _T1V2),
    _Range(9780, 9789, "Klarna Bank", _T1V2),
    _Range(9880, 9889, "Riksgälden", _T1V2),
    _Range(9890, 9899, "Riksgälden", _Kind.TYPE2_MOD10),
    _Range(9960, 9969, "Nordea (Plusgirot)", _Kind.TYPE2_PADDED_MOD10),
)


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
