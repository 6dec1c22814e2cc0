"""Room for a run: the look before a real run starts, and space kept back for its summary.

Before a real run logs in anywhere, ``check_room`` makes sure that ``STATE_DIR`` (the ledger)
and ``ROBOT_ARTIFACTS`` (the reports and logs) exist, can be written (a file is created and
removed in each: permission bits, read-only mounts and full disks all show), and have room for
the export: an estimate per decision plus a margin (the constants below, documented in the
README). When they do not, the run refuses to start with the ``StorageError`` of the folder.

``SummaryReserve`` keeps a little space in the artifacts folder from the start of the run, so that
when that folder fills up during the run, a short ``summary.json`` can still be written in it.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from splitpayout.domain.errors import StorageError, StorageFolder, StorageProblem

# The ledger: about 1 kB per decision in the file itself, and its write-ahead log, which takes
# some 48 KiB per decision (each payment's claim, intent and payment number are written and
# synced one by one) until SQLite's checkpoint stops its growth at about 4 MiB (1000 pages).
STATE_BYTES_PER_DECISION = 2 * 1024
STATE_LOG_BYTES_PER_DECISION = 48 * 1024
STATE_LOG_MAX_BYTES = 4 * 1024 * 1024
STATE_MARGIN_BYTES = 512 * 1024
# summary.json, run.jsonl, output.xml, log.html and report.html of a real run: about 2 kB per
# decision measured, four times that for retries and long references; the margin holds
# Robot Framework's fixed part of its log and report (about 0.5 MB) and the workbook.
ARTIFACTS_BYTES_PER_DECISION = 8 * 1024
ARTIFACTS_MARGIN_BYTES = 2 * 1024 * 1024
# Kept back in the artifacts folder for a summary without its per-decision list.
SUMMARY_RESERVE_BYTES = 256 * 1024
RESERVE_FILE = ".summary-reserve"


def needed_bytes(decisions: int) -> dict[StorageFolder, int]:
    """The room a real run over ``decisions`` decisions needs in each folder."""
    log = min(STATE_LOG_BYTES_PER_DECISION * decisions, STATE_LOG_MAX_BYTES)
    return {
        StorageFolder.STATE: STATE_MARGIN_BYTES + log + STATE_BYTES_PER_DECISION * decisions,
        StorageFolder.ARTIFACTS: ARTIFACTS_MARGIN_BYTES + ARTIFACTS_BYTES_PER_DECISION * decisions,
    }


def check_room(state_dir: Path, artifacts_dir: Path, decisions: int) -> None:
    """Raise ``StorageError`` for the first folder that is missing, cannot be written or lacks room."""
    needed = needed_bytes(decisions)
    for folder, path in ((StorageFolder.STATE, state_dir), (StorageFolder.ARTIFACTS, artifacts_dir)):
        if not path.is_dir():
            raise StorageError(folder, StorageProblem.MISSING, f"the folder does not exist ({path})")
        with translated(folder, path):
            with tempfile.NamedTemporaryFile(dir=path, prefix=".room-check-") as probe:
                probe.write(b"\0" * 4096)
                probe.flush()
                os.fsync(probe.fileno())
            free = shutil.disk_usage(path).free
        if free < needed[folder]:
            raise StorageError(
                folder,
                StorageProblem.FULL,
                f"{_mib(free)} free in {path}, a run over {decisions} decisions needs about"
                f" {_mib(needed[folder])}",
            )


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


class SummaryReserve:
    """A file of ``SUMMARY_RESERVE_BYTES`` in the artifacts folder, given back when it is needed."""

    def __init__(self, artifacts_dir: Path) -> None:
        self.path = artifacts_dir / RESERVE_FILE
        try:
            with self.path.open("wb") as handle:
                handle.write(b"\0" * SUMMARY_RESERVE_BYTES)  # written, not sparse: the space is taken
                handle.flush()
                os.fsync(handle.fileno())
        except OSError:  # no room even for this: the run's own checks say so
            self.release()

    def release(self) -> None:
        """Give the space back (before a short summary, and at the end of every run)."""
        with suppress(OSError):
            self.path.unlink(missing_ok=True)


# -- a storage failure as the StorageError it is ---------------------------------------------
_ERRNO_PROBLEMS = {
    errno.ENOSPC: StorageProblem.FULL,
    errno.EDQUOT: StorageProblem.FULL,
    errno.EFBIG: StorageProblem.FULL,
    errno.EROFS: StorageProblem.READ_ONLY,
    errno.EACCES: StorageProblem.READ_ONLY,
    errno.EPERM: StorageProblem.READ_ONLY,
    errno.ENOENT: StorageProblem.MISSING,
    errno.ENOTDIR: StorageProblem.MISSING,
}
_SQLITE_PROBLEMS = {
    sqlite3.SQLITE_FULL: StorageProblem.FULL,
    sqlite3.SQLITE_READONLY: StorageProblem.READ_ONLY,
    sqlite3.SQLITE_PERM: StorageProblem.READ_ONLY,
    sqlite3.SQLITE_BUSY: StorageProblem.LOCKED,
    sqlite3.SQLITE_LOCKED: StorageProblem.LOCKED,
    sqlite3.SQLITE_CORRUPT: StorageProblem.UNUSABLE,
    sqlite3.SQLITE_NOTADB: StorageProblem.UNUSABLE,
    sqlite3.SQLITE_IOERR: StorageProblem.UNUSABLE,
}


def storage_error(error: BaseException, folder: StorageFolder, path: Path) -> StorageError | None:
    """``error`` as the storage problem it is, naming ``folder`` and ``path``; None when it is no
    storage problem (a programming error, a constraint) and must stay what it is."""
    problem: StorageProblem | None = None
    if isinstance(error, sqlite3.Error) and not isinstance(
        error, sqlite3.IntegrityError | sqlite3.ProgrammingError | sqlite3.InterfaceError
    ):
        code = getattr(error, "sqlite_errorcode", None)
        problem = _SQLITE_PROBLEMS.get(code & 0xFF) if isinstance(code, int) else None
        if problem is None and isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_CANTOPEN:
            problem = _folder_problem(path)
        if problem is None:
            problem = StorageProblem.UNUSABLE
        what = f"SQLite: {error}"
    elif isinstance(error, OSError):
        problem = _ERRNO_PROBLEMS.get(error.errno or 0, StorageProblem.UNUSABLE)
        what = error.strerror or type(error).__name__
    else:
        return None
    if problem is StorageProblem.READ_ONLY and _folder_problem(path) is StorageProblem.MISSING:
        problem = StorageProblem.MISSING
    return StorageError(folder, problem, f"{_PROBLEM_TEXT[problem]} ({path}: {what})")


_PROBLEM_TEXT = {
    StorageProblem.FULL: "the storage is full",
    StorageProblem.READ_ONLY: "the folder cannot be written",
    StorageProblem.MISSING: "the folder does not exist",
    StorageProblem.UNUSABLE: "a file there cannot be opened or written",
    StorageProblem.LOCKED: "the ledger stayed locked by another process longer than the robot waits",
}


def _folder_problem(path: Path) -> StorageProblem:
    """Why a file under ``path`` cannot be opened: its folder is missing, not writable, or neither."""
    folder = path if path.is_dir() else path.parent
    if not folder.is_dir():
        return StorageProblem.MISSING
    if not os.access(folder, os.W_OK):
        return StorageProblem.READ_ONLY
    return StorageProblem.UNUSABLE


@contextmanager
def translated(folder: StorageFolder, path: Path) -> Iterator[None]:
    """Raise a storage failure inside the block as the ``StorageError`` it is (others unchanged)."""
    try:
        yield
    except (sqlite3.Error, OSError) as error:
        storage = storage_error(error, folder, path)
        if storage is None:
            raise
        raise storage from error
