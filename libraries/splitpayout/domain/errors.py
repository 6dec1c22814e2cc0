"""Errors the robot names: an export it cannot read, and its own storage failing.

Messages name what is wrong (file, sheet, row, column; a folder and what to do) and never
echo a cell's value: cells hold personal data.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from splitpayout.domain.stops import RunStop, StopCode

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


# The stop code of each problem in each folder (splitpayout.domain.stops.StopCode values).
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
