"""The work-item key: where it comes from, how it is rotated, and what a wrong one does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from hypothesis import example, given
from hypothesis import strategies as st
from splitpayout.adapters.sealing import (
    Sealer,
    WorkItemKeyError,
    open_file,
    seal_file,
    sealer_from,
    work_item_sealer,
)
from splitpayout.config import Credentials

ROOT = Path(__file__).resolve().parents[3]
OLD, NEW = Fernet.generate_key(), Fernet.generate_key()


@given(st.dictionaries(st.text(max_size=20), st.text(max_size=60) | st.integers() | st.none(), max_size=8))
def test_what_is_sealed_opens_as_it_was_and_is_not_readable(document: dict[str, object]) -> None:
    sealer = Sealer([NEW])
    token = sealer.seal(document)
    assert sealer.open(token) == document
    for value in document.values():
        if isinstance(value, str) and len(value) >= 8:
            assert value not in token


def test_rotation_the_newest_key_seals_and_every_listed_key_opens() -> None:
    sealed_before = Sealer([OLD]).seal({"decision_id": "EB-1"})
    rotated = sealer_from(f"{NEW.decode()},{OLD.decode()}", None)

    assert rotated.open(sealed_before) == {"decision_id": "EB-1"}
    sealed_after = rotated.seal({"decision_id": "EB-2"})
    assert Sealer([NEW]).open(sealed_after) == {"decision_id": "EB-2"}
    with pytest.raises(WorkItemKeyError) as caught:
        Sealer([OLD]).open(sealed_after)  # a robot not yet given the new key
    assert caught.value.code == "work_item_key_wrong"


def test_without_any_key_the_error_says_what_to_set() -> None:
    with pytest.raises(WorkItemKeyError) as caught:
        work_item_sealer(Credentials.from_env({}))
    assert caught.value.code == "work_item_key_missing"
    assert "WORK_ITEM_KEYS" in str(caught.value) and "WORK_ITEM_KEY_FILE" in str(caught.value)
    assert "nyckeln" in caught.value.plain


@given(st.text(min_size=1, max_size=60).filter(lambda text: text.strip() and "," not in text))
@example("\x1e#")  # a record separator is no line break: "#" is not a comment here
def test_a_malformed_key_is_named_by_its_place_never_shown(text: str) -> None:
    words = text.split()
    if len(words) == 1 and len(words[0]) == 44:
        return  # may be a well-formed key by chance
    with pytest.raises(WorkItemKeyError) as caught:
        sealer_from(f"{NEW.decode()},{text}", None)
    assert caught.value.code == "work_item_key_invalid"
    assert "key 2 of WORK_ITEM_KEYS" in str(caught.value)
    assert all(word not in str(caught.value) for word in words if len(word) >= 6)


def test_a_key_file_lists_keys_newest_first_and_must_be_its_owners_only(tmp_path: Path) -> None:
    key_file = tmp_path / "work-item.key"
    key_file.write_text(f"# newest first\n{NEW.decode()}\n{OLD.decode()}\n", encoding="ascii")
    key_file.chmod(0o600)
    credentials = Credentials.from_env({"WORK_ITEM_KEY_FILE": str(key_file)})
    assert work_item_sealer(credentials).open(Sealer([OLD]).seal({"a": 1})) == {"a": 1}

    key_file.chmod(0o644)
    with pytest.raises(WorkItemKeyError) as caught:
        work_item_sealer(credentials)
    assert caught.value.code == "work_item_key_invalid"
    assert "0644" in str(caught.value)
    with pytest.raises(WorkItemKeyError, match="cannot be read"):
        work_item_sealer(Credentials.from_env({"WORK_ITEM_KEY_FILE": str(tmp_path / "none.key")}))


def test_a_sealed_file_is_owner_only_and_opens_to_the_same_bytes(tmp_path: Path) -> None:
    source = tmp_path / "beslut.xlsx"
    source.write_bytes(b"PK\x03\x04 Anna Andersson 198112289874")
    sealer = Sealer([NEW])
    sealed = seal_file(sealer, source, tmp_path / "beslut.xlsx.sealed")
    assert b"Anna" not in sealed.read_bytes()
    assert sealed.stat().st_mode & 0o777 == 0o600
    opened = open_file(sealer, sealed, tmp_path / "opened.xlsx")
    assert opened.read_bytes() == source.read_bytes()
    assert opened.stat().st_mode & 0o777 == 0o600
    with pytest.raises(WorkItemKeyError):
        open_file(Sealer([OLD]), sealed, tmp_path / "never.xlsx")
    assert not (tmp_path / "never.xlsx").exists()


def test_the_command_line_makes_a_key_and_seals_an_export_with_it(tmp_path: Path) -> None:
    env = {"PYTHONPATH": f"{ROOT}:{ROOT / 'libraries'}", "PATH": "/usr/bin:/bin"}
    made = subprocess.run(
        [sys.executable, "-m", "splitpayout.adapters.sealing", "new-key"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = made.stdout.strip().encode()
    source = tmp_path / "beslut.xlsx"
    source.write_bytes(b"export")
    sealed = subprocess.run(
        [sys.executable, "-m", "splitpayout.adapters.sealing", "seal", str(source)],
        env={**env, "WORK_ITEM_KEYS": key.decode()},
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(sealed.stdout.strip()) == tmp_path / "beslut.xlsx.sealed"
    assert Sealer([key]).open_bytes((tmp_path / "beslut.xlsx.sealed").read_bytes()) == b"export"
    refused = subprocess.run(
        [sys.executable, "-m", "splitpayout.adapters.sealing", "seal", str(source)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2 and "WORK_ITEM_KEYS" in refused.stderr
