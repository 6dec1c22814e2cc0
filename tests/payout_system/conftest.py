"""Fixtures for the payout-system stand-in: a fresh SQLite database per test, settings
overridden per test, a controllable clock, logged-in clients and valid test data; for the browser
tests, the stand-in served on a free port (``server``) and a headless Chromium (``browser``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from payout_testdata import FakeClock, login
from selenium import webdriver
from werkzeug.security import generate_password_hash

from payout_system import create_app
from payout_system.settings import DEMO_PASSWORDS, FaultSettings, Settings, User
from tests.support.browser import full_chromium
from tests.support.payout_server import PayoutServer, running_payout_system

# The demo accounts, hashed cheaply: the app's default (scrypt) costs ~0.1 s per login.
FAST_DEMO_USERS = tuple(
    User(
        username=name, password_hash=generate_password_hash(password, method="pbkdf2:sha256:1000"), role=role
    )
    for name, (password, role) in DEMO_PASSWORDS.items()
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db_path=tmp_path / "payout.db", users=FAST_DEMO_USERS)


@pytest.fixture
def make_app(settings: Settings, clock: FakeClock) -> Callable[..., Flask]:
    """Build an app on the test's database; other keyword arguments become fault settings."""

    def make(
        *, session_idle_seconds: int | None = None, max_payment_ore: int | None = None, **faults: Any
    ) -> Flask:
        changed = replace(settings, faults=FaultSettings(**faults), max_payment_ore=max_payment_ore)
        if session_idle_seconds is not None:
            changed = replace(changed, session_idle_seconds=session_idle_seconds)
        app = create_app(changed, clock=clock)
        app.config["TESTING"] = True
        return app

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture
def logged_in(make_app: Callable[..., Flask]) -> Callable[..., FlaskClient]:
    """A client of a fresh app (same database), logged in as ``username``."""
    clients: list[FlaskClient] = []

    def make(username: str = "robot") -> FlaskClient:
        test_client = make_app().test_client()
        login(test_client, username)
        clients.append(test_client)
        return test_client

    return make


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PayoutServer]:
    with running_payout_system(tmp_path / "payout.db") as running:
        yield running


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    with full_chromium() as driver:
        yield driver
