"""SQLite connection helpers: one connection per request, autocommit, and the sessions table.

The connection runs in autocommit mode; writes that must be atomic use ``transaction``
(``BEGIN IMMEDIATE``, so concurrent writers queue on SQLite's lock instead of failing late).
An app calls ``init_app`` with its database path and schema; ``get_db`` then opens the
request's connection on first use. The database file is made owner-only (0600) before the
first connection, so SQLite's ``-wal``, ``-shm`` and ``-journal`` files are owner-only too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, g

from webcommon.files import FILE_MODE, private_file

BUSY_TIMEOUT_MS = 10_000
_PATH_KEY = "webcommon_db_path"

SESSIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    session_id  TEXT PRIMARY KEY,
    username    TEXT,
    role        TEXT,
    user_stamp  TEXT,
    csrf_token  TEXT NOT NULL,
    created_at  REAL NOT NULL,
    last_seen   REAL NOT NULL,
    flashes     TEXT NOT NULL DEFAULT '[]'
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


def init_schema(path: Path | str, schema: str) -> None:
    """Create the database file (owner-only, its folder too) and the tables if they do not exist yet."""
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        companion = Path(f"{path}{suffix}")
        if companion.exists():
            companion.chmod(FILE_MODE)
    conn = connect(path)
    try:
        conn.executescript(schema)
        _add_user_stamp(conn)
    finally:
        conn.close()


def _add_user_stamp(conn: sqlite3.Connection) -> None:
    """A sessions table made before sessions remembered their account gets the column; its
    logged-in sessions, having none, end at their next request (one new login each)."""
    columns = {row["name"] for row in conn.execute("PRAGMA table_info(sessions)")}
    if columns and "user_stamp" not in columns:
        conn.execute("ALTER TABLE sessions ADD COLUMN user_stamp TEXT")


def get_db() -> sqlite3.Connection:
    """The current request's connection, opened on first use."""
    if "db" not in g:
        g.db = connect(current_app.extensions[_PATH_KEY])
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


def init_app(app: Flask, path: Path, schema: str) -> None:
    """Create the schema at ``path`` and close connections at the end of each request."""
    app.extensions[_PATH_KEY] = path
    init_schema(path, schema)
    app.teardown_appcontext(close_db)
