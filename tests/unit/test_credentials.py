"""The payout system's credentials: from the environment, else from the vault (RPA.Robocorp.Vault)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from SplitPayouts import payout_system_credentials


@pytest.fixture
def vault_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "vault.json"
    path.write_text(json.dumps({"payout_system": {"username": "robot-v", "password": "from-the-vault"}}))
    monkeypatch.setenv("RPA_SECRET_MANAGER", "RPA.Robocorp.Vault.FileSecrets")
    monkeypatch.setenv("RPA_SECRET_FILE", str(path))
    monkeypatch.delenv("PAYOUT_SYSTEM_USERNAME", raising=False)
    monkeypatch.delenv("PAYOUT_SYSTEM_PASSWORD", raising=False)
    return path


def test_the_vault_is_used_when_the_environment_has_no_credentials(vault_file: Path) -> None:
    assert payout_system_credentials("payout_system") == ("robot-v", "from-the-vault")


def test_the_environment_wins_over_the_vault(vault_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYOUT_SYSTEM_USERNAME", "robot-e")
    monkeypatch.setenv("PAYOUT_SYSTEM_PASSWORD", "from-the-environment")
    assert payout_system_credentials("payout_system") == ("robot-e", "from-the-environment")


def test_a_missing_secret_says_what_to_set_without_revealing_anything(vault_file: Path) -> None:
    with pytest.raises(RuntimeError) as error:
        payout_system_credentials("no_such_secret")
    message = str(error.value)
    assert "PAYOUT_SYSTEM_USERNAME" in message
    assert "'no_such_secret'" in message
    assert "from-the-vault" not in message


def test_the_demo_vault_matches_the_stand_ins_demo_account() -> None:
    demo = json.loads((Path(__file__).resolve().parents[2] / "devdata" / "vault.json").read_text())
    assert demo["payout_system"] == {
        "username": "robot",
        "password": "robot-demo-password",
        "api_token": "dev-api-token",
    }
