"""Settings of the payout-system stand-in, from command-line flags and the environment.

Command-line flags win over environment variables, which win over the defaults.
Development mode (the default) comes with demo users and a demo API token so that
the stand-in starts with no configuration; production mode refuses to start with
any of them (``Settings.validate``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from payout_system.release import ReleaseError, ReleaseSettings
from swedish_rules import InvalidAmount, parse_amount_ore
from webcommon import demo_values
from webcommon.settings import DEFAULT_SESSION_IDLE_SECONDS as DEFAULT_SESSION_IDLE_SECONDS
from webcommon.settings import DEFAULT_SESSION_MAX_SECONDS as DEFAULT_SESSION_MAX_SECONDS
from webcommon.settings import DEVELOPMENT as DEVELOPMENT
from webcommon.settings import ENVIRONMENTS as ENVIRONMENTS
from webcommon.settings import PRODUCTION as PRODUCTION
from webcommon.settings import AppIdentity, load_common, refuse_weak_token, validate_common
from webcommon.settings import SettingsError as SettingsError
from webcommon.settings import User as User
from webcommon.settings import pick as _pick
from webcommon.settings import to_int as _to_int

REGISTRAR = "registrar"
ATTESTANT = "attestant"
VIEWER = "viewer"
ROLES = (REGISTRAR, ATTESTANT, VIEWER)

DEV_SECRET_KEY = demo_values.PAYOUT_SECRET_KEY
DEV_API_TOKEN = demo_values.API_TOKEN
DEMO_PASSWORDS: dict[str, tuple[str, str]] = {
    # username: (password, role); development mode only
    "robot": (demo_values.PAYOUT_PASSWORDS["robot"], REGISTRAR),
    "attestant": (demo_values.PAYOUT_PASSWORDS["attestant"], ATTESTANT),
    "viewer": (demo_values.PAYOUT_PASSWORDS["viewer"], VIEWER),
}
DEFAULT_THREADS = 16
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
# prefix, roles, demo users, demo secret key, default host, port and threads
APP = AppIdentity(
    "PAYOUT", ROLES, DEMO_PASSWORDS, DEV_SECRET_KEY, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_THREADS
)


@dataclass(frozen=True)
class FaultSettings:
    """Fault injection for tests; everything off by default (see ``faults.py``)."""

    latency_ms: int = 0
    jitter_ms: int = 0
    error_rate: float = 0.0
    hang_rate: float = 0.0
    hang_seconds: float = 30.0
    expire_session_rate: float = 0.0
    maintenance_from_request: int | None = None  # the Nth UI request since start (1-based) opens it
    maintenance_requests: int | None = None  # ... for this many UI requests
    maintenance_file: str | None = None  # while this file exists, every UI request is refused
    slow_save_seconds: float = 0.0
    seed: int | None = None

    @property
    def enabled(self) -> bool:
        """Whether any fault is switched on."""
        return bool(
            self.latency_ms
            or self.jitter_ms
            or self.error_rate
            or self.hang_rate
            or self.expire_session_rate
            or self.maintenance_from_request is not None
            or self.maintenance_file
            or self.slow_save_seconds
        )

    def validate(self) -> None:
        """Raise SettingsError when a value is out of range."""
        for name in ("error_rate", "hang_rate", "expire_session_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0 or math.isnan(value):
                raise SettingsError(f"{name} must be between 0 and 1, got {value}")
        total = self.error_rate + self.hang_rate + self.expire_session_rate
        if total > 1.0:
            raise SettingsError(
                f"error_rate + hang_rate + expire_session_rate must be at most 1, got {total:g}"
            )
        for name in ("latency_ms", "jitter_ms", "hang_seconds", "slow_save_seconds"):
            if getattr(self, name) < 0:
                raise SettingsError(f"{name} must not be negative, got {getattr(self, name)}")
        start, count = self.maintenance_from_request, self.maintenance_requests
        if (start is None) != (count is None):
            raise SettingsError("maintenance_from_request and maintenance_requests must be given together")
        if start is not None and count is not None and (start < 1 or count < 1):
            raise SettingsError(
                "the maintenance window must start at UI request 1 or later and last at least one request,"
                f" got from request {start} for {count} requests"
            )


@dataclass(frozen=True)
class Settings:
    """Everything the app and the server need. Build with ``Settings.load`` or directly in tests."""

    db_path: Path
    env: str = DEVELOPMENT
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    secret_key: str = field(default=DEV_SECRET_KEY, repr=False)
    api_token: str = field(default=DEV_API_TOKEN, repr=False)
    users: tuple[User, ...] = ()
    # The users file the app follows while it runs (None: the users above, e.g. the demo ones).
    users_file: Path | None = None
    session_idle_seconds: int = DEFAULT_SESSION_IDLE_SECONDS
    session_max_seconds: int = DEFAULT_SESSION_MAX_SECONDS
    threads: int = DEFAULT_THREADS
    max_payment_ore: int | None = None  # --max-payment-kr: larger payments are refused; None = no ceiling
    faults: FaultSettings = FaultSettings()
    # A new release played for tests and demos (release.py); none by default.
    release: ReleaseSettings = field(default_factory=ReleaseSettings)
    # waitress trusts X-Forwarded-* headers from this address only (None: from nowhere).
    trusted_proxy: str | None = None

    @classmethod
    def load(cls, options: Mapping[str, Any], environ: Mapping[str, str]) -> Settings:
        """Build settings from parsed CLI options (None = not given) and an environment.

        Raises SettingsError for unusable or, in production, unsafe values.
        """
        common = load_common(APP, options, environ)
        db = options.get("db") or environ.get("PAYOUT_DB")
        if not db:
            raise SettingsError("--db (or PAYOUT_DB) is required: the path of the SQLite database")
        development = common["env"] == DEVELOPMENT
        settings = cls(
            db_path=Path(db),
            api_token=environ.get("PAYOUT_API_TOKEN") or (DEV_API_TOKEN if development else ""),
            max_payment_ore=_to_ore(
                "max payment kr", _pick(options.get("max_payment_kr"), environ.get("PAYOUT_MAX_PAYMENT_KR"))
            ),
            faults=_load_faults(options, environ),
            release=_load_release(options, environ),
            **common,
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise SettingsError for unusable values, and in production for any demo secret or user."""
        if self.max_payment_ore is not None and self.max_payment_ore <= 0:
            raise SettingsError(f"the payment ceiling must be above 0 öre, got {self.max_payment_ore}")
        self.faults.validate()
        try:
            self.release.validate()
        except ReleaseError as error:
            raise SettingsError(str(error)) from None
        validate_common(
            APP,
            self,
            production=lambda: refuse_weak_token(self.api_token, (DEV_API_TOKEN,), "PAYOUT_API_TOKEN"),
        )


