"""Log in and log out."""

from __future__ import annotations

import hmac

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from console import store
from console.db import get_db
from console.security import (
    current_user,
    end_session,
    ensure_session,
    flash,
    new_session,
    safe_next,
    settings,
)
from console.settings import User

bp = Blueprint("auth", __name__, template_folder="templates")

LOGIN_FAILED = "Fel användarnamn eller lösenord."
LOGGED_OUT = "Du är utloggad."

# Checked when the username is unknown, so a wrong username takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password")


def _find_user(username: str) -> User | None:
    for user in settings().users:
        if hmac.compare_digest(user.username.casefold().encode(), username.casefold().encode()):
            return user
    return None


@bp.route("/logga-in", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    """Show the login form; on POST check the credentials and start a fresh session."""
    next_page = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(next_page or url_for("home"), code=303)
        ensure_session()
        return render_template("auth/login.html", next_page=next_page, username="")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    user = _find_user(username) if username else None
    password_ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    conn = get_db()
    if user is None or not password_ok:
        store.add_event(conn, username[:64] or "-", "login_failed")
        flash("error", LOGIN_FAILED)
        return render_template("auth/login.html", next_page=next_page, username=username), 200
    new_session(username=user.username, role=user.role)
    store.add_event(conn, user.username, "login")
    return redirect(next_page or url_for("home"), code=303)


@bp.route("/logga-ut", methods=["POST"])
def logout() -> Response:
    """End the session and go back to the login page."""
    user = current_user()
    if user is not None:
        store.add_event(get_db(), user["username"], "logout")
    end_session()
    flash("info", LOGGED_OUT)
    return redirect(url_for("auth.login"), code=303)
