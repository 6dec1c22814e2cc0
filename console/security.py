"""Sessions, CSRF protection, flash messages and the login/role checks of the console.

The machinery is ``webcommon.security``; here are the console's own parts: the
``console_session`` cookie (Secure when served over HTTPS), the Swedish "session
expired" notice, and every request but static files using sessions.
"""

from __future__ import annotations

from flask import Flask, current_app, request

from console.settings import Settings
from webcommon import security as web_security
from webcommon.security import (
    SessionConfig,
    check_csrf,
    csrf_token,
    current_user,
    end_session,
    ensure_session,
    flash,
    load_session,
    login_required,
    new_session,
    redirect_to_login,
    role_required,
    safe_next,
    take_flashes,
    username,
)

__all__ = [
    "COOKIE_NAME",
    "EXPIRED_NOTICE",
    "check_csrf",
    "csrf_token",
    "current_user",
    "end_session",
    "ensure_session",
    "flash",
    "init_app",
    "load_session",
    "login_required",
    "new_session",
    "redirect_to_login",
    "role_required",
    "safe_next",
    "settings",
    "take_flashes",
    "username",
]

COOKIE_NAME = "console_session"
EXPIRED_NOTICE = "Din session har gått ut. Logga in igen."


def settings() -> Settings:
    """The running app's settings."""
    value: Settings = current_app.config["CONSOLE_SETTINGS"]
    return value


def _is_session_request() -> bool:
    """Everything but static files."""
    return not request.path.startswith("/static/")


def init_app(app: Flask) -> None:
    """Load sessions and check CSRF before each request; write cookies and flashes after."""
    value: Settings = app.config["CONSOLE_SETTINGS"]
    config = SessionConfig(
        cookie_name=COOKIE_NAME,
        expired_notice=EXPIRED_NOTICE,
        secret_key=value.secret_key,
        idle_seconds=value.session_idle_seconds,
        clock=app.config["CONSOLE_CLOCK"],
        applies_to=_is_session_request,
        secure_cookie=True,
    )
    web_security.init_app(app, config)
