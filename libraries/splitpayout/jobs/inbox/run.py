"""One export's run: the ``Split payouts`` task in its own process, and its summary read back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from splitpayout.config import child_environment
from splitpayout.config.environment import python_path
from splitpayout.jobs.inbox.files import sha256_of
from splitpayout.jobs.inbox.settings import CONSOLE_FILE, InboxSettings
from splitpayout.adapters.runs import SUMMARY_FILE
from webcommon.files import export_label

ROOT = Path(__file__).resolve().parents[3]
RUN_STOP_GRACE_SECONDS = 60.0

RunExport = Callable[[Path, Path, InboxSettings, int | None], int]


def run_split_payouts(
    export: Path, run_dir: Path, settings: InboxSettings, lock_descriptor: int | None
) -> int:
    """Run the ``Split payouts`` task on ``export`` with its artifacts in ``run_dir``, as
    robot.yaml does (``python -m splitpayout.runner split_payouts``); returns its exit status.

    Every other setting is inherited. The run's console output goes to ``run_dir/console.log``.
    The run inherits the inbox lock, so the lock is held until it ends even if the inbox run
    is killed. When the inbox run is stopped, the run is asked to stop too (one SIGTERM: it stops
    as any stopped run does and writes its reports) before the inbox run ends. The run reads the
    export through a link named by its label (``export-<date>-<short SHA-256>.xlsx``), so its
    log, summary and history never show the file's own name, which may hold personal data.
    """
    labelled = export.with_name(export_label(sha256_of(export), run_dir.name[:10]))
    os.link(export, labelled)
    try:
        return _run_task(labelled, run_dir, settings, lock_descriptor)
    finally:
        labelled.unlink(missing_ok=True)


def _run_task(export: Path, run_dir: Path, settings: InboxSettings, lock_descriptor: int | None) -> int:
    env = child_environment(
        {
            "DECISIONS_FILE": str(export.resolve()),
            "ROBOT_ARTIFACTS": str(run_dir.resolve()),
            "RUN_STARTED_BY": settings.started_by,
            "PYTHONPATH": python_path(str(ROOT), str(ROOT / "libraries")),
        }
    )
    with (run_dir / CONSOLE_FILE).open("wb") as console:
        process = subprocess.Popen(
            [sys.executable, "-m", "splitpayout.runner", "split_payouts"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            pass_fds=() if lock_descriptor is None else (lock_descriptor,),
            # Its own session: a Ctrl-C in a terminal reaches it once, forwarded by the inbox run
            # (a second signal would make Robot Framework stop it without its reports).
            start_new_session=True,
        )
        try:
            return process.wait()
        except BaseException:
            process.terminate()
            try:
                process.wait(timeout=RUN_STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            raise


def read_summary(run_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((run_dir / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
