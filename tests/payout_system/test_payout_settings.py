"""Settings from flags and environment; production refuses demo secrets; the command line."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FAST_DEMO_USERS
from payout_testdata import csrf_from

from payout_system import create_app
from payout_system.__main__ import build_parser
from payout_system.settings import (
    DEMO_PASSWORDS,
    FAULT_OPTIONS,
    RELEASE_OPTIONS,
    FaultSettings,
    Settings,
    SettingsError,
)
from tests.support.users import STRONG_SECRET, quick_hash, users_file
from webcommon.settings import COMMON_VARIABLES

REPO = Path(__file__).resolve().parents[2]
STRONG_TOKEN = "Fh7Kq2Zp9LmX4Wc8RbN3vT"
PRODUCTION_USER = {
    "username": "rpa01",
    "password_hash": quick_hash("a-real-password-1"),
    "role": "registrar",
}


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        "PAYOUT_ENV": "production",
        "PAYOUT_SECRET_KEY": STRONG_SECRET,
        "PAYOUT_API_TOKEN": STRONG_TOKEN,
        "PAYOUT_USERS_FILE": str(users_file(tmp_path, [PRODUCTION_USER], "production-users.json")),
    }
    env.update(overrides)
    return env


def load(tmp_path: Path, env: dict[str, str], **options: object) -> Settings:
    return Settings.load({"db": str(tmp_path / "p.db"), **options}, env)


def test_development_defaults(tmp_path: Path) -> None:
    settings = load(tmp_path, {})
    assert settings.env == "development"
    assert settings.api_token == "dev-api-token"
    assert {u.username: u.role for u in settings.users} == {
        "robot": "registrar",
        "attestant": "attestant",
        "viewer": "viewer",
    }
    assert settings.session_idle_seconds == 900
    assert not settings.faults.enabled


def test_production_with_real_secrets_starts(tmp_path: Path) -> None:
    settings = load(tmp_path, production_env(tmp_path))
    assert settings.env == "production" and [u.username for u in settings.users] == ["rpa01"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"PAYOUT_SECRET_KEY": ""}, "secret key"),
        ({"PAYOUT_SECRET_KEY": "dev-secret-key-not-for-production"}, "secret key"),
        ({"PAYOUT_SECRET_KEY": "short"}, "secret key"),
        ({"PAYOUT_API_TOKEN": ""}, "API token"),
        ({"PAYOUT_API_TOKEN": "dev-api-token"}, "API token"),
        ({"PAYOUT_API_TOKEN": "t" * 15}, "API token"),
        ({"PAYOUT_SECRET_KEY": "a" * 40}, "weak secret key: PAYOUT_SECRET_KEY"),
        ({"PAYOUT_SECRET_KEY": "ab" * 24}, "weak secret key: PAYOUT_SECRET_KEY"),
        ({"PAYOUT_API_TOKEN": "a" * 16}, "weak API token: PAYOUT_API_TOKEN"),
        ({"PAYOUT_API_TOKEN": "abcd" * 6}, "weak API token: PAYOUT_API_TOKEN"),
        ({"PAYOUT_USERS_FILE": ""}, "PAYOUT_USERS_FILE"),
    ],
)
def test_production_refuses_defaults(tmp_path: Path, overrides: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load(tmp_path, production_env(tmp_path, **overrides))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({}, "secret key"),  # every default
        ({"secret_key": STRONG_SECRET}, "API token"),
        ({"secret_key": STRONG_SECRET, "api_token": STRONG_TOKEN}, "demo passwords"),
    ],
)
def test_the_app_itself_refuses_production_with_defaults(
    tmp_path: Path, changes: dict[str, str], message: str
) -> None:
    # Settings built directly (not by Settings.load) are checked by create_app too.
    settings = replace(
        Settings(db_path=tmp_path / "p.db", env="production", users=FAST_DEMO_USERS), **changes
    )
    with pytest.raises(SettingsError, match=message):
        create_app(settings)
    assert not (tmp_path / "p.db").exists()


def test_production_has_no_demo_users(tmp_path: Path) -> None:
    settings = load(tmp_path, production_env(tmp_path))
    assert not {u.username for u in settings.users} & set(DEMO_PASSWORDS)
    client = create_app(settings).test_client()
    token = csrf_from(client.get("/login"))
    response = client.post(
        "/login", data={"username": "robot", "password": DEMO_PASSWORDS["robot"][0], "csrf_token": token}
    )
    assert response.status_code == 200 and "Fel användarnamn eller lösenord." in response.get_data(
        as_text=True
    )
    api = client.get("/api/payments", headers={"Authorization": "Bearer dev-api-token"})
    assert api.status_code == 401


def test_the_database_and_its_folder_are_created_on_start(tmp_path: Path) -> None:
    db_path = tmp_path / "state" / "payout.sqlite3"
    client = create_app(Settings(db_path=db_path, users=FAST_DEMO_USERS)).test_client()
    assert client.get("/login").status_code == 200
    assert db_path.is_file()


def test_development_users_file_replaces_the_demo_users(tmp_path: Path) -> None:
    path = users_file(tmp_path, [{"username": "anna", "password": "pw-anna-1", "role": "viewer"}])
    assert [u.username for u in load(tmp_path, {}, users_file=str(path)).users] == ["anna"]


def test_production_refuses_demo_passwords(tmp_path: Path) -> None:
    path = users_file(
        tmp_path, [{"username": "robot", "password": DEMO_PASSWORDS["robot"][0], "role": "registrar"}]
    )
    with pytest.raises(SettingsError, match="demo passwords"):
        load(tmp_path, production_env(tmp_path, PAYOUT_USERS_FILE=str(path)))


@pytest.mark.parametrize(
    "users",
    [
        [
            {"username": "anna", "password": "pw-1", "role": "registrar"},
            {"username": "Anna", "password": "pw-2", "role": "attestant"},
        ],
        [{"username": "anna", "password": "pw-1", "role": ["registrar", "attestant"]}],
        [{"username": "anna", "password": "pw-1", "role": "registrar,attestant"}],
    ],
)
def test_no_account_may_hold_two_roles(tmp_path: Path, users: object) -> None:
    with pytest.raises(SettingsError, match="only one role"):
        load(tmp_path, {"PAYOUT_USERS_FILE": str(users_file(tmp_path, users))})


@pytest.mark.parametrize(
    "users",
    [
        [{"username": "anna", "password": "pw", "role": "admin"}],
        [{"username": "anna", "role": "viewer"}],
        [{"password": "pw", "role": "viewer"}],
        [],
        "not a list",
    ],
)
def test_malformed_users_files_are_refused(tmp_path: Path, users: object) -> None:
    with pytest.raises(SettingsError):
        load(tmp_path, {"PAYOUT_USERS_FILE": str(users_file(tmp_path, users))})


def test_users_file_passwords_are_hashed_and_work(tmp_path: Path) -> None:
    path = users_file(tmp_path, {"users": [{"username": "anna", "password": "pw-anna-1", "role": "viewer"}]})
    settings = load(tmp_path, {"PAYOUT_USERS_FILE": str(path)})
    (user,) = settings.users
    assert "pw-anna-1" not in user.password_hash and user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    client = create_app(settings).test_client()
    token = csrf_from(client.get("/login"))
    response = client.post("/login", data={"username": "anna", "password": "pw-anna-1", "csrf_token": token})
    assert response.status_code == 303


def test_flags_win_over_environment(tmp_path: Path) -> None:
    env = {
        "PAYOUT_FAULT_ERROR_RATE": "0.2",
        "PAYOUT_FAULT_SEED": "9",
        "PAYOUT_SESSION_IDLE_SECONDS": "60",
        "PAYOUT_FAULT_MAINTENANCE_FROM_REQUEST": "5",
        "PAYOUT_FAULT_MAINTENANCE_REQUESTS": "15",
        "PAYOUT_FAULT_MAINTENANCE_FILE": "/run/payout-maintenance",
    }
    settings = load(tmp_path, env, error_rate=0.5)
    assert settings.faults.error_rate == 0.5
    assert settings.faults.seed == 9
    assert (settings.faults.maintenance_from_request, settings.faults.maintenance_requests) == (5, 15)
    assert settings.faults.maintenance_file == "/run/payout-maintenance"
    assert settings.session_idle_seconds == 60


def load_cli(tmp_path: Path, environ: dict[str, str], *argv: str) -> Settings:
    """Settings as ``python -m payout_system --db ... ARGV`` with ``environ`` would load them."""
    return Settings.load(vars(build_parser().parse_args(["--db", str(tmp_path / "p.db"), *argv])), environ)


# Every fault option: a value to set and what it becomes; the maintenance window needs both ends.
FAULT_VALUES: dict[str, tuple[str, object]] = {
    "latency_ms": ("250", 250),
    "jitter_ms": ("40", 40),
    "error_rate": ("0.25", 0.25),
    "hang_rate": ("0.125", 0.125),
    "hang_seconds": ("2.5", 2.5),
    "expire_session_rate": ("0.5", 0.5),
    "maintenance_from_request": ("30", 30),
    "maintenance_requests": ("90", 90),
    "maintenance_file": ("/tmp/closed", "/tmp/closed"),
    "slow_save_seconds": ("1.5", 1.5),
    "seed": ("99", 99),
}
TOGETHER = {
    "maintenance_from_request": "maintenance_requests",
    "maintenance_requests": "maintenance_from_request",
}


def test_every_fault_setting_has_a_value_in_this_test() -> None:
    assert set(FAULT_VALUES) == {f.name for f in dataclasses.fields(FaultSettings)} == set(FAULT_OPTIONS)


@pytest.mark.parametrize("name", FAULT_VALUES)
def test_every_fault_option_is_a_flag_and_an_environment_variable(tmp_path: Path, name: str) -> None:
    env_name = FAULT_OPTIONS[name]
    assert env_name == "PAYOUT_FAULT_" + name.upper()  # the rule --help states
    names = [name, *([TOGETHER[name]] if name in TOGETHER else [])]
    argv = [text for n in names for text in ("--" + n.replace("_", "-"), FAULT_VALUES[n][0])]
    from_flags = load_cli(tmp_path, {}, *argv)
    from_env = load_cli(tmp_path, {FAULT_OPTIONS[n]: FAULT_VALUES[n][0] for n in names})
    expected = FAULT_VALUES[name][1]
    assert getattr(from_flags.faults, name) == expected
    assert getattr(from_env.faults, name) == expected
    assert from_flags.faults == from_env.faults


def test_max_payment_is_off_by_default_and_set_by_flag_or_environment(tmp_path: Path) -> None:
    assert load_cli(tmp_path, {}).max_payment_ore is None
    assert load_cli(tmp_path, {"PAYOUT_MAX_PAYMENT_KR": "50000"}).max_payment_ore == 50_000_00
    assert load_cli(tmp_path, {"PAYOUT_MAX_PAYMENT_KR": "12 345,50"}).max_payment_ore == 12_345_50
    flag_wins = load_cli(tmp_path, {"PAYOUT_MAX_PAYMENT_KR": "50000"}, "--max-payment-kr", "20000")
    assert flag_wins.max_payment_ore == 20_000_00


@pytest.mark.parametrize("value", ["0", "-5", "abc", "1.234,50"])
def test_unusable_max_payment_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError, match=r"max payment|ceiling"):
        load_cli(tmp_path, {"PAYOUT_MAX_PAYMENT_KR": value})


def test_session_idle_seconds_from_the_flag(tmp_path: Path) -> None:
    assert (
        load_cli(
            tmp_path, {"PAYOUT_SESSION_IDLE_SECONDS": "60"}, "--session-idle-seconds", "30"
        ).session_idle_seconds
        == 30
    )


@pytest.mark.parametrize(
    "options",
    [
        {"error_rate": 1.5},
        {"hang_rate": -0.1},
        {"error_rate": 0.5, "expire_session_rate": 0.6},
        {"maintenance_from_request": 5},
        {"maintenance_from_request": 0, "maintenance_requests": 5},
        {"maintenance_from_request": 5, "maintenance_requests": 0},
        {"latency_ms": -1},
        {"session_idle_seconds": 0},
    ],
)
def test_unusable_values_are_refused(tmp_path: Path, options: dict[str, object]) -> None:
    with pytest.raises(SettingsError):
        load(tmp_path, {}, **options)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "payout_system", *args],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_help_documents_options_users_and_token() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for text in (
        "--host",
        "--port",
        "--db",
        "--latency-ms",
        "--jitter-ms",
        "--error-rate",
        "--hang-rate",
        "--hang-seconds",
        "--expire-session-rate",
        "--maintenance-from-request",
        "--maintenance-requests",
        "--maintenance-file",
        "--slow-save-seconds",
        "--seed",
        "--max-payment-kr",
        "PAYOUT_MAX_PAYMENT_KR",
        "Beloppet överstiger gränsen för en enskild utbetalning",
        "--session-idle-seconds",
        "--users-file",
        "--env",
        "robot-demo-password",
        "attestant-demo-password",
        "viewer-demo-password",
        "dev-api-token",
        "PAYOUT_USERS_FILE",
        "PAYOUT_API_TOKEN",
        "PAYOUT_SECRET_KEY",
        "PAYOUT_FAULT_",
    ):
        assert text in result.stdout, text
    for action in build_parser()._actions:  # every option the parser knows has its help line
        assert action.help, action.option_strings
        for option in action.option_strings:
            assert option in result.stdout


@pytest.mark.parametrize(
    ("unset", "message"),
    [
        ("PAYOUT_USERS_FILE", "PAYOUT_USERS_FILE"),
        ("PAYOUT_SECRET_KEY", "PAYOUT_SECRET_KEY"),
    ],
)
def test_production_start_with_a_default_exits_non_zero(tmp_path: Path, unset: str, message: str) -> None:
    env = production_env(tmp_path)
    del env[unset]
    result = run_cli("--db", str(tmp_path / "p.db"), "--port", "0", env=env)
    assert result.returncode == 2
    assert "configuration error" in result.stderr and message in result.stderr
    assert not (tmp_path / "p.db").exists()


def test_readme_names_only_real_options_and_variables() -> None:
    readme = (REPO / "payout_system" / "README.md").read_text(encoding="utf-8")
    options = {option for action in build_parser()._actions for option in action.option_strings}
    mentioned = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", readme))
    assert mentioned and mentioned - options == set()
    settings_source = (REPO / "payout_system" / "settings.py").read_text(encoding="utf-8")
    variables = (
        set(re.findall(r'environ\.get\("(PAYOUT_[A-Z_]+)"\)', settings_source))
        | set(FAULT_OPTIONS.values())
        | set(RELEASE_OPTIONS.values())
        | {f"PAYOUT_{name}" for name in COMMON_VARIABLES}
    )
    named = set(re.findall(r"PAYOUT_[A-Z_]*[A-Z]", readme)) - {"PAYOUT_FAULT"}  # PAYOUT_FAULT_<NAME>
    assert named and named - variables == set()
