"""Retention (gallring): files and records with personal data are removed once they are older
than ``RETENTION_DAYS`` (default 90). See ``docs/scheduling.md``.

What goes, for runs and files older than the period:

- the case workers' workbooks (every ``.xlsx``) in each run folder of ``RUNS_DIR`` (previews
  and real runs, scheduled or from the console), and in the run folders named by
  ``RETENTION_RUN_FOLDERS``; the run's operator record (``summary.json``, ``statistics.json``
  with the follow-up's aggregates, ``log.html``, ``run.json``, ``run.jsonl``, ``output.xml``,
  ``report.html``) stays, and the folder gets
  ``retention.json`` saying what went and when;
- the exports in the inbox archive (``ARCHIVE_DIR``) and the rejected folder (``REJECTED_DIR``)
  with their notes;
- work-item files in the state folder (``STATE_DIR/exports``, ``STATE_DIR/workers``) and the
  outbox's messages (they hold case workers' addresses);
- the console's uploaded exports (``CONSOLE_DATA_DIR/uploads``), the links to them a
  reconciliation compares with (``CONSOLE_DATA_DIR/avstamning-underlag``; a hard link keeps
  the data after the upload itself went) and, in its database, the uploads' file names.

In the payment ledger (``STATE_DIR/ledger.sqlite3``), the rows of payments whose payout date
is more than the period past lose their fingerprint and amount (derived from a person's
data); reference, decision, payment number and state stay, so a payment is still entered
exactly once. The inbox's record of checksums stays. A run's age is its finish time
(``run.json``); a file without a run is aged by its modification time.
``RETENTION_DRY_RUN=true`` lists what would go and removes nothing. The report
(``retention.json``) holds counts and run folder names, never a file name of an export,
which could hold a name.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from splitpayout.adapters.ledger import Ledger
from splitpayout.adapters.runs import RUN_RECORD_FILE
from splitpayout.config import RetentionSettings, SettingsError
from splitpayout.config.names import RECONCILE_SOURCES_FOLDER
from splitpayout.jobs.notify.outbox import STATES as OUTBOX_STATES

RETENTION_FILE = "retention.json"
REMOVED_MARK_FILE = "removed-by-retention.json"  # in a run folder whose files went
PERSONAL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
WORK_ITEM_FOLDERS = ("exports", "workers")

# Categories of what is removed (the report's keys).
WORKBOOKS = "run_workbooks"
ARCHIVED = "archived_exports"
REJECTED = "rejected_files"
WORK_ITEMS = "work_item_folders"
OUTBOX = "outbox_messages"
UPLOADS = "console_uploads"
SOURCES = "reconcile_sources"
DATABASE = "console_upload_records"
LEDGER = "ledger_fingerprints"
CATEGORIES = (WORKBOOKS, ARCHIVED, REJECTED, WORK_ITEMS, OUTBOX, UPLOADS, SOURCES, DATABASE, LEDGER)
REMOVED_NAME = "(gallrad)"


@dataclass(frozen=True)
class Due:
    """One file or folder whose retention period is over."""

    category: str
    path: Path
    run: str = ""  # the run folder it belongs to, when it belongs to one


@dataclass
class RetentionReport:
    """What one retention run removed (or, in a dry run, would remove)."""

    dry_run: bool
    days: int
    cutoff: dt.datetime
    removed: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    runs: set[str] = field(default_factory=set)
    errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.failed

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "retention_days": self.days,
            "cutoff": self.cutoff.isoformat(timespec="seconds"),
            "status": "completed" if self.complete else "incomplete",
            "removed" if not self.dry_run else "would_remove": {c: self.removed[c] for c in CATEGORIES},
            "failed": {c: self.failed[c] for c in CATEGORIES if self.failed[c]},
            "runs": sorted(self.runs),
            "errors": self.errors,
        }


def _time(text: object) -> dt.datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _mtime(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.lstat().st_mtime, dt.UTC)


def run_finished_at(run_dir: Path) -> dt.datetime | None:
    """A run's finish time from its ``run.json`` (None while running or without a record)."""
    try:
        record = json.loads((run_dir / RUN_RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return _time(record.get("finished_at")) if isinstance(record, dict) else None


def _files(folder: Path) -> Iterator[Path]:
    """Regular files under ``folder`` (symbolic links are never followed)."""
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()]
        for name in names:
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _subfolders(parent: Path) -> list[Path]:
    """The folders in ``parent`` (none when it is missing), links left alone."""
    if not parent.is_dir():
        return []
    return [folder for folder in sorted(parent.iterdir()) if folder.is_dir() and not folder.is_symlink()]


def _run_folders(settings: RetentionSettings) -> Iterator[Path]:
    own = settings.artifacts_dir.resolve()
    seen: set[Path] = set()
    candidates = _subfolders(settings.runs_dir)
    for folder in settings.extra_run_folders:
        if (folder / RUN_RECORD_FILE).is_file():
            candidates.append(folder)
        else:
            candidates += _subfolders(folder)
    for folder in candidates:
        resolved = folder.resolve()
        if resolved != own and resolved not in seen:
            seen.add(resolved)
            yield folder


def find_due_in_runs(settings: RetentionSettings, cutoff: dt.datetime) -> Iterator[Due]:
    """Workbooks of runs that finished before ``cutoff`` (files of unrecorded runs by their time)."""
    for folder in _run_folders(settings):
        finished = run_finished_at(folder)
        for path in _files(folder):
            if not path.name.lower().endswith(PERSONAL_SUFFIXES):
                continue
            # Written when the run ended, a workbook is as old as its run; one whose own time is
            # older (a run folder restored from a backup, aged as a whole) counts by that.
            written = _mtime(path)
            if min(finished or written, written) < cutoff:
                yield Due(WORKBOOKS, path, folder.name)


def find_due_in_inbox(settings: RetentionSettings, cutoff: dt.datetime) -> Iterator[Due]:
    """Archived exports (aged by their run) and rejected files (by the file or its note)."""
    for folder in _subfolders(settings.archive_dir):
        run_dir = settings.runs_dir / folder.name
        finished = run_finished_at(run_dir)
        if finished is None and (run_dir / RUN_RECORD_FILE).is_file():
            continue  # its run is still going (or was cut off): the next retention run decides
        # Without a run, the folder's own time says when the export was archived (a moved file
        # keeps the time it was made).
        if (finished or _newest(folder, with_folder=True)) < cutoff:
            for path in _files(folder):
                yield Due(ARCHIVED, path, folder.name)
    if settings.rejected_dir.is_dir():
        for path in sorted(settings.rejected_dir.iterdir()):
            if not path.is_file() or path.is_symlink():
                continue
            if path.suffix.lower() == ".txt" and path.with_suffix("").is_file():
                continue  # a note, removed with its file
            note = path.with_name(path.name + ".txt")
            moments = [_mtime(path)] + ([_mtime(note)] if note.is_file() else [])
            if max(moments) < cutoff:  # a moved export keeps its old time; its note says when
                yield Due(REJECTED, path)


def _newest(folder: Path, *, with_folder: bool = False) -> dt.datetime:
    """The time of the newest file in ``folder`` (the folder's own when empty); ``with_folder``:
    the folder's own time counts too (it changes when a file is moved in, the file's does not)."""
    times = [_mtime(path) for path in _files(folder)]
    if with_folder or not times:
        times.append(_mtime(folder))
    return max(times)


def find_due_in_state(settings: RetentionSettings, cutoff: dt.datetime) -> Iterator[Due]:
    """Work-item folders and outbox messages in the state folder."""
    for name in WORK_ITEM_FOLDERS:
        for folder in _subfolders(settings.state_dir / name):
            if _newest(folder) < cutoff:
                yield Due(WORK_ITEMS, folder)
    for state in OUTBOX_STATES:
        folder = settings.state_dir / "outbox" / state
        if folder.is_dir():
            for path in sorted(folder.glob("*.json")):
                if _mtime(path) < cutoff:
                    yield Due(OUTBOX, path)


def find_due_in_console(settings: RetentionSettings, cutoff: dt.datetime) -> Iterator[Due]:
    """The console's uploaded exports (a folder per upload), and the reconciliation's links to
    them (``<when>/<upload id>/``: a link has the upload's time)."""
    uploads = settings.console_data_dir / "uploads"
    for folder in _subfolders(uploads):
        if _newest(folder) < cutoff:
            yield Due(UPLOADS, folder)
    for linked in _subfolders(settings.console_data_dir / RECONCILE_SOURCES_FOLDER):
        for folder in _subfolders(linked):
            if _newest(folder) < cutoff:
                yield Due(SOURCES, folder)


def find_due(settings: RetentionSettings, now: dt.datetime) -> list[Due]:
    cutoff = now - dt.timedelta(days=settings.days)
    return [
        *find_due_in_runs(settings, cutoff),
        *find_due_in_inbox(settings, cutoff),
        *find_due_in_state(settings, cutoff),
        *find_due_in_console(settings, cutoff),
    ]


def _remove(item: Due) -> None:
    path = item.path
    if path.is_dir() and not path.is_symlink():
        for inner in [path, *path.rglob("*")]:
            with contextlib.suppress(OSError):
                inner.chmod(0o700 if inner.is_dir() else 0o600)
        shutil.rmtree(path)
        return
    with contextlib.suppress(FileNotFoundError):  # already gone is gone
        path.unlink()
    if item.category == REJECTED:  # the note names the file: it goes with it
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + ".txt").unlink()


