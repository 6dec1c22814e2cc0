"""The payout system's payment form and field limits: what the robot plans against and fills in.

They are declared here, in code: the form's fields, in the order a person fills them in, and
the limits of what one payment may hold, and how the payout system stores each field (what the
robot compares when it reads a payment back). ``docs/payout_system_ui.md`` describes the same for
people (the validation table under "Register a payment" and the table "Field limits");
``tests/unit/splitpayout/test_field_limits.py`` keeps the two in step. The planner checks every
payment against the limits before anything is entered (docs/rules.md §2). Pointing the robot at
another payout system means changing both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from swedish_rules import InvalidAmount, parse_amount_ore


@dataclass(frozen=True)
class FieldLimits:
    """What one payment may hold in the payout system."""

    name: int  # characters of the recipient's name
    reference: int  # characters of the reference
    ocr: int  # digits of the OCR number
    message: int  # characters of the message
    amount_kr: int  # kronor of one payment

    @property
    def amount_ore(self) -> int:
        return self.amount_kr * 100


LIMITS = FieldLimits(name=100, reference=40, ocr=25, message=200, amount_kr=100_000_000)


class StoredAs(StrEnum):
    """How the payout system stores a field and shows it on the confirmation page, as
    docs/payout_system_ui.md documents ("What the robot reads back"): what the robot compares."""

    AS_WRITTEN = "as_written"  # exactly as entered, ends trimmed (the reference)
    TEXT = "text"  # free text: runs of white space one space, none at the ends
    DIGITS = "digits"  # its digits (dashes and spaces are formatting)
    NO_SPACES = "no_spaces"  # without spaces (the OCR number)
    UPPER = "upper"  # a choice, in capitals
    AMOUNT = "amount"  # kronor as text (``12 345,50``) or öre (``amount_ore``): compared in öre
    DATE = "date"  # ``YYYY-MM-DD``


@dataclass(frozen=True)
class FormField:
    """One field of the payment form: its name (= input id), how the payout system stores it, and
    the attribute of a planned payment the robot fills it from (the name, unless said)."""

    name: str
    stored_as: StoredAs
    attribute: str = ""

    @property
    def source(self) -> str:
        return self.attribute or self.name


# The payment form, in the order a person fills it in. The stand-in (payout_system/) declares its
# own form, as another system would; a stand-in test compares the two.
FORM: tuple[FormField, ...] = (
    # the recipient and how they are paid
    FormField("personnummer", StoredAs.DIGITS),
    FormField("name", StoredAs.TEXT),
    FormField("method", StoredAs.UPPER),
    # where the money goes
    FormField("clearing", StoredAs.DIGITS),
    FormField("account", StoredAs.DIGITS),
    FormField("bankgiro", StoredAs.DIGITS),
    FormField("ocr", StoredAs.NO_SPACES),
    # the payment
    FormField("amount", StoredAs.AMOUNT, attribute="amount_ore"),
    FormField("payout_date", StoredAs.DATE),
    FormField("reference", StoredAs.AS_WRITTEN),
    FormField("message", StoredAs.TEXT),
)
#: The payment form's field names (= input ids), in the form's order.
FORM_FIELDS: tuple[str, ...] = tuple(field.name for field in FORM)


def stored_value(field: FormField, value: object) -> object:
    """``value`` (a planned payment's attribute, or the text the confirmation page shows) as the
    payout system stores ``field``: two values are the same payment data when these are equal.
    Raises ``ValueError`` for a text the robot cannot read as the field's kind (an amount, a date)."""
    kind = field.stored_as
    if kind is StoredAs.AMOUNT:
        if isinstance(value, int):
            return value
        try:
            return parse_amount_ore(str(value))
        except InvalidAmount as error:
            raise ValueError(str(error)) from None
    if kind is StoredAs.DATE:
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())
    text = "" if value is None else str(value)
    if kind is StoredAs.DIGITS:
        return "".join(character for character in text if character.isdigit())
    if kind is StoredAs.NO_SPACES:
        return text.replace(" ", "")
    if kind is StoredAs.UPPER:
        return text.strip().upper()
    if kind is StoredAs.TEXT:
        return " ".join(text.split())
    return text.strip()
