"""Login, logout, sessions and their idle expiry. (Who may open which route, and CSRF on every
POST: test_console_routes.py.)"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from console.security import EXPIRED_NOTICE
from tests.console.console_testdata import PASSWORDS, FakeClock, csrf_from, flashes, login, page_name


def test_login_page_has_labelled_fields_and_a_csrf_token(client: FlaskClient) -> None:
    page = client.get("/logga-in")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page_name(page) == "login"
    assert '<html lang="sv">' in html
    for element in ('<label for="username">', '<label for="password">', 'id="login-button"'):
        assert element in html
    assert csrf_from(page)


def test_login_sets_an_httponly_lax_cookie_with_a_new_session_id(client: FlaskClient) -> None:
    assert client.get("/logga-in").status_code == 200
    assert client.get_cookie("console_session") is None  # showing the form stores no session
    token = csrf_from(client.get("/logga-in"))
    client.post("/logga-in", data={"username": "olle", "password": "fel", "csrf_token": token})
    before = client.get_cookie("console_session")  # the failure's message needs a session
    response = login(client, "olle")
    cookie_header = response.headers["Set-Cookie"]
    assert cookie_header.startswith("console_session=")
    assert "HttpOnly" in cookie_header and "SameSite=Lax" in cookie_header
    after = client.get_cookie("console_session")
    assert before is not None and after is not None and before.value != after.value
    page = client.get("/korningar")
    assert '<span id="current-user">olle</span>' in page.get_data(as_text=True)
    assert '<span id="current-role">driftansvarig</span>' in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("username", "password"), [("anna", "wrong-password"), ("nobody", "anna-demo-password"), ("", "")]
)
def test_wrong_credentials_show_the_form_again(client: FlaskClient, username: str, password: str) -> None:
    token = csrf_from(client.get("/logga-in"))
    response = client.post(
        "/logga-in", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 200 and page_name(response) == "login"
    assert "Fel användarnamn eller lösenord." in flashes(response)
    assert client.get("/filer").status_code == 303


def test_after_login_the_page_asked_for_opens_but_never_another_site(client: FlaskClient) -> None:
    assert client.get("/korningar?visa=misslyckade").headers["Location"] == (
        "/logga-in?next=/korningar?visa%3Dmisslyckade"
    )
    token = csrf_from(client.get("/logga-in"))
    data = {"username": "olle", "password": PASSWORDS["olle"], "csrf_token": token}
    response = client.post("/logga-in?next=/korningar?visa%3Dmisslyckade", data=data)
    assert response.headers["Location"] == "/korningar?visa=misslyckade"

    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        other = client.application.test_client()
        token = csrf_from(other.get("/logga-in"))
        data = {"username": "olle", "password": PASSWORDS["olle"], "csrf_token": token}
        assert other.post("/logga-in", data=data, query_string={"next": target}).headers["Location"] == "/"


def test_an_idle_session_expires_and_activity_keeps_it(app: Flask, clock: FakeClock) -> None:
    client = app.test_client()
    login(client, "anna")
    idle = app.config["CONSOLE_SETTINGS"].session_idle_seconds
    clock.advance(idle - 10)
    assert client.get("/filer").status_code == 200  # activity restarts the idle timer
    clock.advance(idle - 10)
    assert client.get("/filer").status_code == 200
    clock.advance(idle + 1)
    response = client.get("/filer")
    assert response.status_code == 303 and response.headers["Location"] == "/logga-in?next=/filer&expired=1"
    page = client.get(response.headers["Location"])
    assert EXPIRED_NOTICE in flashes(page)


def test_a_post_after_expiry_changes_nothing_and_asks_for_login(
    app: Flask, clock: FakeClock, as_user: Callable[[str], FlaskClient]
) -> None:
    client = as_user("olle")
    token = csrf_from(client.get("/korningar"))
    clock.advance(app.config["CONSOLE_SETTINGS"].session_idle_seconds + 1)
    response = client.post("/avstamning", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/logga-in?expired=1"
    assert not any(app.config["CONSOLE_SETTINGS"].runs_dir.iterdir())


def test_logout_ends_the_session(as_user: Callable[[str], FlaskClient]) -> None:
    client = as_user("anna")
    token = csrf_from(client.get("/filer"))
    response = client.post("/logga-ut", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/logga-in"
    assert "Du är utloggad." in flashes(client.get("/logga-in"))
    assert client.get("/filer").status_code == 303


def test_a_forged_cookie_is_no_session(app: Flask, as_user: Callable[[str], FlaskClient]) -> None:
    client = as_user("olle")
    cookie = client.get_cookie("console_session")
    assert cookie is not None
    session_id = cookie.value.rsplit(".", 1)[0]
    forged = app.test_client()
    forged.set_cookie("console_session", f"{session_id}.{'0' * 32}")
    assert forged.get("/korningar").status_code == 303
