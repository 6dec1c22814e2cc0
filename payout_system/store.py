"""Queries on payments and the audit trail (parameterised SQL over ``db``'s connection)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Any

from payout_system.db import FIRST_PAYMENT_SEQUENCE, transaction

REGISTERED = "registrerad"
ATTESTED = "attesterad"


@dataclass(frozen=True)
class NewPayment:
    """A validated payment, ready to store. Money in öre; identity number 12 digits."""

    reference: str
    personnummer: str
    name: str
    method: str
    clearing: str | None
    account: str | None
    bankgiro: str | None
    ocr: str | None
    amount_ore: int
    payout_date: dt.date
    message: str


@dataclass(frozen=True)
class PaymentFilter:
    """Search filters; None means "any"."""

    reference: str | None = None
    personnummer: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# Payments ----------------------------------------------------------------------------------------


def insert_payment(conn: sqlite3.Connection, payment: NewPayment, created_by: str) -> str:
    """Store a payment; its number is the next in sequence, assigned inside the same transaction."""
    with transaction(conn):
        row = conn.execute(
            "SELECT COALESCE(MAX(seq) + 1, ?) AS next_seq FROM payments", (FIRST_PAYMENT_SEQUENCE,)
        ).fetchone()
        seq = int(row["next_seq"])
        payment_number = f"U-{seq:06d}"
        conn.execute(
            """INSERT INTO payments (seq, payment_number, reference, personnummer, name, method,
                                     clearing, account, bankgiro, ocr, amount_ore, payout_date,
                                     message, status, created_by, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                seq,
                payment_number,
                payment.reference,
                payment.personnummer,
                payment.name,
                payment.method,
                payment.clearing,
                payment.account,
                payment.bankgiro,
                payment.ocr,
                payment.amount_ore,
                payment.payout_date.isoformat(),
                payment.message,
                REGISTERED,
                created_by,
                _now_iso(),
            ),
        )
        conn.execute(
            "INSERT INTO audit_log (at, username, action, payment_number) VALUES (?, ?, ?, ?)",
            (_now_iso(), created_by, "register", payment_number),
        )
    return payment_number


def get_payment(conn: sqlite3.Connection, payment_number: str) -> sqlite3.Row | None:
    """One payment by its number, or None."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM payments WHERE payment_number = ?", (payment_number,)
    ).fetchone()
    return row


def _where(filters: PaymentFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if filters.reference is not None:
        clauses.append("reference = ? COLLATE NOCASE")
        params.append(filters.reference)
    if filters.personnummer is not None:
        clauses.append("personnummer = ?")
        params.append(filters.personnummer)
    if filters.date_from is not None:
        clauses.append("payout_date >= ?")
        params.append(filters.date_from.isoformat())
    if filters.date_to is not None:
        clauses.append("payout_date <= ?")
        params.append(filters.date_to.isoformat())
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def count_payments(conn: sqlite3.Connection, filters: PaymentFilter) -> int:
    """How many payments match."""
    where, params = _where(filters)
    row = conn.execute(f"SELECT COUNT(*) AS n FROM payments{where}", params).fetchone()  # noqa: S608
    return int(row["n"])


def find_payments(
    conn: sqlite3.Connection, filters: PaymentFilter, *, limit: int | None = None, offset: int = 0
) -> list[sqlite3.Row]:
    """Matching payments ordered by payment number (the WHERE clause is built from fixed fragments)."""
    where, params = _where(filters)
    sql = f"SELECT * FROM payments{where} ORDER BY seq"  # noqa: S608
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return list(conn.execute(sql, params).fetchall())


def attest_payment(conn: sqlite3.Connection, payment_number: str, username: str) -> bool:
    """Move a payment from registrerad to attesterad; False when it was not registrerad."""
    with transaction(conn):
        cursor = conn.execute(
            """UPDATE payments SET status = ?, attested_by = ?, attested_at = ?
               WHERE payment_number = ? AND status = ?""",
            (ATTESTED, username, _now_iso(), payment_number, REGISTERED),
        )
        if cursor.rowcount != 1:
            return False
        conn.execute(
            "INSERT INTO audit_log (at, username, action, payment_number) VALUES (?, ?, ?, ?)",
            (_now_iso(), username, "attest", payment_number),
        )
    return True


# Audit trail -------------------------------------------------------------------------------------


def add_audit(
    conn: sqlite3.Connection, username: str, action: str, payment_number: str | None = None
) -> None:
    """Record one event (login, login_failed, logout, register, attest)."""
    conn.execute(
        "INSERT INTO audit_log (at, username, action, payment_number) VALUES (?, ?, ?, ?)",
        (_now_iso(), username, action, payment_number),
    )


def audit_entries(conn: sqlite3.Connection, limit: int = 500) -> list[sqlite3.Row]:
    """The latest events, newest first."""
    return list(conn.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)).fetchall())
