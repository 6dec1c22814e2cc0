"""The login blueprint both apps use: log in (throttled), log out.

Each app makes its blueprint with ``login_blueprint`` from its own ``auth`` package at its own
paths; the login page (``auth/login.html``) is ``webcommon``'s. Users, the event trail and
the start page come from the app's ``WebApp``.

A failed or refused login is logged for operators with the account's name only when the
account exists (an unknown name may be a password typed in the wrong field), and the
client address; the typed text is never logged or stored.
"""

from __future__ import annotations

import logging

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from webcommon import throttle
from webcommon.app import live_users, web_app
from webcommon.db import get_db
from webcommon.files import printable
from webcommon.security import current_user, end_session, flash, new_session, safe_next
from webcommon.settings import User

LOGIN_FAILED = "Fel användarnamn eller lösenord."
LOGGED_OUT = "Du är utloggad."
UNKNOWN_USER = "(okänt användarnamn)"
MAX_USERNAME_LENGTH = 200

log = logging.getLogger("webcommon.auth")

# Checked when the username is unknown, so a wrong username takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password")

LoginAnswer = Response | str | tuple[str, int] | tuple[str, int, dict[str, str]]


def find_user(typed: str) -> User | None:
    """The account with this username (any case) as the users file says now, or None."""
    return live_users().find(typed)


def login_blueprint(import_name: str, *, login_path: str, logout_path: str) -> Blueprint:
    """The ``auth`` blueprint at the app's paths."""
    bp = Blueprint("auth", import_name)
    bp.add_url_rule(login_path, "login", login, methods=["GET", "POST"])
    bp.add_url_rule(logout_path, "logout", logout, methods=["POST"])
    return bp


def _form(next_page: str | None, username: str, status: int = 200) -> tuple[str, int]:
    return render_template("auth/login.html", next_page=next_page, username=username), status


def login() -> LoginAnswer:
    """Show the login form; on POST check the credentials and start a fresh session."""
    web = web_app()
    next_page = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(next_page or url_for(web.home_endpoint), code=303)
        return _form(next_page, "")
    typed = request.form.get("username", "").strip()[:MAX_USERNAME_LENGTH]
    password = request.form.get("password", "")
    user_key = throttle.user_key(web.settings.secret_key, typed)
    address_key = throttle.address_key(request.remote_addr)
    conn = get_db()
    now = web.clock()
    user = find_user(typed) if typed else None
    shown = user.username if user is not None else UNKNOWN_USER
    # Counted before the password is hashed: attempts sent at once cannot pass the limit.
    until = throttle.reserve(
        conn, [(user_key, throttle.USER_POLICY), (address_key, throttle.ADDRESS_POLICY)], now
    )
    if until:
        log.warning("login refused (throttled) for %s from %s", shown, _address())
        web.record_event(conn, shown, "login_throttled")
        flash("error", throttle.wait_message(until - now))
        return (*_form(next_page, typed, 429), {"Retry-After": str(max(1, int(until - now + 0.999)))})
    password_ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not password_ok:
        log.warning("login failed for %s from %s", shown, _address())
        web.record_event(conn, shown, "login_failed")
        flash("error", LOGIN_FAILED)
        return _form(next_page, typed)
    throttle.succeeded(conn, user_key, address_key, throttle.ADDRESS_POLICY)
    new_session(user)
    web.record_event(conn, user.username, "login")
    return redirect(next_page or url_for(web.home_endpoint), code=303)


def _address() -> str:
    """The client address for a log line (printable characters only)."""
    return printable(request.remote_addr or "-", 64)


def logout() -> Response:
    """End the session and go back to the login page."""
    user = current_user()
    if user is not None:
        web_app().record_event(get_db(), user["username"], "logout")
    end_session()
    flash("info", LOGGED_OUT)
    return redirect(url_for("auth.login"), code=303)
