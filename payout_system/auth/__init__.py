"""Log in and log out: ``webcommon``'s login blueprint at the stand-in's paths."""

from __future__ import annotations

from webcommon.auth import LOGGED_OUT, LOGIN_FAILED, login_blueprint

__all__ = ["LOGGED_OUT", "LOGIN_FAILED", "bp"]

bp = login_blueprint(__name__, login_path="/login", logout_path="/logout")
