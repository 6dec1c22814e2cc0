"""The robot's secrets: from the environment when given there, else from the vault
(``RPA.Robocorp.Vault``: Control Room's vault, or locally the file of ``RPA_SECRET_FILE``).

Secrets are never keyword arguments and never logged; a failure names what to set and the
secret's name, never a value.
"""

from __future__ import annotations

from collections.abc import Mapping

from splitpayout.config.sections import Credentials


class MissingSecretError(RuntimeError):
    """A secret is in neither the environment nor the vault."""


def vault_secret(secret_name: str) -> Mapping[str, object]:
    """The vault secret ``secret_name``. Raises MissingSecretError naming the secret (the vault's
    own errors vary by adapter and are not shown: they may quote what it holds)."""
    from RPA.Robocorp.Vault import Vault

    try:
        return Vault().get_secret(secret_name)  # type: ignore[no-any-return]
    except Exception as error:  # the vault's errors vary by adapter
        raise MissingSecretError(f"{secret_name!r} ({type(error).__name__})") from None


def _vault_key(secret_name: str, key: str) -> str:
    secret = vault_secret(secret_name)
    try:
        return str(secret[key])
    except Exception as error:  # a secret without the key
        raise MissingSecretError(f"{secret_name!r} ({type(error).__name__})") from None


def payout_system_credentials(secret_name: str, credentials: Credentials | None = None) -> tuple[str, str]:
    """Username and password: PAYOUT_SYSTEM_USERNAME/PASSWORD, else the vault secret ``secret_name``."""
    given = credentials or Credentials.from_env()
    username = given.payout_system_username.get_secret_value()
    password = given.payout_system_password.get_secret_value()
    if username and password:
        return username, password
    try:
        return _vault_key(secret_name, "username"), _vault_key(secret_name, "password")
    except MissingSecretError as error:
        raise RuntimeError(
            "No credentials for the payout system: set PAYOUT_SYSTEM_USERNAME and PAYOUT_SYSTEM_PASSWORD, "
            f"or a vault secret {error} with 'username' and 'password'"
        ) from None


def payout_system_api_token(secret_name: str, credentials: Credentials | None = None) -> str:
    """The API token: PAYOUT_SYSTEM_API_TOKEN, else key ``api_token`` of the vault secret
    ``secret_name``. Raises MissingSecretError saying what to set."""
    given = credentials or Credentials.from_env()
    token = given.payout_system_api_token.get_secret_value()
    if token:
        return token
    try:
        return _vault_key(secret_name, "api_token")
    except MissingSecretError as error:
        raise MissingSecretError(
            "No API token for the payout system: set PAYOUT_SYSTEM_API_TOKEN, or a vault secret "
            f"{error} with 'api_token'"
        ) from None


def smtp_credentials(secret_name: str, credentials: Credentials | None = None) -> tuple[str, str] | None:
    """SMTP_USERNAME/SMTP_PASSWORD, else the vault secret ``secret_name`` (keys ``username`` and
    ``password``), else None: the server is used without logging in."""
    given = credentials or Credentials.from_env()
    username = given.smtp_username.get_secret_value()
    password = given.smtp_password.get_secret_value()
    if username and password:
        return username, password
    if not given.vault_configured:
        return None
    try:
        return _vault_key(secret_name, "username"), _vault_key(secret_name, "password")
    except MissingSecretError:  # no such secret: send without logging in
        return None
