"""The console's login and role checks: ``webcommon.security``'s, plus the console's settings.

Sessions, CSRF and the cookie (``console_session``) are set up by ``webcommon.app``.
"""

from __future__ import annotations

from flask import current_app

from console.settings import Settings
from webcommon.security import (
    csrf_token,
    current_user,
    end_session,
    ensure_session,
    flash,
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
    "csrf_token",
    "current_user",
    "end_session",
    "ensure_session",
    "flash",
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
