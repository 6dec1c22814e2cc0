"""The stand-in's login and role checks (``webcommon.security``'s), and which requests use sessions.

Sessions, CSRF and the cookie (``payout_session``) are set up by ``webcommon.app``; the JSON
API and static files use none. The fault-injection hook drops a live session when
``faults.py`` sets ``g.fault_drop_session``.
"""

from __future__ import annotations

from flask import g, request

from webcommon.security import current_user, flash, login_required, role_required

__all__ = ["COOKIE_NAME", "current_user", "flash", "is_ui_request", "login_required", "role_required"]

COOKIE_NAME = "payout_session"


def is_ui_request() -> bool:
    """Everything but the JSON API and static files."""
    path = request.path
    return not (path.startswith("/api/") or path == "/api" or path.startswith("/static/"))


def is_api_request() -> bool:
    """The JSON API (its errors are JSON too)."""
    return request.path.startswith("/api/")


def fault_drops_session() -> bool:
    """Whether fault injection dropped this request's session."""
    return bool(g.get("fault_drop_session"))
