"""Server-side sessions, CSRF protection, flash messages and the login/role checks.

A session lives in the ``sessions`` table; a cookie named by the app holds its id, signed
with the secret key (HttpOnly, SameSite=Lax, and Secure in production or over HTTPS). A
session is stored only once it carries something: a login or a flash message (an unknown or
ended session's cookie is cleared, and never replaced by a stored session). Every POST
must send its session's CSRF token; the login form, shown to browsers without a session,
uses a double-submit token instead (a random value in the form and, signed, in a second
cookie ``<cookie>_login``), so showing it stores nothing. A session idle for longer than
the app's idle time, or older than its absolute lifetime, or whose account was removed, disabled
or changed in the users file since the login (``webcommon.users``), is dropped; the next
request then lands on the login page with the app's "session expired" notice. Idle sessions
are pruned at most once a minute (``PRUNE_EVERY_SECONDS``), driven by requests. The app's
login view is the endpoint ``auth.login``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from urllib.parse import quote, urlencode, urlsplit

from flask import Flask, abort, current_app, g, redirect, request, url_for
from werkzeug.wrappers import Response

from webcommon import sessions as store
from webcommon.db import get_db
from webcommon.settings import DEFAULT_SESSION_MAX_SECONDS, User
from webcommon.users import user_stamp

F = TypeVar("F", bound=Callable[..., Any])

_CONFIG_KEY = "webcommon_sessions"
_PRUNED_KEY = "webcommon_sessions_pruned_at"
PRUNE_EVERY_SECONDS = 60.0
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
EXPIRED_NOTICE = "Din session har gått ut. Logga in igen."
EXPIRED_PARAMETER = "expired"
# Query parameters that may hold personal data: never carried into the login page's next=.
NEVER_IN_NEXT = frozenset({"personnummer"})


@dataclass(frozen=True)
class SessionConfig:
    """What differs between apps.

    ``applies_to`` says which requests use sessions (the others, e.g. static files, are left
    alone); ``secure_cookie`` marks the cookie Secure always (production: the app runs behind
    TLS), otherwise it is Secure on HTTPS requests only; ``drop_session``, when given, is asked
    before the idle check whether to drop the request's live session anyway; ``max_seconds``
    is a session's absolute lifetime; ``find_user`` gives a logged-in session's account as the
    users file says now (None: the account is gone), checked on every request.
    """

    cookie_name: str
    expired_notice: str
    secret_key: str
    idle_seconds: int
    clock: Callable[[], float]
    applies_to: Callable[[], bool]
    secure_cookie: bool = False
    drop_session: Callable[[], bool] | None = None
    max_seconds: int = DEFAULT_SESSION_MAX_SECONDS
    find_user: Callable[[str], User | None] | None = None


def _config() -> SessionConfig:
    config: SessionConfig = current_app.extensions[_CONFIG_KEY]
    return config


def _sign(session_id: str) -> str:
    key = _config().secret_key.encode()
    return hmac.new(key, session_id.encode(), hashlib.sha256).hexdigest()[:32]


def _session_id_from_cookie() -> str | None:
    value = request.cookies.get(_config().cookie_name)
    if not value or "." not in value:
        return None
    session_id, signature = value.rsplit(".", 1)
    if not hmac.compare_digest(signature, _sign(session_id)):
        return None
    return session_id


def load_session() -> None:
    """Before each request: find the live session, dropping it when it may no longer be used."""
    config = _config()
    g.sess = None
    g.session_expired = False
    g.flashes_dirty = False
    _prune_on_schedule(config)
    had_cookie = config.cookie_name in request.cookies
    session_id = _session_id_from_cookie()
    if session_id is None:
        g.session_expired = had_cookie
        return
    conn = get_db()
    row = store.get_session(conn, session_id)
    now = config.clock()
    if row is not None and not _still_valid(config, row, now):
        store.delete_session(conn, session_id)
        row = None
    if row is None:
        g.session_expired = True
        return
    store.touch_session(conn, session_id, now)
    sess = dict(row)
    sess["flashes"] = [tuple(item) for item in json.loads(row["flashes"])]
    g.sess = sess


def _still_valid(config: SessionConfig, row: Any, now: float) -> bool:
    """Whether a stored session may go on: the app does not drop it, it is neither idle too long
    nor older than the absolute lifetime, and its account is still in the users file as it was
    at login (same name, role and password; not disabled)."""
    if config.drop_session is not None and config.drop_session():
        return False
    if now - float(row["last_seen"]) > config.idle_seconds:
        return False
    if not 0 <= now - float(row["created_at"]) <= config.max_seconds:
        return False
    if row["username"] is None or config.find_user is None:
        return True
    user = config.find_user(row["username"])
    return (
        user is not None
        and user.username == row["username"]
        and user.role == row["role"]
        and row["user_stamp"] is not None
        and hmac.compare_digest(str(row["user_stamp"]), user_stamp(config.secret_key, user))
    )


def _prune_on_schedule(config: SessionConfig) -> None:
    """Drop idle sessions when the last pruning is more than ``PRUNE_EVERY_SECONDS`` ago."""
    now = config.clock()
    last = current_app.extensions.get(_PRUNED_KEY)
    if last is not None and 0 <= now - last < PRUNE_EVERY_SECONDS:
        return
    current_app.extensions[_PRUNED_KEY] = now
    store.delete_idle_sessions(get_db(), now - config.idle_seconds, now - config.max_seconds)


def new_session(user: User | None = None) -> dict[str, Any]:
    """Start a session (anonymous unless a user is given), replacing the current one."""
    config = _config()
    username = None if user is None else user.username
    role = None if user is None else user.role
    stamp = None if user is None else user_stamp(config.secret_key, user)
    conn = get_db()
    old = g.get("sess")
    if old is not None:
        store.delete_session(conn, old["session_id"])
    now = config.clock()
    session_id = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    store.create_session(conn, session_id, csrf_token, now, username=username, role=role, user_stamp=stamp)
    sess: dict[str, Any] = {
        "session_id": session_id,
        "username": username,
        "role": role,
        "csrf_token": csrf_token,
        "flashes": [],
    }
    g.sess = sess
    g.set_cookie = session_id
    return sess


def ensure_session() -> dict[str, Any]:
    """The current session, or a new anonymous one."""
    sess: dict[str, Any] | None = g.get("sess")
    if sess is None:
        sess = new_session()
    return sess


def end_session() -> None:
    """Drop the current session (logout)."""
    sess = g.get("sess")
    if sess is not None:
        store.delete_session(get_db(), sess["session_id"])
    g.sess = None
    g.session_expired = False


def current_user() -> dict[str, Any] | None:
    """The logged-in session, or None."""
    sess: dict[str, Any] | None = g.get("sess")
    if sess is None or sess.get("username") is None:
        return None
    return sess


def username() -> str:
    """The logged-in user's name (only inside views that require a login)."""
    user = current_user()
    if user is None:  # pragma: no cover - views check this first
        abort(403)
    return str(user["username"])


