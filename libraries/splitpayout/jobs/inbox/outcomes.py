"""What became of each file of an inbox run, and what makes the inbox unusable."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from webcommon.files import export_label, printable


class FileOutcome(StrEnum):
    """What became of one file in the inbox (``inbox-summary.json``'s ``outcome``)."""

    PROCESSED = "processed"  # run with exit status 0; archived; content recorded as done
    RUN_FAILED = "run_failed"  # run, but a decision failed or the run stopped; archived; run it again
    REJECTED_UNREADABLE = "rejected_unreadable"  # file_error; in the rejected folder with a note
    REJECTED_DUPLICATE = "rejected_duplicate"  # content already processed; rejected folder with a note
    RUN_ERROR = "run_error"  # the run gave no result; the file is back in the inbox
    WAITING = "waiting"  # still being written; left in the inbox for the next inbox run
    RETURNED = "returned_to_inbox"  # taken by an inbox run that was interrupted; processed again


ALERTING = frozenset(
    {
        FileOutcome.RUN_FAILED,
        FileOutcome.REJECTED_UNREADABLE,
        FileOutcome.REJECTED_DUPLICATE,
        FileOutcome.RUN_ERROR,
    }
)

# Ledger results besides the outcomes: a run under way, and one whose inbox run was killed.
RUNNING = "running"
INTERRUPTED = "interrupted"


class InboxError(RuntimeError):
    """The inbox cannot be processed at all (a folder is missing, a setting is wrong)."""


def now() -> str:
    """The moment, as the inbox's records and summaries write it."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def label_for(sha256: str, run_dir: str) -> str:
    """A file as operators' artifacts name it: ``export-<date>-<short SHA-256>.xlsx`` (its own name
    may hold a payee's name or identity number); the date is its run's."""
    day = run_dir[:10] if run_dir[:4].isdigit() else dt.date.today().isoformat()
    return export_label(sha256, day)


@dataclass
class FileEntry:
    """One file of an inbox run, as ``inbox-summary.json`` and the log show it."""

    file_name: str
    outcome: FileOutcome
    sha256: str = ""
    run_dir: str = ""
    run_status: str = ""
    exit_status: int | None = None
    moved_to: str = ""
    note: str = ""
    error_code: str = ""
    message: str = ""
    duplicate_of: dict[str, str] | None = None

    @property
    def alerting(self) -> bool:
        return self.outcome in ALERTING

    @property
    def label(self) -> str:
        """The file as a log names it (see ``label_for``)."""
        return label_for(self.sha256, self.run_dir)

    def line(self) -> str:
        """The log line: the file's label, SHA-256 prefix, run folder, outcome, folder moved to."""
        text = f"{self.label}  sha256 {self.sha256[:12] or '-'}"
        text += f"  run {printable(self.run_dir) or '-'}  {self.outcome}"
        if self.error_code:
            text += f" ({printable(self.error_code)})"
        if self.moved_to:
            text += f"  -> {printable(str(Path(self.moved_to).parent))}/"
        return text

    def as_dict(self) -> dict[str, Any]:
        """The entry as ``inbox-summary.json`` (an operator artifact) holds it: the file by its label
        and folders only, never the name it came with (a name can hold a payee's name or identity
        number; the inbox's own folders and notes keep it for the people who dropped the file)."""
        data = asdict(self)
        data["outcome"] = self.outcome.value
        data["file"] = self.label
        del data["file_name"]
        for key in ("moved_to", "note"):
            data[key] = printable(str(Path(data[key]).parent)) + "/" if data[key] else ""
        return data
