"""Both web apps served for real (``python -m console`` / ``python -m payout_system``) in production
mode behind a simulated TLS proxy: the requests come from 127.0.0.1 (the trusted proxy) with
``X-Forwarded-Proto: https`` and the client's address in ``X-Forwarded-For``."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from tests.support.payout_server import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "ett-riktigt-lösenord-1"
SECRET = "kQ3v9LrT7xWm2PzN8bYc4HsJ6dGf1AeU5oRi0VtXlK"
TOKEN = "Fh7Kq2Zp9LmX4Wc8RbN3vT"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
APPS = {
    # kind: (module, login path, a user, its role, the page behind the login)
    "console": ("console", "/logga-in", "hl01", "handläggare", "/filer"),
    "payout": ("payout_system", "/login", "rpa01", "registrar", "/payments/search"),
}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


OPENER = urllib.request.build_opener(NoRedirect)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    cookies: list[str]
    body: str


@dataclass
class Served:
    kind: str
    url: str
    folder: Path

    def request(
        self, path: str, *, client: str, cookie: str = "", form: dict[str, str] | None = None
    ) -> Answer:
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": client, "X-Forwarded-Host": "example.se"}
        if cookie:
            headers["Cookie"] = cookie
        if path.startswith("/api/"):
            headers["Authorization"] = f"Bearer {TOKEN}"
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.url + path, data=data, headers=headers)  # noqa: S310 - loopback
        try:
            response = OPENER.open(request, timeout=20)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            return Answer(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.headers.get_all("Set-Cookie") or [],
                response.read().decode("utf-8", errors="replace"),
            )

    def login(self, username: str, password: str, client: str, next_page: str = "") -> Answer:
        login_path = APPS[self.kind][1]
        query = "?" + urllib.parse.urlencode({"next": next_page}) if next_page else ""
        page = self.request(login_path + query, client=client)
        cookie = page.cookies[0].split(";", 1)[0]
        token = CSRF.search(page.body)
        assert token, page.status
        form = {"username": username, "password": password, "csrf_token": token.group(1)}
        return self.request(login_path + query, client=client, cookie=cookie, form=form)


def production_env(kind: str, folder: Path) -> dict[str, str]:
    users = folder / "users.json"
    _module, _path, user, role, _page = APPS[kind]
    hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    users.write_text(json.dumps([{"username": user, "password_hash": hashed, "role": role}]))
    prefix = "CONSOLE" if kind == "console" else "PAYOUT"
    env = {
        f"{prefix}_ENV": "production",
        f"{prefix}_SECRET_KEY": SECRET,
        f"{prefix}_USERS_FILE": str(users),
    }
    if kind == "console":
        env.update(CONSOLE_DATA_DIR=str(folder / "data"), CONSOLE_RUNS_DIR=str(folder / "runs"))
        env.update(
            CONSOLE_STATE_DIR=str(folder / "state"), CONSOLE_PAYOUT_SYSTEM_URL="https://payout.example"
        )
    else:
        env.update(PAYOUT_API_TOKEN=TOKEN, PAYOUT_DB=str(folder / "payout.sqlite3"))
    return env


@contextmanager
def served(kind: str, folder: Path) -> Iterator[Served]:
    """The app in production mode on a free port, umask 022; stopped at the end."""
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "libraries")]),
        **production_env(kind, folder),
    }
    log = (folder / f"{kind}.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", APPS[kind][0], "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        umask=0o022,
    )
    app = Served(kind, f"http://127.0.0.1:{port}", folder)
    try:
        for _ in range(150):
            assert process.poll() is None, (folder / f"{kind}.log").read_text()
            try:
                app.request(APPS[kind][1], client="192.0.2.1")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        yield app
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.mark.parametrize("kind", ["console", "payout"])
def test_production_behind_a_tls_proxy(kind: str, tmp_path: Path) -> None:
    _module, login_path, user, _role, inner_page = APPS[kind]
    with served(kind, tmp_path) as app:
        page = app.request(login_path, client="192.0.2.1")
        assert page.status == 200
        assert "Secure" in page.cookies[0] and "HttpOnly" in page.cookies[0]
        assert page.headers["strict-transport-security"].startswith("max-age=")
        assert (
            page.headers["cache-control"] == "no-store" and "camera=()" in page.headers["permissions-policy"]
        )

        # A line break in next= is dropped, not a 500; the redirect stays on this site.
        done = app.login(user, PASSWORD, "192.0.2.1", next_page=inner_page + "\r\nX-Evil: 1")
        assert done.status == 303 and "x-evil" not in done.headers
        assert not done.headers["location"].startswith(("//", "http://evil"))
        cookie = done.cookies[0].split(";", 1)[0]
        inner = app.request(
            inner_page + "?page=999999999999999999999&reference=x", client="192.0.2.1", cookie=cookie
        )
        assert inner.status == 200 and inner.headers["cache-control"] == "no-store"
        if kind == "payout":
            api = app.request("/api/payments", client="192.0.2.1")
            assert api.status == 200 and api.headers["cache-control"] == "no-store"

        # Wrong passwords for one user lock it, whatever address they come from.
        for attempt in range(5):
            assert app.login(user, f"fel-{attempt}", f"198.51.100.{attempt}").status == 200
        locked = app.login(user, PASSWORD, "198.51.100.50")
        assert locked.status == 429 and "Försök igen om 30 sekunder." in locked.body
        # Many failures from one address (as the proxy saw it) lock that address only.
        for attempt in range(20):
            assert app.login(f"okand-{attempt}", "fel", "203.0.113.9").status == 200
        assert app.login("okand-x", "fel", "203.0.113.9").status == 429
        assert app.login("okand-x", "fel", "203.0.113.10").status == 200

    with served(kind, tmp_path) as restarted:  # the locks are in the database
        assert restarted.login(user, PASSWORD, "198.51.100.51").status == 429
        assert restarted.login("okand-y", "fel", "203.0.113.9").status == 429

    database = tmp_path / ("data/console.sqlite3" if kind == "console" else "payout.sqlite3")
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    if kind == "console":
        for folder in ("data", "data/uploads", "runs", "state"):
            assert stat.S_IMODE((tmp_path / folder).stat().st_mode) == 0o700, folder
    log = (tmp_path / f"{kind}.log").read_text()
    assert "login failed for (okänt användarnamn) from 203.0.113.9" in log
    assert "okand-" not in log and "fel-" not in log


@pytest.mark.parametrize("kind", ["console", "payout"])
def test_thirty_wrong_logins_at_once_are_no_more_than_the_limit_processed(kind: str, tmp_path: Path) -> None:
    _module, _path, user, _role, _page = APPS[kind]
    with served(kind, tmp_path) as app, ThreadPoolExecutor(max_workers=30) as pool:
        tries = [pool.submit(app.login, user, f"fel-{n}", f"198.51.100.{n}") for n in range(30)]
        statuses = [attempt.result().status for attempt in tries]
    assert statuses.count(200) <= 5  # a wrong password shown again: the password was checked
    assert statuses.count(429) == 30 - statuses.count(200)
