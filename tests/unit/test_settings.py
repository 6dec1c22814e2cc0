"""The robot's configuration from environment variables: defaults, conversions, clear refusals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from splitpayout.config import Settings, SettingsError


def test_defaults_are_a_safe_real_run_with_the_documented_values() -> None:
    settings = Settings.from_env({"DECISIONS_FILE": "export.xlsx"})
    assert settings.decisions_file == Path("export.xlsx")
    assert settings.dry_run is False
    assert settings.planning_rules.amount_limit_ore == 50_000_00
    assert settings.ledger_path == Path("state") / "ledger.sqlite3"
    assert settings.artifacts_dir == Path("output")
    assert settings.run_date == dt.date.today()
    assert (settings.max_attempts, settings.max_consecutive_failures) == (6, 5)
    rules = settings.planning_rules
    assert (rules.today, rules.max_decisions, rules.max_payment_ore) == (dt.date.today(), 20_000, None)
    assert settings.page_timeout_seconds == 30.0
    assert settings.headless and settings.fast_fill


def test_values_are_read_and_converted() -> None:
    settings = Settings.from_env(
        {
            "DRY_RUN": "Ja",
            "AMOUNT_LIMIT_KR": "75000",
            "RUN_DATE": "2026-12-01",
            "STATE_DIR": "/var/lib/robot",
            "PAYOUT_SYSTEM_URL": "https://utbetalning.example/",
            "MAX_ATTEMPTS": "6",
            "RETRY_BACKOFF_SECONDS": "0.5",
        }
    )
    assert settings.dry_run is True
    assert settings.planning_rules.amount_limit_ore == 75_000_00
    assert settings.run_date == settings.planning_rules.today == dt.date(2026, 12, 1)
    assert settings.ledger_path == Path("/var/lib/robot/ledger.sqlite3")
    assert settings.payout_system_url == "https://utbetalning.example"
    assert settings.max_attempts == 6
    assert settings.backoff_seconds == 0.5


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DRY_RUN", "maybe", "DRY_RUN must be true or false"),
        ("AMOUNT_LIMIT_KR", "50 000 kr", "AMOUNT_LIMIT_KR must be a whole number"),
        ("AMOUNT_LIMIT_KR", "0", "AMOUNT_LIMIT_KR must be at least 1"),
        ("RUN_DATE", "23/11/2026", "RUN_DATE must be a date YYYY-MM-DD"),
        ("MAX_ATTEMPTS", "0", "MAX_ATTEMPTS must be at least 1"),
        ("PAYOUT_SYSTEM_TIMEOUT", "-3", "PAYOUT_SYSTEM_TIMEOUT must be positive"),
        ("PAYOUT_SYSTEM_HEADLESS", "sometimes", "PAYOUT_SYSTEM_HEADLESS must be true or false"),
    ],
)
def test_a_bad_value_is_refused_by_name(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({name: value})


def test_workers_typed_fields_and_look_ups_have_safe_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.workers == 1
    assert settings.typed_fields == ()
    assert settings.look_up_each_payment is True  # a consumer alone must never trust a stale search


def test_workers_and_typed_fields_are_read() -> None:
    settings = Settings.from_env(
        {"WORKERS": "4", "PAYOUT_TYPED_FIELDS": " amount, payout_date ", "LOOK_UP_EACH_PAYMENT": "false"}
    )
    assert settings.workers == 4
    assert settings.typed_fields == ("amount", "payout_date")
    assert settings.look_up_each_payment is False


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WORKERS": "0"}, "WORKERS must be at least 1"),
        ({"WORKERS": "9"}, "WORKERS must be at most 8"),
        ({"WORKERS": "two"}, "WORKERS must be a whole number"),
        ({"PAYOUT_TYPED_FIELDS": "amount,belopp"}, "the payment form does not have: belopp"),
    ],
)
def test_bad_worker_counts_and_field_names_are_refused_by_name(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)
