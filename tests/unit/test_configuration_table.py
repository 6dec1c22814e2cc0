"""The README's configuration table and the configuration (splitpayout.config) name the same
variables with the same defaults, and a wrong value is refused with the variable's name."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from pydantic_core import PydanticUndefined
from splitpayout.config import SECTIONS, WORK_ITEM_VARIABLES, SettingsError, variables

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"`([A-Z][A-Z0-9_]*)`")
LITERAL = re.compile(r"`([^`]*)`")

# Defaults the README states that the robot works out when the variable is unset.
WORKED_OUT = {"NOTIFY_FROM": "utbetalningsroboten@<host>", "CONSOLE_DATA_DIR": "STATE_DIR/console"}


def table() -> dict[str, str]:
    """Variable -> its default as the README's configuration table gives it."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    found: dict[str, str] = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue  # not a row of a variable
        cells = line[1:].split("|", 2)
        names, defaults = NAME.findall(cells[0]), cells[1].strip()
        parts = defaults.split(",")
        for position, name in enumerate(names):
            found[name] = parts[position].strip() if len(parts) == len(names) else defaults
    return found


def literal(value: Any) -> str | None:
    """A configuration default as the README writes it, or None when there is none."""
    if value is None or value is PydanticUndefined or value in ("", ()):
        return None
    if isinstance(value, SecretStr):
        return literal(value.get_secret_value())
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_every_variable_in_the_table_is_in_the_configuration_and_back() -> None:
    documented = set(table())
    configured = set(variables()) | set(WORK_ITEM_VARIABLES)
    assert sorted(documented - configured) == [], "in the README but not read by the configuration"
    assert sorted(configured - documented) == [], "read by the configuration but not in the README"


def test_the_defaults_in_the_table_are_the_configurations() -> None:
    documented = table()
    for name, (section, field_name) in variables().items():
        default = literal(section.model_fields[field_name].default)
        written = LITERAL.fullmatch(documented[name])
        if default is not None:
            assert written is not None and written[1] == default, f"{name}: README {documented[name]!r}"
        elif written is not None:
            assert WORKED_OUT.get(name) == written[1], f"{name} has no default in the configuration"


def test_the_table_is_read_whole() -> None:
    # Guards the two tests above against a table the parser silently skips.
    documented = table()
    assert len(documented) >= 50
    assert documented["STATE_DIR"] == "`state`"
    assert documented["SMTP_PORT"] == "`25`"
    assert documented["RECONCILE_TO"] == "the current calendar month"


@settings(deadline=None)
@given(value=st.text(max_size=12))
@pytest.mark.parametrize("section", SECTIONS, ids=lambda section: section.__name__)
def test_a_value_is_taken_or_refused_by_its_variables_name(section: Any, value: str) -> None:
    for name in section.variables():
        try:
            section.from_env({name: value})
        except SettingsError as error:
            assert str(error).startswith(f"{name} "), str(error)
