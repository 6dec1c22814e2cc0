"""The payout system's payment form and field limits: what the robot plans against and fills in.

They are declared here, in code: the form's fields, in the order a person fills them in, and
the limits of what one payment may hold. ``docs/payout_system_ui.md`` describes the same for
people (the validation table under "Register a payment" and the table "Field limits");
``tests/unit/splitpayout/test_field_limits.py`` keeps the two in step. The planner checks every
payment against the limits before anything is entered (docs/rules.md §2). Pointing the robot at
another payout system means changing both.
"""

from __future__ import annotations

from dataclasses import dataclass


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

# The payment form's field names (= input ids), in the order a person fills them in. The stand-in
# (payout_system/) declares its own form, as another system would; a stand-in test compares the two.
FORM_FIELDS: tuple[str, ...] = (
    *("personnummer", "name", "method"),  # the recipient and how they are paid
    *("clearing", "account", "bankgiro", "ocr"),  # where the money goes
    *("amount", "payout_date", "reference", "message"),  # the payment
)
