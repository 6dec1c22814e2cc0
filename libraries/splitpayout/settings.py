"""The robot's configuration: one settings object, read from environment variables.

Every variable is documented in the README's configuration table. Secrets
(the payout system's password) are not part of this object: they are read from
the vault or the environment only where they are used (``SplitPayouts.payout_system_credentials``).
The browser settings are read here too, and handed to ``resources/payout_system.resource``'s
keywords as arguments (``robotglue.browser.BrowserSettings.from_settings``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from splitpayout.gateway import PAYMENT_FORM_FIELDS
from splitpayout.reader import DEFAULT_MAX_DECISIONS

#: Tries per step on technical failures: a registration attempt is several page loads, each of
#: which an unreliable payout system may fail, so a few tries are not enough (docs/rules.md §4).
DEFAULT_MAX_ATTEMPTS = 6

#: Browser workers one machine may run at once (``WORKERS``): each is a Chromium of its own.
MAX_WORKERS = 8

TRUE_WORDS = frozenset({"1", "true", "yes", "ja", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "nej", "off", ""})


class SettingsError(ValueError):
    """A configuration value is missing or malformed."""


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _int(
    env: Mapping[str, str], name: str, default: int, minimum: int = 0, maximum: int | None = None
) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise SettingsError(f"{name} must be at most {maximum}, got {value}")
    return value


def _field_names(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = env.get(name, "")
    names = tuple(part.strip() for part in raw.split(",") if part.strip())
    unknown = [field for field in names if field not in PAYMENT_FORM_FIELDS]
    if unknown:
        raise SettingsError(
            f"{name} names fields the payment form does not have: {', '.join(unknown)}"
            f" (its fields: {', '.join(PAYMENT_FORM_FIELDS)})"
        )
    return names


def _optional_kronor(env: Mapping[str, str], name: str) -> int | None:
    """A whole number of kronor as öre, or None when unset."""
    raw = env.get(name, "").strip()
    return None if not raw else _int(env, name, 0, minimum=1) * 100


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything a run of the robot is configured by."""

    decisions_file: Path | None
    dry_run: bool
    payout_system_url: str
    state_dir: Path
    artifacts_dir: Path
    amount_limit_ore: int
    run_date: dt.date
    vault_secret_name: str
    headless: bool
    page_timeout_seconds: float
    fast_fill: bool
    typed_fields: tuple[str, ...]
    workers: int
    look_up_each_payment: bool
    max_attempts: int
    max_consecutive_failures: int
    backoff_seconds: float
    settle_seconds: float
    max_decisions: int = DEFAULT_MAX_DECISIONS
    max_payment_ore: int | None = None  # the payout system's own ceiling per payment, when it has one

    @property
    def ledger_path(self) -> Path:
        return self.state_dir / "ledger.sqlite3"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        decisions = env.get("DECISIONS_FILE", "").strip()
        run_date_raw = env.get("RUN_DATE", "").strip()
        try:
            run_date = dt.date.fromisoformat(run_date_raw) if run_date_raw else dt.date.today()
        except ValueError:
            raise SettingsError(f"RUN_DATE must be a date YYYY-MM-DD, got {run_date_raw!r}") from None
        limit_kr = _int(env, "AMOUNT_LIMIT_KR", 50_000, minimum=1)
        return cls(
            decisions_file=Path(decisions) if decisions else None,
            dry_run=_flag(env, "DRY_RUN", False),
            payout_system_url=env.get("PAYOUT_SYSTEM_URL", "http://127.0.0.1:8080").rstrip("/"),
            state_dir=Path(env.get("STATE_DIR", "state")),
            artifacts_dir=Path(env.get("ROBOT_ARTIFACTS", "output")),
            amount_limit_ore=limit_kr * 100,
            run_date=run_date,
            vault_secret_name=env.get("PAYOUT_SYSTEM_SECRET", "payout_system"),
            headless=_flag(env, "PAYOUT_SYSTEM_HEADLESS", True),
            page_timeout_seconds=_float(env, "PAYOUT_SYSTEM_TIMEOUT", 30.0),
            fast_fill=_flag(env, "PAYOUT_FAST_FILL", True),
            typed_fields=_field_names(env, "PAYOUT_TYPED_FIELDS"),
            workers=_int(env, "WORKERS", 1, minimum=1, maximum=MAX_WORKERS),
            look_up_each_payment=_flag(env, "LOOK_UP_EACH_PAYMENT", True),
            max_attempts=_int(env, "MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS, minimum=1),
            max_consecutive_failures=_int(env, "MAX_CONSECUTIVE_FAILURES", 5, minimum=1),
            backoff_seconds=_float(env, "RETRY_BACKOFF_SECONDS", 1.0),
            settle_seconds=_float(env, "UNKNOWN_OUTCOME_SETTLE_SECONDS", 5.0),
            max_decisions=_int(env, "MAX_DECISIONS", DEFAULT_MAX_DECISIONS, minimum=1),
            max_payment_ore=_optional_kronor(env, "PAYOUT_SYSTEM_MAX_PAYMENT_KR"),
        )
