"""Every route of the app, read from Flask's url_map: who may open it, with which method, and CSRF.

``ROUTES`` classifies every endpoint. A route added to the app without a line here fails
``test_every_route_is_classified``; each line drives the protection tests below: without a
session, with each role, and (for POST) without the session's CSRF token.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from payout_testdata import csrf_from, login, page_name, register, valid_form_data

from payout_system.settings import ATTESTANT, REGISTRAR, ROLES, VIEWER, Settings

PUBLIC = "public"  # no login needed
TOKEN = "token"  # JSON API: bearer token, no session
LOGIN = "login"  # any logged-in role


@dataclass(frozen=True)
class Route:
    methods: tuple[str, ...]
    access: str  # PUBLIC, TOKEN, LOGIN or the one role allowed


ROUTES = {
    "static": Route(("GET",), PUBLIC),
    "api.health": Route(("GET",), PUBLIC),
    "api.payments": Route(("GET",), TOKEN),
    "auth.login": Route(("GET", "POST"), PUBLIC),
    "auth.logout": Route(("POST",), LOGIN),
    "payments.home": Route(("GET",), LOGIN),
    "payments.new_payment": Route(("GET", "POST"), REGISTRAR),
    "payments.receipt": Route(("GET",), LOGIN),
    "payments.detail": Route(("GET",), LOGIN),
    "payments.attest": Route(("POST",), ATTESTANT),
    "search.search": Route(("GET", "POST"), LOGIN),
    "audit.audit_log": Route(("GET",), ATTESTANT),
}
# Values for the rules' variables: the payment registered by the ``world`` fixture, a static file.
URL_ARGUMENTS = {"payment_number": "U-100001", "filename": "style.css"}
USER_OF_ROLE = {REGISTRAR: "robot", ATTESTANT: "attestant", VIEWER: "viewer"}

PROTECTED = [
    (endpoint, method)
    for endpoint, route in ROUTES.items()
    if route.access not in (PUBLIC, TOKEN)
    for method in route.methods
]
UI_POSTS = [endpoint for endpoint, route in ROUTES.items() if "POST" in route.methods]


def url_of(app: Flask, endpoint: str) -> str:
    (rule,) = app.url_map.iter_rules(endpoint)
    with app.test_request_context():
        return url_for(endpoint, **{name: URL_ARGUMENTS[name] for name in rule.arguments})


def allowed(endpoint: str, role: str) -> bool:
    access = ROUTES[endpoint].access
    return access in (PUBLIC, LOGIN) or access == role


def state(settings: Settings) -> list[tuple[str, ...]]:
    """What a refused request must leave alone: the payments and the register/attest events."""
    with sqlite3.connect(settings.db_path) as conn:
        payments = conn.execute("SELECT payment_number, reference, status FROM payments ORDER BY seq")
        events = conn.execute(
            "SELECT username, action, payment_number FROM audit_log"
            " WHERE action IN ('register', 'attest') ORDER BY id"
        )
        return [tuple(map(str, row)) for row in [*payments.fetchall(), *events.fetchall()]]


@pytest.fixture
def as_user(app: Flask) -> Callable[[str], FlaskClient]:
    """A new client of the test's app, logged in as ``username``."""

    def make(username: str) -> FlaskClient:
        client = app.test_client()
        login(client, username)
        return client

    return make


@pytest.fixture
def world(as_user: Callable[[str], FlaskClient]) -> None:
    """One registered payment, U-100001, that the routes with a payment number point at."""
    assert register(as_user("robot")).headers["Location"] == "/payments/U-100001/kvitto"