def _to_ore(name: str, value: Any) -> int | None:
    if value is None:
        return None
    try:
        return parse_amount_ore(str(value))
    except InvalidAmount:
        raise SettingsError(
            f"{name} must be an amount in kronor such as 50000 or 12345,50, got {value!r}"
        ) from None


def _to_float(name: str, value: Any) -> float:
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a number, got {value!r}") from None
    if math.isnan(result) or math.isinf(result):
        raise SettingsError(f"{name} must be a finite number, got {value!r}")
    return result


def _variables(prefix: str, names: str) -> dict[str, str]:
    """Option name -> environment variable for the options ``names`` (separated by spaces), each
    variable named ``prefix`` and the option's name in capitals."""
    return {name: prefix + name.upper() for name in names.split()}


def _picked(
    table: Mapping[str, str], options: Mapping[str, Any], environ: Mapping[str, str]
) -> dict[str, Any]:
    """Each option of ``table`` (option name -> environment variable): the CLI's value, else the
    environment's."""
    return {name: _pick(options.get(name), environ.get(variable)) for name, variable in table.items()}


# option name -> environment variable: PAYOUT_FAULT_<NAME>
FAULT_OPTIONS = _variables(
    "PAYOUT_FAULT_",
    "latency_ms jitter_ms error_rate hang_rate hang_seconds expire_session_rate"
    " maintenance_from_request maintenance_requests maintenance_file slow_save_seconds seed",
)


def _load_faults(options: Mapping[str, Any], environ: Mapping[str, str]) -> FaultSettings:
    raw = _picked(FAULT_OPTIONS, options, environ)
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None:
            continue
        if name == "maintenance_file":
            values[name] = str(value)
        elif name in ("latency_ms", "jitter_ms", "seed", "maintenance_from_request", "maintenance_requests"):
            values[name] = _to_int(name.replace("_", "-"), value)
        else:
            values[name] = _to_float(name.replace("_", "-"), value)
    return FaultSettings(**values)


# option name -> environment variable: PAYOUT_RELEASE_<NAME>
RELEASE_OPTIONS = _variables("PAYOUT_RELEASE_", "store_differently required_field renamed_field extra_step")


def _load_release(options: Mapping[str, Any], environ: Mapping[str, str]) -> ReleaseSettings:
    raw = _picked(RELEASE_OPTIONS, options, environ)
    stored = str(raw["store_differently"] or "")
    extra = raw["extra_step"]
    return ReleaseSettings(
        store_differently=tuple(name.strip() for name in stored.split(",") if name.strip()),
        required_field=str(raw["required_field"]).strip() or None if raw["required_field"] else None,
        renamed_field=str(raw["renamed_field"]).strip() or None if raw["renamed_field"] else None,
        extra_step=extra is True or str(extra or "").strip().lower() in ("1", "true", "yes", "on"),
    )
