"""The payout system's payment form and field limits as ``docs/payout_system_ui.md`` describes
them, read from its tables so tests can compare them with ``splitpayout.domain.contract``."""

from __future__ import annotations

import re
from pathlib import Path

from splitpayout.domain.contract import FieldLimits

CONTRACT_FILE = Path(__file__).resolve().parents[2] / "docs" / "payout_system_ui.md"
_ROW = re.compile(r"^\|\s*`(?P<name>[a-z_]+)`\s*\|\s*(?P<value>\d+)\s*\|")
_FIELD_ROW = re.compile(r"^\s*\|\s*`(?P<name>[a-z_]+)`\s*\|")
_SECTION = "## Field limits"
_FORM_SECTION = "## Register a payment"


def _section(path: Path, heading: str) -> str:
    """The text under ``heading`` (up to the next heading of its level); an error names what is missing."""
    _, found, rest = path.read_text(encoding="utf-8").partition(heading)
    if not found:
        raise RuntimeError(f"the payout system's contract {path} has no section '{heading}'")
    return rest.split("\n## ", 1)[0]


def read_form_fields(path: Path = CONTRACT_FILE) -> tuple[str, ...]:
    """The payment form's field names (= input ids), in the order of the doc's validation table."""
    section = _section(path, _FORM_SECTION)
    fields = tuple(match["name"] for line in section.splitlines() if (match := _FIELD_ROW.match(line)))
    if not fields:
        raise RuntimeError(f"the payment form in {path} ('{_FORM_SECTION}') lists no fields")
    return fields


def read_limits(path: Path = CONTRACT_FILE) -> FieldLimits:
    """The doc's limits table; a missing or incomplete table is an error that names it."""
    section = _section(path, _SECTION)
    values = {
        match["name"]: int(match["value"]) for line in section.splitlines() if (match := _ROW.match(line))
    }
    wanted = FieldLimits.__dataclass_fields__
    missing = [name for name in wanted if name not in values]
    if missing:
        raise RuntimeError(f"the field limits in {path} lack: {', '.join(missing)}")
    return FieldLimits(**{name: values[name] for name in wanted})
