"""One run of the split-payout job: read, plan, register, report.

Plain Python over the domain modules; the ``SplitPayouts`` keyword library is a
thin layer over this class. The job keeps the run's facts (run id, source file
and its SHA-256, plans, results, control totals) and writes the artifacts:
``summary.json``, the case workers' workbook and ``run.jsonl``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Unpack

from splitpayout.adapters.files import file_sha256
from splitpayout.adapters.gateway import PayoutGateway
from splitpayout.adapters.ledger import Ledger
from splitpayout.adapters.ledger_key import open_ledger
from splitpayout.adapters.narration import Lines, NarratedJob, Narration
from splitpayout.adapters.reader import read_header
from splitpayout.adapters.reports import (
    MANUAL_WORKBOOK_FILE,
    SUMMARY_FILE,
    Totals,
    needs_a_human,
    public_result,
    write_manual_workbook,
    write_summary,
)
from splitpayout.adapters.results import ResultStore
from splitpayout.adapters.runlog import RunLog, mask_text
from splitpayout.adapters.storage import SummaryReserve, check_room, translated
from splitpayout.adapters.workitems import not_attempted
from splitpayout.config import Settings
from splitpayout.config.names import RUN_LOG_FILE
from splitpayout.domain.errors import ExportFileError, StorageError, StorageFolder
from splitpayout.domain.localtime import run_stamp
from splitpayout.domain.models import (
    DecisionPlan,
    DecisionResult,
    Outcome,
    PaymentStatus,
    payment_results,
)
from splitpayout.domain.stops import RunStop, StopCode
from splitpayout.jobs.export_plan import plan_export
from splitpayout.jobs.followup.statistics import RunStatistics
from splitpayout.jobs.notify.delivery import queue_run_messages
from splitpayout.jobs.registration.engine import RegistrationEngine
from splitpayout.jobs.registration.loop import RegistrationLoop, RunIdentity
from swedish_rules import format_amount

# Decisions per log entry in a dry run.
DRY_RUN_BLOCK = 100


def new_run_id(now: dt.datetime) -> str:
    """E.g. ``2026-11-23T114206CET-e6dd1a``: the local start time (as people date it), unique with
    the random part."""
    return f"{run_stamp(now)}-{secrets.token_hex(3)}"


def dry_run_result(plan: DecisionPlan) -> DecisionResult:
    """What a real run would do for a plan: ``planned`` payments, or ``manual`` with reasons."""
    status = PaymentStatus.PLANNED if plan.outcome is Outcome.PLANNED else PaymentStatus.NOT_ENTERED
    return DecisionResult(
        decision_id=plan.decision_id,
        outcome=plan.outcome,
        amount_ore=0 if plan.protected else plan.amount_ore,
        reasons=plan.reasons,
        payments=payment_results(plan, status),
    )


@dataclass
class ControlTotals:
    """Count and sum of a set of decisions, printed before and after the run."""

    count: int = 0
    amount_ore: int = 0

    def text(self) -> str:
        return f"{self.count} decisions, {format_amount(self.amount_ore)} kr"


class SplitPayoutJob(NarratedJob):
    """The state of one run. Methods are called in order; each says what it did through ``say``.

    Plans are never held as a list: each pass reads them from the export again (checking
    that the file is still the one read first), and results go to a ``ResultStore`` on disk
    as they come, so memory stays flat however long the export. A work-item run hands its
    plans over instead (``use_plans``).
    """

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

    # -- read -------------------------------------------------------------------------------
    def read_export(self) -> None:
        """Check that the export can be read; a file-level problem stops the run before anything is in."""
        path = self.settings.decisions_file
        try:
            if path is None:
                raise ExportFileError("unreadable", "DECISIONS_FILE is not set: name the export to process")
            if not path.is_file():
                raise ExportFileError("unreadable", f"the export {path.name!r} does not exist")
            self.source_sha256 = file_sha256(path)
            read_header(path, max_decisions=self.rules.max_decisions)
        except ExportFileError as error:
            self.error = error
            self.log.warning("export_unreadable", step="read", code=error.code, error=error.message)
            raise
        self.log.event("export_read", step="read", file_name=self.source_name, sha256=self.source_sha256)
        self.say(f"Export {self.source_name} (SHA-256 {self.source_sha256[:12]}…) can be read")

    def use_plans(self, plans: list[DecisionPlan]) -> None:
        """Work on these plans (handed over in work items) instead of reading an export."""
        self._handed_plans = plans
        self.decisions = len(plans)

    def iter_plans(self) -> Iterator[DecisionPlan]:
        """The export's plans in file order, read afresh (or the plans handed over)."""
        if self._handed_plans is not None:
            yield from self._handed_plans
            return
        path = self.settings.decisions_file
        assert path is not None
        if self.source_sha256 and file_sha256(path) != self.source_sha256:
            raise ExportFileError(
                "unreadable",
                f"the export {path.name!r} changed while the run was working on it; nothing more is done."
                " Run the robot again on the new file",
            )
        yield from plan_export(path, self.rules)

    # -- plan -------------------------------------------------------------------------------
    def plan(self) -> ControlTotals:
        """Validate and split every decision. Returns the control totals of the file."""
        started = dt.datetime.now(dt.UTC)
        totals = ControlTotals()
        payments = 0
        first: dt.date | None = None
        last: dt.date | None = None
        try:
            for plan in self.iter_plans():
                totals.count += 1
                totals.amount_ore += 0 if plan.protected else plan.amount_ore
                if plan.outcome is Outcome.PLANNED:
                    self.planned += 1
                    payments += len(plan.payments)
                    for payment in plan.payments:
                        first = min(first or payment.payout_date, payment.payout_date)
                        last = max(last or payment.payout_date, payment.payout_date)
        except ExportFileError as error:
            self.error = error
            self.log.warning("export_unreadable", step="plan", code=error.code, error=error.message)
            raise
        self.decisions = totals.count
        self.payout_dates = (first, last) if first is not None and last is not None else None
        manual = self.decisions - self.planned
        seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
        self.log.event(
            "planned",
            step="plan",
            decisions=self.decisions,
            planned=self.planned,
            manual=manual,
            payments=payments,
            amount_ore=totals.amount_ore,
            duration_s=round(seconds, 3),
        )
        self.announce(
            f"Control totals of the file: {totals.text()}; {self.planned} decisions planned "
            f"({payments} payments), {manual} for manual handling"
        )
        return totals

    # -- register ---------------------------------------------------------------------------
    def record_dry_run(self) -> None:
        """What a real run would do, decision by decision (summary.json and run.jsonl). The log says
        it per block of ``DRY_RUN_BLOCK`` decisions: the planned ones counted, the others one line
        each, so that log.html stays small and costs no memory per decision, however long the file."""
        block: list[Lines] = []
        planned = payments = amount = 0
        first = 1
        for position, plan in enumerate(self.iter_plans(), start=1):
            result = dry_run_result(plan)
            self.record(position, plan, result, tell=False)
            if result.outcome is Outcome.PLANNED:
                planned += 1
                payments += len(result.payments)
                amount += result.amount_ore
            else:
                block.append(self.decision_text(result))
            if position % DRY_RUN_BLOCK == 0:
                self.say(_dry_run_block(first, position, planned, payments, amount, block))
                block, planned, payments, amount, first = [], 0, 0, 0, position + 1
        if first <= len(self.results):
            self.say(_dry_run_block(first, len(self.results), planned, payments, amount, block))
        self.say("Dry run: nothing was entered in the payout system")

    def record(self, position: int, plan: DecisionPlan, result: DecisionResult, *, tell: bool = True) -> None:
        """Keep one decision's final result and report it in the logs (``tell``: in log.html too)."""
        if position in self.results:
            raise ValueError(f"decision at position {position} already has a result")
        failing = self.results.failure
        self.results.put(position, result)
        if self.results.failure is not None and failing is None:
            self.log.warning("results_in_memory", step="record", error=self.results.failure.detail)
        self._totals.add(hidden_if_protected(plan, result))
        self.statistics.add(plan, result)
        self.report_decision(result, tell=tell)

    def room_to_start(self) -> bool:
        """Before a real run logs in: are STATE_DIR and ROBOT_ARTIFACTS writable, with room for the
        export (``splitpayout.adapters.storage``)? If not, the run stops here, before anything is entered."""
        try:
            check_room(self.settings.state_dir, self.settings.artifacts_dir, self.decisions)
        except StorageError as error:
            self.stop_on_storage(error)
            return False
        return True

    def register(self, gateway: PayoutGateway, *, worker_id: str) -> None:
        """Register every planned payment exactly once; decisions end paid, already_paid, manual or failed.

        The robot's own storage failing stops the run (``stop``); any other error is kept as the
        run's ``failure`` and raised."""
        try:
            ledger = open_ledger(self.settings.ledger_path)
            try:
                loop = self.registration_loop(gateway, ledger, worker_id=worker_id, deferred=True)
                outcome = loop.run(enumerate(self.iter_plans(), start=1), self.record)
            finally:
                ledger.close()
        except StorageError as error:
            self.stop_on_storage(error)
            return
        except Exception as error:
            self.fail(error)
            raise
        self.stop = outcome.stop

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

    def registration_loop(
        self, gateway: PayoutGateway, ledger: Ledger, *, worker_id: str, deferred: bool, **options: Any
    ) -> RegistrationLoop[Any]:
        """The registration loop over this run's settings, its events in the run's logs."""
        settings = self.settings
        engine = RegistrationEngine(
            gateway,
            ledger,
            run_id=self.run_id,
            worker_id=worker_id,
            max_attempts=settings.max_attempts,
            max_consecutive_failures=settings.max_consecutive_failures,
            backoff_seconds=settings.backoff_seconds,
            unknown_outcome_settle_seconds=settings.settle_seconds,
            look_up_each_payment=options.pop("look_up_each_payment", False),
            on_event=self.engine_event,
        )
        return RegistrationLoop(
            gateway,
            engine,
            ledger,
            run=RunIdentity(
                self.run_id, options.pop("mode", self.mode), self.source_name, self.source_sha256
            ),
            log=self.log,
            say=self.say,
            announce=self.announce,
            max_attempts=settings.max_attempts,
            backoff_seconds=settings.backoff_seconds,
            deferred=deferred,
            payout_dates=options.pop("payout_dates", lambda _: self.payout_dates),
            total=self.decisions or None,
            ignored_fields=settings.ignored_fields,
        )

    def engine_event(self, event: str, values: dict[str, Any]) -> None:
        self.log.event(event, **values)
        if event in _TOLD_EVENTS:
            where = values.get("reference") or values.get("step", "")
            what = values.get("kind") or values.get("error") or ""
            attempt = f", attempt {values['attempt']}" if "attempt" in values else ""
            self.say(f"{where}: {_TOLD_EVENTS[event]} ({what}{attempt})")

    @staticmethod
    def decision_text(result: DecisionResult) -> Lines:
        """A decision's entry: a line per payment with reference, method, amount, date, status and
        payment number. Nothing of a protected identity's decision but its number and outcome."""
        protected = any(r.code.value == "protected_identity" for r in result.reasons)
        reasons = ", ".join(r.code.value for r in result.reasons)
        line = f"Decision {result.decision_id}: {result.outcome.value}"
        if reasons:
            line += f" ({reasons})"
        lines = [line]
        if not protected:
            for p in result.payments:
                lines.append(
                    f"    {p.reference}  {p.method.value}  {format_amount(p.amount_ore)} kr  "
                    f"{p.payout_date.isoformat()}  {p.status.value}"
                    + (f"  {p.payment_number}" if p.payment_number else "")
                )
        return Lines(lines)

    def report_decision(self, result: DecisionResult, *, tell: bool = True) -> None:
        """The decision in run.jsonl and (``tell``) as its own entry in log.html."""
        protected = any(r.code.value == "protected_identity" for r in result.reasons)
        if tell:
            self.say(self.decision_text(result))
        self.log.event(
            "decision",
            step="decision",
            decision_id=result.decision_id,
            outcome=result.outcome.value,
            reasons=[r.code.value for r in result.reasons],
            payments=[] if protected else [p.model_dump(mode="json") for p in result.payments],
        )

    # -- report -----------------------------------------------------------------------------
    @property
    def stopped_reason(self) -> str:
        """The stop's technical detail (English), or "" when the run did not stop."""
        return self.stop.detail if self.stop is not None else ""

    @property
    def failed(self) -> int:
        return self.results.count(Outcome.FAILED)

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
        workbook = artifacts / MANUAL_WORKBOOK_FILE
        try:
            with translated(StorageFolder.ARTIFACTS, artifacts):
                if human:
                    title = self.settings.decisions_file_title or self.source_name
                    write_manual_workbook(
                        workbook, human, source_name=title, run_id=self.run_id, created=finished
                    )
                    workbook.chmod(0o600)  # personal data: its owner's only
                elif workbook.exists():
                    workbook.unlink()  # a workbook from an earlier run must not be mistaken for this one's
        except StorageError as error:
            workbook.unlink(missing_ok=True)
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

    def _write_summary(
        self, finished: dt.datetime, totals: Totals
    ) -> list[tuple[DecisionPlan, DecisionResult]]:
        """summary.json; when the artifacts folder is full, a short one in the space kept back for it.
        Returns the decisions that need a human."""
        human: list[tuple[DecisionPlan, DecisionResult]] = []

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

    def close(self) -> None:
        self.log.event("run_finished", step="finish", status=self.status, failed=self.failed)
        self.log.close()
        self.results.close()
        self._reserve.release()


def _dry_run_block(
    first: int, last: int, planned: int, payments: int, amount_ore: int, others: list[Lines]
) -> Lines:
    head = f"Decisions {first}–{last} of the export: {planned} planned"
    if planned:
        head += f" ({payments} payments, {format_amount(amount_ore)} kr)"
    return Lines([head, *(line for other in others for line in other)])


def hidden_if_protected(plan: DecisionPlan, result: DecisionResult) -> DecisionResult:
    """What the totals may count of a decision: nothing but its outcome for a protected identity."""
    if plan.protected:
        return result.model_copy(update={"amount_ore": 0, "payments": ()})
    return result


# Engine events an operator reading log.html should see as they happen.
_TOLD_EVENTS = {
    "attempt_failed": "technical failure, trying again",
    "submit_outcome_unknown": "no confirmation after sending; looking the reference up before anything else",
    "payment_failed": "still failing after every try; a later run completes it",
}


def _flat_totals(totals: Totals) -> dict[str, int]:
    data = totals.as_dict()
    flat = {f"outcome_{k}": v for k, v in data["outcomes"].items()}
    flat.update({f"amount_{k}_ore": v for k, v in data["amounts_ore"].items()})
    return flat
