"""Settings of the console, from command-line flags and the environment (``CONSOLE_*``).

Command-line flags win over environment variables, which win over the defaults.
Development mode (the default) comes with demo users and, for the stand-in payout
system, the robot's demo account, so that the console starts with no configuration;
production mode refuses to start with any of them (``Settings.validate``).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import webcommon.settings
from webcommon import demo_values
from webcommon.settings import DEFAULT_SESSION_IDLE_SECONDS as DEFAULT_SESSION_IDLE_SECONDS
from webcommon.settings import DEFAULT_SESSION_MAX_SECONDS as DEFAULT_SESSION_MAX_SECONDS
from webcommon.settings import DEVELOPMENT as DEVELOPMENT
from webcommon.settings import ENVIRONMENTS as ENVIRONMENTS
from webcommon.settings import PRODUCTION as PRODUCTION
from webcommon.settings import AppIdentity, load_common, to_flag, validate_common
from webcommon.settings import SettingsError as SettingsError
from webcommon.settings import User as User
from webcommon.settings import pick as _pick
from webcommon.settings import to_int as _to_int

CASE_WORKER = "handläggare"
OPERATOR = "driftansvarig"
# Read-only: the unit's management and analysts see the follow-up page and nothing else.
FOLLOW_UP = "uppfoljning"
ROLES = (CASE_WORKER, OPERATOR, FOLLOW_UP)

DEV_SECRET_KEY = demo_values.CONSOLE_SECRET_KEY
DEMO_PASSWORDS: dict[str, tuple[str, str]] = {
    # username: (password, role); development mode only
    "anna": (demo_values.CONSOLE_PASSWORDS["anna"], CASE_WORKER),
    "olle": (demo_values.CONSOLE_PASSWORDS["olle"], OPERATOR),
    "ulla": (demo_values.CONSOLE_PASSWORDS["ulla"], FOLLOW_UP),
}
# The stand-in payout system's development accounts (payout_system/settings.py); refused in production.
DEMO_PAYOUT_USERNAME = "robot"
DEMO_PAYOUT_PASSWORD = demo_values.PAYOUT_PASSWORDS["robot"]
DEMO_PAYOUT_API_TOKEN = demo_values.API_TOKEN

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8090
DEFAULT_DATA_DIR = "state/console"
DEFAULT_RUNS_DIR = "runs"
DEFAULT_STATE_DIR = "state"
DEFAULT_PAYOUT_SYSTEM_URL = "http://127.0.0.1:8080"
DEFAULT_MAX_UPLOAD_MB = 20
DEFAULT_MAX_PREVIEWS = 4
# A preview (dry run) that has not finished after this long is stopped, and the page says why.
DEFAULT_PREVIEW_TIMEOUT_SECONDS = 900
DEFAULT_THREADS = 8
RUNNER_MODULE = "splitpayout.runner"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
# prefix, roles, demo users, demo secret key, default host, port and threads
APP = AppIdentity(
    "CONSOLE", ROLES, DEMO_PASSWORDS, DEV_SECRET_KEY, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_THREADS
)


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
    # The users file the app follows while it runs (None: the users above, e.g. the demo ones).
    users_file: Path | None = None
    session_idle_seconds: int = DEFAULT_SESSION_IDLE_SECONDS
    session_max_seconds: int = DEFAULT_SESSION_MAX_SECONDS
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
    max_previews: int = DEFAULT_MAX_PREVIEWS
    preview_timeout_seconds: int = DEFAULT_PREVIEW_TIMEOUT_SECONDS
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
    # Production accepts a plain http:// payout-system URL only when this says the network is closed.
    allow_plain_http: bool = False
    # waitress trusts X-Forwarded-* headers from this address only (None: from nowhere).
    trusted_proxy: str | None = None

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
        common = load_common(APP, options, environ)
        env = common["env"]
        data_dir = Path(_pick(options.get("data_dir"), environ.get("CONSOLE_DATA_DIR"), DEFAULT_DATA_DIR))
        username, password, api_token = _payout_credentials(env, environ)
        reconcile = _pick(environ.get("CONSOLE_RECONCILE_DECISIONS"))
        if env == PRODUCTION:
            refuse_demo_credentials_for_runs(environ)
        settings = cls(
            data_dir=data_dir,
            runs_dir=_folder(
                options.get("runs_dir"), environ, "CONSOLE_RUNS_DIR", "RUNS_DIR", DEFAULT_RUNS_DIR
            ),
            state_dir=_folder(
                options.get("state_dir"), environ, "CONSOLE_STATE_DIR", "STATE_DIR", DEFAULT_STATE_DIR
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
            preview_timeout_seconds=_to_int(
                "preview timeout seconds",
                _pick(environ.get("CONSOLE_PREVIEW_TIMEOUT_SECONDS"), DEFAULT_PREVIEW_TIMEOUT_SECONDS),
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
            allow_plain_http=to_flag("CONSOLE_ALLOW_PLAIN_HTTP", environ.get("CONSOLE_ALLOW_PLAIN_HTTP")),
            **common,
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise SettingsError for unusable values, and in production for any demo secret or user."""
        validate_common(APP, self)
        for name in ("max_upload_bytes", "max_previews", "preview_timeout_seconds"):
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
        if self.env != PRODUCTION:
            return
        if self.payout_system_password and demo_values.looks_like_demo(self.payout_system_password):
            raise SettingsError(
                "production mode refuses the stand-in's demo password for the payout system: "
                "set CONSOLE_PAYOUT_SYSTEM_PASSWORD or use the vault"
            )
        if self.payout_system_api_token and demo_values.looks_like_demo(self.payout_system_api_token):
            raise SettingsError(
                "production mode refuses the stand-in's demo API token: set CONSOLE_PAYOUT_SYSTEM_API_TOKEN"
            )
        if self.payout_system_url.startswith("http://") and not self.allow_plain_http:
            raise SettingsError(
                "production mode refuses a plain http:// CONSOLE_PAYOUT_SYSTEM_URL: use https://, or set "
                "CONSOLE_ALLOW_PLAIN_HTTP=true when the network between the robot and the payout system "
                "is closed"
            )


