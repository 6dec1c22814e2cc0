"""Small file helpers every part of the robot uses: a file's SHA-256, a JSON object read leniently
(the latter shared with the web apps, in ``webcommon.files``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from webcommon.files import read_json_object

__all__ = ["file_sha256", "read_json_object"]


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file, read in blocks (an export of any size, in little memory)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
