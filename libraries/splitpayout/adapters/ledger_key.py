"""The key of the ledger's fingerprints, and the one way a run opens the ledger (``open_ledger``).

The key is a secret kept apart from the state folder: ``LEDGER_FINGERPRINT_KEY``, else key
``fingerprint_key`` of the vault secret ``LEDGER_SECRET`` (default ``ledger``), as the payout
system's credentials are read. ``ROBOT_ENV`` says what kind of installation this is:

- ``production`` (the default): without a key, nothing that opens the ledger starts; a key
  shorter than 32 characters, or one that is or resembles a demo value, is refused too.
- ``development`` (the demo, a developer's machine): without a key, one is made once in the
  owner-only file ``LEDGER_KEY_FILE`` (default ``~/.config/split-payout/ledger-fingerprint.key``),
  which must not be inside ``STATE_DIR``; the log says where it is.

Losing the key does not lose a payment: exactly-once goes by reference. Fingerprints made
with another key no longer match, so a reconciliation cannot tell a changed recipient from
them until the payments are planned again.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from splitpayout.adapters.ledger import Ledger
from splitpayout.config import Credentials, LedgerKeyConfig, MissingSecretError, SettingsError, vault_secret
from webcommon import demo_values
from webcommon.files import open_private, private_dir

MIN_KEY_LENGTH = 32
VAULT_KEY = "fingerprint_key"


def fingerprint_key(
    config: LedgerKeyConfig | None = None, *, say: Callable[[str], None] | None = None
) -> bytes:
    """The key, from the environment, the vault, or (development only) the key file.
    Raises SettingsError saying what to set when there is none or it is unsafe."""
    config = config or LedgerKeyConfig.from_env()
    key = config.fingerprint_key.get_secret_value() or _from_vault(config.secret_name)
    if key:
        if not config.development:
            _refuse_unsafe(key)
        return key.encode("utf-8")
    if not config.development:
        raise SettingsError(
            "LEDGER_FINGERPRINT_KEY is not set: a production installation (ROBOT_ENV=production) needs "
            f"the key of the ledger's fingerprints, in LEDGER_FINGERPRINT_KEY or in the vault secret "
            f"{config.secret_name!r} with {VAULT_KEY!r} (at least {MIN_KEY_LENGTH} random characters, e.g. "
            'from python -c "import secrets; print(secrets.token_urlsafe(32))"); '
            "a development or demo installation sets ROBOT_ENV=development"
        )
    return _development_key(config, say or _quiet)


def _from_vault(secret_name: str) -> str:
    if not Credentials.from_env().vault_configured:
        return ""
    try:
        return str(vault_secret(secret_name)[VAULT_KEY]).strip()
    except (MissingSecretError, KeyError, TypeError):
        return ""


def _refuse_unsafe(key: str) -> None:
    if len(key) < MIN_KEY_LENGTH or demo_values.looks_like_demo(key):
        raise SettingsError(
            f"LEDGER_FINGERPRINT_KEY is unsafe: production needs at least {MIN_KEY_LENGTH} random "
            "characters, not a demo value"
        )


def _development_key(config: LedgerKeyConfig, say: Callable[[str], None]) -> bytes:
    """Development: the key file's key, made (owner-only) on first use."""
    path = config.development_key_file.expanduser().resolve()
    state = config.state_dir.resolve()
    if path == state or state in path.parents:
        raise SettingsError(
            f"LEDGER_KEY_FILE must be outside STATE_DIR: the key may not be kept with the ledger, got {path}"
        )
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        key = ""
    if not key:
        private_dir(path.parent)
        key = secrets.token_urlsafe(32)
        with open_private(path, "wb") as handle:
            handle.write(key.encode("utf-8"))
        say(
            f"Development: made the ledger's fingerprint key in {path} (owner-only; keep it out of STATE_DIR)"
        )
    else:
        say(f"Development: the ledger's fingerprint key is in {path}")
    return key.encode("utf-8")


def open_ledger(path: Path, *, config: LedgerKeyConfig | None = None) -> Ledger:
    """The ledger at ``path`` with its fingerprint key (see ``fingerprint_key``)."""
    return Ledger(path, fingerprint_key=fingerprint_key(config))


def _quiet(_message: str) -> None:
    """Opening the ledger says nothing: the run says where the key is when it starts."""
