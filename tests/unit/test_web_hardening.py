"""Both web apps, in both modes, through the Flask test client: throttled logins, odd query and
form values (never a 5xx), no-store, headers, owner-only files and sessions stored only when
they carry something. (The served apps behind a TLS proxy: tests/integration/test_web_served.py.)"""

from __future__ import annotations

import io
import logging
import os
import re
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from werkzeug.security import check_password_hash, generate_password_hash

import console
import console.settings
import payout_system
import payout_system.settings
from webcommon import auth, db, throttle
from webcommon.security import safe_next
from webcommon.settings import User

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "ett-riktigt-lösenord-1"
SECRET = "kQ3v9LrT7xWm2PzN8bYc4HsJ6dGf1AeU5oRi0VtXlK"
TOKEN = "Fh7Kq2Zp9LmX4Wc8RbN3vT"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ROLES = {
    "console": {"hl01": console.settings.CASE_WORKER, "drift01": console.settings.OPERATOR},
    "payout": {
        "rpa01": payout_system.settings.REGISTRAR,
        "att01": payout_system.settings.ATTESTANT,
        "vis01": payout_system.settings.VIEWER,
    },
}
LOGIN_PATH = {"console": "/logga-in", "payout": "/login"}
MODES = ("development", "production")


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def users(kind: str) -> tuple[User, ...]:
    return tuple(
        User(name, generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"), role)
        for name, role in ROLES[kind].items()
    )


def build(kind: str, mode: str, folder: Path, clock: Clock) -> Flask:
    """The app of ``kind`` in ``mode`` on ``folder`` (runs started by it end at once)."""
    if kind == "console":
        app = console.create_app(
            console.settings.Settings(
                data_dir=folder / "console",
                runs_dir=folder / "runs",
                state_dir=folder / "state",
                env=mode,
                secret_key=SECRET,
                users=users(kind),
                payout_system_url="https://payout.example",
                python="/bin/true",
            ),
            clock=clock,
        )
    else:
        app = payout_system.create_app(
            payout_system.settings.Settings(
                db_path=folder / "payout.sqlite3",
                env=mode,
                secret_key=SECRET,
                api_token=TOKEN,
                users=users(kind),
            ),
            clock=clock,
        )
    app.config["TESTING"] = True
    return app


def database(kind: str, folder: Path) -> Path:
    return folder / ("console/console.sqlite3" if kind == "console" else "payout.sqlite3")


def rows(kind: str, folder: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database(kind, folder)) as conn:
        return list(conn.execute(sql).fetchall())


def try_login(
    client: FlaskClient, kind: str, username: str, password: str, address: str = "192.0.2.1"
) -> tuple[int, str]:
    page = client.get(LOGIN_PATH[kind], environ_base={"REMOTE_ADDR": address})
    match = CSRF.search(page.get_data(as_text=True))
    assert match, page.status_code
    response = client.post(
        LOGIN_PATH[kind],
        data={"username": username, "password": password, "csrf_token": match.group(1)},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code, response.get_data(as_text=True)


@dataclass
class Web:
    """One app of ``kind`` in ``mode``: ``make()`` builds it (again) on the same folder."""

    kind: str
    mode: str
    folder: Path
    clock: Clock

    def make(self) -> Flask:
        return build(self.kind, self.mode, self.folder, self.clock)


@pytest.fixture(params=[(kind, mode) for kind in ("console", "payout") for mode in MODES], ids="-".join)
def web(request: pytest.FixtureRequest, tmp_path: Path) -> Web:
    kind, mode = request.param
    return Web(kind, mode, tmp_path, Clock())


def first_user(kind: str) -> str:
    return next(iter(ROLES[kind]))


# -- throttled logins ------------------------------------------------------------------------------
def test_wrong_passwords_for_one_user_lock_it_for_a_growing_delay_without_hashing(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    kind, make, clock, folder = web.kind, web.make, web.clock, web.folder
    client = make().test_client()
    user = first_user(kind)
    for attempt in range(throttle.USER_POLICY.free):
        assert try_login(client, kind, user, f"fel-{attempt}", f"192.0.2.{attempt}")[0] == 200
    hashed: list[str] = []

    def counting_check(password_hash: str, password: str) -> bool:
        hashed.append(password_hash)
        return check_password_hash(password_hash, password)

    monkeypatch.setattr(auth, "check_password_hash", counting_check)
    status, page = try_login(client, kind, user.upper(), PASSWORD, "192.0.2.99")
    assert status == 429 and "Försök igen om 30 sekunder." in page
    assert hashed == []  # refused before any password was hashed
    clock.now += 31
    assert try_login(client, kind, user, "fel-igen", "192.0.2.98")[0] == 200  # one more failure...
    status, page = try_login(client, kind, user, PASSWORD, "192.0.2.97")
    assert status == 429 and "Försök igen om 1 minut." in page  # ...doubles the delay
    clock.now += 61
    assert try_login(make().test_client(), kind, user, PASSWORD, "192.0.2.96")[0] == 303
    assert rows(kind, folder, "SELECT * FROM login_failures WHERE key LIKE 'user:%'") == []


@pytest.mark.slow  # enough failed logins to lock an address, in four apps
def test_many_failures_from_one_address_lock_that_address_only(
    web: Web,
) -> None:
    kind, make = web.kind, web.make
    client = make().test_client()
    for attempt in range(throttle.ADDRESS_POLICY.free):
        assert try_login(client, kind, f"okand-{attempt}", "fel", "198.51.100.7")[0] == 200
    status, page = try_login(client, kind, first_user(kind), PASSWORD, "198.51.100.7")
    assert status == 429 and "För många misslyckade inloggningar" in page
    assert try_login(make().test_client(), kind, first_user(kind), PASSWORD, "198.51.100.8")[0] == 303


@pytest.mark.slow  # enough failed logins to lock an address, in four apps
def test_logging_in_to_ones_own_account_does_not_reset_the_address(web: Web) -> None:
    """19 usernames tried, one good login, again and again: the address is refused all the same."""
    kind, make = web.kind, web.make
    client = make().test_client()
    statuses = []
    for round_ in range(3):
        for attempt in range(throttle.ADDRESS_POLICY.free - 1):
            statuses.append(try_login(client, kind, f"okand-{round_}-{attempt}", "fel", "198.51.100.7")[0])
        statuses.append(try_login(make().test_client(), kind, first_user(kind), PASSWORD, "198.51.100.7")[0])
    assert statuses.count(200) == throttle.ADDRESS_POLICY.free  # failures processed, then refused
    assert statuses[-1] == 429 and statuses[throttle.ADDRESS_POLICY.free - 1] == 303


@pytest.mark.slow  # enough failed logins to lock an address, in four apps
def test_an_address_is_forgiven_one_failure_per_quiet_period(web: Web) -> None:
    kind, make, clock = web.kind, web.make, web.clock
    client = make().test_client()
    for attempt in range(throttle.ADDRESS_POLICY.free):
        assert try_login(client, kind, f"okand-{attempt}", "fel", "198.51.100.7")[0] == 200
    assert try_login(client, kind, "okand-x", "fel", "198.51.100.7")[0] == 429
    decay = throttle.ADDRESS_POLICY.decay_seconds
    assert decay is not None
    clock.now += 3 * decay  # three failures forgiven; the lock (30 s) is long over
    for attempt in range(3):
        assert try_login(client, kind, f"igen-{attempt}", "fel", "198.51.100.7")[0] == 200
    assert try_login(client, kind, "igen-x", "fel", "198.51.100.7")[0] == 429


def test_the_lock_survives_a_restart(web: Web) -> None:
    kind, make = web.kind, web.make
    client = make().test_client()
    for _ in range(throttle.USER_POLICY.free):
        try_login(client, kind, first_user(kind), "fel", "192.0.2.1")
    restarted = make().test_client()  # a new app on the same database
    assert try_login(restarted, kind, first_user(kind), PASSWORD, "192.0.2.2")[0] == 429


def test_failed_logins_keep_no_typed_text(web: Web, caplog: pytest.LogCaptureFixture) -> None:
    kind, make, folder = web.kind, web.make, web.folder
    typed = "MittHemligaLösenord99"  # a password typed into the username field
    with caplog.at_level(logging.INFO):
        try_login(make().test_client(), kind, typed, "x", "192.0.2.5")
        try_login(make().test_client(), kind, first_user(kind), "fel-lösenord", "192.0.2.5")
    table = "events" if kind == "console" else "audit_log"
    trail = rows(kind, folder, f"SELECT username, action FROM {table}")  # noqa: S608
    assert (auth.UNKNOWN_USER, "login_failed") in trail
    assert (first_user(kind), "login_failed") in trail
    everything = repr(trail) + caplog.text + repr(rows(kind, folder, "SELECT * FROM login_failures"))
    assert typed not in everything and typed.casefold() not in everything and "fel-lösenord" not in everything
    assert "login failed for (okänt användarnamn) from 192.0.2.5" in caplog.text


# -- odd values never give a 5xx ----------------------------------------------------------------------
ODD_VALUES = [
    "\r\nSet-Cookie: x=1",
    "/\r\n/evil.example",
    "%0d%0a",
    "999999999999999999999",
    "-99999999999999999999",
    "1e309",
    "NaN",
    "//evil.example",
    "/\\evil.example",
    "\x00",
    "../../etc/passwd",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "2026-02-30",
    "\ud7ff\ufffd",
    "9" * 3000,
]
ODD = st.one_of(st.sampled_from(ODD_VALUES), st.text(max_size=40))
FIELD_NAMES = sorted(
    {
        name
        for template in [*ROOT.glob("console/**/*.html"), *ROOT.glob("payout_system/**/*.html")]
        for name in re.findall(r'name="([a-z_]+)"', template.read_text(encoding="utf-8"))
        if name != "csrf_token"
    }
    | {"next", "page", "per_page", "visa", "payout_date", "reference", "personnummer"}
)


def routes(app: Flask) -> list[tuple[str, str]]:
    """(method, rule) of every route but static files."""
    return sorted(
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    )


def fill(rule: str, value: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?[a-z_]+>", quote(value, safe="") or "x", rule)


@pytest.mark.slow  # every route x every odd value x every field, then 80 generated requests: 10-25 s each
@pytest.mark.parametrize("kind", ["console", "payout"])
@pytest.mark.parametrize("mode", MODES)
def test_no_route_answers_5xx_to_odd_values(
    kind: str, mode: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp(f"fuzz-{kind}-{mode}")
    app = build(kind, mode, folder, Clock())
    every_route = routes(app)
    assert len(every_route) >= 8
    clients = {}
    for user in ROLES[kind]:
        clients[user] = app.test_client()
        assert try_login(clients[user], kind, user, PASSWORD, "203.0.113.1")[0] == 303
    clients["-"] = app.test_client()

    tokens: dict[str, str] = {}

    def token_of(who: str) -> str:
        if who not in tokens:
            page = clients[who].get(LOGIN_PATH[kind] if who == "-" else "/", follow_redirects=True)
            match = CSRF.search(page.get_data(as_text=True))
            tokens[who] = match.group(1) if match else ""
        return tokens[who]

    def send(who: str, method: str, rule: str, path_value: str, values: dict[str, str], token: bool) -> int:
        client = clients[who]
        form = {**values, "csrf_token": token_of(who)} if token and method == "POST" else values
        response = client.open(fill(rule, path_value), method=method, query_string=values, data=form)
        assert response.status_code < 500, (who, method, rule, values)
        if method == "POST" and who != "-" and not logged_in(client, kind):
            assert try_login(client, kind, who, PASSWORD, "203.0.113.1")[0] == 303
            tokens.pop(who, None)
        return response.status_code

    # Logging out takes no values, and would end the shared sessions.
    probed = [(method, rule) for method, rule in every_route if not rule.endswith(("/logga-ut", "/logout"))]
    users = sorted(clients)
    for method, rule in probed:
        # Every chosen odd value in every field of the route at once, as every user...
        for value in ODD_VALUES:
            for who in users:
                send(who, method, rule, value, dict.fromkeys(FIELD_NAMES, value), token=True)
        # ...and in each field alone, as a user the route lets in (one odd field is then not
        # hidden behind another's error).
        able = [who for who in users[1:] if send(who, method, rule, "x", {}, token=True) not in (303, 403)]
        for value in ODD_VALUES:
            for name in FIELD_NAMES:
                send((able or users)[0], method, rule, "x", {name: value}, token=True)

    # ...then generated values, a few fields at a time.
    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        route=st.sampled_from(probed),
        who=st.sampled_from(sorted(clients)),
        path_value=ODD,
        values=st.dictionaries(st.sampled_from(FIELD_NAMES), ODD, max_size=6),
        token=st.booleans(),
    )
    def probe(route: tuple[str, str], who: str, path_value: str, values: dict[str, str], token: bool) -> None:
        send(who, route[0], route[1], path_value, values, token)

    probe()


def logged_in(client: FlaskClient, kind: str) -> bool:
    return LOGIN_PATH[kind] not in client.get("/").headers.get("Location", "")


def test_a_line_break_in_next_is_dropped_and_a_huge_page_number_is_bounded(tmp_path: Path) -> None:
    app = build("payout", "production", tmp_path, Clock())
    client = app.test_client()
    page = client.get("/login?next=/payments/search%0d%0aX-Evil:%201")
    token = CSRF.search(page.get_data(as_text=True))
    assert token
    response = client.post(
        "/login?next=/payments/search%0d%0aX-Evil:%201",
        data={"username": "rpa01", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code == 303 and "X-Evil" not in response.headers
    assert response.headers["Location"] in ("/", "/payments", "/payments/")
    assert client.get("/payments/search?page=999999999999999999999&reference=x").status_code == 200


@given(st.text(max_size=80))
def test_safe_next_gives_only_local_paths_werkzeug_can_send(target: str) -> None:
    result = safe_next("/" + target)
    if result is not None:
        assert result.startswith("/") and not result.startswith("//")
        assert all(32 < ord(char) < 127 for char in result), result


# -- headers, caching, cookies -----------------------------------------------------------------------
def test_every_page_and_the_api_are_no_store_with_the_security_headers(
    web: Web,
) -> None:
    kind, make = web.kind, web.make
    app = make()
    production = app.extensions["webcommon_app"].production
    client = app.test_client()
    assert try_login(client, kind, first_user(kind), PASSWORD)[0] == 303
    pages = ["/", LOGIN_PATH[kind], "/finns-inte"]
    if kind == "payout":
        pages += ["/payments/search?reference=x", "/api/payments", "/api/health"]
    for page in pages:
        response = client.get(page, headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.headers["Cache-Control"] == "no-store", page
        assert "camera=()" in response.headers["Permissions-Policy"], page
        assert ("Strict-Transport-Security" in response.headers) is production, page
    if kind == "payout":
        assert "no-store" not in client.get("/static/style.css").headers["Cache-Control"]


def test_the_session_cookie_is_secure_in_production_even_over_plain_http(
    web: Web,
) -> None:
    kind, make = web.kind, web.make
    app = make()
    cookie = app.test_client().get(LOGIN_PATH[kind]).headers["Set-Cookie"]
    assert ("; Secure" in cookie) is app.extensions["webcommon_app"].production


# -- sessions --------------------------------------------------------------------------------------
def test_requests_without_a_cookie_store_no_session_and_idle_ones_are_pruned(
    web: Web,
) -> None:
    kind, make, clock, folder = web.kind, web.make, web.clock, web.folder
    app = make()
    folder = folder
    for _ in range(30):
        assert app.test_client().get("/").status_code == 303
        assert app.test_client().get(LOGIN_PATH[kind]).status_code == 200  # the form stores nothing
    assert rows(kind, folder, "SELECT COUNT(*) FROM sessions") == [(0,)]
    client = app.test_client()
    assert try_login(client, kind, first_user(kind), PASSWORD)[0] == 303
    assert rows(kind, folder, "SELECT COUNT(*) FROM sessions") == [(1,)]
    clock.now += 3600
    app.test_client().get("/")  # any request, no new session: the schedule prunes the idle one
    assert rows(kind, folder, "SELECT COUNT(*) FROM sessions") == [(0,)]


def test_the_login_form_still_needs_its_own_token(web: Web) -> None:
    kind, make = web.kind, web.make
    app = make()
    form = {"username": first_user(kind), "password": PASSWORD}
    assert app.test_client().post(LOGIN_PATH[kind], data={**form, "csrf_token": "x"}).status_code == 400
    client = app.test_client()
    token = CSRF.search(client.get(LOGIN_PATH[kind]).get_data(as_text=True))
    assert token
    other = app.test_client()  # a token from someone else's page, without its cookie
    assert other.post(LOGIN_PATH[kind], data={**form, "csrf_token": token.group(1)}).status_code == 400
    assert client.post(LOGIN_PATH[kind], data={**form, "csrf_token": token.group(1)}).status_code == 303


# -- owner-only files ------------------------------------------------------------------------------
def test_databases_and_folders_are_owner_only_whatever_the_umask(web: Web) -> None:
    old = os.umask(0o022)
    try:
        app = web.make()
        client = app.test_client()
        assert try_login(client, web.kind, first_user(web.kind), PASSWORD)[0] == 303
        db_path = database(web.kind, web.folder)
        conn = db.connect(db_path)  # an open connection keeps SQLite's -wal and -shm files
        try:
            conn.execute("DELETE FROM login_failures")
            companions = list(db_path.parent.glob(db_path.name + "-*"))
            assert {path.name[len(db_path.name) :] for path in companions} >= {"-wal", "-shm"}
            for path in [db_path, *companions]:
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        finally:
            conn.close()
        if web.kind == "console":
            data = db_path.parent
            for folder in (data, data / "uploads", web.folder / "runs", web.folder / "state"):
                assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    finally:
        os.umask(old)


def test_an_uploaded_export_is_owner_only_and_stored_under_a_label(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        app = build("console", "production", tmp_path, Clock())
        client = app.test_client()
        assert try_login(client, "console", "hl01", PASSWORD)[0] == 303
        workbook = io.BytesIO()
        Workbook().save(workbook)
        page = client.get("/filer")
        token = CSRF.search(page.get_data(as_text=True))
        assert token
        name = "Anna Andersson 19121212-1212.xlsx"
        client.post(
            "/filer",
            data={"export": (io.BytesIO(workbook.getvalue()), name), "csrf_token": token.group(1)},
            content_type="multipart/form-data",
        )
        (stored,) = (tmp_path / "console" / "uploads").glob("*/*")
        assert re.fullmatch(r"export-\d{4}-\d\d-\d\d-[0-9a-f]{12}\.xlsx", stored.name)
        assert stat.S_IMODE(stored.stat().st_mode) == 0o400
        assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
        assert client.get("/filer").get_data(as_text=True).count(name) == 1  # the case worker still sees it
        app.extensions["console_launcher"].wait_all(timeout=20)
    finally:
        os.umask(old)