def remove_due(due: list[Due], report: RetentionReport, now: dt.datetime) -> None:
    """Remove each item (nothing in a dry run), counting what went and what could not."""
    marked: dict[Path, list[str]] = {}
    for item in due:
        if not report.dry_run:
            try:
                _remove(item)
            except OSError as error:
                report.failed[item.category] += 1
                report.errors.append(
                    {"category": item.category, "run": item.run, "error": type(error).__name__}
                )
                continue
        report.removed[item.category] += 1
        if item.run:
            report.runs.add(item.run)
            if item.category == WORKBOOKS:
                marked.setdefault(item.path.parents[0], []).append(item.path.name)
    if not report.dry_run:
        _mark_runs(marked, now)
    for folder in {item.path.parent for item in due if item.category in (ARCHIVED, SOURCES)}:
        with contextlib.suppress(OSError):
            if not report.dry_run and not any(folder.iterdir()):
                folder.rmdir()


def _mark_runs(marked: dict[Path, list[str]], now: dt.datetime) -> None:
    """``retention.json`` in each run folder that lost files: the run's page says so."""
    for folder, names in marked.items():
        path = folder / REMOVED_MARK_FILE
        earlier: list[str] = []
        with contextlib.suppress(OSError, ValueError):
            earlier = list(json.loads(path.read_text(encoding="utf-8")).get("removed_files", []))
        document = {
            "removed_at": now.isoformat(timespec="seconds"),
            "removed_files": sorted({*earlier, *names}),
        }
        with contextlib.suppress(OSError):
            path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def scrub_console_database(settings: RetentionSettings, cutoff: dt.datetime, report: RetentionReport) -> None:
    """Forget the file names of uploads older than ``cutoff`` (a name can hold a person's name)."""
    path = settings.console_data_dir / "console.sqlite3"
    if not path.is_file():
        return
    try:
        conn = sqlite3.connect(path, timeout=30)
        try:
            where = "uploaded_at < ? AND file_name != ?"
            parameters = (cutoff.isoformat(timespec="seconds"), REMOVED_NAME)
            (count,) = conn.execute(f"SELECT COUNT(*) FROM uploads WHERE {where}", parameters).fetchone()  # noqa: S608
            if count and not report.dry_run:
                with conn:
                    conn.execute(
                        f"UPDATE uploads SET file_name = ?, stored_path = '' WHERE {where}",  # noqa: S608
                        (REMOVED_NAME, *parameters),
                    )
        finally:
            conn.close()
    except sqlite3.Error as error:
        report.failed[DATABASE] += 1
        report.errors.append({"category": DATABASE, "run": "", "error": type(error).__name__})
        return
    report.removed[DATABASE] += int(count)


