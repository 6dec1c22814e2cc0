"""Login, logout, sessions and their idle expiry. (Who may open which route, and CSRF on every
POST: test_payout_routes.py.)"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from payout_testdata import (
    PASSWORDS,
    FakeClock,
    api_payments,
    csrf_from,
    login,
    page_name,
    register,
    valid_form_data,
)

EXPIRED = "Din session har gått ut. Logga in igen."


def test_login_page_has_the_contracted_form(client: FlaskClient) -> None:
    page = client.get("/login")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert page_name(page) == "login"
    for element in ('id="login-form"', 'id="username"', 'id="password"', 'id="login-button"'):
        assert element in html
    assert csrf_from(page)


def test_login_sets_an_httponly_lax_session_cookie_and_lands_on_home(client: FlaskClient) -> None:
    response = login(client)
    assert response.headers["Location"] == "/"
    cookie_header = response.headers["Set-Cookie"]
    assert cookie_header.startswith("payout_session=")
    assert "HttpOnly" in cookie_header
    assert "SameSite=Lax" in cookie_header
    home = client.get("/")
    assert page_name(home) == "home"
    assert '<span id="current-user">robot</span>' in home.get_data(as_text=True)
    assert '<span id="current-role">registrar</span>' in home.get_data(as_text=True)


def test_login_gives_a_new_session_id(client: FlaskClient) -> None:
    assert client.get("/login").status_code == 200
    assert client.get_cookie("payout_session") is None  # showing the form stores no session
    token = csrf_from(client.get("/login"))
    client.post("/login", data={"username": "robot", "password": "fel", "csrf_token": token})
    before = client.get_cookie("payout_session")  # the failure's message needs a session
    login(client)
    after = client.get_cookie("payout_session")
    assert before is not None and after is not None
    assert before.value != after.value


@pytest.mark.parametrize(
    ("username", "password"), [("robot", "wrong-password"), ("nobody", "robot-demo-password"), ("", "")]
)
def test_wrong_credentials_show_the_form_again_with_an_error(
    client: FlaskClient, username: str, password: str
) -> None:
    token = csrf_from(client.get("/login"))
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page_name(response) == "login"
    assert 'id="flash-error"' in html and "Fel användarnamn eller lösenord." in html
    assert client.get("/").status_code == 303


def test_login_returns_to_the_page_asked_for(client: FlaskClient) -> None:
    first = client.get("/payments/search?reference=B-1/1")
    assert first.status_code == 303
    assert first.headers["Location"].startswith("/login?next=")
    login_page = client.get(first.headers["Location"])
    token = csrf_from(login_page)
    response = client.post(
        first.headers["Location"],
        data={"username": "robot", "password": PASSWORDS["robot"], "csrf_token": token},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/payments/search?reference=B-1/1"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_login_never_redirects_off_site(client: FlaskClient, target: str) -> None:
    token = csrf_from(client.get("/login"))
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "robot", "password": PASSWORDS["robot"], "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_logout_ends_the_session_for_good(client: FlaskClient) -> None:
    login(client)
    old_cookie = client.get_cookie("payout_session")
    assert old_cookie is not None
    token = csrf_from(client.get("/"))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "Du är utloggad." in client.get("/login").get_data(as_text=True)
    assert client.get("/payments/new").status_code == 303
    # Replaying the old cookie does not bring the session back.
    client.set_cookie("payout_session", old_cookie.value)
    assert client.get("/payments/new").status_code == 303


def test_navigation_shows_only_what_the_role_may_do(logged_in: Callable[..., FlaskClient]) -> None:
    robot = logged_in("robot").get("/").get_data(as_text=True)
    attestant = logged_in("attestant").get("/").get_data(as_text=True)
    viewer = logged_in("viewer").get("/").get_data(as_text=True)
    assert 'id="nav-new-payment"' in robot and 'id="nav-audit"' not in robot
    assert 'id="nav-audit"' in attestant and 'id="nav-new-payment"' not in attestant
    assert (
        'id="nav-search"' in viewer
        and 'id="nav-new-payment"' not in viewer
        and 'id="nav-audit"' not in viewer
    )


def test_idle_session_expires_and_login_page_says_so(
    make_app: Callable[..., Flask], clock: FakeClock
) -> None:
    client = make_app(session_idle_seconds=900).test_client()
    login(client)
    clock.advance(899)
    assert client.get("/payments/new").status_code == 200  # activity restarts the idle timer
    clock.advance(899)
    assert client.get("/payments/new").status_code == 200
    clock.advance(901)
    response = client.get("/payments/new")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/payments/new&expired=1"
    login_page = client.get(response.headers["Location"])
    assert page_name(login_page) == "login"
    html = login_page.get_data(as_text=True)
    assert 'id="flash-info"' in html and EXPIRED in html


@pytest.mark.parametrize(
    "headers",
    [{"Accept": "application/json"}, {"X-Requested-With": "XMLHttpRequest", "Accept": "*/*"}],
    ids=["json-accept", "xhr"],
)
def test_expired_session_lands_on_the_html_login_page_whatever_the_client_accepts(
    make_app: Callable[..., Flask], clock: FakeClock, headers: dict[str, str]
) -> None:
    client = make_app(session_idle_seconds=60).test_client()
    login(client)
    clock.advance(61)
    for path in ("/", "/payments/search?reference=B-1/1", "/payments/U-100001"):
        response = client.get(path, headers=headers)
        assert response.status_code == 303 and not response.is_json
        assert response.headers["Location"].startswith("/login?next=/")
        login(client)
        clock.advance(61)
    login_page = client.get("/payments/new", headers=headers, follow_redirects=True)
    assert login_page.status_code == 200
    assert login_page.mimetype == "text/html" and not login_page.is_json
    assert page_name(login_page) == "login"
    assert EXPIRED in login_page.get_data(as_text=True)


def test_attest_after_expiry_goes_to_login_and_then_home(
    make_app: Callable[..., Flask], clock: FakeClock
) -> None:
    register(login_as(make_app(), "robot"))
    attestant = make_app(session_idle_seconds=60).test_client()
    login(attestant, "attestant")
    token = csrf_from(attestant.get("/payments/U-100001"))
    clock.advance(61)
    response = attestant.post("/payments/U-100001/attest", data={"csrf_token": token})
    # /payments/<n>/attest takes only POST, so the login page must not send the user back there.
    assert response.status_code == 303 and response.headers["Location"] == "/login?expired=1"
    login_page = attestant.get(response.headers["Location"])
    assert EXPIRED in login_page.get_data(as_text=True)
    back = attestant.post(
        "/login",
        data={
            "username": "attestant",
            "password": PASSWORDS["attestant"],
            "csrf_token": csrf_from(login_page),
        },
    )
    assert back.headers["Location"] == "/"
    assert api_payments(attestant)[0]["status"] == "registrerad"


def test_a_tampered_session_cookie_counts_as_expired(client: FlaskClient) -> None:
    login(client)
    cookie = client.get_cookie("payout_session")
    assert cookie is not None
    session_id, signature = cookie.value.rsplit(".", 1)
    client.set_cookie("payout_session", f"{session_id}.{'0' * len(signature)}")
    response = client.get("/payments/new")
    assert response.status_code == 303
    assert EXPIRED in client.get(response.headers["Location"]).get_data(as_text=True)


def test_login_page_sends_a_logged_in_user_on(client: FlaskClient) -> None:
    login(client)
    assert client.get("/login").headers["Location"] == "/"
    assert client.get("/login?next=/payments/search").headers["Location"] == "/payments/search"


def test_failed_and_successful_logins_are_audited(logged_in: Callable[..., FlaskClient], app: Flask) -> None:
    anonymous = app.test_client()
    token = csrf_from(anonymous.get("/login"))
    anonymous.post("/login", data={"username": "robot", "password": "wrong", "csrf_token": token})
    html = logged_in("attestant").get("/audit").get_data(as_text=True)
    assert html.index('data-action="login"') < html.index('data-action="login_failed"')  # newest first
    assert "Misslyckad inloggning" in html
    assert "wrong" not in html  # the password tried is never stored


def login_as(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    login(client, username)
    return client


def test_post_after_expiry_goes_to_login_and_stores_nothing(
    make_app: Callable[..., Flask], clock: FakeClock
) -> None:
    client = make_app(session_idle_seconds=60).test_client()
    login(client)
    token = csrf_from(client.get("/payments/new"))
    clock.advance(61)
    response = client.post("/payments/new", data={**valid_form_data(), "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/payments/new&expired=1"
    assert EXPIRED in client.get(response.headers["Location"]).get_data(as_text=True)
    assert api_payments(client) == []


def test_security_headers_are_set(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_are_never_cached_but_the_stylesheet_is_kept_an_hour(client: FlaskClient) -> None:
    login(client)
    for page in ("/", "/payments/new", "/payments/search"):
        assert client.get(page).headers["Cache-Control"] == "no-store", page
    stylesheet = client.get("/static/style.css")
    assert stylesheet.status_code == 200
    assert "max-age=3600" in stylesheet.headers["Cache-Control"]
    assert "no-store" not in stylesheet.headers["Cache-Control"]
