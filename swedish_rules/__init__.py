"""Swedish payment rules shared by the robot and the payout-system stand-in.

These are the rules that are truly the same on both sides: identity numbers,
bank accounts, bankgiro numbers, amounts in Swedish notation and bank days.
Every function is pure and raises ``ValueError`` subclasses that say what was
expected and what was found (without echoing personal data).
"""

from swedish_rules.amounts import InvalidAmount, format_amount, parse_amount_ore
from swedish_rules.bank_account import InvalidAccount, is_valid_account, normalize_account
from swedish_rules.bank_days import is_bank_day, previous_bank_day
from swedish_rules.bankgiro import InvalidBankgiro, format_bankgiro, normalize_bankgiro
from swedish_rules.identity import (
    InvalidIdentity,
    format_identity,
    is_coordination_number,
    is_valid_identity,
    normalize_identity,
)

__all__ = [
    "InvalidAccount",
    "InvalidAmount",
    "InvalidBankgiro",
    "InvalidIdentity",
    "format_amount",
    "format_bankgiro",
    "format_identity",
    "is_bank_day",
    "is_coordination_number",
    "is_valid_account",
    "is_valid_identity",
    "normalize_account",
    "normalize_bankgiro",
    "normalize_identity",
    "parse_amount_ore",
    "previous_bank_day",
]
