"""Login throttling: failed logins per username and, separately, per client address.

After ``free`` failures for one key, every further attempt is refused until a delay has
passed, and each failure after that doubles the delay (up to ``max_delay``). A refused
attempt is answered from this table alone, before any password is hashed. Every attempt
is counted as a failure *before* its password is hashed, in the same ``BEGIN IMMEDIATE``
transaction as the check (``reserve``): however many attempts arrive at once, at most
``free`` of them are let through to the password check. A successful login then clears
its username's failures and takes back its own count from the address, whose other
failures stay and decay with time (one forgiven per ``decay_seconds`` without failures):
logging in to one's own account does not reset what the address tried on others. The
state is a table in the app's own database (``THROTTLE_SCHEMA``), so a restart does not
forget it.

Keys are never the typed text: a username becomes a keyed hash (the app's secret key), so a
password typed into the username field is not kept here.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from webcommon.db import transaction

THROTTLE_SCHEMA = """
CREATE TABLE IF NOT EXISTS login_failures (
    key           TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    last_failure  REAL NOT NULL,
    locked_until  REAL NOT NULL DEFAULT 0
);
"""


@dataclass(frozen=True)
class Policy:
    """How many failures are free for one key, the first delay, the longest, and how often
    one failure is forgiven while none follow (None: only a success or a quiet day clears them)."""

    free: int
    first_delay: float = 30.0
    max_delay: float = 3600.0
    decay_seconds: float | None = None

    def delay_after(self, failures: int) -> float:
        """Seconds an attempt is refused after ``failures`` failures in a row (0 = not refused)."""
        if failures < self.free:
            return 0.0
        return float(min(self.max_delay, self.first_delay * 2 ** min(failures - self.free, 32)))


USER_POLICY = Policy(free=5)
ADDRESS_POLICY = Policy(free=20, decay_seconds=300.0)
# Failures older than this are forgotten (the table stays small).
FORGET_AFTER_SECONDS = 24 * 3600.0


def user_key(secret_key: str, username: str) -> str:
    """The table key of a typed username (any case): a keyed hash, not the text."""
    digest = hmac.new(secret_key.encode(), username.strip().casefold().encode(), hashlib.sha256)
    return "user:" + digest.hexdigest()[:32]


def address_key(address: str | None) -> str:
    """The table key of a client address."""
    return "addr:" + (address or "-")[:64]


def locked_until(conn: sqlite3.Connection, keys: list[str], now: float) -> float:
    """The latest time until which any of ``keys`` is refused; 0 when none is."""
    marks = ",".join("?" * len(keys))
    row = conn.execute(
        f"SELECT MAX(locked_until) FROM login_failures WHERE key IN ({marks})",  # noqa: S608 - only '?'
        keys,
    ).fetchone()
    until = float(row[0] or 0.0)
    return until if until > now else 0.0


def _failures_now(row: sqlite3.Row | None, policy: Policy, now: float) -> int:
    """The failures a row still counts at ``now`` (forgotten after a quiet day, or decayed)."""
    if row is None:
        return 0
    quiet = now - float(row["last_failure"])
    if quiet >= FORGET_AFTER_SECONDS:
        return 0
    failures = int(row["failures"])
    if policy.decay_seconds and quiet > 0:
        failures -= int(quiet // policy.decay_seconds)
    return max(0, failures)


def record_failure(conn: sqlite3.Connection, key: str, policy: Policy, now: float) -> None:
    """Count one failure for ``key``; lock it when the policy says so."""
    row = conn.execute("SELECT failures, last_failure FROM login_failures WHERE key = ?", (key,)).fetchone()
    failures = _failures_now(row, policy, now) + 1
    delay = policy.delay_after(failures)
    conn.execute(
        """INSERT INTO login_failures (key, failures, last_failure, locked_until) VALUES (?, ?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,
               last_failure = excluded.last_failure, locked_until = excluded.locked_until""",
        (key, failures, now, now + delay if delay else 0.0),
    )


def reserve(conn: sqlite3.Connection, keys: Sequence[tuple[str, Policy]], now: float) -> float:
    """Before a password is hashed, in one write transaction: when any of ``keys`` is refused,
    the time until which (nothing is counted); else 0, with one failure counted for each key
    (a success takes it back with ``succeeded``)."""
    with transaction(conn):
        until = locked_until(conn, [key for key, _ in keys], now)
        if until:
            return until
        for key, policy in keys:
            record_failure(conn, key, policy, now)
        forget_old(conn, now)
    return 0.0


def succeeded(conn: sqlite3.Connection, user: str, address: str, policy: Policy) -> None:
    """After a successful login reserved with ``reserve``: forget the user's failures, and take
    back the one counted for the address (its other failures stay)."""
    with transaction(conn):
        conn.execute("DELETE FROM login_failures WHERE key = ?", (user,))
        row = conn.execute(
            "SELECT failures, locked_until FROM login_failures WHERE key = ?", (address,)
        ).fetchone()
        if row is None:
            return
        failures = max(0, int(row["failures"]) - 1)
        locked = float(row["locked_until"]) if policy.delay_after(failures) else 0.0
        conn.execute(
            "UPDATE login_failures SET failures = ?, locked_until = ? WHERE key = ?",
            (failures, locked, address),
        )


def forget_old(conn: sqlite3.Connection, now: float) -> None:
    """Housekeeping: drop failures nobody has repeated for a day and that lock nothing."""
    conn.execute(
        "DELETE FROM login_failures WHERE last_failure < ? AND locked_until < ?",
        (now - FORGET_AFTER_SECONDS, now),
    )


def wait_message(seconds: float) -> str:
    """The Swedish notice of a refused attempt: when to try again."""
    if seconds < 60:
        amount = max(1, math.ceil(seconds))
        unit = "sekund" if amount == 1 else "sekunder"
    else:
        amount = math.ceil(seconds / 60)
        unit = "minut" if amount == 1 else "minuter"
    return f"För många misslyckade inloggningar. Försök igen om {amount} {unit}."
