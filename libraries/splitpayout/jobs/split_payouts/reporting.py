"""A run's reports: ``summary.json``, the case workers' workbook, the board's follow-up and the
messages to send, with the control totals of the whole file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from splitpayout.adapters.reports import (
    MANUAL_WORKBOOK_FILE,
    SUMMARY_FILE,
    Totals,
    needs_a_human,
    public_result,
    write_manual_workbook,
    write_summary,
)
from splitpayout.adapters.storage import translated
from splitpayout.adapters.workitems import not_attempted
from splitpayout.domain.errors import ExportFileError, StorageError, StorageFolder
from splitpayout.domain.models import DecisionPlan, DecisionResult, Outcome
from splitpayout.jobs.notify.delivery import queue_run_messages
from splitpayout.jobs.split_payouts.planning import dry_run_result
from splitpayout.jobs.split_payouts.registering import RegisteringSteps

#: The decisions that need a human, each with its plan.
Human = list[tuple[DecisionPlan, DecisionResult]]


def _flat_totals(totals: Totals) -> dict[str, int]:
    data = totals.as_dict()
    flat = {f"outcome_{k}": v for k, v in data["outcomes"].items()}
    flat.update({f"amount_{k}_ore": v for k, v in data["amounts_ore"].items()})
    return flat


class ReportingSteps(RegisteringSteps):
    """Write the run's reports, whatever happened before."""

    def totals(self) -> Totals:
        return self._totals

    def pairs(self) -> Iterator[tuple[DecisionPlan, DecisionResult]]:
        """Each decision with a result, in export order, with its plan."""
        results = iter(self.results)
        current = next(results, None)
        for position, plan in enumerate(self.iter_plans(), start=1):
            while current is not None and current[0] < position:
                current = next(results, None)
            if current is None:
                return
            if current[0] == position:
                yield plan, current[1]

    def nothing_to_report(self) -> None:
        """The run has nothing to report (a reporter without results): write no summary of nothing."""
        self._reports_wanted = False

    @property
    def reports_pending(self) -> bool:
        return self._reports_wanted and not self.reports_written

    def write_reports(self) -> Totals:
        """summary.json always; the workbook when a decision needs a human.

        Decisions of a real run that the run never got to are counted ``failed`` first, so the
        control totals are the whole file's. The artifacts folder failing stops the run, and the
        summary is written again, short (without its per-decision list) if need be."""
        self._count_decisions_not_reached()
        artifacts = self.settings.artifacts_dir
        totals = self.totals()
        if len(self.results):
            totals.check()
        finished = dt.datetime.now(dt.UTC)
        human = self._write_summary(finished, totals)
        try:
            self._write_workbook(human, finished)
        except StorageError as error:
            (artifacts / MANUAL_WORKBOOK_FILE).unlink(missing_ok=True)
            self.stop_on_storage(error)
            human = self._write_summary(finished, totals)  # it must say the run stopped
        self.statistics.write(artifacts, run_id=self.run_id, run_date=self.settings.run_date)
        queue_run_messages(
            run_id=self.run_id,
            mode=self.mode,
            artifacts_dir=artifacts,
            items=human,
            export=(self.settings.decisions_file, self.source_sha256),
        )
        self.reports_written = True
        self.log.event("reports_written", step="report", status=self.status, **_flat_totals(totals))
        return totals

    def _write_workbook(self, human: Human, created: dt.datetime) -> None:
        """The case workers' workbook when a decision needs a human; else none (not an earlier run's)."""
        artifacts = self.settings.artifacts_dir
        workbook = artifacts / MANUAL_WORKBOOK_FILE
        with translated(StorageFolder.ARTIFACTS, artifacts):
            if human:
                title = self.settings.decisions_file_title or self.source_name
                write_manual_workbook(workbook, human, source_name=title, run_id=self.run_id, created=created)
                workbook.chmod(0o600)  # personal data: its owner's only
            elif workbook.exists():
                workbook.unlink()  # a workbook from an earlier run must not be mistaken for this one's

    def _write_summary(self, finished: dt.datetime, totals: Totals) -> Human:
        """summary.json; when the artifacts folder is full, a short one in the space kept back for it.
        Returns the decisions that need a human."""
        human: Human = []

        def decisions() -> Iterator[dict[str, Any]]:
            if self.error is not None or not len(self.results):
                return
            for plan, result in self.pairs():
                if needs_a_human(result):
                    human.append((plan, result))
                yield public_result(result, plan.protected, plan.case_worker, plan.requested_payout_date)

        path = self.settings.artifacts_dir / SUMMARY_FILE
        try:
            write_summary(path, run=self._run_facts(finished), totals=totals, decisions=decisions())
            return human
        except StorageError as error:
            self.stop_on_storage(error)
        self._reserve.release()
        run = self._run_facts(finished)
        run["decisions_omitted"] = len(self.results)  # the list did not fit; run.jsonl has each one
        write_summary(path, run=run, totals=totals, decisions=())
        return []

    def _count_decisions_not_reached(self) -> None:
        """A real run over an export that ended before every decision had a result (it stopped, or
        an error ended it): each decision without one is ``failed`` (safe to run again), and a run
        that ended so without a stop or an error known is ``failed`` itself."""
        if self.mode != "real" or self.error is not None or self._handed_plans is not None:
            return
        if len(self.results) >= self.decisions:
            return
        if self.stop is None:
            self.fail("the run ended before every decision of the export was handled")
        missing = 0
        try:
            for position, plan in enumerate(self.iter_plans(), start=1):
                if position not in self.results:
                    self.record(
                        position,
                        plan,
                        not_attempted(plan) if plan.outcome is Outcome.PLANNED else dry_run_result(plan),
                        tell=False,
                    )
                    missing += 1
        except ExportFileError as error:
            self.fail(error.message)
        self.log.warning("decisions_not_reached", step="report", decisions=missing)
        self.say(
            f"{missing} decisions were not reached; they are counted failed and a later run completes them"
        )

    def _run_facts(self, finished: dt.datetime) -> dict[str, object]:
        cause = self.cause
        run: dict[str, object] = {
            "run_id": self.run_id,
            "mode": self.mode,
            "status": self.status,
            "started_by": self.started_by,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "finished_at": finished.isoformat(timespec="seconds"),
            "run_date": self.settings.run_date.isoformat(),
            "source": {"file_name": self.source_name, "sha256": self.source_sha256},
            "amount_limit_ore": self.rules.amount_limit_ore,
            "error": None
            if self.error is None
            else {
                "code": self.error.code,
                "message": self.error.message,
                "columns": list(self.error.columns),
            },
            "stopped_reason": cause.detail if cause is not None else None,
            "stop": cause.as_dict() if cause is not None else None,
        }
        if self.missing_results:
            run["missing_decisions"] = self.missing_results
        return run
