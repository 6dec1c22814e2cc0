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


# Bankgirot, "Bankernas kontonummer", ordered by first clearing number: the clearing numbers
# (first-last), the account type and variant ("1:1" is type 1, variant 1; "personkonto" is
# Nordea's personal account, whose number is an identity number) and the bank.
_TABLE = """
1100-1199  1:1          Nordea
1200-1399  1:1          Danske Bank
1400-2099  1:1          Nordea
2300-2399  1:2          Ålandsbanken
2400-2499  1:1          Danske Bank
3000-3299  1:1          Nordea
3300       personkonto  Nordea (personkonto)
3301-3399  1:1          Nordea
3400-3409  1:1          Länsförsäkringar Bank
3410-3781  1:1          Nordea
3782       personkonto  Nordea (personkonto)
3783-3999  1:1          Nordea
4000-4999  1:2          Nordea
5000-5999  1:1          SEB
6000-6999  2:2          Handelsbanken
7000-7999  1:1          Swedbank
8000-8999  2:3          Swedbank
9020-9029  1:2          Länsförsäkringar Bank
9040-9049  1:2          Citibank
9060-9069  1:1          Länsförsäkringar Bank
9070-9079  1:1          Multitude Bank
9100-9109  1:2          Nordnet Bank
9120-9124  1:1          SEB
9130-9149  1:1          SEB
9150-9169  1:2          Skandiabanken
9170-9179  1:1          Ikano Bank
9180-9189  2:1          Danske Bank
9190-9199  1:2          DNB Bank
9230-9239  1:1          Marginalen Bank
9250-9259  1:1          SBAB
9260-9269  1:2          DNB Bank
9270-9279  1:1          ICA Banken
9280-9289  1:1          Resurs Bank
9300-9349  2:1          Swedbank
9390-9399  1:2          Landshypotek
9400-9449  1:1          Forex Bank
9460-9469  1:1          Santander Consumer Bank
9470-9479  1:2          BNP Paribas
9500-9549  2:3          Nordea (Plusgirot)
9550-9569  1:2          Avanza Bank
9570-9579  2:1          Sparbanken Syd
9580-9589  1:1          Aion Bank
9590-9599  1:2          Erik Penser
9630-9639  1:1          Lån & Spar Bank
9640-9649  1:2          NOBA Bank
9650-9659  1:2          MedMera Bank
9660-9669  1:2          Svea Bank
9670-9679  1:2          JAK Medlemsbank
9680-9689  1:1          Bluestep Finans
9700-9709  1:2          Ekobanken
9710-9719  1:2          Lunar Bank
9750-9759  1:2          Northmill Bank
9780-9789  1:2          Klarna Bank
9880-9889  1:2          Riksgälden
9890-9899  2:1          Riksgälden
9960-9969  2:3          Nordea (Plusgirot)
"""
_KIND_CODES = {
    "1:1": _Kind.TYPE1_VARIANT1,
    "1:2": _Kind.TYPE1_VARIANT2,
    "2:1": _Kind.TYPE2_MOD10,
    "2:2": _Kind.TYPE2_HANDELSBANKEN,
    "2:3": _Kind.TYPE2_PADDED_MOD10,
    "personkonto": _Kind.PERSONKONTO,
}


def _read_table(table: str) -> tuple[_Range, ...]:
    ranges = []
    for line in table.strip().splitlines():
        numbers, kind, bank = line.split(maxsplit=2)
        first, _, last = numbers.partition("-")
        ranges.append(_Range(int(first), int(last or first), bank, _KIND_CODES[kind]))
    return tuple(ranges)


_RANGES = _read_table(_TABLE)


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
