"""All database access goes through here: one SQLite connection per request, parameterised SQL only.

The console's database (``<data dir>/console.sqlite3``) holds sessions, the uploaded
exports (name, SHA-256, who uploaded, previewed and confirmed them), the runs the console
started, and an event trail. It holds no personal data: the exports themselves are
files under ``<data dir>/uploads``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, g

BUSY_TIMEOUT_MS = 10_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    session_id  TEXT PRIMARY KEY,
    username    TEXT,
    role        TEXT,
    csrf_token  TEXT NOT NULL,
    created_at  REAL NOT NULL,
    last_seen   REAL NOT NULL,
    flashes     TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE IF NOT EXISTS uploads (
    upload_id        TEXT PRIMARY KEY,
    file_name        TEXT NOT NULL,
    stored_path      TEXT NOT NULL,
    sha256           TEXT NOT NULL,
    size_bytes       INTEGER NOT NULL,
    uploaded_by      TEXT NOT NULL,
    uploaded_at      TEXT NOT NULL,
    preview_seen_by  TEXT,
    preview_seen_at  TEXT,
    confirmed_by     TEXT,
    confirmed_at     TEXT
);
CREATE INDEX IF NOT EXISTS uploads_by ON uploads (uploaded_by, uploaded_at);

CREATE TABLE IF NOT EXISTS runs (
    run_name     TEXT PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('preview', 'real', 'reconcile')),
    upload_id    TEXT REFERENCES uploads (upload_id),
    started_by   TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    pid          INTEGER,
    finished_at  TEXT,
    exit_status  INTEGER
);
CREATE INDEX IF NOT EXISTS runs_upload ON runs (upload_id, kind, started_at);

CREATE TABLE IF NOT EXISTS events (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    username   TEXT NOT NULL,
    action     TEXT NOT NULL,
    upload_id  TEXT,
    run_name   TEXT
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
        g.db = connect(current_app.config["CONSOLE_SETTINGS"].database_path)
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
    init_schema(app.config["CONSOLE_SETTINGS"].database_path)
    app.teardown_appcontext(close_db)
