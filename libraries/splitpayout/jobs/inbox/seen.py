"""The record of the files the inbox took, so that the same content is never run twice."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from splitpayout.jobs.inbox.outcomes import RUNNING, FileOutcome, now

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox_files (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    mode TEXT NOT NULL,
    result TEXT NOT NULL,
    run_dir TEXT NOT NULL DEFAULT '',
    staged_path TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '',
    exit_status INTEGER,
    error_code TEXT NOT NULL DEFAULT '',
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS inbox_files_content ON inbox_files (sha256, mode, result);
CREATE INDEX IF NOT EXISTS inbox_files_result ON inbox_files (result);
"""


@dataclass(frozen=True)
class LedgerRow:
    """One file the inbox took: its content, where it went, and the run's result."""

    id: int
    sha256: str
    file_name: str
    mode: str
    result: str
    run_dir: str
    staged_path: str
    location: str
    exit_status: int | None
    error_code: str
    started_at: str
    finished_at: str


class InboxLedger:
    """``STATE_DIR/inbox.sqlite3``: one row per file the inbox took, kept between runs.

    Content counts as processed (never run again) when a row with its SHA-256 and the
    same mode has the result ``processed``. A dry run's record does not stop a real run.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA synchronous = FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def begin(self, sha256: str, file_name: str, mode: str, run_dir: Path, staged_path: Path) -> int:
        cursor = self._db.execute(
            "INSERT INTO inbox_files (sha256, file_name, mode, result, run_dir, staged_path, started_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (sha256, file_name, mode, RUNNING, run_dir.name, str(staged_path), now()),
        )
        return int(cursor.lastrowid or 0)

    def finish(
        self,
        row_id: int,
        result: str,
        *,
        sha256: str = "",
        location: Path | None = None,
        exit_status: int | None = None,
        error_code: str = "",
    ) -> None:
        self._db.execute(
            "UPDATE inbox_files SET result = ?, sha256 = COALESCE(NULLIF(?, ''), sha256), location = ?,"
            " exit_status = ?, error_code = ?, finished_at = ? WHERE id = ?",
            (
                result,
                sha256,
                "" if location is None else str(location),
                exit_status,
                error_code,
                now(),
                row_id,
            ),
        )

    def add(
        self, sha256: str, file_name: str, mode: str, result: str, location: Path, error_code: str
    ) -> None:
        """A file handled without a run (a duplicate)."""
        stamp = now()
        self._db.execute(
            "INSERT INTO inbox_files (sha256, file_name, mode, result, location, error_code, started_at,"
            " finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (sha256, file_name, mode, result, str(location), error_code, stamp, stamp),
        )

    def first_processed(self, sha256: str, mode: str) -> LedgerRow | None:
        rows = self._rows(
            "SELECT * FROM inbox_files WHERE sha256 = ? AND mode = ? AND result = ? ORDER BY id LIMIT 1",
            (sha256, mode, FileOutcome.PROCESSED.value),
        )
        return rows[0] if rows else None

    def unfinished(self) -> list[LedgerRow]:
        return self._rows("SELECT * FROM inbox_files WHERE result = ? ORDER BY id", (RUNNING,))

    def rows(self) -> list[LedgerRow]:
        return self._rows("SELECT * FROM inbox_files ORDER BY id", ())

    def _rows(self, query: str, parameters: tuple[object, ...]) -> list[LedgerRow]:
        return [LedgerRow(**dict(row)) for row in self._db.execute(query, parameters).fetchall()]
