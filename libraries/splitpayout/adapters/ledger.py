"""The durable state that makes payments exactly-once: a SQLite ledger of payment references.

One row per payment reference says how far the robot got with it: ``claimed`` by a
worker (nothing sent yet), ``submitting`` (the form is about to be or was sent, the
outcome may be unknown), ``registered`` (with the payment number), ``failed``,
``rejected`` or ``conflict``. The intent (``submitting``) is recorded *before* a
form is sent and the payment number right after, so a crash at any instant leaves
a row that tells the next run to look the reference up instead of entering it again.

Claims are taken inside ``BEGIN IMMEDIATE`` transactions, so several processes can
share one ledger file: a reference is worked on by one live worker at a time. A worker
that died is taken over at once when it ran on this machine (its worker id,
``host:pid:...``, names a process that no longer exists), else once its lease runs out.

No personal data is stored: instead of the recipient's fields the row holds a
fingerprint of method, identity number, clearing, account, bankgiro, amount and payout
date, so a changed recipient or amount can be detected. The fingerprint is an HMAC-SHA256
keyed with a secret kept apart from the ledger (``splitpayout.adapters.ledger_key``): without the
key, no search over identity numbers can match it. A ``Ledger`` opened without a key
(tools and tests only: every run opens it through ``ledger_key.open_ledger``) writes plain
SHA-256 fingerprints and marks them unkeyed. Error columns hold codes, never messages.

Ledgers made before the key (schema 1) migrate when a keyed run opens them: their plain
fingerprints, which a search over identity numbers could match, are dropped (no key can
be applied to them without the personal data), and the rows stay for exactly-once by
reference; a row's keyed fingerprint is written when its payment is planned again. An
empty fingerprint means "not known": it never counts as a changed payment. The
``Retention`` task (``forget_personal_traces``) clears the fingerprint and amount of rows
whose payout date is more than ``RETENTION_DAYS`` past, keeping reference, decision,
payment number and state, so exactly-once still holds.

The ledger file belongs outside the artifacts folder and survives between runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from splitpayout.adapters.storage import translated
from splitpayout.domain.errors import StorageFolder
from splitpayout.domain.models import PlannedPayment

SCHEMA_VERSION = 2
# How long a write waits for another process holding the ledger locked.
BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    mode TEXT NOT NULL,
    source_name TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS payments (
    reference TEXT PRIMARY KEY,
    decision_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    amount_ore INTEGER NOT NULL,
    state TEXT NOT NULL,
    payment_number TEXT,
    claimed_by TEXT,
    lease_until REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    submissions INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    run_id TEXT,
    updated_at TEXT NOT NULL,
    payout_date TEXT,
    fingerprint_keyed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS payments_by_decision ON payments (decision_id);
"""


class EntryState(StrEnum):
    """How far the robot got with one payment reference."""

    CLAIMED = "claimed"  # a worker holds it; nothing sent yet
    SUBMITTING = "submitting"  # the form is about to be or was sent; the outcome may be unknown
    REGISTERED = "registered"  # the payout system confirmed it with a payment number
    FAILED = "failed"  # a technical failure remained after retries; a later run completes it
    REJECTED = "rejected"  # the payout system's validation refused it
    CONFLICT = "conflict"  # the payout system holds the reference with other content
    # the payout system stored it (payment number) other than entered; never entered again
    STORED_DIFFERENTLY = "stored_differently"


_IN_PROGRESS = (EntryState.CLAIMED.value, EntryState.SUBMITTING.value)


class LedgerError(Exception):
    """The ledger cannot do what was asked (unknown reference, claim lost to another worker)."""


class ClaimLostError(LedgerError):
    """Another worker holds the reference now: this worker must not send anything for it."""


@dataclass(frozen=True)
class LedgerEntry:
    """One row of the ledger (no personal data)."""

    reference: str
    decision_id: str
    fingerprint: str
    amount_ore: int
    state: EntryState
    payment_number: str | None
    claimed_by: str | None
    lease_until: float | None
    attempts: int
    submissions: int
    last_error: str | None
    run_id: str | None
    updated_at: str
    payout_date: str | None = None