def flash(kind: str, message: str) -> None:
    """Queue a message ("info" or "error") shown on the next rendered page."""
    sess = ensure_session()
    sess["flashes"].append((kind, message))
    g.flashes_dirty = True


def take_flashes() -> dict[str, list[str]]:
    """Pending messages by kind; they are shown once."""
    sess = g.get("sess")
    result: dict[str, list[str]] = {"info": [], "error": []}
    if _shows_expiry():
        result["info"].append(_config().expired_notice)
    if sess is None:
        return result
    for kind, message in sess["flashes"]:
        result.setdefault(kind, []).append(message)
    if sess["flashes"]:
        sess["flashes"] = []
        g.flashes_dirty = True
    return result


def _shows_expiry() -> bool:
    """Whether this page is the login page reached because a session ended (said by the
    redirect's ``expired`` parameter, or a stale cookie): nothing is stored for the notice."""
    if request.endpoint != "auth.login" or current_user() is not None:
        return False
    return bool(g.get("session_expired")) or request.args.get(EXPIRED_PARAMETER) == "1"


def _login_cookie_name() -> str:
    return _config().cookie_name + "_login"


def _login_nonce_from_cookie() -> str | None:
    """The login form's token from its signed cookie, or None."""
    value = request.cookies.get(_login_cookie_name())
    if not value or "." not in value:
        return None
    nonce, signature = value.rsplit(".", 1)
    if not hmac.compare_digest(signature, _sign("login:" + nonce)):
        return None
    return nonce


def csrf_token() -> str:
    """The CSRF token for hidden form fields: the session's, or on the login page without a
    session, the login form's double-submit token (nothing is stored for it)."""
    if g.get("sess") is None and request.endpoint == "auth.login":
        nonce: str | None = g.get("login_nonce") or _login_nonce_from_cookie()
        if nonce is None:
            nonce = secrets.token_urlsafe(32)
        g.login_nonce = nonce
        return nonce
    token: str = ensure_session()["csrf_token"]
    return token


