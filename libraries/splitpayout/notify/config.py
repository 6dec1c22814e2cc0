"""The notifier's settings, read from environment variables (the README's configuration table).

No ``SMTP_HOST`` means no notifier: nothing is queued and nothing is sent. A wrong value
never stops a run either: :func:`NotifySettings.from_env` returns the settings with
``problem`` set, which the run logs, and nothing is sent.

The SMTP credentials are not part of this object: :func:`smtp_credentials` reads them
where they are used, from ``SMTP_USERNAME``/``SMTP_PASSWORD`` or the vault secret named by
``SMTP_SECRET`` (default ``smtp``, keys ``username`` and ``password``).
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.headerregistry import Address
from pathlib import Path

#: A Handläggare id that may be put into an address: anything else goes to the fallback.
# A plain id that is a valid local part as it stands: a dot only between other characters.
CASE_WORKER_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]|\.(?=[A-Za-z0-9_-])){0,63}")
PLACEHOLDER = "{handlaggare}"
DEFAULT_PORT = 25
DEFAULT_TIMEOUT_SECONDS = 10
DEFAULT_MAX_ATTEMPTS = 5
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
    secret_name: str = "smtp"  # noqa: S105 (the name of a vault secret, not a secret)
    state_dir: Path = Path("state")
    problem: str = ""  # a setting that is wrong: nothing is sent, the run says why
    warning: str = ""  # a recipient setting that is wrong and left out: the run says so
    runs_dir: Path = field(default=Path("runs"))

    @property
    def enabled(self) -> bool:
        return bool(self.smtp_host) and not self.problem

    @property
    def outbox_dir(self) -> Path:
        return self.state_dir / OUTBOX_FOLDER

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NotifySettings:
        env = os.environ if env is None else env
        state_dir = Path(env.get("STATE_DIR", "state"))
        runs_dir = Path(env.get("RUNS_DIR", "runs"))
        host = env.get("SMTP_HOST", "").strip()
        if not host:
            return cls(state_dir=state_dir, runs_dir=runs_dir)
        problems: list[str] = []
        warnings: list[str] = []
        values = _read_values(env, problems, warnings)
        return cls(
            smtp_host=host,
            state_dir=state_dir,
            runs_dir=runs_dir,
            problem="; ".join(problems),
            warning="; ".join(warnings),
            **values,  # type: ignore[arg-type]
        )


def default_sender() -> str:
    """``NOTIFY_FROM`` when unset: the robot at this machine's name."""
    host = socket.getfqdn()
    address = f"utbetalningsroboten@{host}"
    return address if valid_address(address) else "utbetalningsroboten@localhost"


def _read_values(env: Mapping[str, str], problems: list[str], warnings: list[str]) -> dict[str, object]:
    """The settings besides the host. ``problems`` stop all sending (the sender, the port, the CA
    file); a wrong recipient setting only goes into ``warnings`` and is left out."""
    sender = env.get("NOTIFY_FROM", "").strip() or default_sender()
    if not valid_address(sender):
        problems.append("NOTIFY_FROM must be one e-mail address")
    template = env.get("NOTIFY_CASEWORKER_ADDRESS", "").strip()
    if template and (PLACEHOLDER not in template or not valid_address(template.replace(PLACEHOLDER, "x"))):
        warnings.append("NOTIFY_CASEWORKER_ADDRESS must be an address holding {handlaggare}: not used")
        template = ""
    fallback = env.get("NOTIFY_CASEWORKER_FALLBACK", "").strip()
    if fallback and not valid_address(fallback):
        warnings.append("NOTIFY_CASEWORKER_FALLBACK must be one e-mail address: not used")
        fallback = ""
    ca_file = env.get("SMTP_CA_FILE", "").strip()
    if ca_file and not Path(ca_file).is_file():
        problems.append("SMTP_CA_FILE must name a file of CA certificates")
    listed = [part.strip() for part in env.get("NOTIFY_OPERATORS", "").split(",") if part.strip()]
    operators = tuple(address for address in listed if valid_address(address))
    if len(operators) != len(listed):
        warnings.append("NOTIFY_OPERATORS holds something that is not an e-mail address: left out")
    return {
        "smtp_port": _number(env, "SMTP_PORT", DEFAULT_PORT, problems, 1, 65535),
        "timeout_seconds": float(
            _number(env, "SMTP_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS, warnings, 1, 300)
        ),
        "sender": sender,
        "case_worker_template": template,
        "case_worker_fallback": fallback,
        "operators": operators,
        "console_url": env.get("CONSOLE_URL", "").strip().rstrip("/"),
        "max_attempts": _number(env, "NOTIFY_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS, warnings, 1, 100),
        "secret_name": env.get("SMTP_SECRET", "smtp").strip() or "smtp",
        "ca_file": ca_file,
    }


def _number(env: Mapping[str, str], name: str, default: int, problems: list[str], low: int, high: int) -> int:
    raw = env.get(name, "").strip()
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
    env = os.environ if env is None else env
    username = env.get("SMTP_USERNAME", "")
    password = env.get("SMTP_PASSWORD", "")
    if username and password:
        return username, password
    if not env.get("RPA_SECRET_MANAGER") and not env.get("RC_API_SECRET_HOST"):
        return None  # no vault configured
    try:
        from RPA.Robocorp.Vault import Vault

        secret = Vault().get_secret(secret_name)
        return str(secret["username"]), str(secret["password"])
    except Exception:  # no such secret (the vault's errors vary by adapter): send without logging in
        return None
