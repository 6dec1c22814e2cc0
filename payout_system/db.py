"""All database access goes through here: one SQLite connection per request, parameterised SQL only.

The connection runs in autocommit mode; writes that must be atomic use ``transaction``
(``BEGIN IMMEDIATE``, so concurrent writers queue on SQLite's lock instead of failing late).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, g

BUSY_TIMEOUT_MS = 10_000
FIRST_PAYMENT_SEQUENCE = 100_001

SCHEMA = """
CREATE TABLE IF NOT EXISTS payments (
    seq            INTEGER PRIMARY KEY,
    payment_number TEXT NOT NULL UNIQUE,
    reference      TEXT NOT NULL,
    personnummer   TEXT NOT NULL,
    name           TEXT NOT NULL,
    method         TEXT NOT NULL CHECK (method IN ('KONTO', 'AVI', 'BANKGIRO')),
    clearing       TEXT,
    account        TEXT,
    bankgiro       TEXT,
    ocr            TEXT,
    amount_ore     INTEGER NOT NULL CHECK (amount_ore > 0),
    payout_date    TEXT NOT NULL,
    message        TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'registrerad' CHECK (status IN ('registrerad', 'attesterad')),
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    attested_by    TEXT,
    attested_at    TEXT
);
CREATE INDEX IF NOT EXISTS payments_reference ON payments (reference COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS payments_personnummer ON payments (personnummer);
CREATE INDEX IF NOT EXISTS payments_payout_date ON payments (payout_date);

CREATE TABLE IF NOT EXISTS sessions (
    session_id  TEXT PRIMARY KEY,
    username    TEXT,
    role        TEXT,
    csrf_token  TEXT NOT NULL,
    created_at  REAL NOT NULL,
    last_seen   REAL NOT NULL,
    flashes     TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE IF NOT EXISTS audit_log (
    id             INTEGER PRIMARY KEY,
    at             TEXT NOT NULL,
    username       TEXT NOT NULL,
    action         TEXT NOT NULL,
    payment_number TEXT
);
"""


def connect(path: Path | str) -> sqlite3.Connection:
    """Open a connection in autocommit mode with WAL and a busy timeout."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def init_schema(path: Path | str) -> None:
    """Create the database file (and its folder) and the tables if they do not exist yet."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    try:
        conn.executescript(SCHEMA)
    finally:
        conn.close()


def get_db() -> sqlite3.Connection:
    """The current request's connection, opened on first use."""
    if "db" not in g:
        g.db = connect(current_app.config["PAYOUT_SETTINGS"].db_path)
    conn: sqlite3.Connection = g.db
    return conn


def close_db(_exc: BaseException | None = None) -> None:
    """Close the request's connection (registered as a teardown handler)."""
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run a block as one write transaction; rolled back when the block raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def init_app(app: Flask) -> None:
    """Create the schema and close connections at the end of each request."""
    init_schema(app.config["PAYOUT_SETTINGS"].db_path)
    app.teardown_appcontext(close_db)
