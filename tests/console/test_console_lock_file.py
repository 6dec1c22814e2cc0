"""The console's real-run lock file is owner-only, like every other file it keeps."""

from __future__ import annotations

import os
import stat

from console.launcher import Launcher
from console.settings import Settings


def test_the_real_run_lock_is_owner_only_whatever_the_umask(settings: Settings) -> None:
    old = os.umask(0o022)
    try:
        with Launcher(settings)._real_run_slot():
            lock = settings.data_dir / "real-run.lock"
            assert lock.exists() and lock.stat().st_size == 0
            assert stat.S_IMODE(lock.stat().st_mode) == 0o600
            assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
    finally:
        os.umask(old)
