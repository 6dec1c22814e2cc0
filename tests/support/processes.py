"""Which processes a test's subprocess left behind: every descendant inherits its environment,
so a marker variable set for the subprocess finds them even once they are orphaned."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

MARKER_VARIABLE = "SPLITPAYOUT_TEST_PROCESS_MARKER"


def new_marker() -> str:
    """A value for ``MARKER_VARIABLE`` that no other process has."""
    return uuid.uuid4().hex


def marked_processes(marker: str) -> list[str]:
    """``pid command`` of every live process whose environment holds ``marker``."""
    needle = f"{MARKER_VARIABLE}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environment = (entry / "environ").read_bytes()
            command = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if state != "Z" and needle in environment.split(b"\0"):
            found.append(f"{entry.name} {command}")
    return found


def processes_left(marker: str, grace_seconds: float = 5.0) -> list[str]:
    """The marked processes still alive after ``grace_seconds`` (a browser takes a moment to exit)."""
    deadline = time.monotonic() + grace_seconds
    while True:
        left = marked_processes(marker)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.2)