def test_every_route_is_classified(app: Flask) -> None:
    found: dict[str, tuple[str, ...]] = {}
    for rule in app.url_map.iter_rules():
        assert rule.endpoint not in found, f"{rule.endpoint} has two rules: give each its own line"
        found[rule.endpoint] = tuple(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
    assert found == {endpoint: route.methods for endpoint, route in ROUTES.items()}


@pytest.mark.parametrize("endpoint", [e for e, r in ROUTES.items() if r.access == PUBLIC])
def test_public_routes_answer_without_login(app: Flask, client: FlaskClient, endpoint: str) -> None:
    assert client.get(url_of(app, endpoint)).status_code == 200


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("anonymous_session", [False, True], ids=["no-cookie", "anonymous-session"])
@pytest.mark.parametrize(("endpoint", "method"), PROTECTED)
def test_protected_routes_send_the_anonymous_to_the_login_page(
    app: Flask, settings: Settings, endpoint: str, method: str, anonymous_session: bool
) -> None:
    client = app.test_client()
    data = valid_form_data(reference="B-ANON/1")
    if anonymous_session:  # a live session with a valid CSRF token, but nobody logged in
        data["csrf_token"] = csrf_from(client.get("/login"))
    before = state(settings)
    path = url_of(app, endpoint)
    response = client.open(path, method=method, data=data)
    assert response.status_code == 303
    # Back to the page after login, if it can be opened with GET.
    expected = f"/login?next={path}" if "GET" in ROUTES[endpoint].methods else "/login"
    assert response.headers["Location"] == expected
    login_page = client.get(response.headers["Location"])
    assert login_page.status_code == 200 and login_page.mimetype == "text/html"
    assert page_name(login_page) == "login"
    assert state(settings) == before


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "method"), PROTECTED)
def test_each_role_opens_exactly_its_routes(
    app: Flask,
    settings: Settings,
    as_user: Callable[[str], FlaskClient],
    endpoint: str,
    method: str,
    role: str,
) -> None:
    user = as_user(USER_OF_ROLE[role])
    token = csrf_from(user.get("/"))
    before = state(settings)
    response = user.open(
        url_of(app, endpoint),
        method=method,
        data={**valid_form_data(reference="B-ROLE/1"), "csrf_token": token},
    )
    if allowed(endpoint, role):
        assert response.status_code in (200, 303)
        if response.status_code == 303 and endpoint != "auth.logout":
            assert not response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == 403
        assert page_name(response) == "error"
        assert 'data-status="403"' in response.get_data(as_text=True)
        assert state(settings) == before
        assert user.get("/").status_code == 200  # still logged in


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("token", ["missing", "empty", "forged", "other-session"])
@pytest.mark.parametrize("endpoint", UI_POSTS)
def test_every_post_needs_the_sessions_csrf_token(
    app: Flask, settings: Settings, as_user: Callable[[str], FlaskClient], endpoint: str, token: str
) -> None:
    if endpoint == "auth.login":
        user = app.test_client()
        user.get("/login")
        data = {"username": "robot", "password": "robot-demo-password"}
    else:
        access = ROUTES[endpoint].access
        user = as_user(USER_OF_ROLE.get(access, "robot"))
        data = valid_form_data(reference="B-CSRF/1")
    if token != "missing":
        data["csrf_token"] = {
            "empty": "",
            "forged": "forged-token",
            "other-session": csrf_from(as_user("robot").get("/")),
        }[token]
    before = state(settings)
    response = user.post(url_of(app, endpoint), data=data)
    assert response.status_code == 400
    assert page_name(response) == "error"
    assert 'data-status="400"' in response.get_data(as_text=True)
    assert state(settings) == before
    # Nothing happened to the session either: not logged in by a forged login, not logged out.
    assert user.get("/").status_code == (303 if endpoint == "auth.login" else 200)


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("endpoint", [e for e, r in ROUTES.items() if r.access == TOKEN])
def test_api_routes_need_the_token_not_a_session(
    app: Flask, as_user: Callable[[str], FlaskClient], endpoint: str
) -> None:
    session_only = as_user("attestant")  # a UI session is no API credential
    for client in (app.test_client(), session_only):
        response = client.get(url_of(app, endpoint))
        assert response.status_code == 401 and response.is_json
    response = app.test_client().get(url_of(app, endpoint), headers={"Authorization": "Bearer dev-api-token"})
    assert response.status_code == 200 and response.is_json


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/logout", "POST"),
        ("GET", "/payments/U-100001/attest", "POST"),
        ("POST", "/api/payments", "GET"),
    ],
)
def test_wrong_method_is_405(
    as_user: Callable[[str], FlaskClient], method: str, path: str, allow: str
) -> None:
    user = as_user("attestant")
    response = user.open(path, method=method, data={"csrf_token": csrf_from(user.get("/"))})
    assert response.status_code == 405
    assert allow in response.headers["Allow"]
    if path.startswith("/api/"):
        assert response.is_json
    else:
        assert page_name(response) == "error"