def _payout_credentials(env: str, environ: Mapping[str, str]) -> tuple[str | None, str | None, str | None]:
    """The runs' account and API token for the payout system (None: the run's own settings)."""
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
    return username, password, api_token


def refuse_demo_credentials_for_runs(environ: Mapping[str, str]) -> None:
    """Production: SettingsError when the runs would get a demo value (of any app, however
    written: ``webcommon.demo_values``) from the console's environment (``PAYOUT_SYSTEM_PASSWORD``,
    ``PAYOUT_SYSTEM_API_TOKEN``, ``LEDGER_FINGERPRINT_KEY``) or from the vault file
    (``RPA_SECRET_FILE``, JSON or YAML as the vault reads it; a file that cannot be read so is
    refused too)."""
    for name in ("PAYOUT_SYSTEM_PASSWORD", "PAYOUT_SYSTEM_API_TOKEN", "LEDGER_FINGERPRINT_KEY"):
        if demo_values.looks_like_demo(environ.get(name) or ""):
            raise SettingsError(f"production mode refuses the stand-in's demo credentials in {name}")
    vault = (environ.get("RPA_SECRET_FILE") or "").strip()
    if not vault:
        return
    # Runs start in the project folder: a relative path is read from there (and from here).
    for path in dict.fromkeys((Path(vault), PROJECT_ROOT / vault)):
        try:
            data = demo_values.read_secret_file(path)
        except OSError:
            continue  # the run says what is wrong with a missing vault
        except demo_values.SecretFileError as error:
            raise SettingsError(
                f"production mode refuses a vault file it cannot check: RPA_SECRET_FILE={vault} ({error})"
            ) from None
        if any(demo_values.looks_like_demo(value) for value in demo_values.strings(data)):
            raise SettingsError(
                "production mode refuses the stand-in's demo credentials in the vault file "
                f"RPA_SECRET_FILE={vault}"
            )


def _folder(option: object, environ: Mapping[str, str], own: str, shared: str, default: str) -> Path:
    """A folder: the command-line option, else the console's own variable, else the robot's,
    else the default."""
    return Path(_pick(option, environ.get(own), environ.get(shared), default))


def load_users_file(path: Path) -> tuple[User, ...]:
    """Read users from JSON: a list (or {"users": [...]}) of {username, password_hash|password, role}."""
    return webcommon.settings.load_users_file(path, ROLES)
