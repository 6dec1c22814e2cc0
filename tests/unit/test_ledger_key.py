"""The ledger's fingerprints are keyed: a search over identity numbers matches one only with the
key; a production installation does not run without its key; old plain fingerprints are dropped
when a keyed run opens the ledger, and retention clears the traces of payments long paid, while
exactly-once by reference still holds."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from splitpayout.adapters.ledger import EntryState, Ledger
from splitpayout.adapters.ledger_key import fingerprint_key, open_ledger
from splitpayout.config import LedgerKeyConfig, RetentionSettings, SettingsError
from splitpayout.domain.models import Method, PlannedPayment
from splitpayout.jobs.retention import LEDGER, run_retention

KEY = b"Wq7Zp2Kx9Lm4Tc8Rb3Nv6Hs1Jd5Gf0Ae-ledger"
BIRTH_DATE = "19811218"


def luhn(digits: str) -> str:
    total = 0
    for index, char in enumerate(digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def identity(serial: int) -> str:
    body = f"{BIRTH_DATE[2:]}{serial:03d}"
    return f"{BIRTH_DATE}{serial:03d}{luhn(body)}"


def personkonto(personnummer: str, reference: str = "B-1/1", **changes: object) -> PlannedPayment:
    """A payment to a Nordea personkonto: the account number is the identity number."""
    values: dict[str, object] = {
        "reference": reference,
        "decision_id": reference.split("/")[0],
        "method": Method.KONTO,
        "personnummer": personnummer,
        "name": "Anna Andersson",
        "clearing": "3300",
        "account": personnummer[2:],
        "amount_ore": 734_500,
        "payout_date": dt.date(2026, 6, 25),
    }
    values.update(changes)
    return PlannedPayment.model_validate(values)


def stored_fingerprint(path: Path, reference: str = "B-1/1") -> str:
    with sqlite3.connect(path) as conn:
        value: str = conn.execute(
            "SELECT fingerprint FROM payments WHERE reference = ?", (reference,)
        ).fetchone()[0]
    return value


def search(ledger: Ledger, fingerprint: str) -> list[str]:
    """Every identity number of the birth date whose payment (amount and date as in the row and
    the run's summary) has ``fingerprint``."""
    return [
        identity(serial)
        for serial in range(1000)
        if ledger.fingerprint(personkonto(identity(serial))) == fingerprint
    ]


def test_a_search_over_identity_numbers_finds_the_fingerprint_only_with_the_key(tmp_path: Path) -> None:
    secret = identity(987)
    path = tmp_path / "state" / "ledger.sqlite3"
    with Ledger(path, fingerprint_key=KEY) as ledger:
        ledger.claim(personkonto(secret), "w1", "run-1", 60)
    fingerprint = stored_fingerprint(path)
    with Ledger(tmp_path / "attacker-with-key.sqlite3", fingerprint_key=KEY) as with_key:
        assert search(with_key, fingerprint) == [secret]
    with Ledger(tmp_path / "attacker-plain.sqlite3") as plain:  # plain SHA-256, as before the key
        assert search(plain, fingerprint) == []
    with Ledger(tmp_path / "attacker-guess.sqlite3", fingerprint_key=b"guessed-" + KEY[8:]) as guess:
        assert search(guess, fingerprint) == []
    assert secret not in path.read_bytes().decode("latin-1")


def config(tmp_path: Path, **env: str) -> LedgerKeyConfig:
    return LedgerKeyConfig.from_env({"STATE_DIR": str(tmp_path / "state"), **env})


def test_production_refuses_to_run_without_a_key_or_with_a_weak_one(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"LEDGER_FINGERPRINT_KEY is not set.*ROBOT_ENV=development"):
        fingerprint_key(config(tmp_path))
    with pytest.raises(SettingsError, match="not set"):
        open_ledger(tmp_path / "state" / "ledger.sqlite3", config=config(tmp_path, ROBOT_ENV=" production "))
    for weak in (
        "short-key",
        "dev-secret-key-not-for-production ",
        "x" + "dev-console-secret-key-not-for-production",
    ):
        with pytest.raises(SettingsError, match="unsafe"):
            fingerprint_key(config(tmp_path, LEDGER_FINGERPRINT_KEY=weak))
    assert fingerprint_key(config(tmp_path, LEDGER_FINGERPRINT_KEY=f" {KEY.decode()} ")) == KEY
    with pytest.raises(SettingsError, match="ROBOT_ENV must be production or development"):
        config(tmp_path, ROBOT_ENV="test")


def test_development_makes_an_owner_only_key_outside_the_state_folder_and_says_where(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "ledger.key"
    said: list[str] = []
    development = config(tmp_path, ROBOT_ENV="development", LEDGER_KEY_FILE=str(key_file))
    old = os.umask(0o022)
    try:
        first = fingerprint_key(development, say=said.append)
    finally:
        os.umask(old)
    assert len(first) >= 32 and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert fingerprint_key(development, say=said.append) == first  # the same key next time
    assert str(key_file) in said[0] and str(key_file) in said[1]
    assert not (tmp_path / "state").exists()
    inside = config(tmp_path, ROBOT_ENV="development", LEDGER_KEY_FILE=str(tmp_path / "state" / "k"))
    with pytest.raises(SettingsError, match="outside STATE_DIR"):
        fingerprint_key(inside)


OLD_SCHEMA = """
CREATE TABLE runs (run_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, mode TEXT NOT NULL,
    source_name TEXT NOT NULL, source_sha256 TEXT NOT NULL, status TEXT NOT NULL);
CREATE TABLE payments (reference TEXT PRIMARY KEY, decision_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
    amount_ore INTEGER NOT NULL, state TEXT NOT NULL, payment_number TEXT, claimed_by TEXT, lease_until REAL,
    attempts INTEGER NOT NULL DEFAULT 0, submissions INTEGER NOT NULL DEFAULT 0, last_error TEXT, run_id TEXT,
    updated_at TEXT NOT NULL);
PRAGMA user_version = 1;
"""


def test_an_old_ledger_drops_its_plain_fingerprints_and_keeps_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    payment = personkonto(identity(987))
    plain = hashlib.sha256(
        "\x1f".join(
            ["KONTO", payment.personnummer, "3300", payment.account or "", "", "734500", "2026-06-25"]
        ).encode()
    ).hexdigest()
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
        conn.execute(
            "INSERT INTO payments (reference, decision_id, fingerprint, amount_ore, state, payment_number,"
            " submissions, updated_at) VALUES ('B-1/1', 'B-1', ?, 734500, 'registered', 'U-77', 1,"
            " '2026-06-20T10:00:00.000+00:00')",
            (plain,),
        )
    with Ledger(path, fingerprint_key=KEY) as ledger:
        entry = ledger.get("B-1/1")
        assert entry is not None and entry.fingerprint == ""
        assert (entry.state, entry.payment_number) == (EntryState.REGISTERED, "U-77")
        claim = ledger.claim(payment, "w1", "run-2", 60)
        assert claim is not None and claim.may_exist and not claim.fingerprint_changed
    assert stored_fingerprint(path) == Ledger(tmp_path / "other.sqlite3", fingerprint_key=KEY).fingerprint(
        payment
    )
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2


def test_retention_clears_the_traces_of_payments_paid_long_ago_and_exactly_once_holds(tmp_path: Path) -> None:
    state = tmp_path / "state"
    path = state / "ledger.sqlite3"
    today = dt.date(2026, 12, 6)
    old = personkonto(identity(987), "B-1/1", payout_date=today - dt.timedelta(days=91))
    recent = personkonto(identity(123), "B-2/1", payout_date=today - dt.timedelta(days=89))
    with Ledger(path, fingerprint_key=KEY) as ledger:
        for number, payment in enumerate((old, recent)):
            ledger.claim(payment, "w1", "run-1", 60)
            ledger.mark_submitting(payment.reference, "w1", 60)
            ledger.mark_registered(payment.reference, f"U-{number}")
    settings = RetentionSettings.from_env({"STATE_DIR": str(state), "RUNS_DIR": str(tmp_path / "runs")})
    now = dt.datetime.combine(today, dt.time(3), tzinfo=dt.UTC)
    dry = run_retention(settings.model_copy(update={"dry_run": True}), now)
    assert dry.removed[LEDGER] == 1 and stored_fingerprint(path, "B-1/1") != ""
    report = run_retention(settings, now)
    assert report.removed[LEDGER] == 1
    with Ledger(path, fingerprint_key=KEY) as ledger:
        cleared, kept = ledger.get("B-1/1"), ledger.get("B-2/1")
        assert cleared is not None and kept is not None
        assert (cleared.fingerprint, cleared.amount_ore) == ("", 0)
        assert (cleared.reference, cleared.payment_number, cleared.state) == (
            "B-1/1",
            "U-0",
            EntryState.REGISTERED,
        )
        assert kept.fingerprint and kept.amount_ore == recent.amount_ore
        again = ledger.claim(old, "w2", "run-2", 60)  # planned again: looked up, never entered twice
        assert again is not None and again.may_exist and again.previous_state is EntryState.REGISTERED
    assert run_retention(settings, now).removed[LEDGER] == 0
