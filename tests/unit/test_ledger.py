"""The ledger: exclusive claims across connections and processes, leases, durability, no personal data."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from splitpayout.adapters.ledger import ClaimLostError, EntryState, Ledger, use_wal, worker_alive
from splitpayout.domain.models import Method, PlannedPayment

PERSONNUMMER = "198112189876"
CLEARING = "8327"
ACCOUNT = "9876543219"


def payment(reference: str = "B-1/1", amount_ore: int = 1_234_550, **changes: object) -> PlannedPayment:
    values: dict[str, object] = {
        "reference": reference,
        "decision_id": reference.split("/")[0],
        "method": Method.KONTO,
        "personnummer": PERSONNUMMER,
        "name": "Anna Andersson",
        "clearing": CLEARING,
        "account": ACCOUNT,
        "amount_ore": amount_ore,
        "payout_date": dt.date(2026, 6, 25),
    }
    values.update(changes)
    return PlannedPayment.model_validate(values)


class FakeClock:
    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_first_claim_is_new_and_a_second_worker_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path) as first, Ledger(path) as second:
        claim = first.claim(payment(), "worker-a", "run-1", lease_seconds=60)
        assert claim is not None
        assert claim.previous_state is None
        assert not claim.may_exist
        assert second.claim(payment(), "worker-b", "run-2", lease_seconds=60) is None
        entry = second.get("B-1/1")
        assert entry is not None
        assert entry.state is EntryState.CLAIMED
        assert entry.claimed_by == "worker-a"


def test_same_worker_may_claim_again(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        assert ledger.claim(payment(), "w", "run-1", 60) is not None
        again = ledger.claim(payment(), "w", "run-1", 60)
        assert again is not None
        assert again.previous_state is EntryState.CLAIMED


def test_expired_lease_is_taken_over_and_reports_an_unknown_submit(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path, clock=clock) as crashed, Ledger(path, clock=clock) as next_run:
        assert crashed.claim(payment(), "crashed", "run-1", lease_seconds=30) is not None
        crashed.mark_submitting("B-1/1", "crashed", lease_seconds=30)
        # the worker dies here: no payment number is ever recorded
        clock.now += 29
        assert next_run.claim(payment(), "next", "run-2", lease_seconds=30) is None
        clock.now += 2
        claim = next_run.claim(payment(), "next", "run-2", lease_seconds=30)
        assert claim is not None
        assert claim.previous_state is EntryState.SUBMITTING
        assert claim.may_exist
        entry = next_run.get("B-1/1")
        assert entry is not None
        # still marked as possibly sent: a crash of this worker too must not lose that
        assert entry.state is EntryState.SUBMITTING
        assert entry.claimed_by == "next"
        assert entry.run_id == "run-2"


def test_a_lost_claim_cannot_be_submitted(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path, clock=clock) as slow, Ledger(path, clock=clock) as other:
        assert slow.claim(payment(), "slow", "run-1", lease_seconds=10) is not None
        clock.now += 11
        assert other.claim(payment(), "other", "run-2", lease_seconds=10) is not None
        with pytest.raises(ClaimLostError):
            slow.mark_submitting("B-1/1", "slow", lease_seconds=10)


def test_failed_after_a_submit_still_demands_a_look_up(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        assert ledger.claim(payment(), "w1", "run-1", 60) is not None
        ledger.mark_submitting("B-1/1", "w1", 60)
        ledger.mark_failed("B-1/1", "timeout")
        claim = ledger.claim(payment(), "w2", "run-2", 60)
        assert claim is not None
        assert claim.previous_state is EntryState.FAILED
        assert claim.may_exist


def test_failed_before_any_submit_needs_no_look_up(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        assert ledger.claim(payment(), "w1", "run-1", 60) is not None
        ledger.mark_failed("B-1/1", "session_expired")
        claim = ledger.claim(payment(), "w2", "run-2", 60)
        assert claim is not None
        assert not claim.may_exist


def test_states_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state" / "ledger.sqlite3"
    with Ledger(path) as ledger:
        ledger.start_run("run-1", mode="real", source_name="export.xlsx", source_sha256="ab" * 32)
        for reference in ("B-1/1", "B-1/2", "B-2/1", "B-3/1"):
            assert ledger.claim(payment(reference), "w", "run-1", 60) is not None
        ledger.mark_submitting("B-1/1", "w", 60)
        ledger.mark_registered("B-1/1", "U-100001")
        ledger.mark_rejected("B-1/2", "rejected_by_payout_system")
        ledger.mark_conflict("B-2/1")
        ledger.mark_submitting("B-3/1", "w", 60)
        ledger.finish_run("run-1", "completed")
    with Ledger(path) as reopened:
        states = {entry.reference: entry.state for entry in reopened.entries()}
        assert states == {
            "B-1/1": EntryState.REGISTERED,
            "B-1/2": EntryState.REJECTED,
            "B-2/1": EntryState.CONFLICT,
            "B-3/1": EntryState.SUBMITTING,
        }
        registered = reopened.get("B-1/1")
        assert registered is not None
        assert registered.payment_number == "U-100001"
        assert registered.attempts == 1
        assert registered.claimed_by is None
        assert [entry.reference for entry in reopened.entries(decision_id="B-1")] == ["B-1/1", "B-1/2"]
        run = reopened.get_run("run-1")
        assert run is not None
        assert run["status"] == "completed"
        assert run["finished_at"] is not None


def test_registered_reference_is_reported_to_the_next_claim(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        assert ledger.claim(payment(), "w1", "run-1", 60) is not None
        ledger.mark_submitting("B-1/1", "w1", 60)
        ledger.mark_registered("B-1/1", "U-100007")
        claim = ledger.claim(payment(amount_ore=999), "w2", "run-2", 60)
        assert claim is not None
        assert claim.previous_state is EntryState.REGISTERED
        assert claim.previous is not None
        assert claim.previous.payment_number == "U-100007"
        assert claim.may_exist
        assert claim.fingerprint_changed


def test_release_lets_the_next_worker_in_at_once(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    with Ledger(path) as first, Ledger(path) as second:
        assert first.claim(payment(), "a", "run-1", 600) is not None
        first.release("B-1/1", "a")
        assert second.claim(payment(), "b", "run-2", 600) is not None


def test_fingerprint_changes_with_each_recipient_field_and_amount(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        base = ledger.fingerprint(payment())
        variants = [
            payment(amount_ore=1_234_551),
            payment(personnummer="198112189884"),
            payment(account="9876543227"),
            payment(clearing="8328"),
            payment(method=Method.AVI, clearing=None, account=None),
            payment(payout_date=dt.date(2026, 6, 24)),
            payment(bankgiro="56781234"),
        ]
        fingerprints = {ledger.fingerprint(variant) for variant in variants}
        assert base not in fingerprints
        assert len(fingerprints) == len(variants)
        assert ledger.fingerprint(payment(name="Another Name")) == base
    with Ledger(tmp_path / "keyed.sqlite3", fingerprint_key=b"secret") as keyed:
        assert keyed.fingerprint(payment()) != base


def test_no_personal_data_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path) as ledger:
        ledger.start_run("run-1", mode="real", source_name="export.xlsx", source_sha256="00" * 32)
        assert ledger.claim(payment(), "w", "run-1", 60) is not None
        ledger.mark_submitting("B-1/1", "w", 60)
        ledger.mark_registered("B-1/1", "U-100001")
        ledger.finish_run("run-1", "completed")
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("ledger.sqlite3"))
    assert b"U-100001" in raw  # the scan does see the rows
    for secret in (PERSONNUMMER, PERSONNUMMER[2:], ACCOUNT, "Anna Andersson"):
        assert secret.encode() not in raw
        assert secret.encode("utf-16-le") not in raw


def _claim_many(path: str, worker: str, references: list[str], barrier: object, out: object) -> None:
    ledger = Ledger(path)
    barrier.wait()  # type: ignore[attr-defined]
    won = [ref for ref in references if ledger.claim(payment(ref), worker, "run", 600) is not None]
    out.put((worker, won))  # type: ignore[attr-defined]
    ledger.close()


def test_claims_are_exclusive_across_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "ledger.sqlite3")
    Ledger(path).close()
    references = [f"B-{n}/1" for n in range(60)]
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    out = context.Queue()
    workers = [
        context.Process(target=_claim_many, args=(path, name, refs, barrier, out))
        for name, refs in (("p1", references), ("p2", list(reversed(references))))
    ]
    for worker in workers:
        worker.start()
    results = dict(out.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert set(results["p1"]).isdisjoint(results["p2"])
    assert sorted(results["p1"] + results["p2"]) == sorted(references)


@pytest.fixture
def new_ledger_being_written(tmp_path: Path) -> Iterator[tuple[Path, sqlite3.Connection, sqlite3.Connection]]:
    """A new ledger file that one connection (the first run) is writing to, and a second
    connection (the other run) that has just opened it."""
    path = tmp_path / "ledger.sqlite3"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("CREATE TABLE first_run_was_here (n INTEGER)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO first_run_was_here VALUES (1)")
    opener = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    yield path, writer, opener
    if writer.in_transaction:
        writer.execute("ROLLBACK")
    writer.close()
    opener.close()


def test_a_new_ledger_opened_by_two_processes_at_once_waits_instead_of_failing(
    new_ledger_being_written: tuple[Path, sqlite3.Connection, sqlite3.Connection],
) -> None:
    # Two runs started together on a new state folder both create the ledger. While one
    # of them is writing to the new file, SQLite refuses the other's switch to WAL at once
    # ("database is locked", no busy wait). The switch must wait for the writer to finish.
    path, writer, opener = new_ledger_being_written
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        opener.execute("PRAGMA journal_mode = WAL")  # what a plain open runs into

    waits: list[float] = []

    def writer_finishes(seconds: float) -> None:
        waits.append(seconds)
        writer.execute("COMMIT")

    use_wal(opener, sleep=writer_finishes)
    assert waits, "the switch waited for the writer"
    assert opener.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with Ledger(path) as ledger:
        assert ledger.claim(payment(), "w1", "run", 600) is not None


def test_a_switch_to_wal_that_stays_locked_gives_up_at_its_deadline(
    new_ledger_being_written: tuple[Path, sqlite3.Connection, sqlite3.Connection],
) -> None:
    _, _, opener = new_ledger_being_written
    waits: list[float] = []
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        use_wal(opener, wait_seconds=0.0, sleep=waits.append)
    assert waits == []


def test_claims_are_exclusive_across_threads(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    Ledger(path).close()
    winners: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def contend(worker: str) -> None:
        ledger = Ledger(path)
        start.wait()
        if ledger.claim(payment("B-9/1"), worker, "run", 600) is not None:
            with lock:
                winners.append(worker)
        ledger.close()

    threads = [threading.Thread(target=contend, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1


def test_runs_are_recorded(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        ledger.start_run("run-7", mode="dry_run", source_name="x.xlsx", source_sha256="cd" * 32)
        run = ledger.get_run("run-7")
        assert run is not None
        assert run["status"] == "running"
        assert run["mode"] == "dry_run"
        assert run["finished_at"] is None


def test_a_claim_of_a_killed_local_worker_is_taken_over_at_once(tmp_path: Path) -> None:
    """A run killed mid-submit must not block the next run for the length of its lease."""
    host = socket.gethostname()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with Ledger(tmp_path / "l.sqlite3") as ledger:
            dead_worker = f"{host}:{gone.pid}:aaaa"
            live_worker = f"{host}:{alive.pid}:bbbb"
            assert ledger.claim(payment("B-1/1"), dead_worker, "run-1", 900) is not None
            ledger.mark_submitting("B-1/1", dead_worker, 900)
            assert ledger.claim(payment("B-2/1"), live_worker, "run-1", 900) is not None

            taken = ledger.claim(payment("B-1/1"), "next-worker", "run-2", 900)
            assert taken is not None
            assert taken.may_exist, "the dead worker may have sent the form: look it up first"
            assert ledger.claim(payment("B-2/1"), "next-worker", "run-2", 900) is None
    finally:
        alive.kill()
        alive.wait()


def test_worker_alive_trusts_the_lease_for_other_hosts_and_forms() -> None:
    assert worker_alive(f"{socket.gethostname()}:{os.getpid()}:x")
    assert worker_alive("another-host:1:x")
    assert worker_alive("worker-a")
