"""The history of runs: one folder of artifacts per run, read back without personal data.

Every run of the ``Split payouts`` task writes its artifacts into one folder
(``ROBOT_ARTIFACTS``): ``run.json`` (task, who started it, when, exit status; written
by ``splitpayout.runner``), ``summary.json``, ``run.jsonl``, the Robot Framework log
and, when needed, the case workers' workbook. Tools that start runs (the inbox, the
console) give each run its own folder under one runs folder (``RUNS_DIR``, default
``runs/``, made by :func:`new_run_dir`); this module lists those folders as
:class:`RunRecord` objects and reads a running run's progress from ``run.jsonl``.

Nothing here reads the workbook: a run record holds no names, identity or account
numbers, so operator pages can show it as it is.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from splitpayout.adapters.files import read_json_object
from splitpayout.config.names import RUN_LOG_FILE as RUN_LOG_FILE
from splitpayout.config.names import RUN_RECORD_FILE as RUN_RECORD_FILE
from splitpayout.config.names import SUMMARY_FILE as SUMMARY_FILE
from splitpayout.domain.localtime import run_stamp

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_IN_THE_PAYOUT_SYSTEM = frozenset({"registered", "already_registered"})


def new_run_dir(runs_dir: Path, label: str, now: dt.datetime | None = None) -> Path:
    """A new, empty folder for one run's artifacts, named by its local start time (as people date it:
    ``splitpayout.domain.localtime``), e.g. ``runs/2026-11-23T114206CET-inbox-3fa9c1``. ``label`` says who
    or what starts it (letters, digits, ``-_.``; anything else becomes ``-``)."""
    safe = _SAFE.sub("-", label).strip("-")[:40] or "run"
    path = runs_dir / f"{run_stamp(now)}-{safe}-{secrets.token_hex(3)}"
    path.mkdir(parents=True, exist_ok=False)
    return path


@dataclass(frozen=True)
class Progress:
    """How far a run got: decisions handled and payments registered, of the totals planned."""

    decisions_done: int = 0
    decisions_total: int = 0
    payments_done: int = 0
    payments_total: int = 0
    finished: bool = False


@dataclass(frozen=True)
class RunRecord:
    """One run as a history shows it (no personal data)."""

    run_dir: Path
    task: str = ""
    started_by: str = ""
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    exit_status: int | None = None
    run_id: str = ""
    mode: str = ""
    status: str = ""  # summary.json's: completed, stopped, file_error; "running" while unfinished
    source_name: str = ""
    source_sha256: str = ""
    outcomes: dict[str, int] = field(default_factory=dict)
    amounts_ore: dict[str, int] = field(default_factory=dict)
    error_code: str | None = None

    @property
    def running(self) -> bool:
        return self.finished_at is None

    @property
    def failed(self) -> bool:
        """Finished with a non-zero exit status (monitoring's signal)."""
        return self.exit_status not in (None, 0)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


def parse_time(text: object) -> dt.datetime | None:
    """An ISO timestamp as a run record writes it, or None when missing or malformed."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def parse_date(text: object) -> dt.date | None:
    """An ISO date as a run's summary writes it, or None when missing or malformed."""
    if not isinstance(text, str):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def read_run(run_dir: Path) -> RunRecord | None:
    """The record of the run in ``run_dir``, or None when the folder holds no run."""
    record = read_json_object(run_dir / RUN_RECORD_FILE)
    summary = read_json_object(run_dir / SUMMARY_FILE)
    if not record and not summary:
        return None
    totals = summary.get("totals") or {}
    source = summary.get("source") or {}
    error = summary.get("error") or {}
    exit_status = record.get("exit_status")
    finished = parse_time(record.get("finished_at")) if record else parse_time(summary.get("finished_at"))
    return RunRecord(
        run_dir=run_dir,
        task=str(record.get("task", "")),
        started_by=str(record.get("started_by", summary.get("started_by", ""))),
        started_at=parse_time(record.get("started_at")) or parse_time(summary.get("started_at")),
        finished_at=finished,
        exit_status=exit_status if isinstance(exit_status, int) else None,
        run_id=str(summary.get("run_id", "")),
        mode=str(summary.get("mode", "")),
        status=str(summary.get("status", "")) if finished is not None else "running",
        source_name=str(source.get("file_name", "")),
        source_sha256=str(source.get("sha256", "")),
        outcomes={str(k): int(v) for k, v in (totals.get("outcomes") or {}).items()},
        amounts_ore={str(k): int(v) for k, v in (totals.get("amounts_ore") or {}).items()},
        error_code=str(error["code"]) if error.get("code") else None,
    )


def read_progress(run_dir: Path) -> Progress:
    """Progress of a run, from its structured log (safe to call while the run writes it)."""
    decisions_total = payments_total = decisions_done = payments_done = 0
    finished = False
    try:
        with (run_dir / RUN_LOG_FILE).open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue  # a line being written right now
                name = event.get("event")
                if name == "planned":
                    decisions_total = int(event.get("decisions", 0))
                    payments_total = int(event.get("payments", 0))
                elif name == "decision":
                    decisions_done += 1
                    payments_done += sum(
                        1 for p in event.get("payments") or () if p.get("status") in _IN_THE_PAYOUT_SYSTEM
                    )
                elif name == "run_finished":
                    finished = True
    except OSError:
        pass
    return Progress(decisions_done, decisions_total, payments_done, payments_total, finished)
