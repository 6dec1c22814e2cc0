"""Errors the robot names: an export it cannot read, and its own storage failing.

Messages name what is wrong (file, sheet, row, column; a folder and what to do) and never
echo a cell's value: cells hold personal data.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Literal

from splitpayout.stops import RunStop, StopCode

ExportErrorCode = Literal[
    "not_xlsx",
    "encrypted",
    "no_header",
    "missing_columns",
    "duplicate_columns",
    "no_decisions",
    "unreadable",
    "export_too_large",
]


class ExportFileError(Exception):
    """The export as a whole cannot be used: the robot enters nothing and says why.

    ``code`` is stable and machine-readable; ``message`` is a clear English sentence
    for the operator; ``columns`` names the columns concerned (missing or repeated).
    """

    def __init__(self, code: ExportErrorCode, message: str, columns: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.code: ExportErrorCode = code
        self.message = message
        self.columns = columns

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class CellError(ValueError):
    """One cell cannot be read as the type its column needs.

    The message says what was expected and what kind of value was found, never the value.
    """


# -- the robot's own storage -------------------------------------------------------------------


class StorageFolder(StrEnum):
    """Where the robot keeps what it writes, by the setting that names it."""

    STATE = "STATE_DIR"  # the ledger: what makes payments exactly-once
    ARTIFACTS = "ROBOT_ARTIFACTS"  # the run's reports and logs
    TEMP = "TMPDIR"  # the run's own working files (its decision results)


class StorageProblem(StrEnum):
    """What is wrong with a folder."""

    FULL = "full"
    READ_ONLY = "read_only"
    MISSING = "missing"
    UNUSABLE = "unusable"  # a file there cannot be opened or written (damaged, not a database)
    LOCKED = "locked"  # another process held the ledger locked longer than the robot waits


# The stop code of each problem in each folder (splitpayout.stops.StopCode values).
_STOP_CODES: dict[tuple[StorageFolder, StorageProblem], StopCode] = {
    (StorageFolder.STATE, StorageProblem.FULL): StopCode.STORAGE_FULL,
    (StorageFolder.STATE, StorageProblem.READ_ONLY): StopCode.STORAGE_READ_ONLY,
    (StorageFolder.STATE, StorageProblem.MISSING): StopCode.STORAGE_MISSING,
    (StorageFolder.STATE, StorageProblem.UNUSABLE): StopCode.LEDGER_UNUSABLE,
    (StorageFolder.STATE, StorageProblem.LOCKED): StopCode.LEDGER_LOCKED,
    (StorageFolder.ARTIFACTS, StorageProblem.FULL): StopCode.ARTIFACTS_FULL,
    (StorageFolder.ARTIFACTS, StorageProblem.READ_ONLY): StopCode.ARTIFACTS_READ_ONLY,
    (StorageFolder.ARTIFACTS, StorageProblem.MISSING): StopCode.ARTIFACTS_MISSING,
    (StorageFolder.ARTIFACTS, StorageProblem.UNUSABLE): StopCode.ARTIFACTS_UNUSABLE,
    (StorageFolder.ARTIFACTS, StorageProblem.LOCKED): StopCode.ARTIFACTS_UNUSABLE,
}

_WHAT_TO_DO = {
    StorageProblem.FULL: "free space there (or give it more), then run the robot again",
    StorageProblem.READ_ONLY: "make it writable for the robot's account, then run the robot again",
    StorageProblem.MISSING: "create or mount it (or correct the setting), then run the robot again",
    StorageProblem.UNUSABLE: "have the file examined before the robot runs again",
    StorageProblem.LOCKED: "find the process holding the ledger, let it finish, then run the robot again",
}


class StorageError(Exception):
    """The robot cannot write (or open) its own storage: the run stops before the next payment.

    ``folder`` is the setting that names the folder, ``problem`` what is wrong with it, ``detail``
    what was seen (an English sentence with the path and the system's error; no personal data).
    """

    def __init__(self, folder: StorageFolder, problem: StorageProblem, detail: str) -> None:
        self.folder = folder
        self.problem = problem
        self.detail = f"{folder.value}: {detail}; {_WHAT_TO_DO[problem]}"
        super().__init__(self.detail)

    @property
    def stop(self) -> RunStop:
        """The run's stop for this error (its code and Swedish sentence; the detail as it is)."""
        code = _STOP_CODES.get((self.folder, self.problem), StopCode.TEMP_STORAGE_UNUSABLE)
        return RunStop(code, self.detail)


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
