"""The demo values of the console, the stand-in and the robot: one list, refused in production.

Standard library only (the robot uses it too). Production refuses a secret, token or
password that *means* a demo value, however it is written: ``looks_like_demo`` trims and
case-folds a value and refuses it when it equals, contains or is contained in a demo value,
or is a small edit away from one (``MAX_EDITS`` characters added, removed or changed).
``read_secret_file`` reads a vault file as ``RPA.Robocorp.Vault``'s ``FileSecrets`` does
(JSON, or YAML for ``.yaml``/``.yml``), so a check sees what a run would read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

CONSOLE_SECRET_KEY = "dev-console-secret-key-not-for-production"  # noqa: S105 - the refused default
PAYOUT_SECRET_KEY = "dev-secret-key-not-for-production"  # noqa: S105 - the refused default
API_TOKEN = "dev-api-token"  # noqa: S105 - the refused default
CONSOLE_PASSWORDS = {
    "anna": "anna-demo-password",
    "olle": "olle-demo-password",
    "ulla": "ulla-demo-password",
}
PAYOUT_PASSWORDS = {
    "robot": "robot-demo-password",
    "attestant": "attestant-demo-password",
    "viewer": "viewer-demo-password",
}
DEMO_VALUES: tuple[str, ...] = (
    CONSOLE_SECRET_KEY,
    PAYOUT_SECRET_KEY,
    API_TOKEN,
    *CONSOLE_PASSWORDS.values(),
    *PAYOUT_PASSWORDS.values(),
)
MAX_EDITS = 2
# A value this short inside a demo value is not refused for that alone (e.g. a username such as "attestant").
MIN_CONTAINED_LENGTH = 12
YAML_SUFFIXES = (".yaml", ".yml")


class SecretFileError(ValueError):
    """A vault file the check cannot read as the vault would."""


def _edits(first: str, second: str, limit: int) -> int:
    """The Levenshtein distance of two strings, or ``limit + 1`` when it is larger."""
    if abs(len(first) - len(second)) > limit:
        return limit + 1
    previous = list(range(len(second) + 1))
    for row, char in enumerate(first, start=1):
        current = [row]
        for column, other in enumerate(second, start=1):
            current.append(
                min(previous[column] + 1, current[column - 1] + 1, previous[column - 1] + (char != other))
            )
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def looks_like_demo(value: str) -> bool:
    """Whether ``value``, trimmed and case-folded, is, holds or is close to a demo value."""
    typed = value.strip().casefold()
    if not typed:
        return False
    for demo in DEMO_VALUES:
        if demo in typed or (len(typed) >= MIN_CONTAINED_LENGTH and typed in demo):
            return True
        if _edits(typed, demo, MAX_EDITS) <= MAX_EDITS:
            return True
    return False


def read_secret_file(path: Path) -> object:
    """A vault file's content as the vault reads it: YAML for ``.yaml``/``.yml``, else JSON.
    Raises OSError when it cannot be read, SecretFileError when it cannot be parsed."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in YAML_SUFFIXES:
        import yaml  # the vault's own YAML reader (PyYAML), installed with rpaframework

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise SecretFileError(f"{path.name} is not valid YAML") from error
    try:
        return json.loads(text)
    except ValueError as error:
        raise SecretFileError(f"{path.name} is not valid JSON") from error


def strings(data: object) -> Iterator[str]:
    """Every string (and number, as text) inside parsed JSON or YAML."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, int | float) and not isinstance(data, bool):
        yield str(data)
    elif isinstance(data, dict):
        for value in data.values():
            yield from strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from strings(value)
