"""Production refuses what a demo value means, not only how it is written: padded, with a
character changed or added, or another app's demo value, in the environment or in a YAML or
JSON vault file (one list, ``webcommon.demo_values``, for the console, the stand-in and the robot)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import console.settings
import payout_system.settings
from tests.console.test_console_settings import STRONG_SECRET, users_file
from tests.console.test_console_settings import production_env as console_env
from webcommon import demo_values
from webcommon.settings import SettingsError


def payout_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    user = {"username": "rpa01", "password": "ett-riktigt-lösenord-1", "role": "registrar"}
    env = {
        "PAYOUT_ENV": "production",
        "PAYOUT_SECRET_KEY": STRONG_SECRET,
        "PAYOUT_API_TOKEN": "Fh7Kq2Zp9LmX4Wc8RbN3vT",
        "PAYOUT_USERS_FILE": str(users_file(tmp_path, [user], "payout-users.json")),
        "PAYOUT_DB": str(tmp_path / "payout.sqlite3"),
    }
    env.update(overrides)
    return env


VARIANTS = [
    "dev-api-token ",  # padded
    " dev-api-token",
    "dev-api-tokenX",  # a character added
    "Dev-Api-Token",
    demo_values.CONSOLE_SECRET_KEY,  # the other app's key
    demo_values.PAYOUT_SECRET_KEY + "1",
    "robot-demo-password",
    "anna-demo-passw0rd",
]


@pytest.mark.parametrize("value", VARIANTS)
def test_the_stand_in_refuses_demo_variants_as_its_token_or_key(tmp_path: Path, value: str) -> None:
    for name in ("PAYOUT_API_TOKEN", "PAYOUT_SECRET_KEY"):
        with pytest.raises(SettingsError, match=name):
            payout_system.settings.Settings.load({}, payout_env(tmp_path, **{name: value}))


@pytest.mark.parametrize("value", VARIANTS)
def test_the_console_refuses_demo_variants_for_itself_and_its_runs(tmp_path: Path, value: str) -> None:
    for name in ("CONSOLE_SECRET_KEY", "CONSOLE_PAYOUT_SYSTEM_API_TOKEN", "PAYOUT_SYSTEM_API_TOKEN"):
        with pytest.raises(SettingsError):
            console.settings.Settings.load({}, console_env(tmp_path, **{name: value}))


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_a_vault_file_with_demo_credentials_is_refused_whatever_its_format(
    tmp_path: Path, suffix: str
) -> None:
    vault = tmp_path / f"vault{suffix}"
    if suffix == ".json":
        vault.write_text(
            json.dumps({"payout_system": {"password": "robot-demo-password "}}), encoding="utf-8"
        )
    else:
        vault.write_text(
            "payout_system:\n  username: rpa01\n  api_token: 'dev-api-token '\n", encoding="utf-8"
        )
    with pytest.raises(SettingsError, match="vault file"):
        console.settings.Settings.load({}, console_env(tmp_path, RPA_SECRET_FILE=str(vault)))


def test_a_vault_file_the_check_cannot_read_is_refused(tmp_path: Path) -> None:
    vault = tmp_path / "vault.yaml"
    vault.write_text("payout_system: [unclosed\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="cannot check"):
        console.settings.Settings.load({}, console_env(tmp_path, RPA_SECRET_FILE=str(vault)))


def test_a_real_vault_file_is_accepted(tmp_path: Path) -> None:
    vault = tmp_path / "vault.yaml"
    vault.write_text("payout_system:\n  username: rpa01\n  password: Vq8-xT3p-Lm9z-Rw2k\n", encoding="utf-8")
    settings = console.settings.Settings.load({}, console_env(tmp_path, RPA_SECRET_FILE=str(vault)))
    assert settings.env == "production"


@given(
    demo=st.sampled_from(demo_values.DEMO_VALUES),
    position=st.integers(min_value=0, max_value=60),
    extra=st.text(alphabet="abcXYZ019-_", min_size=0, max_size=2),
    padding=st.sampled_from(["", " ", "\t", "\n "]),
)
def test_any_demo_value_with_up_to_two_characters_added_or_changed_is_refused(
    demo: str, position: int, extra: str, padding: str
) -> None:
    at = min(position, len(demo))
    assert demo_values.looks_like_demo(padding + demo[:at] + extra + demo[at:] + padding)
    changed = demo[:at] + extra + demo[at + len(extra) :]
    assert demo_values.looks_like_demo(changed)


@given(
    st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", min_size=22, max_size=44)
)
def test_random_secrets_are_not_taken_for_demo_values(value: str) -> None:
    assert not demo_values.looks_like_demo(value)
