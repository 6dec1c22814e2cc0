"""The console's login and role checks: ``webcommon.security``'s, plus the running console's
settings, launcher and run book.

Sessions, CSRF and the cookie (``console_session``) are set up by ``webcommon.app``.
"""

from __future__ import annotations

from typing import cast

from flask import current_app

from console.history import RunBook
from console.launcher import Launcher
from console.settings import Settings
from webcommon.security import (
    EXPIRED_NOTICE,
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
    "launcher",
    "login_required",
    "new_session",
    "redirect_to_login",
    "role_required",
    "runbook",
    "safe_next",
    "settings",
    "take_flashes",
    "username",
]

COOKIE_NAME = "console_session"
LAUNCHER_KEY = "console_launcher"
RUNBOOK_KEY = "console_runbook"


def settings() -> Settings:
    """The running app's settings."""
    return cast(Settings, current_app.config["CONSOLE_SETTINGS"])


def launcher() -> Launcher:
    """The running app's launcher."""
    return cast(Launcher, current_app.extensions[LAUNCHER_KEY])


def runbook() -> RunBook:
    """The running app's run book."""
    return cast(RunBook, current_app.extensions[RUNBOOK_KEY])
