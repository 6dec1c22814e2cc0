"""Real storage failures for tests: a small filesystem (tmpfs) that a test can fill up or make
read-only, as root. Where mounting is not permitted (not root, a container without the right),
the test is skipped with the reason.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

FILLER = ".filler"


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@contextmanager
def small_disk(path: Path, size_kib: int) -> Iterator[Path]:
    """``path`` as a tmpfs of ``size_kib`` KiB for the duration; skips the test where that cannot be."""
    if os.geteuid() != 0:
        pytest.skip("a small filesystem needs root to mount a tmpfs")
    path.mkdir(parents=True, exist_ok=True)
    mounted = _mount("-t", "tmpfs", "-o", f"size={size_kib}k,mode=0700", "tmpfs", str(path))
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def fill(path: Path) -> Path:
    """Fill the filesystem of ``path`` to the last byte with a file of zeros; returns the file."""
    filler = path / FILLER
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            block = b"\0" * size
            try:
                while os.write(descriptor, block):
                    pass
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
    finally:
        os.close(descriptor)
    return filler


def free(path: Path) -> None:
    """Give the room taken by ``fill`` back."""
    (path / FILLER).unlink(missing_ok=True)


def set_read_only(path: Path, read_only: bool) -> None:
    """Remount the tmpfs at ``path`` read-only (root ignores permission bits, a mount does not)."""
    result = _mount("-o", f"remount,{'ro' if read_only else 'rw'}", str(path))
    assert result.returncode == 0, result.stderr
