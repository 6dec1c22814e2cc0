"""Queries on the ``sessions`` table (see ``db.SESSIONS_SCHEMA``): parameterised SQL only."""

from __future__ import annotations

import json
import sqlite3


def create_session(
    conn: sqlite3.Connection,
    session_id: str,
    csrf_token: str,
    now: float,
    *,
    username: str | None = None,
    role: str | None = None,
    user_stamp: str | None = None,
    flashes: list[tuple[str, str]] | None = None,
) -> None:
    """Store a new session (anonymous when username is None)."""
    conn.execute(
        """INSERT INTO sessions (session_id, username, role, user_stamp, csrf_token, created_at, last_seen,
               flashes)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (session_id, username, role, user_stamp, csrf_token, now, now, json.dumps(flashes or [])),
    )


def get_session(conn: sqlite3.Connection, session_id: str) -> sqlite3.Row | None:
    """A session by id, or None."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM sessions WHERE session_id = ?", (session_id,)
    ).fetchone()
    return row


def touch_session(conn: sqlite3.Connection, session_id: str, now: float) -> None:
    """Record activity (restarts the idle timer)."""
    conn.execute("UPDATE sessions SET last_seen = ? WHERE session_id = ?", (now, session_id))


def delete_session(conn: sqlite3.Connection, session_id: str) -> None:
    """Drop a session (logout, expiry, an app's own hook)."""
    conn.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,))


def delete_idle_sessions(conn: sqlite3.Connection, older_than: float, created_before: float) -> None:
    """Housekeeping: drop sessions idle since before ``older_than`` or started before ``created_before``."""
    conn.execute("DELETE FROM sessions WHERE last_seen < ? OR created_at < ?", (older_than, created_before))


def save_flashes(conn: sqlite3.Connection, session_id: str, flashes: list[tuple[str, str]]) -> None:
    """Replace the session's pending flash messages."""
    conn.execute("UPDATE sessions SET flashes = ? WHERE session_id = ?", (json.dumps(flashes), session_id))