def scrub_ledger(settings: RetentionSettings, cutoff: dt.datetime, report: RetentionReport) -> None:
    """Clear the fingerprints and amounts of ledger rows paid before ``cutoff`` (no key needed)."""
    path = settings.ledger_path
    if not path.is_file():
        return
    try:
        with Ledger(path) as ledger:
            count = ledger.forget_personal_traces(cutoff.date(), dry_run=report.dry_run)
    except sqlite3.Error as error:
        report.failed[LEDGER] += 1
        report.errors.append({"category": LEDGER, "run": "", "error": type(error).__name__})
        return
    report.removed[LEDGER] += count


def run_retention(settings: RetentionSettings, now: dt.datetime | None = None) -> RetentionReport:
    """Find and remove (or, in a dry run, list) everything whose retention period is over."""
    now = now or dt.datetime.now(dt.UTC)
    cutoff = now - dt.timedelta(days=settings.days)
    report = RetentionReport(dry_run=settings.dry_run, days=settings.days, cutoff=cutoff)
    remove_due(find_due(settings, now), report, now)
    scrub_console_database(settings, cutoff, report)
    scrub_ledger(settings, cutoff, report)
    return report


__all__ = [
    "CATEGORIES",
    "REMOVED_MARK_FILE",
    "RETENTION_FILE",
    "RetentionReport",
    "RetentionSettings",
    "SettingsError",
    "find_due",
    "run_retention",
]
