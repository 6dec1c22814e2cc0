"""The shared web plumbing's parameters that neither app's tests reach on their own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask

from webcommon import db, security
from webcommon.settings import SettingsError, load_users_file


def make_app(tmp_path: Path, *, secure_cookie: bool) -> Flask:
    app = Flask(__name__)
    db.init_app(app, tmp_path / "web.sqlite3", db.SESSIONS_SCHEMA)
    security.init_app(
        app,
        security.SessionConfig(
            cookie_name="test_session",
            expired_notice="expired",
            secret_key="k" * 40,
            idle_seconds=60,
            clock=lambda: 1000.0,
            applies_to=lambda: True,
            secure_cookie=secure_cookie,
        ),
    )
    app.add_url_rule("/login", "auth.login", lambda: security.csrf_token())
    return app


@pytest.mark.parametrize("secure_cookie", [True, False])
def test_the_cookie_is_secure_always_if_asked_else_on_https(tmp_path: Path, secure_cookie: bool) -> None:
    """Production asks for Secure always: behind the TLS proxy the app itself sees plain HTTP."""
    https = make_app(tmp_path, secure_cookie=secure_cookie).test_client()
    https_cookie = https.get("/login", base_url="https://localhost").headers["Set-Cookie"]
    plain = make_app(tmp_path, secure_cookie=secure_cookie).test_client()
    plain_cookie = plain.get("/login", base_url="http://localhost").headers["Set-Cookie"]
    assert "Secure" in https_cookie
    assert ("Secure" in plain_cookie) is secure_cookie
    assert "HttpOnly" in https_cookie and "SameSite=Lax" in https_cookie


def test_an_empty_password_hash_falls_back_to_the_password(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text(json.dumps([{"username": "a", "password_hash": "", "password": "pw", "role": "r"}]))
    (user,) = load_users_file(path, ("r",))
    assert user.password_hash
    path.write_text(json.dumps([{"username": "a", "password_hash": "", "role": "r"}]))
    with pytest.raises(SettingsError, match="needs password_hash or password"):
        load_users_file(path, ("r",))
