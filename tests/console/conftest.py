"""Fixtures for the console's Flask tests: a fresh data, runs and state folder per test, settings
overridden per test, a controllable clock, logged-in clients, and runs that finish in a blink
(``fake_runner`` copies the artifacts of one real dry run, made once per session)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from splitpayout.adapters.runs import new_run_dir
from werkzeug.security import generate_password_hash

from console import create_app, db, store
from console.settings import CASE_WORKER, FOLLOW_UP, OPERATOR, Settings, User
from console.uploads import store_upload, upload_path
from tests.console import fake_runner
from tests.console.console_testdata import PASSWORDS, Export, FakeClock, login, small_export

ROOT = Path(__file__).resolve().parents[2]

# Hashed cheaply: the app's default (scrypt) costs ~0.1 s per login.
FAST_USERS = tuple(
    User(
        username=name,
        password_hash=generate_password_hash(PASSWORDS[name], method="pbkdf2:sha256:1000"),
        role=role,
    )
    for name, role in (("anna", CASE_WORKER), ("olle", OPERATOR), ("berit", CASE_WORKER), ("ulla", FOLLOW_UP))
)


@pytest.fixture(scope="session")
def export_file(tmp_path_factory: pytest.TempPathFactory) -> Export:
    """The small export every Flask test uploads."""
    return small_export(tmp_path_factory.mktemp("export") / "beslut-november.xlsx")


@pytest.fixture(scope="session")
def dry_run_template(tmp_path_factory: pytest.TempPathFactory, export_file: Export) -> Path:
    """The artifacts of a real dry run of ``export_file`` (the robot itself, once per session)."""
    folder = tmp_path_factory.mktemp("template")
    env = dict(
        os.environ,
        DECISIONS_FILE=str(export_file.path),
        DRY_RUN="true",
        ROBOT_ARTIFACTS=str(folder),
        STATE_DIR=str(folder.parent / "template-state"),
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "libraries")]),
    )
    result = subprocess.run(
        [sys.executable, "-m", "splitpayout.runner", "split_payouts"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout.decode(errors="replace")[-2000:]
    return folder


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path, dry_run_template: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("FAKE_RUN_TEMPLATE", str(dry_run_template))
    monkeypatch.setenv("ARCHIVE_DIR", str(tmp_path / "inbox-archive"))  # the reconciliation's inbox archive
    for name in ("FAKE_RUN_HOLD", "FAKE_RUN_FILE_ERROR", "FAKE_RUN_EXIT"):
        monkeypatch.delenv(name, raising=False)
    return Settings(
        data_dir=tmp_path / "console",
        runs_dir=tmp_path / "runs",
        state_dir=tmp_path / "state",
        users=FAST_USERS,
        max_upload_bytes=256 * 1024,
        payout_system_url="http://127.0.0.1:9/",
        payout_system_username="robot",
        payout_system_password="robot-demo-password",
        runner_module="tests.console.fake_runner",
    )


@pytest.fixture
def make_app(settings: Settings, clock: FakeClock) -> Iterator[Callable[..., Flask]]:
    """Build an app on the test's folders; keyword arguments override settings."""
    apps: list[Flask] = []

    def make(**changes: object) -> Flask:
        app = create_app(replace(settings, **changes), clock=clock)  # type: ignore[arg-type]
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield make
    for app in apps:  # no run outlives its test
        for run_dir in settings.runs_dir.glob("*"):
            (run_dir / "release").touch()
        app.extensions["console_launcher"].wait_all(timeout=20)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def as_user(app: Flask) -> Callable[[str], FlaskClient]:
    """A new client of the test's app, logged in as ``username``."""

    def make(username: str) -> FlaskClient:
        new_client = app.test_client()
        login(new_client, username)
        return new_client

    return make


@dataclass(frozen=True)
class World:
    """One upload of anna's, previewed and run for real (both finished), and a scheduled run."""

    upload_id: str
    sha256: str
    preview_run: str
    real_run: str
    scheduled_run: str


def finished_run(settings: Settings, label: str, env: dict[str, str], task: str = "split_payouts") -> Path:
    """A finished run folder made by the fake runner in-process (no subprocess)."""
    run_dir = new_run_dir(settings.runs_dir, label)
    fake_runner.run(task, run_dir, env)
    return run_dir


@pytest.fixture
def world(app: Flask, settings: Settings, export_file: Export, dry_run_template: Path) -> World:
    conn = db.connect(settings.database_path)
    try:
        with export_file.path.open("rb") as handle:
            upload = store_upload(handle, export_file.path.name, settings, "anna")
        store.insert_upload(conn, upload)
        names: dict[str, str] = {}
        for kind, dry_run in ((store.PREVIEW, "true"), (store.REAL, "false")):
            env = {
                "RUN_STARTED_BY": "handläggare anna",
                "DRY_RUN": dry_run,
                "DECISIONS_FILE": str(upload_path(settings, upload)),
                "FAKE_RUN_TEMPLATE": str(dry_run_template),
            }
            run_dir = finished_run(settings, f"{kind}-anna", env)
            store.insert_run(
                conn,
                store.ConsoleRun(
                    run_dir.name, kind, upload.upload_id, "anna", store.now_iso(), None, None, None
                ),
            )
            store.finish_run(conn, run_dir.name, 0)
            names[kind] = run_dir.name
        store.mark_preview_seen(conn, upload.upload_id, "anna")
        store.mark_confirmed(conn, upload.upload_id, "anna")
    finally:
        conn.close()
    scheduled = finished_run(
        settings,
        "inbox",
        {
            "DRY_RUN": "false",
            "DECISIONS_FILE": str(export_file.path),
            "FAKE_RUN_TEMPLATE": str(dry_run_template),
        },
    )
    return World(upload.upload_id, upload.sha256, names[store.PREVIEW], names[store.REAL], scheduled.name)
