"""Sessions, CSRF protection, flash messages and the login/role checks of the stand-in.

The machinery is ``webcommon.security``; here are the stand-in's own parts: the
``payout_session`` cookie, the Swedish "session expired" notice, which requests use
sessions (not the JSON API, not static files), and the fault-injection hook that drops
a live session (``faults.py`` sets ``g.fault_drop_session``).
"""

from __future__ import annotations

from flask import Flask, g, request

from payout_system.settings import Settings
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
    "is_ui_request",
    "load_session",
    "login_required",
    "new_session",
    "redirect_to_login",
    "role_required",
    "safe_next",
    "take_flashes",
]

COOKIE_NAME = "payout_session"
EXPIRED_NOTICE = "Din session har gått ut. Logga in igen."


def is_ui_request() -> bool:
    """Everything but the JSON API and static files."""
    path = request.path
    return not (path.startswith("/api/") or path == "/api" or path.startswith("/static/"))


def _fault_drops_session() -> bool:
    return bool(g.get("fault_drop_session"))


def init_app(app: Flask) -> None:
    """Load sessions and check CSRF before each UI request; write cookies and flashes after."""
    settings: Settings = app.config["PAYOUT_SETTINGS"]
    config = SessionConfig(
        cookie_name=COOKIE_NAME,
        expired_notice=EXPIRED_NOTICE,
        secret_key=settings.secret_key,
        idle_seconds=settings.session_idle_seconds,
        clock=app.config["PAYOUT_CLOCK"],
        applies_to=is_ui_request,
        drop_session=_fault_drops_session,
    )
    web_security.init_app(app, config)
