"""The notifier's settings: its view of the configuration (the README's configuration table).

No ``SMTP_HOST`` means no notifier: nothing is queued and nothing is sent. A wrong value
never stops a run either: :func:`NotifySettings.from_env` returns the settings with
``problem`` set, which the run logs, and nothing is sent.

The SMTP credentials are not part of this object: :func:`smtp_credentials` looks them up
where they are used, from ``SMTP_USERNAME``/``SMTP_PASSWORD`` or the vault secret named by
``SMTP_SECRET`` (default ``smtp``, keys ``username`` and ``password``), through
:func:`splitpayout.config.smtp_credentials`.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.headerregistry import Address
from pathlib import Path

from splitpayout.config import Config, NotifyConfig
from splitpayout.config import smtp_credentials as config_smtp_credentials
from splitpayout.config.names import (
    NOTIFY_MAX_ATTEMPTS,
    RUNS_DIR,
    SMTP_PORT,
    SMTP_SECRET,
    SMTP_TIMEOUT_SECONDS,
    STATE_DIR,
)

#: A Handläggare id that may be put into an address: anything else goes to the fallback.
# A plain id that is a valid local part as it stands: a dot only between other characters.
CASE_WORKER_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]|\.(?=[A-Za-z0-9_-])){0,63}")
PLACEHOLDER = "{handlaggare}"
DEFAULT_PORT = SMTP_PORT
DEFAULT_TIMEOUT_SECONDS = SMTP_TIMEOUT_SECONDS
DEFAULT_MAX_ATTEMPTS = NOTIFY_MAX_ATTEMPTS
OUTBOX_FOLDER = "outbox"


def valid_address(text: str) -> bool:
    """Whether ``text`` is one plain e-mail address (no display name, no line breaks)."""
    if not text or any(ch in text for ch in "\r\n\t ,;<>\"'()[]\\") or text.count("@") != 1:
        return False
    try:
        address = Address(addr_spec=text)
    except (HeaderParseError, ValueError, IndexError):
        return False
    return bool(address.username) and bool(address.domain) and address.addr_spec == text


def case_worker_address(template: str, case_worker: str | None) -> str | None:
    """The address made from ``NOTIFY_CASEWORKER_ADDRESS`` for a Handläggare id, or None when the
    id is missing or could change the address's meaning (then the fallback is used)."""
    if not template or not case_worker or not CASE_WORKER_ID.fullmatch(case_worker):
        return None
    address = template.replace(PLACEHOLDER, case_worker)
    return address if valid_address(address) else None


@dataclass(frozen=True)
class NotifySettings:
    """How and to whom the robot sends its messages."""

    smtp_host: str = ""
    smtp_port: int = DEFAULT_PORT
    timeout_seconds: float = float(DEFAULT_TIMEOUT_SECONDS)
    sender: str = ""
    case_worker_template: str = ""
    case_worker_fallback: str = ""
    operators: tuple[str, ...] = ()
    console_url: str = ""
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    ca_file: str = ""  # a CA bundle to trust besides the system's (an internal CA)
    secret_name: str = SMTP_SECRET
    state_dir: Path = Path(STATE_DIR)
    problem: str = ""  # a setting that is wrong: nothing is sent, the run says why
    warning: str = ""  # a recipient setting that is wrong and left out: the run says so
    runs_dir: Path = field(default=Path(RUNS_DIR))

    @property
    def enabled(self) -> bool:
        return bool(self.smtp_host) and not self.problem

    @property
    def outbox_dir(self) -> Path:
        return self.state_dir / OUTBOX_FOLDER

    @classmethod
    def from_config(cls, given: NotifyConfig) -> NotifySettings:
        """The notifier's settings from the configuration's text; never raises."""
        if not given.smtp_host:
            return cls(state_dir=given.state_dir, runs_dir=given.runs_dir)
        problems: list[str] = []
        warnings: list[str] = []
        values = _read_values(given, problems, warnings)
        return cls(
            smtp_host=given.smtp_host,
            state_dir=given.state_dir,
            runs_dir=given.runs_dir,
            problem="; ".join(problems),
            warning="; ".join(warnings),
            **values,  # type: ignore[arg-type]
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NotifySettings:
        """The settings from ``env`` (default: this process's environment)."""
        return cls.from_config(Config.load(env).notify)


def default_sender() -> str:
    """``NOTIFY_FROM`` when unset: the robot at this machine's name."""
    host = socket.getfqdn()
    address = f"utbetalningsroboten@{host}"
    return address if valid_address(address) else "utbetalningsroboten@localhost"


def _read_values(given: NotifyConfig, problems: list[str], warnings: list[str]) -> dict[str, object]:
    """The settings besides the host. ``problems`` stop all sending (the sender, the port, the CA
    file); a wrong recipient setting only goes into ``warnings`` and is left out."""
    sender = given.sender or default_sender()
    if not valid_address(sender):
        problems.append("NOTIFY_FROM must be one e-mail address")
    template = given.case_worker_template
    if template and (PLACEHOLDER not in template or not valid_address(template.replace(PLACEHOLDER, "x"))):
        warnings.append("NOTIFY_CASEWORKER_ADDRESS must be an address holding {handlaggare}: not used")
        template = ""
    fallback = given.case_worker_fallback
    if fallback and not valid_address(fallback):
        warnings.append("NOTIFY_CASEWORKER_FALLBACK must be one e-mail address: not used")
        fallback = ""
    ca_file = given.smtp_ca_file
    if ca_file and not Path(ca_file).is_file():
        problems.append("SMTP_CA_FILE must name a file of CA certificates")
    listed = [part.strip() for part in given.operators.split(",") if part.strip()]
    operators = tuple(address for address in listed if valid_address(address))
    if len(operators) != len(listed):
        warnings.append("NOTIFY_OPERATORS holds something that is not an e-mail address: left out")
    return {
        "smtp_port": _number("SMTP_PORT", given.smtp_port, DEFAULT_PORT, problems, 1, 65535),
        "timeout_seconds": float(
            _number(
                "SMTP_TIMEOUT_SECONDS", given.smtp_timeout_seconds, DEFAULT_TIMEOUT_SECONDS, warnings, 1, 300
            )
        ),
        "sender": sender,
        "case_worker_template": template,
        "case_worker_fallback": fallback,
        "operators": operators,
        "console_url": given.console_url.rstrip("/"),
        "max_attempts": _number(
            "NOTIFY_MAX_ATTEMPTS", given.max_attempts, DEFAULT_MAX_ATTEMPTS, warnings, 1, 100
        ),
        "secret_name": given.smtp_secret or SMTP_SECRET,
        "ca_file": ca_file,
    }


def _number(name: str, raw: str, default: int, problems: list[str], low: int, high: int) -> int:
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{name} must be a whole number, got {raw!r}")
        return default
    if not low <= value <= high:
        problems.append(f"{name} must be between {low} and {high}, got {value}")
        return default
    return value


def smtp_credentials(secret_name: str, env: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """SMTP_USERNAME/SMTP_PASSWORD, else the vault secret ``secret_name`` (keys ``username`` and
    ``password``), else None: the server is used without logging in."""
    return config_smtp_credentials(secret_name, Config.load(env).credentials)
