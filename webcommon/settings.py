"""Settings plumbing shared by the apps: the users file, password hashes and production checks.

Each app keeps its own ``Settings`` (environment variable names, defaults, roles, demo
accounts); this module holds what is the same: reading and checking users, hashing the
demo passwords once, refusing the default secret key and demo passwords in production,
and turning flag/environment values into typed ones.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from werkzeug.security import check_password_hash, generate_password_hash

from webcommon import demo_values

DEVELOPMENT = "development"
PRODUCTION = "production"
ENVIRONMENTS = (DEVELOPMENT, PRODUCTION)
DEFAULT_SESSION_IDLE_SECONDS = 900
# However active, a session ends this long after its login.
DEFAULT_SESSION_MAX_SECONDS = 12 * 3600
MIN_PASSWORD_LENGTH = 12
MIN_SECRET_KEY_LENGTH = 32
MIN_SECRET_KEY_BITS = 100
MIN_TOKEN_LENGTH = 16
MIN_TOKEN_BITS = 56
DEFAULT_TRUSTED_PROXY = "127.0.0.1"
MAKE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'  # noqa: S105 - a command
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("", "0", "false", "no", "off")

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


def to_flag(name: str, value: str | None) -> bool:
    """An environment flag (true/false, yes/no, 1/0, on/off), or SettingsError naming it."""
    word = (value or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SettingsError(f"{name} must be true or false, got {value!r}")


def trusted_proxy(value: str | None, env: str) -> str | None:
    """The TLS proxy's address whose X-Forwarded-* headers waitress trusts (production default
    ``127.0.0.1``; development trusts none unless one is named)."""
    if value:
        return value
    return DEFAULT_TRUSTED_PROXY if env == PRODUCTION else None


def load_users(
    users_file: str | None, env: str, demo_passwords: DemoPasswords, roles: tuple[str, ...], env_var: str
) -> tuple[User, ...]:
    """The users file's accounts; without one, the demo users (development) or SettingsError.

    In production a password given in clear in the file must be at least ``MIN_PASSWORD_LENGTH``
    characters (a hash's password cannot be measured: ``--hash-password`` refuses short ones).
    """
    if users_file:
        min_length = MIN_PASSWORD_LENGTH if env == PRODUCTION else 0
        return load_users_file(Path(users_file), roles, min_password_length=min_length)
    if env == DEVELOPMENT:
        return demo_users(demo_passwords)
    raise SettingsError(f"production mode needs {env_var} (a JSON file of users)")


def demo_users(demo_passwords: DemoPasswords) -> tuple[User, ...]:
    """The development-mode accounts (passwords documented in --help and the README)."""
    return tuple(
        User(username=name, password_hash=demo_hash(password), role=role)
        for name, (password, role) in demo_passwords.items()
    )


def load_users_file(path: Path, roles: tuple[str, ...], *, min_password_length: int = 0) -> tuple[User, ...]:
    """Read users from JSON: a list (or {"users": [...]}) of {username, password_hash|password, role},
    each optionally ``"disabled": true`` (kept in the file, but the account cannot be used)."""
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
            if len(entry["password"]) < min_password_length:
                raise SettingsError(
                    f"production mode refuses short passwords: user {username!r} in the users file {path} "
                    f"has a password under {min_password_length} characters"
                )
            if min_password_length and demo_values.looks_like_demo(entry["password"]):
                raise SettingsError(
                    f"production mode refuses demo passwords: user {username!r} in the users file {path} "
                    "has one, or one close to one"
                )
            password_hash = generate_password_hash(entry["password"])
        else:
            raise SettingsError(f"user {username!r} needs password_hash or password")
        disabled = entry.get("disabled", False)
        if not isinstance(disabled, bool):
            raise SettingsError(f"user {username!r} has disabled {disabled!r}; expected true or false")
        if not disabled:
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


def estimated_bits(value: str) -> float:
    """A rough measure of how unguessable ``value`` is: its length times the Shannon entropy
    of its characters. ``40 × 'a'`` scores 0, ``abab…`` 1 bit a character, a random
    ``secrets.token_urlsafe(32)`` over 200."""
    if not value:
        return 0.0
    counts = Counter(value)
    per_char = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return per_char * len(value)


def refuse_weak_secret(
    value: str, env_var: str, *, label: str, defaults: Sequence[str], min_length: int, min_bits: float
) -> None:
    """Production: SettingsError naming ``env_var`` unless ``value`` is set, not a default,
    at least ``min_length`` characters and not low in entropy (repeated or few characters)."""
    value = value.strip()
    if not value or value in defaults or demo_values.looks_like_demo(value):
        what, problem = f"the default {label}", "is not set" if not value else "is or resembles a demo value"
    elif len(value) < min_length:
        what, problem = f"a short {label}", f"is shorter than {min_length} characters"
    elif estimated_bits(value) < min_bits:
        what, problem = f"a weak {label}", "has too few different characters to be random"
    else:
        return
    raise SettingsError(
        f"production mode refuses {what}: {env_var} {problem}; set it to a random value of at least "
        f"{min_length} characters, e.g. from {MAKE_SECRET}"
    )


def refuse_default_secret_key(secret_key: str, default: str, env_var: str) -> None:
    """Production: SettingsError unless the secret key is set, not the default, long and random enough."""
    refuse_weak_secret(
        secret_key,
        env_var,
        label="secret key",
        defaults=(default,),
        min_length=MIN_SECRET_KEY_LENGTH,
        min_bits=MIN_SECRET_KEY_BITS,
    )


def refuse_weak_token(token: str, defaults: Sequence[str], env_var: str) -> None:
    """Production: SettingsError unless an API token is set, not a demo one, long and random enough."""
    refuse_weak_secret(
        token,
        env_var,
        label="API token",
        defaults=defaults,
        min_length=MIN_TOKEN_LENGTH,
        min_bits=MIN_TOKEN_BITS,
    )


def refuse_demo_passwords(users: Sequence[User], demo_passwords: DemoPasswords) -> None:
    """Production: SettingsError when any user's password is a demo password of either app."""
    every_demo = {
        **{name: (password, "") for name, password in demo_values.CONSOLE_PASSWORDS.items()},
        **{f"payout:{name}": (password, "") for name, password in demo_values.PAYOUT_PASSWORDS.items()},
        **demo_passwords,
    }
    for user in users:
        if is_demo_password(user.password_hash, every_demo):
            raise SettingsError(f"production mode refuses demo passwords: user {user.username!r} has one")


@cache
def demo_hash(password: str) -> str:
    """The hash of a demo password; hashing is deliberately slow, so each is hashed once per process."""
    return generate_password_hash(password)


def is_demo_password(password_hash: str, demo_passwords: DemoPasswords) -> bool:
    """Whether ``password_hash`` matches any of the demo passwords."""
    return any(check_password_hash(password_hash, pw) for pw, _ in demo_passwords.values())


# The variables ``load_common`` reads, each after the app's prefix and "_" (e.g. PAYOUT_ENV).
COMMON_VARIABLES = (
    "ENV",
    "HOST",
    "PORT",
    "SECRET_KEY",
    "USERS_FILE",
    "SESSION_IDLE_SECONDS",
    "SESSION_MAX_SECONDS",
    "THREADS",
    "TRUSTED_PROXY",
)


class CommonSettings(Protocol):
    """The settings every app's ``Settings`` holds (``load_common``'s): what serving and the app
    factory read."""

    @property
    def env(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def secret_key(self) -> str: ...
    @property
    def users(self) -> tuple[User, ...]: ...
    @property
    def users_file(self) -> Path | None: ...
    @property
    def session_idle_seconds(self) -> int: ...
    @property
    def session_max_seconds(self) -> int: ...
    @property
    def threads(self) -> int: ...
    @property
    def trusted_proxy(self) -> str | None: ...


@dataclass(frozen=True)
class AppIdentity:
    """What names an app's settings: its environment prefix, roles, demo users and demo key."""

    prefix: str
    roles: tuple[str, ...]
    demo_passwords: DemoPasswords
    dev_secret_key: str
    host: str
    port: int
    threads: int


def load_common(app: AppIdentity, options: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings both apps have, from flags (None = not given), then ``<prefix>_*`` variables,
    then the defaults: env, host, port, secret_key, users (and users_file), session_idle_seconds,
    session_max_seconds, threads, trusted_proxy."""
    prefix = app.prefix

    def value(name: str, default: Any = None) -> Any:
        return pick(options.get(name), environ.get(f"{prefix}_{name.upper()}"), default)

    env = value("env", DEVELOPMENT)
    if env not in ENVIRONMENTS:
        raise SettingsError(f"{prefix}_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
    dev_secret_key = app.dev_secret_key if env == DEVELOPMENT else ""
    users_file = value("users_file")
    return {
        "env": env,
        "host": value("host", app.host),
        "port": to_int("port", value("port", app.port)),
        "secret_key": environ.get(f"{prefix}_SECRET_KEY") or dev_secret_key,
        "users": load_users(users_file, env, app.demo_passwords, app.roles, f"{prefix}_USERS_FILE"),
        "users_file": Path(users_file) if users_file else None,
        "session_idle_seconds": to_int(
            "session idle seconds", value("session_idle_seconds", DEFAULT_SESSION_IDLE_SECONDS)
        ),
        "session_max_seconds": to_int(
            "session max seconds", value("session_max_seconds", DEFAULT_SESSION_MAX_SECONDS)
        ),
        "threads": to_int("threads", value("threads", app.threads)),
        "trusted_proxy": trusted_proxy(value("trusted_proxy"), env),
    }


def validate_common(app: AppIdentity, settings: Any, *, production: Callable[[], None] | None = None) -> None:
    """SettingsError for what both apps refuse: an unknown mode, non-positive numbers, no or
    badly-roled users, and in production the default or a weak secret key, then the app's own
    ``production`` checks, then demo passwords."""
    if settings.env not in ENVIRONMENTS:
        raise SettingsError(f"env must be one of {', '.join(ENVIRONMENTS)}, got {settings.env!r}")
    for name in ("session_idle_seconds", "session_max_seconds", "threads"):
        if getattr(settings, name) <= 0:
            raise SettingsError(f"{name.replace('_', ' ')} must be positive, got {getattr(settings, name)}")
    if not settings.users:
        raise SettingsError("no users configured")
    check_one_role_per_account(settings.users, app.roles)
    if settings.env == PRODUCTION:
        refuse_default_secret_key(settings.secret_key, app.dev_secret_key, f"{app.prefix}_SECRET_KEY")
        if production is not None:
            production()
        refuse_demo_passwords(settings.users, app.demo_passwords)


def users_file_reader(app: AppIdentity, env: str) -> Callable[[Path], tuple[User, ...]]:
    """How a running app re-reads its users file: as at start (in production no short or demo
    passwords), raising SettingsError when the file cannot be used."""

    def read(path: Path) -> tuple[User, ...]:
        users = load_users(str(path), env, app.demo_passwords, app.roles, f"{app.prefix}_USERS_FILE")
        if env == PRODUCTION:
            refuse_demo_passwords(users, app.demo_passwords)
        return users

    return read
