"""Every route of the console, read from Flask's url_map: who may open it, with which method, and CSRF.

``ROUTES`` classifies every endpoint. A route added to the console without a line here fails
``test_every_route_is_classified``; each line drives the protection tests below: without a
session, with each role, and (for POST) without the session's CSRF token.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from console.settings import CASE_WORKER, FOLLOW_UP, OPERATOR, ROLES, Settings
from tests.console.conftest import World
from tests.console.console_testdata import Export, csrf_from, login, page_name

PUBLIC = "public"  # no login needed
LOGIN = "login"  # any logged-in role


@dataclass(frozen=True)
class Route:
    methods: tuple[str, ...]
    access: str | tuple[str, ...]  # PUBLIC, LOGIN, the one role allowed or the roles allowed


ROUTES = {
    "static": Route(("GET",), PUBLIC),
    "auth.login": Route(("GET", "POST"), PUBLIC),
    "auth.logout": Route(("POST",), LOGIN),
    "home": Route(("GET",), LOGIN),
    "casework.home": Route(("GET",), CASE_WORKER),
    "casework.upload": Route(("POST",), CASE_WORKER),
    "casework.upload_page": Route(("GET",), CASE_WORKER),
    "casework.status": Route(("GET",), CASE_WORKER),
    "casework.confirm": Route(("POST",), CASE_WORKER),
    "casework.withdraw": Route(("POST",), CASE_WORKER),
    "casework.workbook": Route(("GET",), CASE_WORKER),
    "casework.lookup": Route(("GET",), CASE_WORKER),
    "operations.history": Route(("GET",), OPERATOR),
    "operations.run": Route(("GET",), OPERATOR),
    "operations.artifact": Route(("GET",), OPERATOR),
    "operations.reconcile": Route(("POST",), OPERATOR),
    "operations.reconcile_page": Route(("GET",), OPERATOR),
    "operations.history_csv": Route(("GET",), OPERATOR),
    "operations.lookup": Route(("GET",), OPERATOR),
    "followup.page": Route(("GET",), (OPERATOR, FOLLOW_UP)),
    "followup.csv_file": Route(("GET",), (OPERATOR, FOLLOW_UP)),
    "followup.workbook": Route(("GET",), (OPERATOR, FOLLOW_UP)),
}
USER_OF_ROLE = {CASE_WORKER: "anna", OPERATOR: "olle", FOLLOW_UP: "ulla"}

PROTECTED = [
    (endpoint, method)
    for endpoint, route in ROUTES.items()
    if route.access != PUBLIC
    for method in route.methods
]
POSTS = [endpoint for endpoint, route in ROUTES.items() if "POST" in route.methods]


def url_of(app: Flask, endpoint: str, world: World) -> str:
    """The endpoint's URL, its variables pointing at the world's upload and run."""
    values = {
        "upload_id": world.upload_id,
        "run_name": world.real_run,
        "artifact": "log.html",
        "which": "korning",
        "filename": "style.css",
    }
    (rule,) = app.url_map.iter_rules(endpoint)
    with app.test_request_context():
        return url_for(endpoint, **{name: values[name] for name in rule.arguments})


def form_for(endpoint: str, export: Export, world: World) -> dict[str, Any]:
    """A valid form for each POST (a refused request must refuse it for its access, not its data)."""
    if endpoint == "casework.upload":
        return {"export": (io.BytesIO(export.path.read_bytes()), export.path.name)}
    if endpoint == "casework.confirm":
        return {"preview_run": world.preview_run, "sha256": world.sha256}
    if endpoint == "auth.login":
        return {"username": "anna", "password": "anna-demo-password"}
    return {}


def allowed(endpoint: str, role: str) -> bool:
    access = ROUTES[endpoint].access
    return access in (PUBLIC, LOGIN) or access == role or (isinstance(access, tuple) and role in access)


def state(settings: Settings) -> tuple[list[str], list[tuple[str, ...]]]:
    """What a refused request must leave alone: the run folders, the uploads and the runs started."""
    folders = sorted(path.name for path in settings.runs_dir.iterdir())
    with sqlite3.connect(settings.database_path) as conn:
        rows = conn.execute(
            "SELECT upload_id, confirmed_by FROM uploads UNION ALL SELECT run_name, kind FROM runs ORDER BY 1"
        ).fetchall()
    return folders, [tuple(map(str, row)) for row in rows]


def uploads_on_disk(settings: Settings) -> list[Path]:
    return sorted(settings.uploads_dir.glob("*/*"))


def test_every_route_is_classified(app: Flask) -> None:
    found: dict[str, tuple[str, ...]] = {}
    for rule in app.url_map.iter_rules():
        assert rule.endpoint not in found, f"{rule.endpoint} has two rules: give each its own line"
        found[rule.endpoint] = tuple(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
    assert found == {endpoint: route.methods for endpoint, route in ROUTES.items()}


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("endpoint", [e for e, r in ROUTES.items() if r.access == PUBLIC])
def test_public_routes_answer_without_login(
    app: Flask, client: FlaskClient, endpoint: str, world: World
) -> None:
    assert client.get(url_of(app, endpoint, world)).status_code == 200


@pytest.mark.parametrize("anonymous_session", [False, True], ids=["no-cookie", "anonymous-session"])
@pytest.mark.parametrize(("endpoint", "method"), PROTECTED)
def test_protected_routes_send_the_anonymous_to_the_login_page(
    app: Flask,
    settings: Settings,
    world: World,
    export_file: Export,
    endpoint: str,
    method: str,
    anonymous_session: bool,
) -> None:
    client = app.test_client()
    data = form_for(endpoint, export_file, world)
    if anonymous_session:  # a live session with a valid CSRF token, but nobody logged in
        data["csrf_token"] = csrf_from(client.get("/logga-in"))
    before, files = state(settings), uploads_on_disk(settings)
    path = url_of(app, endpoint, world)
    response = client.open(path, method=method, data=data)
    assert response.status_code == 303
    # Back to the page after login, if it can be opened with GET.
    expected = f"/logga-in?next={path}" if "GET" in ROUTES[endpoint].methods else "/logga-in"
    assert response.headers["Location"] == expected
    login_page = client.get(response.headers["Location"])
    assert login_page.status_code == 200 and page_name(login_page) == "login"
    assert state(settings) == before and uploads_on_disk(settings) == files


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "method"), PROTECTED)
def test_each_role_opens_exactly_its_routes(
    app: Flask,
    settings: Settings,
    world: World,
    export_file: Export,
    as_user: Callable[[str], FlaskClient],
    endpoint: str,
    method: str,
    role: str,
) -> None:
    user = as_user(USER_OF_ROLE[role])
    token = csrf_from(user.get("/", follow_redirects=True))
    before, files = state(settings), uploads_on_disk(settings)
    response = user.open(
        url_of(app, endpoint, world),
        method=method,
        data={**form_for(endpoint, export_file, world), "csrf_token": token},
    )
    if allowed(endpoint, role):
        assert response.status_code in (200, 303), response.get_data(as_text=True)[:2000]
        if response.status_code == 303 and endpoint != "auth.logout":
            assert not response.headers["Location"].startswith("/logga-in")
    else:
        assert response.status_code == 403
        assert page_name(response) == "error"
        assert 'data-status="403"' in response.get_data(as_text=True)
        assert "Du saknar behörighet" in response.get_data(as_text=True)
        assert state(settings) == before and uploads_on_disk(settings) == files
        assert user.get("/").status_code == 303  # still logged in: sent to the role's start page


@pytest.mark.parametrize("token", ["missing", "empty", "forged", "other-session"])
@pytest.mark.parametrize("endpoint", POSTS)
def test_every_post_needs_the_sessions_csrf_token(
    app: Flask,
    settings: Settings,
    world: World,
    export_file: Export,
    as_user: Callable[[str], FlaskClient],
    endpoint: str,
    token: str,
) -> None:
    if endpoint == "auth.login":
        user = app.test_client()
        user.get("/logga-in")
    else:
        access = ROUTES[endpoint].access
        user = as_user(USER_OF_ROLE.get(access, "anna"))
    data = form_for(endpoint, export_file, world)
    if token != "missing":
        data["csrf_token"] = {
            "empty": "",
            "forged": "forged-token",
            "other-session": csrf_from(as_user("anna").get("/filer")),
        }[token]
    before, files = state(settings), uploads_on_disk(settings)
    response = user.post(url_of(app, endpoint, world), data=data)
    assert response.status_code == 400
    assert page_name(response) == "error"
    assert 'data-status="400"' in response.get_data(as_text=True)
    assert state(settings) == before and uploads_on_disk(settings) == files
    # Nothing happened to the session either: not logged in by a forged login, not logged out.
    after = user.get("/")
    if endpoint == "auth.login":
        assert after.headers["Location"].startswith("/logga-in")
    else:
        assert after.headers["Location"] in ("/filer", "/korningar")


@pytest.mark.parametrize(
    ("user", "method", "path", "allow"),
    [
        ("anna", "GET", "/logga-ut", "POST"),
        ("olle", "DELETE", "/avstamning", "POST"),
        ("anna", "DELETE", "/filer", "GET"),
    ],
)
def test_wrong_method_is_405(
    as_user: Callable[[str], FlaskClient], user: str, method: str, path: str, allow: str
) -> None:
    client = as_user(user)
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert allow in response.headers["Allow"]
    assert page_name(response) == "error"


def test_pages_carry_security_headers_and_no_caching(as_user: Callable[[str], FlaskClient]) -> None:
    response = as_user("anna").get("/filer")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_login_as_case_worker_lands_on_the_upload_page(client: FlaskClient) -> None:
    assert login(client, "anna").headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/filer"
    assert page_name(client.get("/filer")) == "uploads"
