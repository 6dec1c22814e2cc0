"""Settings plumbing shared by the apps: the users file, password hashes and production checks.

Each app keeps its own ``Settings`` (environment variable names, defaults, roles, demo
accounts); this module holds what is the same: reading and checking users, hashing the
demo passwords once, refusing the default secret key and demo passwords in production,
and turning flag/environment values into typed ones.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

DEVELOPMENT = "development"
PRODUCTION = "production"
ENVIRONMENTS = (DEVELOPMENT, PRODUCTION)
DEFAULT_SESSION_IDLE_SECONDS = 900

# username: (password, role); development mode only
DemoPasswords = Mapping[str, tuple[str, str]]


class SettingsError(ValueError):
    """The configuration is unusable; the message says which setting and why."""


@dataclass(frozen=True)
class User:
    """One account. Exactly one role per account."""

    username: str
    password_hash: str = field(repr=False)
    role: str


def pick(*values: Any) -> Any:
    """The first value that is neither None nor empty (flags, then environment, then default)."""
    for value in values:
        if value is not None and value != "":
            return value
    return None


def to_int(name: str, value: Any) -> int:
    """``value`` as a whole number, or SettingsError naming the setting."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a whole number, got {value!r}") from None


def load_users(
    users_file: str | None, env: str, demo_passwords: DemoPasswords, roles: tuple[str, ...], env_var: str
) -> tuple[User, ...]:
    """The users file's accounts; without one, the demo users (development) or SettingsError."""
    if users_file:
        return load_users_file(Path(users_file), roles)
    if env == DEVELOPMENT:
        return demo_users(demo_passwords)
    raise SettingsError(f"production mode needs {env_var} (a JSON file of users)")


def demo_users(demo_passwords: DemoPasswords) -> tuple[User, ...]:
    """The development-mode accounts (passwords documented in --help and the README)."""
    return tuple(
        User(username=name, password_hash=demo_hash(password), role=role)
        for name, (password, role) in demo_passwords.items()
    )


def load_users_file(path: Path, roles: tuple[str, ...]) -> tuple[User, ...]:
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
        if role not in roles:
            raise SettingsError(f"user {username!r} has role {role!r}; expected one of {', '.join(roles)}")
        if isinstance(entry.get("password_hash"), str) and entry["password_hash"]:
            password_hash = entry["password_hash"]
        elif isinstance(entry.get("password"), str) and entry["password"]:
            password_hash = generate_password_hash(entry["password"])
        else:
            raise SettingsError(f"user {username!r} needs password_hash or password")
        users.append(User(username=username.strip(), password_hash=password_hash, role=role))
    result = tuple(users)
    check_one_role_per_account(result, roles)
    return result


def check_one_role_per_account(users: Sequence[User], roles: tuple[str, ...]) -> None:
    """SettingsError for an unknown role, or a username (any case) listed twice."""
    seen: dict[str, str] = {}
    for user in users:
        if user.role not in roles:
            raise SettingsError(f"user {user.username!r} has unknown role {user.role!r}")
        key = user.username.casefold()
        if key in seen:
            if seen[key] != user.role:
                raise SettingsError(
                    f"user {user.username!r} may hold only one role, got {seen[key]!r} and {user.role!r}"
                )
            raise SettingsError(f"user {user.username!r} is listed more than once")
        seen[key] = user.role


def refuse_default_secret_key(secret_key: str, default: str, env_var: str) -> None:
    """Production: SettingsError unless the secret key is set, not the default, and long enough."""
    if not secret_key or secret_key == default or len(secret_key) < 32:
        raise SettingsError(
            f"production mode refuses the default secret key: set {env_var} "
            "to a random value of at least 32 characters"
        )


def refuse_demo_passwords(users: Sequence[User], demo_passwords: DemoPasswords) -> None:
    """Production: SettingsError when any user's password is one of the demo passwords."""
    for user in users:
        if is_demo_password(user.password_hash, demo_passwords):
            raise SettingsError(f"production mode refuses demo passwords: user {user.username!r} has one")


@cache
def demo_hash(password: str) -> str:
    """The hash of a demo password; hashing is deliberately slow, so each is hashed once per process."""
    return generate_password_hash(password)


def is_demo_password(password_hash: str, demo_passwords: DemoPasswords) -> bool:
    """Whether ``password_hash`` matches any of the demo passwords."""
    return any(check_password_hash(password_hash, pw) for pw, _ in demo_passwords.values())
