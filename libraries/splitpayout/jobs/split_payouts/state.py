"""What a run knows about itself: its identity, its facts as they come, how it ended.

The base of the run's steps (``planning``, ``registering``, ``reporting``): each step adds to
these facts, and the run's final status is decided here only, from them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Unpack

from splitpayout.adapters.narration import NarratedJob, Narration
from splitpayout.adapters.reports import Totals
from splitpayout.adapters.results import ResultStore
from splitpayout.adapters.runlog import RunLog, mask_text
from splitpayout.adapters.storage import SummaryReserve
from splitpayout.config import Settings
from splitpayout.config.names import RUN_LOG_FILE
from splitpayout.domain.errors import ExportFileError, StorageError
from splitpayout.domain.localtime import run_stamp
from splitpayout.domain.models import DecisionPlan, Outcome
from splitpayout.domain.stops import RunStop, StopCode
from splitpayout.jobs.followup.statistics import RunStatistics


def new_run_id(now: dt.datetime) -> str:
    """E.g. ``2026-11-23T114206CET-e6dd1a``: the local start time (as people date it), unique with
    the random part."""
    return f"{run_stamp(now)}-{secrets.token_hex(3)}"


class RunState(NarratedJob):
    """The facts of one run: who and what it is, what it has found out and done, how it ended."""

    def __init__(self, settings: Settings, **narration: Unpack[Narration]) -> None:
        super().__init__(**narration)
        self.settings = settings
        self.rules = settings.planning_rules  # the run's planning rules: every pass plans by them
        self.run_id = new_run_id(self.started_at)
        self.mode = "dry_run" if settings.dry_run else "real"
        self.log = RunLog(settings.artifacts_dir / RUN_LOG_FILE, self.run_id)
        self.source_name = settings.decisions_file.name if settings.decisions_file else ""
        self.source_sha256 = ""
        self.error: ExportFileError | None = None
        self.stop: RunStop | None = None  # why the run stopped before its end, if it did
        self.failure: RunStop | None = None  # an error that ended the run (``run_failed``), if one did
        self._reserve = SummaryReserve(settings.artifacts_dir)
        self.decisions = 0  # decisions of the export (rows), known once planned
        self.planned = 0
        self.payout_dates: tuple[dt.date, dt.date] | None = None  # first and last of the planned payments
        self.results = ResultStore()
        if self.results.failure is not None:
            self.log.warning("results_in_memory", step="start", error=self.results.failure.detail)
        self._totals = Totals()
        self._handed_plans: list[DecisionPlan] | None = None
        self.reports_written = False
        self._reports_wanted = True
        # Decisions of the export with no result (work items a reporter has not received).
        self.missing_results = 0
        self.statistics = RunStatistics(self.mode)  # the board's follow-up: aggregates only
        self.log.event("run_started", step="start", mode=self.mode, started_by=self.started_by)

    def stop_on_storage(self, error: StorageError) -> None:
        """The robot's own storage failed: the run stops (the first cause found is the one told)."""
        if self.stop is None:
            self.stop = error.stop
            self.announce(f"STOPPED: {self.stop.sentence}")
            self.log.warning("run_stopped", step="storage", code=self.stop.code.value, error=self.stop.detail)

    def fail(self, error: BaseException | str) -> None:
        """An error ended the run before its end: the run is ``failed``, whatever its results say."""
        if self.failure is not None or self.error is not None:  # a file error says all there is
            return
        detail = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self.failure = RunStop(StopCode.RUN_FAILED, mask_text(" ".join(detail.split()))[:500])
        self.log.warning("run_failed", step="finish", code=self.failure.code.value, error=self.failure.detail)

    @property
    def stopped_reason(self) -> str:
        """The stop's technical detail (English), or "" when the run did not stop."""
        return self.stop.detail if self.stop is not None else ""

    @property
    def failed(self) -> int:
        return self.results.count(Outcome.FAILED)

    @property
    def cause(self) -> RunStop | None:
        """Why the run did not end as it should: its stop, else the error that ended it."""
        return self.stop or self.failure

    @property
    def status(self) -> str:
        """The run's final status, decided here only, from what happened: ``file_error`` (the export
        could not be read), ``stopped`` (the run stopped itself: the payout system, its credentials,
        its own storage), ``failed`` (an error ended it), ``incomplete`` (results missing), else
        ``completed``."""
        if self.error is not None:
            return "file_error"
        if self.stop is not None:
            return "stopped"
        if self.failure is not None:
            return "failed"
        if self.missing_results:
            return "incomplete"
        return "completed"

    def close(self) -> None:
        self.log.event("run_finished", step="finish", status=self.status, failed=self.failed)
        self.log.close()
        self.results.close()
        self._reserve.release()
