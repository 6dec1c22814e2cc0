"""The payout system's payment form and field limits, read from its documented contract
(docs/payout_system_ui.md).

Both are written down once in that document: the form's fields, in the order a person fills
them in, are the rows of the validation table under "Register a payment"; the limits are the
table under "Field limits". The planner checks every payment against the limits before
anything is entered (docs/rules.md §2). Pointing the robot at another payout system means
writing its form and limits there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CONTRACT_FILE = Path(__file__).resolve().parents[2] / "docs" / "payout_system_ui.md"
_ROW = re.compile(r"^\|\s*`(?P<name>[a-z_]+)`\s*\|\s*(?P<value>\d+)\s*\|")
_FIELD_ROW = re.compile(r"^\s*\|\s*`(?P<name>[a-z_]+)`\s*\|")
_SECTION = "## Field limits"
_FORM_SECTION = "## Register a payment"


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


def _section(path: Path, heading: str) -> str:
    """The text under ``heading`` (up to the next heading of its level); an error names what is missing."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RuntimeError(f"the payout system's contract {path} cannot be read: {error}") from error
    _, found, rest = text.partition(heading)
    if not found:
        raise RuntimeError(f"the payout system's contract {path} has no section '{heading}'")
    return rest.split("\n## ", 1)[0]


def read_form_fields(path: Path = CONTRACT_FILE) -> tuple[str, ...]:
    """The payment form's field names (= input ids), in the order a person fills them in."""
    section = _section(path, _FORM_SECTION)
    fields = tuple(match["name"] for line in section.splitlines() if (match := _FIELD_ROW.match(line)))
    if not fields:
        raise RuntimeError(f"the payment form in {path} ('{_FORM_SECTION}') lists no fields")
    return fields


def read_limits(path: Path = CONTRACT_FILE) -> FieldLimits:
    """The limits table of the contract; a missing or incomplete table is an error that names it."""
    section = _section(path, _SECTION)
    values: dict[str, int] = {}
    for line in section.splitlines():
        match = _ROW.match(line)
        if match:
            values[match["name"]] = int(match["value"])
    wanted = FieldLimits.__dataclass_fields__
    missing = [name for name in wanted if name not in values]
    if missing:
        raise RuntimeError(f"the field limits in {path} lack: {', '.join(missing)}")
    return FieldLimits(**{name: values[name] for name in wanted})


LIMITS = read_limits()
FORM_FIELDS = read_form_fields()
