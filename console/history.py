"""The runs as the pages show them: every folder under the runs folder, with its kind and state.

Records come from ``splitpayout.adapters.runs.read_run`` (``run.json`` and ``summary.json``; never
the workbook), cached per folder until one of those two files changes, so a history of
many large runs is read once per console process. A run the console started but whose
``run.json`` is not written yet (or never was: the runner could not start) is shown from
the console's own database.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from splitpayout.adapters.runs import RUN_RECORD_FILE, SUMMARY_FILE, RunRecord, read_run

from console import store
from console.launcher import Launcher, first_mode
from console.settings import CASE_WORKER, OPERATOR, Settings
from webcommon.files import read_json_object

# Names of run folders (splitpayout.adapters.runs.new_run_dir): '2026-11-23T114206CET-korning-anna-3fa9c1'
# (local time, splitpayout.domain.localtime; folders of earlier releases end in Z, UTC).
RUN_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}(Z|[A-Z]{3,4})-[A-Za-z0-9_.-]{1,80}$")
RUNNING, OK, FAILED, INTERRUPTED = "running", "ok", "failed", "interrupted"

_Signature = tuple[tuple[int, int] | None, tuple[int, int] | None]


@dataclass(frozen=True)
class RunView:
    """One run: its record (no personal data), what kind of run it is and how it stands."""

    name: str
    run_dir: Path
    record: RunRecord
    kind: str  # preview, real, inbox, reconcile
    state: str  # running, ok, failed, interrupted
    console_run: store.ConsoleRun | None = None

    @property
    def failed(self) -> bool:
        return self.state in (FAILED, INTERRUPTED)

    @property
    def finished(self) -> bool:
        return self.state != RUNNING


def valid_run_name(name: str) -> bool:
    """Whether ``name`` can be the name of a run folder (no separators, no dots-only names)."""
    return bool(RUN_NAME.fullmatch(name)) and ".." not in name


def read_summary(run_dir: Path) -> dict[str, Any]:
    """A run's summary.json ({} when missing)."""
    return read_json_object(run_dir / SUMMARY_FILE)


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


def _time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


class RunBook:
    """Reads runs for the pages; one per app (``app.extensions["console_runbook"]``)."""

    def __init__(self, settings: Settings, launcher: Launcher) -> None:
        self._settings = settings
        self._launcher = launcher
        self._cache: dict[str, tuple[_Signature, RunRecord | None]] = {}
        self._lock = threading.Lock()

    def _record(self, run_dir: Path) -> RunRecord | None:
        signature = (_stat(run_dir / RUN_RECORD_FILE), _stat(run_dir / SUMMARY_FILE))
        with self._lock:
            cached = self._cache.get(run_dir.name)
        if cached is not None and cached[0] == signature:
            return cached[1]
        record = read_run(run_dir)
        with self._lock:
            self._cache[run_dir.name] = (signature, record)
        return record

    def run_dir(self, run_name: str) -> Path | None:
        """The folder of a run, only when ``run_name`` names a real folder right inside the runs folder."""
        if not valid_run_name(run_name):
            return None
        root = self._settings.runs_dir.resolve()
        candidate = root / run_name
        if candidate.is_symlink() or not candidate.is_dir() or candidate.resolve().parent != root:
            return None
        return candidate

    def view(self, run_name: str, console_run: store.ConsoleRun | None = None) -> RunView | None:
        """One run by folder name, or None when there is no such run."""
        run_dir = self.run_dir(run_name)
        if run_dir is None:
            return None
        record = self._record(run_dir)
        if record is None:
            if console_run is None:
                return None
            record = _from_console(run_dir, console_run)
        return RunView(
            name=run_name,
            run_dir=run_dir,
            record=record,
            kind=self._kind(run_dir, record, console_run),
            state=self._state(record, console_run),
            console_run=console_run,
        )

    def history(
        self, conn: sqlite3.Connection, *, failed_only: bool = False, limit: int = 200
    ) -> list[RunView]:
        """Runs newest first (at most ``limit``), optionally only the failed and interrupted ones."""
        runs_dir = self._settings.runs_dir
        if not runs_dir.is_dir():
            return []
        result: list[RunView] = []
        for path in sorted(runs_dir.iterdir(), reverse=True):
            if not path.is_dir() or not valid_run_name(path.name):
                continue
            view = self.view(path.name, store.get_run(conn, path.name))
            if view is None or (failed_only and not view.failed):
                continue
            result.append(view)
            if len(result) >= limit:
                break
        return result

    def _kind(self, run_dir: Path, record: RunRecord, console_run: store.ConsoleRun | None) -> str:
        if console_run is not None:
            return console_run.kind
        if record.task == "process_inbox":
            return "inbox"
        if record.task in ("reconcile", "retention"):
            return record.task
        mode = record.mode or first_mode(run_dir)
        return "preview" if mode == "dry_run" else "real"

    def _state(self, record: RunRecord, console_run: store.ConsoleRun | None) -> str:
        if not record.running:
            if record.exit_status is None:  # a summary without run.json: judge by the summary
                return OK if record.status == "completed" and not record.outcomes.get("failed") else FAILED
            return OK if record.exit_status == 0 else FAILED
        pid = console_run.pid if console_run is not None else None
        if self._launcher.is_going(record.run_dir.name, pid):
            return RUNNING
        return INTERRUPTED


def _from_console(run_dir: Path, run: store.ConsoleRun) -> RunRecord:
    """A record for a console run that has not written its run.json (yet)."""
    role = OPERATOR if run.kind == store.RECONCILE else CASE_WORKER
    return RunRecord(
        run_dir=run_dir,
        task="reconcile" if run.kind == store.RECONCILE else "split_payouts",
        started_by=f"{role} {run.started_by}",
        started_at=_time(run.started_at),
        finished_at=_time(run.finished_at),
        exit_status=run.exit_status,
        status="" if run.finished_at else "running",
    )
