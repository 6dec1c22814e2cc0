"""Errors raised while reading the export.

Messages name what is wrong (file, sheet, row, column) and never echo a cell's
value: cells hold personal data.
"""

from __future__ import annotations

from typing import Literal

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