def safe_next(target: str | None) -> str | None:
    """A local path to go to after login, rebuilt from its parsed path and query, or None.

    Never an absolute or scheme-relative URL; control characters and backslashes drop it;
    anything else unusual in a URL is percent-encoded, the fragment is left out.
    """
    if not target or len(target) > 2000 or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme or parts.netloc:
        return None
    path = quote(parts.path, safe=_PATH_SAFE)
    if not path.startswith("/") or path.startswith("//"):
        return None
    query = quote(parts.query, safe=_QUERY_SAFE)
    return f"{path}?{query}" if query else path


def _return_target() -> str | None:
    """Where to go after logging in: the page asked for, if it can be opened with GET."""
    if request.endpoint == "auth.login":
        return safe_next(request.args.get("next")) or "/"
    rule = request.url_rule
    if rule is None or "GET" not in (rule.methods or ()):
        return None  # a POST-only route (e.g. logout): after login, the start page
    if request.method == "GET" and request.query_string:
        kept = [(name, value) for name, value in request.args.items(multi=True) if name not in NEVER_IN_NEXT]
        return safe_next(f"{request.path}?{urlencode(kept, safe='/:@!$()*,;~')}" if kept else request.path)
    return safe_next(request.path)


def redirect_to_login() -> Response:
    """303 to the login page, remembering where the user was going and, when a session ended,
    saying so in the URL (an unknown or ended session's cookie is cleared; nothing is stored)."""
    arguments: dict[str, Any] = {}
    target = _return_target()
    if target is not None:
        arguments["next"] = target
    if g.get("session_expired"):
        arguments[EXPIRED_PARAMETER] = "1"
    return redirect(url_for("auth.login", **arguments), code=303)


def check_csrf() -> Response | None:
    """Before each POST: a live session and its CSRF token are required."""
    if request.method != "POST":
        return None
    sess = g.get("sess")
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if sess is None:
        if g.get("session_expired") or request.endpoint != "auth.login":
            return redirect_to_login()
        nonce = _login_nonce_from_cookie()
        if nonce is None or not hmac.compare_digest(sent.encode(), nonce.encode()):
            abort(400)
        return None
    if not hmac.compare_digest(sent.encode(), str(sess["csrf_token"]).encode()):
        abort(400)
    return None


def login_required(view: F) -> F:
    """Redirect to the login page unless someone is logged in."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect_to_login()
        return view(*args, **kwargs)

    return cast(F, wrapped)


def role_required(*roles: str) -> Callable[[F], F]:
    """Log-in required, and 403 unless the user's role is one of ``roles``."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect_to_login()
            if user["role"] not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


def _before_request() -> Response | None:
    if not _config().applies_to():
        return None
    load_session()
    return check_csrf()


def _after_request(response: Response) -> Response:
    config = _config()
    if not config.applies_to():
        return response
    sess = g.get("sess")
    if sess is not None and g.get("flashes_dirty"):
        store.save_flashes(get_db(), sess["session_id"], sess["flashes"])
    new_id = g.get("set_cookie")
    if new_id is not None and sess is not None and sess["session_id"] == new_id:
        response.set_cookie(
            config.cookie_name,
            f"{new_id}.{_sign(new_id)}",
            httponly=True,
            samesite="Lax",
            path="/",
            secure=config.secure_cookie or request.is_secure,
        )
    elif sess is None and g.get("session_expired") and config.cookie_name in request.cookies:
        response.delete_cookie(config.cookie_name, path="/")
    _write_login_cookie(response, config, sess)
    return response


def _write_login_cookie(response: Response, config: SessionConfig, sess: dict[str, Any] | None) -> None:
    """Set the login form's cookie when a form used a new token; drop it once logged in."""
    name = _login_cookie_name()
    nonce = g.get("login_nonce")
    if nonce is not None and name not in request.cookies:
        response.set_cookie(
            name,
            f"{nonce}.{_sign('login:' + nonce)}",
            httponly=True,
            samesite="Lax",
            path="/",
            secure=config.secure_cookie or request.is_secure,
        )
    elif sess is not None and sess.get("username") and name in request.cookies:
        response.delete_cookie(name, path="/")


def init_app(app: Flask, config: SessionConfig) -> None:
    """Load sessions and check CSRF before each request; write cookies and flashes after."""
    app.extensions[_CONFIG_KEY] = config
    app.before_request(_before_request)
    app.after_request(_after_request)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_user"] = current_user
    app.jinja_env.globals["take_flashes"] = take_flashes
