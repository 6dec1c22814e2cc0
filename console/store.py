"""Queries on uploads, runs and events (parameterised SQL over ``db``'s connection)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

PREVIEW = "preview"
REAL = "real"
RECONCILE = "reconcile"


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# Uploads -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """An export a case worker uploaded, kept in the console's storage."""

    upload_id: str
    file_name: str
    stored_path: str  # relative to the data folder
    sha256: str
    size_bytes: int
    uploaded_by: str
    uploaded_at: str
    preview_seen_by: str | None = None
    preview_seen_at: str | None = None
    confirmed_by: str | None = None
    confirmed_at: str | None = None


def _upload(row: sqlite3.Row | None) -> Upload | None:
    return None if row is None else Upload(**{key: row[key] for key in row.keys()})  # noqa: SIM118


def insert_upload(conn: sqlite3.Connection, upload: Upload) -> None:
    conn.execute(
        """INSERT INTO uploads (upload_id, file_name, stored_path, sha256, size_bytes, uploaded_by,
                               uploaded_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (
            upload.upload_id,
            upload.file_name,
            upload.stored_path,
            upload.sha256,
            upload.size_bytes,
            upload.uploaded_by,
            upload.uploaded_at,
        ),
    )


def get_upload(conn: sqlite3.Connection, upload_id: str) -> Upload | None:
    return _upload(conn.execute("SELECT * FROM uploads WHERE upload_id = ?", (upload_id,)).fetchone())


def uploads_of(conn: sqlite3.Connection, username: str, limit: int = 50) -> list[Upload]:
    """A user's uploads, newest first."""
    rows = conn.execute(
        "SELECT * FROM uploads WHERE uploaded_by = ? ORDER BY uploaded_at DESC, rowid DESC LIMIT ?",
        (username, limit),
    ).fetchall()
    return [upload for upload in map(_upload, rows) if upload is not None]


def upload_names(conn: sqlite3.Connection) -> dict[str, str]:
    """Upload id -> the file name its case worker gave it (never shown on the operators' pages)."""
    return {
        str(row["upload_id"]): str(row["file_name"])
        for row in conn.execute("SELECT upload_id, file_name FROM uploads")
    }


def mark_preview_seen(conn: sqlite3.Connection, upload_id: str, username: str) -> None:
    conn.execute(
        "UPDATE uploads SET preview_seen_by = ?, preview_seen_at = ? WHERE upload_id = ?",
        (username, now_iso(), upload_id),
    )


def mark_confirmed(conn: sqlite3.Connection, upload_id: str, username: str) -> None:
    conn.execute(
        "UPDATE uploads SET confirmed_by = ?, confirmed_at = ? WHERE upload_id = ?",
        (username, now_iso(), upload_id),
    )


def delete_upload(conn: sqlite3.Connection, upload_id: str) -> None:
    """Forget an upload that never ran (its runs stay, as the operators' record, without it)."""
    conn.execute("UPDATE runs SET upload_id = NULL WHERE upload_id = ?", (upload_id,))
    conn.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))


# Runs --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsoleRun:
    """A run the console started (its folder is ``<runs dir>/<run_name>``)."""

    run_name: str
    kind: str  # preview, real or reconcile
    upload_id: str | None
    started_by: str
    started_at: str
    pid: int | None
    finished_at: str | None
    exit_status: int | None


def _run(row: sqlite3.Row | None) -> ConsoleRun | None:
    return None if row is None else ConsoleRun(**{key: row[key] for key in row.keys()})  # noqa: SIM118


def insert_run(conn: sqlite3.Connection, run: ConsoleRun) -> None:
    conn.execute(
        """INSERT INTO runs (run_name, kind, upload_id, started_by, started_at, pid)
           VALUES (?, ?, ?, ?, ?, ?)""",
        (run.run_name, run.kind, run.upload_id, run.started_by, run.started_at, run.pid),
    )


def set_run_pid(conn: sqlite3.Connection, run_name: str, pid: int) -> None:
    conn.execute("UPDATE runs SET pid = ? WHERE run_name = ?", (pid, run_name))


def finish_run(conn: sqlite3.Connection, run_name: str, exit_status: int) -> None:
    """Record that the run's process ended (as the console saw it)."""
    conn.execute(
        "UPDATE runs SET finished_at = ?, exit_status = ? WHERE run_name = ? AND finished_at IS NULL",
        (now_iso(), exit_status, run_name),
    )


def get_run(conn: sqlite3.Connection, run_name: str) -> ConsoleRun | None:
    return _run(conn.execute("SELECT * FROM runs WHERE run_name = ?", (run_name,)).fetchone())


def latest_run(conn: sqlite3.Connection, upload_id: str, kind: str) -> ConsoleRun | None:
    """The newest run of ``kind`` for an upload."""
    row = conn.execute(
        "SELECT * FROM runs WHERE upload_id = ? AND kind = ? ORDER BY started_at DESC, rowid DESC LIMIT 1",
        (upload_id, kind),
    ).fetchone()
    return _run(row)


def runs_of_uploads_by(conn: sqlite3.Connection, username: str, limit: int = 500) -> list[ConsoleRun]:
    """Every run of the uploads ``username`` made, newest first (at most ``limit``)."""
    rows = conn.execute(
        """SELECT runs.* FROM runs JOIN uploads ON uploads.upload_id = runs.upload_id
           WHERE uploads.uploaded_by = ? ORDER BY runs.started_at DESC, runs.rowid DESC LIMIT ?""",
        (username, limit),
    ).fetchall()
    return [run for run in map(_run, rows) if run is not None]


def unfinished_runs(conn: sqlite3.Connection, kind: str | None = None) -> list[ConsoleRun]:
    """Runs whose end the console has not seen (still going, or left by a restart)."""
    if kind is None:
        rows = conn.execute("SELECT * FROM runs WHERE finished_at IS NULL").fetchall()
    else:
        rows = conn.execute("SELECT * FROM runs WHERE finished_at IS NULL AND kind = ?", (kind,)).fetchall()
    return [run for run in map(_run, rows) if run is not None]


def kinds_of_runs(conn: sqlite3.Connection) -> dict[str, str]:
    """Run folder name -> kind, for every run the console started."""
    return {str(row["run_name"]): str(row["kind"]) for row in conn.execute("SELECT run_name, kind FROM runs")}


# Events ------------------------------------------------------------------------------------------


def add_event(
    conn: sqlite3.Connection,
    username: str,
    action: str,
    *,
    upload_id: str | None = None,
    run_name: str | None = None,
) -> None:
    """Record who did what (login, upload, preview_seen, confirm, reconcile, ...)."""
    conn.execute(
        "INSERT INTO events (at, username, action, upload_id, run_name) VALUES (?, ?, ?, ?, ?)",
        (now_iso(), username, action, upload_id, run_name),
    )
