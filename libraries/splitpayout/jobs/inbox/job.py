"""The inbox run: take the lock, return what an interrupted run left, process every new export,
and report."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from splitpayout.jobs.inbox.files import (
    candidate_names,
    move_file,
    remove_if_empty,
    scan_inbox,
    sha256_of,
    write_note,
)
from splitpayout.jobs.inbox.lock import InboxLock
from splitpayout.jobs.inbox.notes import duplicate_note, unreadable_note
from splitpayout.jobs.inbox.outcomes import INTERRUPTED, FileEntry, FileOutcome, InboxError, label_for, now
from splitpayout.jobs.inbox.run import RunExport, read_summary, run_split_payouts
from splitpayout.jobs.inbox.seen import InboxLedger, LedgerRow
from splitpayout.jobs.inbox.settings import (
    CONSOLE_FILE,
    INBOX_SUMMARY_FILE,
    LEDGER_FILE,
    LOCK_FILE,
    NOTE_SUFFIX,
    RUN_LABEL,
    InboxSettings,
)
from splitpayout.adapters.runs import new_run_dir


@dataclass
class Inbox:
    """One inbox run: take the lock, return files an interrupted run left, process every new
    export, and report. ``run_export`` runs one export (default: the ``Split payouts`` task in
    its own process); ``say`` receives one line per file for the log."""

    settings: InboxSettings
    run_export: RunExport = run_split_payouts
    say: Callable[[str], None] = print
    entries: list[FileEntry] = field(default_factory=list)
    returned: list[FileEntry] = field(default_factory=list)
    status: str = "not_started"
    message: str = ""
    started_at: str = field(default_factory=now)

    def __post_init__(self) -> None:
        self._lock = InboxLock(self.settings.state_dir / LOCK_FILE)
        self._ledger: InboxLedger | None = None
        self._seen: dict[str, LedgerRow] = {}

    @property
    def ledger(self) -> InboxLedger:
        if self._ledger is None:
            raise InboxError("the inbox has not been taken: call take() first")
        return self._ledger

    # -- steps --------------------------------------------------------------------------------
    def take(self) -> bool:
        """Take the inbox for this run; False when another inbox run holds it (this run then
        does nothing)."""
        if not self.settings.inbox_dir.is_dir():
            self.status = "error"
            self.message = f"the inbox folder {self.settings.inbox_dir} does not exist"
            raise InboxError(f"The inbox folder {self.settings.inbox_dir} does not exist (INBOX_DIR)")
        if not self._lock.acquire(self.settings.lock_wait_seconds):
            self.status = "skipped"
            self.message = f"another inbox run is working on the inbox ({self._lock.path} is locked)"
            return False
        self._ledger = InboxLedger(self.settings.state_dir / LEDGER_FILE)
        self.status = "running"
        return True

    def return_interrupted(self) -> list[FileEntry]:
        """Put back into the inbox every file that an interrupted inbox run had taken for a run
        that never finished; this run processes it again (the payment ledger makes that safe)."""
        for row in self.ledger.unfinished():
            staged = Path(row.staged_path)
            location: Path | None = None
            if row.staged_path and staged.is_file():
                location = move_file(staged, self.settings.inbox_dir)
                remove_if_empty(staged.parent)
            self.ledger.finish(row.id, INTERRUPTED, location=location)
            entry = FileEntry(
                file_name=row.file_name,
                outcome=FileOutcome.RETURNED,
                sha256=row.sha256,
                run_dir=row.run_dir,
                moved_to="" if location is None else str(location),
                message="an earlier inbox run was interrupted during this file's run; "
                + ("it is back in the inbox" if location else "the file was no longer where that run put it"),
            )
            self.returned.append(entry)
            self.say(f"returned after an interrupted inbox run: {entry.line()}")
        return self.returned

    def process_new_exports(self) -> list[FileEntry]:
        """Every ready export in the inbox, one at a time, oldest first; then again for files that
        arrived meanwhile. Files still being written are left for the next inbox run."""
        left_in_inbox: set[str] = set()
        while True:
            ready, waiting = scan_inbox(self.settings.inbox_dir, self.settings.min_age_seconds)
            ready = [path for path in ready if path.name not in left_in_inbox]
            if not ready:
                break
            entry = self.process_file(ready[0])
            if entry is None:
                continue
            self.entries.append(entry)
            self.say(entry.line())
            if entry.outcome is FileOutcome.RUN_ERROR:
                left_in_inbox.add(Path(entry.moved_to).name)
        for path in waiting:
            if path.name in left_in_inbox:
                continue
            entry = FileEntry(
                file_name=path.name,
                outcome=FileOutcome.WAITING,
                message=f"modified less than {self.settings.min_age_seconds:g} s ago; "
                "left for the next inbox run",
            )
            self.entries.append(entry)
            self.say(entry.line())
        return self.entries

    def process_file(self, path: Path) -> FileEntry | None:
        """Process one export; None when it disappeared before it could be taken."""
        try:
            sha256 = sha256_of(path)
        except FileNotFoundError:
            return None
        earlier = self.ledger.first_processed(sha256, self.settings.mode) or self._seen.get(sha256)
        if earlier is not None:
            return self._reject_duplicate(path, sha256, earlier)
        run_dir = new_run_dir(self.settings.runs_dir, RUN_LABEL)
        staging = self.settings.archive_dir / run_dir.name
        row_id = self.ledger.begin(sha256, path.name, self.settings.mode, run_dir, staging / path.name)
        try:
            staged = move_file(path, staging)
        except FileNotFoundError:
            self.ledger.finish(row_id, INTERRUPTED)
            remove_if_empty(staging)
            return None
        exit_status = self._run(path, sha256, row_id, staged, run_dir)
        summary = read_summary(run_dir)
        run_status = str(summary.get("status") or "")
        processed_sha = str((summary.get("source") or {}).get("sha256") or sha256)
        entry = FileEntry(
            file_name=path.name,
            outcome=FileOutcome.PROCESSED,
            sha256=processed_sha,
            run_dir=run_dir.name,
            run_status=run_status,
            exit_status=exit_status,
        )
        if run_status == "file_error":
            self._reject_unreadable(row_id, staged, entry, summary)
        elif run_status in ("completed", "stopped", "failed"):
            # A run that stopped or failed (its storage full, say) needs attention: its cause's code.
            entry.error_code = str((summary.get("stop") or {}).get("code") or "")
            self._archive(row_id, staged, entry)
        else:
            location = self._put_back(row_id, staged, exit_status=exit_status, result=FileOutcome.RUN_ERROR)
            entry.outcome = FileOutcome.RUN_ERROR
            entry.moved_to = str(location)
            entry.message = (
                f"the run ended with exit status {exit_status} and no summary.json "
                f"(see {run_dir / CONSOLE_FILE}); the file is back in the inbox"
            )
        if entry.outcome is FileOutcome.RUN_FAILED:  # a second copy in this inbox run is redundant
            self._remember_failed(row_id, entry, staged)
        return entry

    def _run(self, path: Path, sha256: str, row_id: int, staged: Path, run_dir: Path) -> int:
        """Run the staged export; when stopped from outside, put it back for the next inbox run."""
        try:
            return self.run_export(staged, run_dir, self.settings, self._lock.descriptor)
        except BaseException:  # stopped from outside: the next inbox run does it again
            location = self._put_back(row_id, staged)
            entry = FileEntry(
                file_name=path.name,
                outcome=FileOutcome.RUN_ERROR,
                sha256=sha256,
                run_dir=run_dir.name,
                moved_to=str(location),
                message="the inbox run was stopped during this file's run; the file is back in the inbox",
            )
            self.entries.append(entry)
            self.say(entry.line())
            raise

    def _archive(self, row_id: int, staged: Path, entry: FileEntry) -> None:
        """A run that completed or stopped: the file stays archived; processed when it succeeded."""
        entry.outcome = FileOutcome.PROCESSED if entry.exit_status == 0 else FileOutcome.RUN_FAILED
        entry.moved_to = str(staged)
        if entry.outcome is FileOutcome.RUN_FAILED:
            entry.message = (
                f"the run {entry.run_status} with exit status {entry.exit_status}; the file is archived; "
                "put it back into the inbox to complete it"
            )
        self.ledger.finish(
            row_id, entry.outcome.value, sha256=entry.sha256, location=staged, exit_status=entry.exit_status
        )

    def _remember_failed(self, row_id: int, entry: FileEntry, staged: Path) -> None:
        self._seen.setdefault(
            entry.sha256,
            LedgerRow(
                id=row_id,
                sha256=entry.sha256,
                file_name=entry.file_name,
                mode=self.settings.mode,
                result=entry.outcome.value,
                run_dir=entry.run_dir,
                staged_path=str(staged),
                location=entry.moved_to,
                exit_status=entry.exit_status,
                error_code=entry.error_code,
                started_at=self.started_at,
                finished_at=now(),
            ),
        )

    def _put_back(
        self, row_id: int, staged: Path, *, exit_status: int | None = None, result: str = INTERRUPTED
    ) -> Path:
        location = move_file(staged, self.settings.inbox_dir)
        remove_if_empty(staged.parent)
        self.ledger.finish(row_id, result, location=location, exit_status=exit_status)
        return location

    def _reject_unreadable(
        self, row_id: int, staged: Path, entry: FileEntry, summary: dict[str, Any]
    ) -> None:
        error = summary.get("error") or {}
        code = str(error.get("code") or "unreadable")
        message = str(error.get("message") or "the file could not be read")
        columns = [str(c) for c in error.get("columns") or ()]
        target = self._free_rejected_name(entry.file_name)
        note = self.settings.rejected_dir / (target + NOTE_SUFFIX)
        write_note(note, unreadable_note(target, entry.sha256, entry.run_dir, code, message, columns))
        moved = move_file(staged, self.settings.rejected_dir, target)
        remove_if_empty(staged.parent)
        entry.outcome = FileOutcome.REJECTED_UNREADABLE
        entry.error_code = code
        entry.message = message
        entry.moved_to = str(moved)
        entry.note = str(note)
        self.ledger.finish(
            row_id,
            entry.outcome.value,
            sha256=entry.sha256,
            location=moved,
            exit_status=entry.exit_status,
            error_code=code,
        )

    def _reject_duplicate(self, path: Path, sha256: str, earlier: LedgerRow) -> FileEntry | None:
        target = self._free_rejected_name(path.name)
        note = self.settings.rejected_dir / (target + NOTE_SUFFIX)
        write_note(note, duplicate_note(target, sha256, earlier))
        try:
            moved = move_file(path, self.settings.rejected_dir, target)
        except FileNotFoundError:  # taken away meanwhile
            note.unlink()
            return None
        self.ledger.add(
            sha256,
            path.name,
            self.settings.mode,
            FileOutcome.REJECTED_DUPLICATE.value,
            moved,
            "duplicate_content",
        )
        return FileEntry(
            file_name=path.name,
            outcome=FileOutcome.REJECTED_DUPLICATE,
            sha256=sha256,
            moved_to=str(moved),
            note=str(note),
            error_code="duplicate_content",
            message=f"same content as a file processed in run {earlier.run_dir}",
            duplicate_of={
                "file": label_for(sha256, earlier.run_dir),
                "run_dir": earlier.run_dir,
                "processed_at": earlier.finished_at or earlier.started_at,
            },
        )

    def _free_rejected_name(self, name: str) -> str:
        """A name free in the rejected folder for both the file and its note."""
        folder = self.settings.rejected_dir
        folder.mkdir(parents=True, exist_ok=True)
        for candidate in candidate_names(name):
            if not (folder / candidate).exists() and not (folder / (candidate + NOTE_SUFFIX)).exists():
                return candidate
        raise InboxError(f"no free name for {name} in {folder}")

    # -- report -------------------------------------------------------------------------------
    @property
    def needs_attention(self) -> bool:
        """True when monitoring should alert: a file was rejected, a run did not end with exit
        status 0, or the inbox could not be processed."""
        return self.status == "error" or any(entry.alerting for entry in self.entries)

    def finish(self, error: str = "") -> dict[str, Any]:
        """Settle the run's status (``error`` when a step failed) and return its summary."""
        if error:
            self.status = "error"
            self.message = self.message or error
        elif self.status == "running":
            self.status = "needs_attention" if self.needs_attention else "completed"
        return self.summary()

    def summary(self) -> dict[str, Any]:
        counts = {outcome.value: 0 for outcome in FileOutcome}
        for entry in [*self.entries, *self.returned]:
            counts[entry.outcome.value] += 1
        settings = self.settings
        return {
            "task": "process_inbox",
            "status": self.status,
            "message": self.message,
            "mode": settings.mode,
            "started_by": settings.started_by,
            "started_at": self.started_at,
            "finished_at": now(),
            "folders": {
                "inbox": str(settings.inbox_dir),
                "archive": str(settings.archive_dir),
                "rejected": str(settings.rejected_dir),
                "runs": str(settings.runs_dir),
                "state": str(settings.state_dir),
            },
            "counts": counts,
            "returned_to_inbox": [entry.as_dict() for entry in self.returned],
            "files": [entry.as_dict() for entry in self.entries],
        }

    def write_summary(self, summary: dict[str, Any]) -> Path:
        """``inbox-summary.json`` in the inbox run's artifacts (``ROBOT_ARTIFACTS``)."""
        folder = self.settings.artifacts_dir
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / INBOX_SUMMARY_FILE
        write_note(path, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        return path

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None
        self._lock.release()


def write_error_summary(artifacts_dir: Path, message: str) -> Path:
    """``inbox-summary.json`` for an inbox run that could not even start (a wrong setting)."""
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    path = artifacts_dir / INBOX_SUMMARY_FILE
    summary = {
        "task": "process_inbox",
        "status": "error",
        "message": message,
        "finished_at": now(),
        "counts": {outcome.value: 0 for outcome in FileOutcome},
        "returned_to_inbox": [],
        "files": [],
    }
    write_note(path, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return path
