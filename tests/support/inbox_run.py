"""Inbox runs for the tests.

``process_inbox``: one whole inbox run without Robot Framework, the steps the ``ProcessInbox``
keyword library takes (``Inbox.take``, ``return_interrupted``, ``process_new_exports``, the
summary), so tests can drive the inbox with a stand-in for each export's run.
``run_the_inbox``: the ``Process inbox`` task as robot.yaml runs it, in its own process.
``outcomes``: the files' outcomes of an inbox summary, which must name no file as it came."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from splitpayout.jobs.inbox.job import Inbox
from splitpayout.jobs.inbox.run import RunExport, run_split_payouts
from splitpayout.jobs.inbox.settings import InboxSettings

from devdata.generate_export import generate


def process_inbox(
    settings: InboxSettings, *, run_export: RunExport = run_split_payouts, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """The inbox run's summary, also written to ``inbox-summary.json``."""
    inbox = Inbox(settings, run_export=run_export, say=say)
    error = ""
    try:
        if inbox.take():
            inbox.return_interrupted()
            inbox.process_new_exports()
    except BaseException as failure:
        error = f"{type(failure).__name__}: {failure}"
        raise
    finally:
        summary = inbox.finish(error)
        inbox.write_summary(summary)
        inbox.close()
    return summary


ROOT = Path(__file__).resolve().parents[2]


def run_the_inbox(
    place: dict[str, Path], *, dry_run: bool = True, **settings: str
) -> tuple[int, dict[str, Any]]:
    """Run the Process inbox task as robot.yaml does; its exit status and inbox-summary.json."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROBOT_", "PAYOUT_SYSTEM_", "INBOX_"))}
    env.update(
        INBOX_DIR=str(place["inbox"]),
        ARCHIVE_DIR=str(place["archive"]),
        REJECTED_DIR=str(place["rejected"]),
        RUNS_DIR=str(place["runs"]),
        STATE_DIR=str(place["state"]),
        ROBOT_ARTIFACTS=str(place["output"]),
        INBOX_MIN_AGE_SECONDS="0",
        DRY_RUN="true" if dry_run else "false",
        RUN_STARTED_BY="schedule",
        PAYOUT_SYSTEM_URL="http://127.0.0.1:9",
        RETRY_BACKOFF_SECONDS="0.2",
        UNKNOWN_OUTCOME_SETTLE_SECONDS="1",
        PAYOUT_SYSTEM_TIMEOUT="5",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "libraries")]),
    )
    env.update(settings)
    completed = subprocess.run(
        [sys.executable, "-m", "splitpayout.runner", "process_inbox"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    summary_path = place["output"] / "inbox-summary.json"
    assert summary_path.is_file(), completed.stdout + completed.stderr
    return completed.returncode, json.loads(summary_path.read_text(encoding="utf-8"))


def export(path: Path, seed: int = 7, count: int = 10) -> Path:
    generate(path, count=count, seed=seed, today=dt.date.today(), scenario_mix=False)
    return path


def identity_numbers(path: Path) -> set[str]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    values = {
        str(cell)
        for row in workbook.worksheets[0].iter_rows(values_only=True)
        for cell in row
        if isinstance(cell, str) and sum(ch.isdigit() for ch in cell) >= 10
    }
    workbook.close()
    return values


def outcomes(summary: dict[str, object], *names: str) -> list[str]:
    """The outcomes of the summary's files, sorted. inbox-summary.json names each file by its label
    only: none of the names it came with (``names``) may appear anywhere in it."""
    files = summary["files"]
    assert isinstance(files, list)
    text = json.dumps(summary, ensure_ascii=False)
    assert [name for name in names if name in text] == []
    assert all(re.fullmatch(r"export-\d{4}-\d{2}-\d{2}-[0-9a-f]{12}\.xlsx", entry["file"]) for entry in files)
    return sorted(entry["outcome"] for entry in files)
