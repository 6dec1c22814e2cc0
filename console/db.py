"""All database access goes through here: one SQLite connection per request, parameterised SQL only.

The console's database (``<data dir>/console.sqlite3``) holds sessions, the uploaded
exports (name, SHA-256, who uploaded, previewed and confirmed them), the runs the console
started, and an event trail. It holds no personal data: the exports themselves are
files under ``<data dir>/uploads``.
"""

from __future__ import annotations

from pathlib import Path

from webcommon import db as web_db
from webcommon.db import SESSIONS_SCHEMA, connect, get_db, transaction
from webcommon.throttle import THROTTLE_SCHEMA

__all__ = ["SCHEMA", "connect", "get_db", "init_schema", "transaction"]

APP_SCHEMA = """
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
SCHEMA = SESSIONS_SCHEMA + THROTTLE_SCHEMA + APP_SCHEMA


def init_schema(path: Path | str) -> None:
    """Create the database file (and its folder) and the tables if they do not exist yet."""
    web_db.init_schema(path, SCHEMA)