@dataclass(frozen=True)
class Claim:
    """A worker's exclusive hold on one reference.

    ``previous`` is the row as it was before the claim (``None`` for a reference the
    ledger had never seen). ``may_exist`` is true when a form may ever have been sent
    for the reference (a previous ``submitting`` or ``registered`` state, or any
    recorded submission): the payout system must then be asked, by a fresh look-up of
    the reference, before anything is sent.
    """

    reference: str
    worker_id: str
    run_id: str
    fingerprint: str
    previous: LedgerEntry | None

    @property
    def previous_state(self) -> EntryState | None:
        return None if self.previous is None else self.previous.state

    @property
    def may_exist(self) -> bool:
        if self.previous is None:
            return False
        return self.previous.submissions > 0 or self.previous.state in (
            EntryState.SUBMITTING,
            EntryState.REGISTERED,
        )

    @property
    def fingerprint_changed(self) -> bool:
        """True when the ledger knew the reference with another recipient, amount or date (an
        empty fingerprint, dropped by migration or retention, is not known to differ)."""
        return (
            self.previous is not None
            and bool(self.previous.fingerprint)
            and self.previous.fingerprint != self.fingerprint
        )


def worker_alive(worker_id: str) -> bool:
    """False only when ``worker_id`` (``host:pid[:...]``) names a process of this host that is gone.

    A worker of another host, or an id of another form, counts as alive: its lease decides.
    """
    host, _, rest = worker_id.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user holds the pid
        return True
    try:  # a killed child that nobody has reaped yet is a zombie: dead all the same
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def _now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def _held_by_another(previous: LedgerEntry | None, worker_id: str, now: float) -> bool:
    """True when another worker, alive, holds a live claim on the reference."""
    return (
        previous is not None
        and previous.state.value in _IN_PROGRESS
        and previous.claimed_by not in (None, worker_id)
        and previous.lease_until is not None
        and previous.lease_until > now
        and worker_alive(previous.claimed_by)
    )


def _write_row(conn: sqlite3.Connection, reference: str, columns: dict[str, Any], *, new: bool) -> None:
    """Insert the reference's row with ``columns`` (``new``), or set them on the row it has.

    The column names are this module's own, never input: only the values are parameters.
    """
    names = list(columns)
    if new:
        placeholders = ", ".join("?" * (len(names) + 1))
        conn.execute(
            f"INSERT INTO payments (reference, {', '.join(names)}) VALUES ({placeholders})",  # noqa: S608
            (reference, *columns.values()),
        )
    else:
        assignments = ", ".join(f"{name} = ?" for name in names)
        conn.execute(
            f"UPDATE payments SET {assignments} WHERE reference = ?",  # noqa: S608
            (*columns.values(), reference),
        )


