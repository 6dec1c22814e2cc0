"""The payout system's field limits, read from its documented contract (docs/payout_system_ui.md).

They are written down once, in the table under "Field limits" of that document, and the
planner checks every payment against them before anything is entered (docs/rules.md §2).
Pointing the robot at another payout system means writing its limits there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CONTRACT_FILE = Path(__file__).resolve().parents[2] / "docs" / "payout_system_ui.md"
_ROW = re.compile(r"^\|\s*`(?P<name>[a-z_]+)`\s*\|\s*(?P<value>\d+)\s*\|")
_SECTION = "## Field limits"


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


def read_limits(path: Path = CONTRACT_FILE) -> FieldLimits:
    """The limits table of the contract; a missing or incomplete table is an error that names it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RuntimeError(f"the payout system's contract {path} cannot be read: {error}") from error
    _, found, rest = text.partition(_SECTION)
    if not found:
        raise RuntimeError(f"the payout system's contract {path} has no section '{_SECTION}'")
    section = rest.split("\n## ", 1)[0]
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
