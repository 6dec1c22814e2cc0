"""Settings from flags and environment; production refuses demo users and secrets; the command
line; what reaches a run's environment."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from werkzeug.security import check_password_hash

from console.__main__ import build_parser
from console.launcher import Launcher
from console.settings import (
    CASE_WORKER,
    DEMO_PAYOUT_PASSWORD,
    FOLLOW_UP,
    OPERATOR,
    Settings,
    SettingsError,
    load_users_file,
)
from tests.support.users import STRONG_SECRET, quick_hash, users_file
from webcommon.settings import COMMON_VARIABLES

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_USERS = [
    {
        "username": "hl01",
        "password_hash": quick_hash("a-real-password-1"),
        "role": CASE_WORKER,
    },
    {
        "username": "drift01",
        "password_hash": quick_hash("a-real-password-2"),
        "role": OPERATOR,
    },
]


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        "CONSOLE_ENV": "production",
        "CONSOLE_SECRET_KEY": STRONG_SECRET,
        "CONSOLE_USERS_FILE": str(users_file(tmp_path, PRODUCTION_USERS, "production-users.json")),
        "CONSOLE_DATA_DIR": str(tmp_path / "data"),
        "CONSOLE_PAYOUT_SYSTEM_URL": "https://utbetalning.example.se",
    }
    env.update(overrides)
    return env


def test_development_defaults(tmp_path: Path) -> None:
    settings = Settings.load({}, {})
    assert settings.env == "development" and (settings.host, settings.port) == ("127.0.0.1", 8090)
    assert {(u.username, u.role) for u in settings.users} == {
        ("anna", CASE_WORKER),
        ("olle", OPERATOR),
        ("ulla", FOLLOW_UP),
    }
    assert settings.runs_dir == Path("runs") and settings.state_dir == Path("state")
    assert settings.data_dir == Path("state/console")
    assert settings.max_upload_bytes == 20 * 1024 * 1024
    # Out of the box, runs use the stand-in's demo registrar.
    assert (settings.payout_system_username, settings.payout_system_password) == (
        "robot",
        DEMO_PAYOUT_PASSWORD,
    )
    assert settings.reconcile_source == Path("state/console/uploads")


def test_flags_win_over_the_environment_which_wins_over_defaults() -> None:
    env = {
        "CONSOLE_PORT": "9000",
        "CONSOLE_HOST": "192.0.2.10",
        "RUNS_DIR": "/srv/robot/runs",
        "STATE_DIR": "/srv/robot/state",
        "CONSOLE_MAX_UPLOAD_MB": "5",
        "CONSOLE_SESSION_IDLE_SECONDS": "60",
    }
    settings = Settings.load({"port": 9100, "state_dir": "/other/state"}, env)
    assert (settings.host, settings.port) == ("192.0.2.10", 9100)
    assert settings.runs_dir == Path("/srv/robot/runs") and settings.state_dir == Path("/other/state")
    assert settings.max_upload_bytes == 5 * 1024 * 1024 and settings.session_idle_seconds == 60
    assert Settings.load({}, {**env, "CONSOLE_RUNS_DIR": "/console/runs"}).runs_dir == Path("/console/runs")


def test_the_robots_own_credentials_or_vault_replace_the_demo_account() -> None:
    for env in ({"RPA_SECRET_MANAGER": "RPA.Robocorp.Vault.FileSecrets"}, {"PAYOUT_SYSTEM_USERNAME": "rpa"}):
        settings = Settings.load({}, env)
        assert settings.payout_system_username is None and settings.payout_system_password is None
    with pytest.raises(SettingsError, match="given together"):
        Settings.load({}, {"CONSOLE_PAYOUT_SYSTEM_USERNAME": "rpa"})


def test_production_loads_with_real_users_and_secrets(tmp_path: Path) -> None:
    settings = Settings.load({}, production_env(tmp_path))
    assert settings.env == "production"
    assert [u.username for u in settings.users] == ["hl01", "drift01"]
    assert settings.payout_system_username is None and settings.payout_system_api_token is None
    assert "a-real-password" not in repr(settings) and STRONG_SECRET not in repr(settings)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"CONSOLE_USERS_FILE": ""}, "needs CONSOLE_USERS_FILE"),
        ({"CONSOLE_SECRET_KEY": ""}, "default secret key"),
        ({"CONSOLE_SECRET_KEY": "dev-console-secret-key-not-for-production"}, "default secret key"),
        ({"CONSOLE_SECRET_KEY": "too-short"}, "at least 32"),
        ({"CONSOLE_SECRET_KEY": "a" * 40}, "weak secret key: CONSOLE_SECRET_KEY"),
        ({"PAYOUT_SYSTEM_PASSWORD": DEMO_PAYOUT_PASSWORD}, "demo credentials in PAYOUT_SYSTEM_PASSWORD"),
        ({"PAYOUT_SYSTEM_API_TOKEN": "dev-api-token"}, "demo credentials in PAYOUT_SYSTEM_API_TOKEN"),
        ({"RPA_SECRET_FILE": str(ROOT / "devdata" / "vault.json")}, "vault file RPA_SECRET_FILE"),
        ({"RPA_SECRET_FILE": "devdata/vault.json"}, "vault file RPA_SECRET_FILE"),
        ({"CONSOLE_PAYOUT_SYSTEM_URL": "http://payout.example"}, "plain http:// CONSOLE_PAYOUT_SYSTEM_URL"),
        ({"CONSOLE_ALLOW_PLAIN_HTTP": "maybe"}, "CONSOLE_ALLOW_PLAIN_HTTP must be true or false"),
        (
            {
                "CONSOLE_PAYOUT_SYSTEM_USERNAME": "robot",
                "CONSOLE_PAYOUT_SYSTEM_PASSWORD": DEMO_PAYOUT_PASSWORD,
            },
            "demo password for the payout system",
        ),
        ({"CONSOLE_PAYOUT_SYSTEM_API_TOKEN": "dev-api-token"}, "demo API token"),
        ({"CONSOLE_ENV": "staging"}, "must be one of"),
        ({"CONSOLE_PAYOUT_SYSTEM_URL": "ftp://x"}, "http:// or https://"),
        ({"CONSOLE_PORT": "eighty"}, "whole number"),
    ],
)
def test_production_refuses_defaults(tmp_path: Path, change: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.load({}, production_env(tmp_path, **change))


def test_production_accepts_plain_http_when_the_network_is_said_to_be_closed(tmp_path: Path) -> None:
    env = production_env(
        tmp_path, CONSOLE_PAYOUT_SYSTEM_URL="http://payout.internal:8080", CONSOLE_ALLOW_PLAIN_HTTP="true"
    )
    settings = Settings.load({}, env)
    assert settings.payout_system_url == "http://payout.internal:8080"
    assert settings.trusted_proxy == "127.0.0.1"


def test_production_refuses_short_passwords_in_the_users_file(tmp_path: Path) -> None:
    short = [{"username": "hl03", "password": "elva-tecken", "role": CASE_WORKER}]
    env = production_env(tmp_path, CONSOLE_USERS_FILE=str(users_file(tmp_path, short)))
    with pytest.raises(SettingsError, match=r"user 'hl03' .* under 12 characters"):
        Settings.load({}, env)
    long_enough = [{"username": "hl03", "password": "tolv-tecken!", "role": CASE_WORKER}]
    env = production_env(tmp_path, CONSOLE_USERS_FILE=str(users_file(tmp_path, long_enough)))
    assert [u.username for u in Settings.load({}, env).users] == ["hl03"]


def test_production_refuses_demo_passwords_in_the_users_file(tmp_path: Path) -> None:
    demo = [{"username": "anna", "password": "anna-demo-password", "role": CASE_WORKER}]
    env = production_env(tmp_path, CONSOLE_USERS_FILE=str(users_file(tmp_path, demo)))
    with pytest.raises(SettingsError, match="refuses demo passwords: user 'anna'"):
        Settings.load({}, env)


@pytest.mark.parametrize(
    ("users", "message"),
    [
        ([{"username": "x", "password": "p", "role": "admin"}], "expected one of"),
        ([{"username": "x", "password": "p", "role": [CASE_WORKER, OPERATOR]}], "only one role"),
        (
            [
                {"username": "x", "password": "p", "role": CASE_WORKER},
                {"username": "X", "password": "p", "role": OPERATOR},
            ],
            "only one role",
        ),
        ([{"username": "x", "role": CASE_WORKER}], "needs password_hash or password"),
        ([], "non-empty list"),
    ],
)
def test_users_file_mistakes_are_named(tmp_path: Path, users: object, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_users_file(users_file(tmp_path, users))


def test_plain_passwords_in_the_users_file_are_hashed(tmp_path: Path) -> None:
    (user,) = load_users_file(
        users_file(tmp_path, [{"username": "hl02", "password": "hemligt", "role": CASE_WORKER}])
    )
    assert user.password_hash != "hemligt" and check_password_hash(user.password_hash, "hemligt")


def test_runs_get_the_robots_settings_and_none_of_the_consoles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSOLE_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("MAX_ATTEMPTS", "5")
    settings = Settings(
        data_dir=tmp_path / "d",
        runs_dir=tmp_path / "r",
        state_dir=tmp_path / "s",
        payout_system_url="http://payout.example",
        payout_system_username="rpa01",
        payout_system_password="hemligt",
    )
    env = Launcher(settings).environment(tmp_path / "r" / "run", "handläggare anna", {"DRY_RUN": "true"})
    assert not [name for name in env if name.startswith("CONSOLE_")]
    assert env["MAX_ATTEMPTS"] == "5"
    assert env["PAYOUT_SYSTEM_URL"] == "http://payout.example"
    assert (env["PAYOUT_SYSTEM_USERNAME"], env["PAYOUT_SYSTEM_PASSWORD"]) == ("rpa01", "hemligt")
    assert env["STATE_DIR"] == str((tmp_path / "s").resolve())
    assert env["RUN_STARTED_BY"] == "handläggare anna" and env["DRY_RUN"] == "true"
    assert env["PYTHONPATH"].split(":") == [str(ROOT), str(ROOT / "libraries")]


def test_help_documents_every_setting() -> None:
    text = build_parser().format_help()
    source = (ROOT / "console" / "settings.py").read_text(encoding="utf-8")
    common = {f"CONSOLE_{name}" for name in COMMON_VARIABLES}
    for name in sorted(set(re.findall(r'"(CONSOLE_[A-Z_]+)"', source)) | common):
        assert name in text, f"--help does not mention {name}"
    for phrase in ("handläggare", "driftansvarig", "anna-demo-password", "olle-demo-password", "production"):
        assert phrase in text


def run_console(
    *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "console", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT}:{ROOT / 'libraries'}", **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_the_command_line_refuses_production_without_its_settings(tmp_path: Path) -> None:
    result = run_console("--env", "production", "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2
    assert "configuration error: production mode needs CONSOLE_USERS_FILE" in result.stderr


def test_the_command_line_names_the_refused_setting(tmp_path: Path) -> None:
    env = production_env(tmp_path, CONSOLE_SECRET_KEY="a" * 40)
    result = run_console(env=env)
    assert result.returncode == 2
    assert "CONSOLE_SECRET_KEY" in result.stderr


def test_the_command_line_refuses_a_short_password_to_hash() -> None:
    result = run_console("--hash-password", stdin="kort-lösen\n")
    assert result.returncode == 2 and "at least 12 characters" in result.stderr


def test_the_command_line_hashes_a_password_for_the_users_file() -> None:
    result = run_console("--hash-password", stdin="ett-bra-lösenord\n")
    assert result.returncode == 0
    assert check_password_hash(result.stdout.strip(), "ett-bra-lösenord")