class Ledger:
    """A SQLite ledger of payment references and runs, safe to share between processes.

    One ``Ledger`` object per thread (it owns one connection).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        fingerprint_key: bytes | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self._key = fingerprint_key
        self._clock = clock
        with translated(StorageFolder.STATE, self.path):
            self._conn = self._open()

    # -- plumbing -------------------------------------------------------------------------
    # A storage failure (full, read-only, missing, locked beyond BUSY_TIMEOUT_MS, not a database)
    # is raised as splitpayout.domain.errors.StorageError naming STATE_DIR: the run stops on it.

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        if self.path.stat().st_uid == os.getuid():
            self.path.chmod(0o600)  # the robot's own record: its owner's only
        self._conn.row_factory = sqlite3.Row
        self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        use_wal(self._conn)
        self._conn.execute("PRAGMA synchronous = FULL")
        with self._transaction():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._conn.execute(statement)
            self._upgrade_fingerprints()
            self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return self._conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the database's write lock from its first statement."""
        with translated(StorageFolder.STATE, self.path):
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._roll_back()
                raise
            self._conn.execute("COMMIT")

    def _roll_back(self) -> None:
        """Undo the open transaction; SQLite has already undone it after some failures (a full disk)."""
        if self._conn.in_transaction:
            with suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- fingerprints ---------------------------------------------------------------------

    def _upgrade_fingerprints(self) -> None:
        """Inside the opening transaction: give a schema-1 ledger the payout date and keyed mark
        columns, and, when this ledger has its key, drop every unkeyed fingerprint (a plain
        SHA-256 of personal data; the rows stay for exactly-once by reference)."""
        columns = {row["name"] for row in self._conn.execute("PRAGMA table_info(payments)")}
        if "payout_date" not in columns:
            self._conn.execute("ALTER TABLE payments ADD COLUMN payout_date TEXT")
        if "fingerprint_keyed" not in columns:
            self._conn.execute("ALTER TABLE payments ADD COLUMN fingerprint_keyed INTEGER NOT NULL DEFAULT 0")
        if self._key is not None:
            self._conn.execute(
                "UPDATE payments SET fingerprint = '' WHERE fingerprint_keyed = 0 AND fingerprint != ''"
            )

    def forget_personal_traces(self, paid_before: dt.date, *, dry_run: bool = False) -> int:
        """Clear the fingerprint and amount of every finished row whose payout date (for a row
        from before payout dates were kept: its last update) is before ``paid_before``; reference,
        decision, payment number and state stay. Returns how many rows had something to clear."""
        parameters = (paid_before.isoformat(), *_IN_PROGRESS)
        with self._transaction() as conn:
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM payments WHERE COALESCE(payout_date, substr(updated_at, 1, 10)) < ?"
                " AND state NOT IN (?, ?) AND (fingerprint != '' OR amount_ore != 0)",
                parameters,
            ).fetchone()
            if not dry_run:
                conn.execute(
                    "UPDATE payments SET fingerprint = '', amount_ore = 0, fingerprint_keyed = 1"
                    " WHERE COALESCE(payout_date, substr(updated_at, 1, 10)) < ?"
                    " AND state NOT IN (?, ?) AND (fingerprint != '' OR amount_ore != 0)",
                    parameters,
                )
        return int(count)

    def fingerprint(self, payment: PlannedPayment) -> str:
        """A hex digest of what makes the payment what it is; no personal data can be read back."""
        parts = (
            payment.method.value,
            payment.personnummer,
            payment.clearing or "",
            payment.account or "",
            payment.bankgiro or "",
            str(payment.amount_ore),
            payment.payout_date.isoformat(),
        )
        message = "\x1f".join(parts).encode("utf-8")
        if self._key is not None:
            return hmac.new(self._key, message, hashlib.sha256).hexdigest()
        return hashlib.sha256(message).hexdigest()

    # -- runs -----------------------------------------------------------------------------

    def start_run(self, run_id: str, *, mode: str, source_name: str, source_sha256: str) -> None:
        """Record that a run started (``mode`` is e.g. ``real`` or ``dry_run``)."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO runs (run_id, started_at, mode, source_name, source_sha256, status)"
                " VALUES (?, ?, ?, ?, ?, 'running')",
                (run_id, _now_text(), mode, source_name, source_sha256),
            )

    def finish_run(self, run_id: str, status: str) -> None:
        """Record how a run ended (e.g. ``completed``, ``failed``, ``stopped``)."""
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE runs SET finished_at = ?, status = ? WHERE run_id = ?",
                (_now_text(), status, run_id),
            )
            if cursor.rowcount != 1:
                raise LedgerError(f"unknown run {run_id!r}")

    def get_run(self, run_id: str) -> dict[str, str | None] | None:
        row = self._conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else {key: row[key] for key in row.keys()}  # noqa: SIM118

    # -- payments -------------------------------------------------------------------------

    def claim(
        self, payment: PlannedPayment, worker_id: str, run_id: str, lease_seconds: float
    ) -> Claim | None:
        """Take the reference for ``worker_id`` until ``lease_seconds`` from now.

        Returns ``None`` when another worker holds a live claim on it. A claim of a
        reference whose previous holder died (its process is gone, or its lease ran out)
        reports the state it left,
        so ``submitting`` means: the outcome of that submit is unknown.
        """
        now = self._clock()
        fingerprint = self.fingerprint(payment)
        with self._transaction() as conn:
            row = conn.execute("SELECT * FROM payments WHERE reference = ?", (payment.reference,)).fetchone()
            previous = None if row is None else _entry(row)
            if _held_by_another(previous, worker_id, now):
                return None
            # A row whose submit may have gone through keeps ``submitting`` so that a crash
            # of this worker, too, leaves the "look it up first" mark for the next one.
            state = EntryState.CLAIMED
            if previous is not None and previous.state is EntryState.SUBMITTING:
                state = EntryState.SUBMITTING
            columns = {
                "decision_id": payment.decision_id,
                "fingerprint": fingerprint,
                "amount_ore": payment.amount_ore,
                "state": state.value,
                "claimed_by": worker_id,
                "lease_until": now + lease_seconds,
                "run_id": run_id,
                "updated_at": _now_text(),
                "payout_date": payment.payout_date.isoformat(),
                "fingerprint_keyed": int(self._key is not None),
            }
            _write_row(conn, payment.reference, columns, new=previous is None)
        return Claim(payment.reference, worker_id, run_id, fingerprint, previous)

    def mark_submitting(self, reference: str, worker_id: str, lease_seconds: float) -> None:
        """Record the intent to send the form, and renew the lease. Call BEFORE sending.

        Raises ClaimLostError when another worker holds the reference now.
        """
        now = self._clock()
        with self._transaction() as conn:
            row = conn.execute("SELECT * FROM payments WHERE reference = ?", (reference,)).fetchone()
            if row is None:
                raise LedgerError(f"reference {reference!r} was never claimed")
            entry = _entry(row)
            if entry.claimed_by != worker_id or entry.state.value not in _IN_PROGRESS:
                raise ClaimLostError(f"reference {reference!r} is no longer claimed by this worker")
            conn.execute(
                "UPDATE payments SET state = ?, lease_until = ?, attempts = attempts + 1,"
                " submissions = submissions + 1, updated_at = ? WHERE reference = ?",
                (EntryState.SUBMITTING.value, now + lease_seconds, _now_text(), reference),
            )

    def mark_registered(self, reference: str, payment_number: str) -> None:
        """Record the payment number the payout system confirmed (or holds) for the reference."""
        self._finish(reference, EntryState.REGISTERED, payment_number=payment_number, error=None)

    def mark_failed(self, reference: str, error_code: str) -> None:
        """A technical failure remained; ``error_code`` is a code such as ``timeout`` (no personal data)."""
        self._finish(reference, EntryState.FAILED, payment_number=None, error=error_code)

    def mark_rejected(self, reference: str, code: str) -> None:
        """The payout system refused the payment (its validation)."""
        self._finish(reference, EntryState.REJECTED, payment_number=None, error=code)

    def mark_conflict(self, reference: str, code: str = "conflict_existing_payment") -> None:
        """The payout system holds the reference with another amount or recipient."""
        self._finish(reference, EntryState.CONFLICT, payment_number=None, error=code)

    def mark_stored_differently(self, reference: str, payment_number: str, fields: tuple[str, ...]) -> None:
        """The payout system stored the payment under ``payment_number`` other than it was entered
        (``fields`` names the fields that differ): it is never entered again, nor counted as done."""
        error = "stored_differently:" + ",".join(fields)
        self._finish(reference, EntryState.STORED_DIFFERENTLY, payment_number=payment_number, error=error)

    def release(self, reference: str, worker_id: str) -> None:
        """Give a claim back without a final state; the next worker may take it at once.

        The state is kept, so a ``submitting`` row still makes the next worker look it up.
        """
        with self._transaction() as conn:
            conn.execute(
                "UPDATE payments SET claimed_by = NULL, lease_until = NULL, updated_at = ?"
                " WHERE reference = ? AND claimed_by = ?",
                (_now_text(), reference, worker_id),
            )

    def _finish(
        self, reference: str, state: EntryState, *, payment_number: str | None, error: str | None
    ) -> None:
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE payments SET state = ?, payment_number = COALESCE(?, payment_number),"
                " last_error = ?, claimed_by = NULL, lease_until = NULL, updated_at = ?"
                " WHERE reference = ?",
                (state.value, payment_number, error, _now_text(), reference),
            )
            if cursor.rowcount != 1:
                raise LedgerError(f"reference {reference!r} was never claimed")

    def get(self, reference: str) -> LedgerEntry | None:
        with translated(StorageFolder.STATE, self.path):
            row = self._conn.execute("SELECT * FROM payments WHERE reference = ?", (reference,)).fetchone()
        return None if row is None else _entry(row)

    def entries(self, *, decision_id: str | None = None, run_id: str | None = None) -> list[LedgerEntry]:
        """Rows ordered by reference, optionally of one decision or last touched by one run."""
        sql = "SELECT * FROM payments"
        clauses: list[str] = []
        params: list[str] = []
        if decision_id is not None:
            clauses.append("decision_id = ?")
            params.append(decision_id)
        if run_id is not None:
            clauses.append("run_id = ?")
            params.append(run_id)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        with translated(StorageFolder.STATE, self.path):
            rows = self._conn.execute(sql + " ORDER BY reference", params).fetchall()
        return [_entry(row) for row in rows]


def use_wal(
    conn: sqlite3.Connection,
    *,
    wait_seconds: float = BUSY_TIMEOUT_MS / 1000,
    sleep: Callable[[float], object] = time.sleep,
) -> None:
    """Put the ledger in WAL mode, waiting for other processes that are opening it too.

    Switching a new file to WAL needs the file to itself. When two processes open a new
    ledger at the same instant, SQLite answers one of them "database is locked" at once,
    without its busy timeout (each holds a read lock the other must wait for), so the
    switch is tried again until it succeeds or ``wait_seconds`` have passed.
    """
    deadline = time.monotonic() + wait_seconds
    pause = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            return
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                raise
        sleep(pause)
        pause = min(pause * 2, 0.2)


def _entry(row: sqlite3.Row) -> LedgerEntry:
    return LedgerEntry(
        reference=row["reference"],
        decision_id=row["decision_id"],
        fingerprint=row["fingerprint"],
        amount_ore=row["amount_ore"],
        state=EntryState(row["state"]),
        payment_number=row["payment_number"],
        claimed_by=row["claimed_by"],
        lease_until=row["lease_until"],
        attempts=row["attempts"],
        submissions=row["submissions"],
        last_error=row["last_error"],
        run_id=row["run_id"],
        updated_at=row["updated_at"],
        payout_date=row["payout_date"],
    )
