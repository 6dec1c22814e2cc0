"""The shared web plumbing's parameters that neither app's tests reach on their own."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from webcommon import db, files, security, settings, throttle
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


def test_private_files_and_folders_are_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o000)
    try:
        existing = tmp_path / "existing"
        existing.mkdir(mode=0o777)
        assert stat.S_IMODE(files.private_dir(existing).stat().st_mode) == 0o700
        created = files.private_file(tmp_path / "new" / "data.sqlite3")
        assert stat.S_IMODE(created.stat().st_mode) == 0o600
        assert stat.S_IMODE(created.parent.stat().st_mode) == 0o700
        with files.open_private(tmp_path / "log.txt", "ab") as handle:
            handle.write(b"x")
        assert stat.S_IMODE((tmp_path / "log.txt").stat().st_mode) == 0o600
        with pytest.raises(ValueError, match="for writing only"):
            files.open_private(tmp_path / "log.txt", "rb")
    finally:
        os.umask(old)


@given(st.text(max_size=60), st.text(max_size=20))
def test_an_export_label_says_nothing_personal_and_holds_no_control_character(digest: str, day: str) -> None:
    label = files.export_label(digest, day)
    assert re.fullmatch(r"export-[0-9-]{1,10}-[0-9a-f]{12}\.xlsx|export-okand-[0-9a-f]{12}\.xlsx", label)
    assert files.printable("Anna\nFAKE line\x1b[31m") == "Anna?FAKE line?[31m"


@pytest.mark.parametrize(
    ("value", "weak"),
    [
        ("a" * 40, True),
        ("ab" * 24, True),
        ("abcd" * 10, True),
        ("kQ3v9LrT7xWm2PzN8bYc4HsJ6dGf1AeU5oRi0VtXlK", False),
        ("3f1c9a0b7e5d2c8f4a6b1e0d9c7a5f3e2b8d6c4a1f0e9d7c", False),  # secrets.token_hex(24)
    ],
)
def test_a_secret_of_few_different_characters_is_weak(value: str, weak: bool) -> None:
    assert (settings.estimated_bits(value) < settings.MIN_SECRET_KEY_BITS) is weak


def test_the_delay_grows_and_the_message_says_when_to_try_again() -> None:
    policy = throttle.Policy(free=3, first_delay=30, max_delay=3600)
    assert [policy.delay_after(n) for n in (2, 3, 4, 5, 20, 10**6)] == [0, 30, 60, 120, 3600, 3600]
    assert throttle.wait_message(0.2) == "För många misslyckade inloggningar. Försök igen om 1 sekund."
    assert throttle.wait_message(30) == "För många misslyckade inloggningar. Försök igen om 30 sekunder."
    assert throttle.wait_message(61) == "För många misslyckade inloggningar. Försök igen om 2 minuter."
