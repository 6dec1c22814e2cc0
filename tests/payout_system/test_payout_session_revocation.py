"""A session follows the users file: a removed, disabled or changed account loses its sessions at
once, with or without a restart; a session ends 12 hours after its login whatever the activity;
a made-up or ended cookie is cleared and stores nothing."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from payout_testdata import PASSWORDS, FakeClock, api_payments, csrf_from, login, register
from werkzeug.security import generate_password_hash

from payout_system import create_app
from payout_system.settings import ROLES, Settings
from tests.support.payout_server import running_payout_system
from webcommon.settings import load_users_file

EXPIRED = "Din session har gått ut. Logga in igen."


def user_entries(**roles: str) -> list[dict[str, Any]]:
    return [
        {
            "username": name,
            "password_hash": generate_password_hash(PASSWORDS[name], method="pbkdf2:sha256:1000"),
            "role": role,
        }
        for name, role in roles.items()
    ]


def write_users(path: Path, entries: list[dict[str, Any]]) -> None:
    path.write_text(json.dumps(entries), encoding="utf-8")


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    path = tmp_path / "users.json"
    write_users(path, user_entries(robot="registrar", attestant="attestant"))
    return path


@pytest.fixture
def file_app(settings: Settings, users_file: Path, clock: FakeClock) -> Flask:
    """The stand-in following ``users_file`` while it runs."""
    app = create_app(
        replace(settings, users=load_users_file(users_file, ROLES), users_file=users_file), clock=clock
    )
    app.config["TESTING"] = True
    return app


@pytest.fixture
def attestant(file_app: Flask) -> Iterator[FlaskClient]:
    """The attestant logged in, with one registered payment waiting for attestation."""
    robot = file_app.test_client()
    login(robot)
    assert register(robot).status_code == 303
    with file_app.test_client() as client:
        login(client, "attestant")
        yield client


def attest(client: FlaskClient, payment_number: str) -> int:
    token = csrf_from(client.get(f"/payments/{payment_number}"))
    return client.post(f"/payments/{payment_number}/attest", data={"csrf_token": token}).status_code


def change_downgrade(entries: list[dict[str, Any]]) -> None:
    entries[1]["role"] = "viewer"


def change_remove(entries: list[dict[str, Any]]) -> None:
    del entries[1]


def change_disable(entries: list[dict[str, Any]]) -> None:
    entries[1]["disabled"] = True


def change_password(entries: list[dict[str, Any]]) -> None:
    entries[1]["password_hash"] = generate_password_hash("a-new-password-here", method="pbkdf2:sha256:1000")


@pytest.mark.parametrize("change", [change_downgrade, change_remove, change_disable, change_password])
def test_a_changed_account_loses_its_session_at_once_without_a_restart(
    attestant: FlaskClient, users_file: Path, change: Callable[[list[dict[str, Any]]], None]
) -> None:
    (payment,) = api_payments(attestant)
    token = csrf_from(attestant.get(f"/payments/{payment['payment_number']}"))
    entries = json.loads(users_file.read_text(encoding="utf-8"))
    change(entries)
    write_users(users_file, entries)
    response = attestant.post(f"/payments/{payment['payment_number']}/attest", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login")
    assert EXPIRED in attestant.get(response.headers["Location"]).get_data(as_text=True)
    assert attestant.get("/").status_code == 303  # the old cookie is gone for good
    robot = attestant.application.test_client()
    login(robot)
    (after,) = api_payments(robot)
    assert after["status"] == "registrerad"


def test_an_unchanged_users_file_keeps_the_session(attestant: FlaskClient, users_file: Path) -> None:
    users_file.write_text(users_file.read_text(encoding="utf-8"), encoding="utf-8")
    (payment,) = api_payments(attestant)
    assert attest(attestant, payment["payment_number"]) == 303
    assert api_payments(attestant)[0]["status"] == "attesterad"


def test_an_unreadable_users_file_ends_every_session_and_refuses_logins(
    attestant: FlaskClient, users_file: Path
) -> None:
    users_file.write_text("[{", encoding="utf-8")
    assert attestant.get("/").status_code == 303
    token = csrf_from(attestant.get("/login"))
    response = attestant.post(
        "/login", data={"username": "attestant", "password": PASSWORDS["attestant"], "csrf_token": token}
    )
    assert response.status_code == 200 and "Fel användarnamn eller lösenord." in response.get_data(
        as_text=True
    )


def test_a_session_ends_twelve_hours_after_login_however_active(
    make_app: Callable[..., Flask], clock: FakeClock
) -> None:
    client = make_app().test_client()
    login(client)
    for _ in range(12 * 4):  # a request every 15 minutes, never idle: 11 h 59 min 12 s in all
        clock.advance(15 * 60 - 1)
        assert client.get("/payments/new").status_code == 200
    clock.advance(60)
    response = client.get("/payments/new")
    assert response.status_code == 303 and "expired=1" in response.headers["Location"]


def session_rows(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        count: int = conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
    return count


def test_made_up_cookies_store_nothing_and_are_cleared(app: Flask, settings: Settings) -> None:
    client = app.test_client()
    client.get("/login")
    before = session_rows(settings.db_path)
    for number in range(20):
        client.set_cookie("payout_session", f"made-up-{number}.{number:032x}")
        response = client.get("/payments/new")
        assert response.status_code == 303
        assert "payout_session=;" in response.headers.get("Set-Cookie", "")
        page = client.get(response.headers["Location"])
        assert EXPIRED in page.get_data(as_text=True)
    assert session_rows(settings.db_path) == before == 0


def served_login(url: str, username: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(url + "login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    answer = browser.post(
        url + "login",
        data={"username": username, "password": PASSWORDS[username], "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303
    return browser


def test_a_downgraded_attestant_cannot_attest_with_an_old_cookie_after_a_restart(
    tmp_path: Path, users_file: Path
) -> None:
    database = tmp_path / "served.db"
    env = {"PAYOUT_USERS_FILE": str(users_file)}
    with running_payout_system(database, env=env) as server:
        attestant = served_login(server.url, "attestant")
        assert attestant.get(server.url, allow_redirects=False, timeout=10).status_code == 200
    entries = json.loads(users_file.read_text(encoding="utf-8"))
    change_downgrade(entries)
    write_users(users_file, entries)
    with running_payout_system(database, env=env) as server:
        answer = attestant.get(server.url, allow_redirects=False, timeout=10)
        assert answer.status_code == 303 and answer.headers["Location"].startswith("/login")
        assert "payout_session" not in attestant.cookies
