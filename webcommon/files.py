"""Files and folders that hold personal data: owner-only (0600 / 0700), whatever the umask.

Standard library only, so that the robot can use it as well as the web apps. A folder is
made with ``private_dir``; a file is created with ``private_file`` (or opened for writing
with ``open_private``); a SQLite database is made owner-only before its first connection
with ``private_file`` too: SQLite then creates its ``-wal``, ``-shm`` and ``-journal``
files with the database file's mode.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO

FILE_MODE = stat.S_IRUSR | stat.S_IWUSR  # 0600
DIR_MODE = stat.S_IRWXU  # 0700


def private_dir(path: Path | str) -> Path:
    """Make ``path`` (and missing parents) if needed; ``path`` itself ends up 0700."""
    folder = Path(path)
    folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if stat.S_IMODE(folder.stat().st_mode) != DIR_MODE:
        folder.chmod(DIR_MODE)
    return folder


def private_file(path: Path | str) -> Path:
    """Create ``path`` empty if missing (its folder too, owner-only); the file ends up 0600."""
    file = Path(path)
    if not file.parent.exists():
        private_dir(file.parent)
    descriptor = os.open(file, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(descriptor, FILE_MODE)
    finally:
        os.close(descriptor)
    return file


def open_private(path: Path | str, mode: str = "xb") -> IO[bytes]:
    """Open ``path`` for writing in binary ``mode`` ("xb", "wb" or "ab"), created 0600."""
    flags = {"xb": os.O_EXCL | os.O_CREAT, "wb": os.O_CREAT | os.O_TRUNC, "ab": os.O_CREAT | os.O_APPEND}
    if mode not in flags:
        raise ValueError(f"open_private opens for writing only (xb, wb, ab), not {mode!r}")
    descriptor = os.open(path, os.O_WRONLY | flags[mode], FILE_MODE)
    os.fchmod(descriptor, FILE_MODE)
    return os.fdopen(descriptor, mode.replace("x", "w"))


def export_label(sha256: str, day: str) -> str:
    """A file name that says nothing about the file's contents or its owner's name:
    ``export-<day>-<first 12 of the SHA-256>.xlsx`` (``day`` as YYYY-MM-DD)."""
    digest = "".join(char for char in sha256.lower() if char in "0123456789abcdef")[:12].ljust(12, "0")
    safe_day = "".join(char for char in day if char.isascii() and (char.isdigit() or char == "-"))[:10]
    return f"export-{safe_day or 'okand'}-{digest}.xlsx"


def printable(text: str, limit: int = 200) -> str:
    """``text`` for a log line: control and other unprintable characters become ``?``."""
    return "".join(char if char.isprintable() else "?" for char in text[:limit])
