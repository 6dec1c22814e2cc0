"""One inbox run at a time."""

from __future__ import annotations

import fcntl
import os
import socket
import time
from pathlib import Path

from splitpayout.jobs.inbox.outcomes import now


class InboxLock:
    """An exclusive ``flock`` on ``STATE_DIR/inbox.lock`` (it names its holder, for operators)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._descriptor: int | None = None

    @property
    def descriptor(self) -> int | None:
        return self._descriptor

    def acquire(self, wait_seconds: float = 0.0) -> bool:
        """True when taken; False when another holder kept it for ``wait_seconds``."""
        if self._descriptor is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    os.close(descriptor)
                    return False
                time.sleep(min(1.0, remaining))
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"pid {os.getpid()} on {socket.gethostname()} since {now()}\n".encode())
        self._descriptor = descriptor
        return True

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # a run still holding a copy keeps the lock until it ends
            self._descriptor = None
