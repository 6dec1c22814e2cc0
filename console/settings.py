"""Settings of the console, from command-line flags and the environment (``CONSOLE_*``).

Command-line flags win over environment variables, which win over the defaults.
Development mode (the default) comes with demo users and, for the stand-in payout
system, the robot's demo account, so that the console starts with no configuration;
production mode refuses to start with any of them (``Settings.validate``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

DEVELOPMENT = "development"
PRODUCTION = "production"
ENVIRONMENTS = (DEVELOPMENT, PRODUCTION)

CASE_WORKER = "handläggare"
OPERATOR = "driftansvarig"
ROLES = (CASE_WORKER, OPERATOR)

DEV_SECRET_KEY = "dev-console-secret-key-not-for-production"  # noqa: S105 - the refused default
DEMO_PASSWORDS: dict[str, tuple[str, str]] = {
    # username: (password, role); development mode only
    "anna": ("anna-demo-password", CASE_WORKER),
    "olle": ("olle-demo-password", OPERATOR),
}
# The stand-in payout system's development accounts (payout_system/settings.py); refused in production.
DEMO_PAYOUT_USERNAME = "robot"
DEMO_PAYOUT_PASSWORD = "robot-demo-password"  # noqa: S105 - the refused default
DEMO_PAYOUT_API_TOKEN = "dev-api-token"  # noqa: S105 - the refused default

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8090
DEFAULT_DATA_DIR = "state/console"
DEFAULT_RUNS_DIR = "runs"
DEFAULT_STATE_DIR = "state"
DEFAULT_PAYOUT_SYSTEM_URL = "http://127.0.0.1:8080"
DEFAULT_SESSION_IDLE_SECONDS = 900
DEFAULT_MAX_UPLOAD_MB = 20
DEFAULT_MAX_PREVIEWS = 4
DEFAULT_THREADS = 8
RUNNER_MODULE = "splitpayout.runner"


class SettingsError(ValueError):
    """The configuration is unusable; the message says which setting and why."""


@dataclass(frozen=True)
class User:
    """One account of the console. Exactly one role per account."""

    username: str
    password_hash: str = field(repr=False)
    role: str


@dataclass(frozen=True)
class Settings:
    """Everything the console needs. Build with ``Settings.load`` or directly in tests.

    ``data_dir`` is the console's own storage (its database and the uploaded exports);
    ``runs_dir`` holds one folder per run (shared with scheduled runs); ``state_dir`` is the
    robot's ledger folder, passed to every run as ``STATE_DIR``.
    """

    data_dir: Path
    runs_dir: Path
    state_dir: Path
    env: str = DEVELOPMENT
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    secret_key: str = field(default=DEV_SECRET_KEY, repr=False)
    users: tuple[User, ...] = ()
    session_idle_seconds: int = DEFAULT_SESSION_IDLE_SECONDS
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
    max_previews: int = DEFAULT_MAX_PREVIEWS
    threads: int = DEFAULT_THREADS
    payout_system_url: str = DEFAULT_PAYOUT_SYSTEM_URL
    # The robot's registrar account; None = the run reads it from its own environment or the vault.
    payout_system_username: str | None = None
    payout_system_password: str | None = field(default=None, repr=False)
    # The payout system's API token, for reconciliation runs.
    payout_system_api_token: str | None = field(default=None, repr=False)
    # DECISIONS_FILE of reconciliation runs (file or folder); None = the uploaded exports.
    reconcile_decisions: Path | None = None
    python: str = sys.executable
    runner_module: str = RUNNER_MODULE

    @property
    def database_path(self) -> Path:
        return self.data_dir / "console.sqlite3"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def run_output_dir(self) -> Path:
        """Where each run's console output goes (kept out of the run folders)."""
        return self.data_dir / "run-output"

    @property
    def reconcile_source(self) -> Path:
        return self.reconcile_decisions or self.uploads_dir

    @classmethod
    def load(cls, options: Mapping[str, Any], environ: Mapping[str, str]) -> Settings:
        """Build settings from parsed CLI options (None = not given) and an environment.

        Raises SettingsError for unusable or, in production, unsafe values.
        """
        env = _pick(options.get("env"), environ.get("CONSOLE_ENV"), DEVELOPMENT)
        if env not in ENVIRONMENTS:
            raise SettingsError(f"CONSOLE_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
        users_file = _pick(options.get("users_file"), environ.get("CONSOLE_USERS_FILE"))
        if users_file:
            users = load_users_file(Path(users_file))
        elif env == DEVELOPMENT:
            users = demo_users()
        else:
            raise SettingsError("production mode needs CONSOLE_USERS_FILE (a JSON file of users)")
        data_dir = Path(_pick(options.get("data_dir"), environ.get("CONSOLE_DATA_DIR"), DEFAULT_DATA_DIR))
        username = _pick(environ.get("CONSOLE_PAYOUT_SYSTEM_USERNAME"))
        password = _pick(environ.get("CONSOLE_PAYOUT_SYSTEM_PASSWORD"))
        api_token = _pick(environ.get("CONSOLE_PAYOUT_SYSTEM_API_TOKEN"))
        if env == DEVELOPMENT:
            # Out of the box, runs use the stand-in's demo account, unless the robot's own
            # credentials (environment or vault) are configured.
            own_credentials = environ.get("PAYOUT_SYSTEM_USERNAME") or environ.get("RPA_SECRET_MANAGER")
            if username is None and password is None and not own_credentials:
                username, password = DEMO_PAYOUT_USERNAME, DEMO_PAYOUT_PASSWORD
            if api_token is None and not environ.get("PAYOUT_SYSTEM_API_TOKEN"):
                api_token = DEMO_PAYOUT_API_TOKEN
        reconcile = _pick(environ.get("CONSOLE_RECONCILE_DECISIONS"))
        settings = cls(
            data_dir=data_dir,
            runs_dir=Path(
                _pick(
                    options.get("runs_dir"),
                    environ.get("CONSOLE_RUNS_DIR"),
                    environ.get("RUNS_DIR"),
                    DEFAULT_RUNS_DIR,
                )
            ),
            state_dir=Path(
                _pick(
                    options.get("state_dir"),
                    environ.get("CONSOLE_STATE_DIR"),
                    environ.get("STATE_DIR"),
                    DEFAULT_STATE_DIR,
                )
            ),
            env=env,
            host=_pick(options.get("host"), environ.get("CONSOLE_HOST"), DEFAULT_HOST),
            port=_to_int("port", _pick(options.get("port"), environ.get("CONSOLE_PORT"), DEFAULT_PORT)),
            secret_key=environ.get("CONSOLE_SECRET_KEY") or (DEV_SECRET_KEY if env == DEVELOPMENT else ""),
            users=users,
            session_idle_seconds=_to_int(
                "session idle seconds",
                _pick(
                    options.get("session_idle_seconds"),
                    environ.get("CONSOLE_SESSION_IDLE_SECONDS"),
                    DEFAULT_SESSION_IDLE_SECONDS,
                ),
            ),
            max_upload_bytes=_to_int(
                "max upload MB",
                _pick(
                    options.get("max_upload_mb"), environ.get("CONSOLE_MAX_UPLOAD_MB"), DEFAULT_MAX_UPLOAD_MB
                ),
            )
            * 1024
            * 1024,
            max_previews=_to_int(
                "max previews", _pick(environ.get("CONSOLE_MAX_PREVIEWS"), DEFAULT_MAX_PREVIEWS)
            ),
            threads=_to_int(
                "threads", _pick(options.get("threads"), environ.get("CONSOLE_THREADS"), DEFAULT_THREADS)
            ),
            payout_system_url=str(
                _pick(
                    options.get("payout_system_url"),
                    environ.get("CONSOLE_PAYOUT_SYSTEM_URL"),
                    DEFAULT_PAYOUT_SYSTEM_URL,
                )
            ),
            payout_system_username=username,
            payout_system_password=password,
            payout_system_api_token=api_token,
            reconcile_decisions=Path(reconcile) if reconcile else None,
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise SettingsError for unusable values, and in production for any demo secret or user."""
        if self.env not in ENVIRONMENTS:
            raise SettingsError(f"env must be one of {', '.join(ENVIRONMENTS)}, got {self.env!r}")
        for name in ("session_idle_seconds", "max_upload_bytes", "max_previews", "threads"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name.replace('_', ' ')} must be positive, got {getattr(self, name)}")
        if not self.payout_system_url.startswith(("http://", "https://")):
            raise SettingsError(
                f"the payout system URL must start with http:// or https://, got {self.payout_system_url!r}"
            )
        if (self.payout_system_username is None) != (self.payout_system_password is None):
            raise SettingsError(
                "CONSOLE_PAYOUT_SYSTEM_USERNAME and CONSOLE_PAYOUT_SYSTEM_PASSWORD must be given together"
            )
        if not self.users:
            raise SettingsError("no users configured")
        _check_one_role_per_account(self.users)
        if self.env != PRODUCTION:
            return
        if not self.secret_key or self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
            raise SettingsError(
                "production mode refuses the default secret key: set CONSOLE_SECRET_KEY "
                "to a random value of at least 32 characters"
            )
        for user in self.users:
            if _is_demo_password(user.password_hash):
                raise SettingsError(f"production mode refuses demo passwords: user {user.username!r} has one")
        if self.payout_system_password == DEMO_PAYOUT_PASSWORD:
            raise SettingsError(
                "production mode refuses the stand-in's demo password for the payout system: "
                "set CONSOLE_PAYOUT_SYSTEM_PASSWORD or use the vault"
            )
        if self.payout_system_api_token == DEMO_PAYOUT_API_TOKEN:
            raise SettingsError(
                "production mode refuses the stand-in's demo API token: set CONSOLE_PAYOUT_SYSTEM_API_TOKEN"
            )


def demo_users() -> tuple[User, ...]:
    """The development-mode accounts (passwords documented in --help and the README)."""
    return tuple(
        User(username=name, password_hash=_demo_hash(password), role=role)
        for name, (password, role) in DEMO_PASSWORDS.items()
    )


def load_users_file(path: Path) -> tuple[User, ...]:
    """Read users from JSON: a list (or {"users": [...]}) of {username, password_hash|password, role}."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"cannot read the users file {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise SettingsError(
            f"the users file {path} is not valid JSON: {exc.msg} (line {exc.lineno})"
        ) from exc
    if isinstance(data, dict):
        data = data.get("users")
    if not isinstance(data, list) or not data:
        raise SettingsError(f"the users file {path} must hold a non-empty list of users")
    users = []
    for index, entry in enumerate(data, start=1):
        if not isinstance(entry, dict):
            raise SettingsError(f"users file entry {index} must be an object")
        username = entry.get("username")
        role = entry.get("role")
        if not isinstance(username, str) or not username.strip():
            raise SettingsError(f"users file entry {index} has no username")
        if isinstance(role, list) or (isinstance(role, str) and ("," in role or " " in role.strip())):
            raise SettingsError(f"user {username!r} may hold only one role, got {role!r}")
        if role not in ROLES:
            raise SettingsError(f"user {username!r} has role {role!r}; expected one of {', '.join(ROLES)}")
        if isinstance(entry.get("password_hash"), str) and entry["password_hash"]:
            password_hash = entry["password_hash"]
        elif isinstance(entry.get("password"), str) and entry["password"]:
            password_hash = generate_password_hash(entry["password"])
        else:
            raise SettingsError(f"user {username!r} needs password_hash or password")
        users.append(User(username=username.strip(), password_hash=password_hash, role=role))
    result = tuple(users)
    _check_one_role_per_account(result)
    return result


def _check_one_role_per_account(users: tuple[User, ...]) -> None:
    seen: dict[str, str] = {}
    for user in users:
        if user.role not in ROLES:
            raise SettingsError(f"user {user.username!r} has unknown role {user.role!r}")
        key = user.username.casefold()
        if key in seen:
            if seen[key] != user.role:
                raise SettingsError(
                    f"user {user.username!r} may hold only one role, got {seen[key]!r} and {user.role!r}"
                )
            raise SettingsError(f"user {user.username!r} is listed more than once")
        seen[key] = user.role


@cache
def _demo_hash(password: str) -> str:
    # Hashing is deliberately slow; demo users are hashed once per process.
    return generate_password_hash(password)


def _is_demo_password(password_hash: str) -> bool:
    return any(check_password_hash(password_hash, pw) for pw, _ in DEMO_PASSWORDS.values())


def _pick(*values: Any) -> Any:
    for value in values:
        if value is not None and value != "":
            return value
    return None


def _to_int(name: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a whole number, got {value!r}") from None
