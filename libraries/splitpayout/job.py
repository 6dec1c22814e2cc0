"""One run of the split-payout job: read, plan, register, report.

Plain Python over the domain modules; the ``SplitPayouts`` keyword library is a
thin layer over this class. The job keeps the run's facts (run id, source file
and its SHA-256, plans, results, control totals) and writes the artifacts:
``summary.json``, the case workers' workbook and ``run.jsonl``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from splitpayout.errors import ExportFileError
from splitpayout.gateway import ApplicationError, LoginRefusedError, PayoutGateway
from splitpayout.ledger import Ledger
from splitpayout.models import (
    DecisionPlan,
    DecisionResult,
    Outcome,
    PaymentResult,
    PaymentStatus,
)
from splitpayout.planner import plan_export, read_header
from splitpayout.registration import PayoutSystemUnavailable, RegistrationEngine
from splitpayout.reports import (
    MANUAL_WORKBOOK_FILE,
    SUMMARY_FILE,
    Totals,
    needs_a_human,
    public_result,
    write_manual_workbook,
    write_summary,
)
from splitpayout.runlog import RunLog
from splitpayout.settings import Settings
from swedish_rules import format_amount

Say = Callable[[str], None]

# Another run working on the same references at the same time: check its decisions again
# every few seconds, for at most a couple of minutes, before calling them failed.
HELD_ELSEWHERE_WAIT_SECONDS = 3.0
HELD_ELSEWHERE_MAX_WAIT_SECONDS = 120.0


def new_run_id(now: dt.datetime) -> str:
    """E.g. ``2026-11-23T104206Z-e6dd1a``: sorts by start time, unique with the random part."""
    return f"{now:%Y-%m-%dT%H%M%SZ}-{secrets.token_hex(3)}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dry_run_result(plan: DecisionPlan) -> DecisionResult:
    """What a real run would do for a plan: ``planned`` payments, or ``manual`` with reasons."""
    status = PaymentStatus.PLANNED if plan.outcome is Outcome.PLANNED else PaymentStatus.NOT_ENTERED
    return DecisionResult(
        decision_id=plan.decision_id,
        outcome=plan.outcome,
        amount_ore=0 if plan.protected else plan.amount_ore,
        reasons=plan.reasons,
        payments=tuple(
            PaymentResult(
                reference=p.reference,
                method=p.method,
                amount_ore=p.amount_ore,
                payout_date=p.payout_date,
                status=status,
            )
            for p in plan.payments
        ),
    )


@dataclass
class ControlTotals:
    """Count and sum of a set of decisions, printed before and after the run."""

    count: int = 0
    amount_ore: int = 0

    def text(self) -> str:
        return f"{self.count} decisions, {format_amount(self.amount_ore)} kr"


class SplitPayoutJob:
    """The state of one run. Methods are called in order; each says what it did through ``say``."""

    def __init__(
        self,
        settings: Settings,
        *,
        say: Say = print,
        announce: Say | None = None,
        started_by: str = "schedule",
    ) -> None:
        self.settings = settings
        self.say = say
        # Milestones (control totals, progress, a stop) also go to whoever watches the run live.
        self.announce = announce or say
        self.started_by = started_by
        self.started_at = dt.datetime.now(dt.UTC)
        self.run_id = new_run_id(self.started_at)
        self.mode = "dry_run" if settings.dry_run else "real"
        self.log = RunLog(settings.artifacts_dir / "run.jsonl", self.run_id)
        self.source_name = settings.decisions_file.name if settings.decisions_file else ""
        self.source_sha256 = ""
        self.error: ExportFileError | None = None
        self.stopped_reason = ""
        self.plans: list[DecisionPlan] = []
        self.results: list[DecisionResult] = []
        self.reports_written = False
        # Decisions of the export with no result (work items a reporter has not received).
        self.missing_results = 0
        self.log.event("run_started", step="start", mode=self.mode, started_by=started_by)

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
            read_header(path)
        except ExportFileError as error:
            self.error = error
            self.log.warning("export_unreadable", step="read", code=error.code, error=error.message)
            raise
        self.log.event("export_read", step="read", file_name=self.source_name, sha256=self.source_sha256)
        self.say(f"Export {self.source_name} (SHA-256 {self.source_sha256[:12]}…) can be read")

    # -- plan -------------------------------------------------------------------------------
    def plan(self) -> ControlTotals:
        """Validate and split every decision. Returns the control totals of the file."""
        assert self.settings.decisions_file is not None
        started = dt.datetime.now(dt.UTC)
        try:
            self.plans = list(
                plan_export(
                    self.settings.decisions_file,
                    today=self.settings.run_date,
                    amount_limit_ore=self.settings.amount_limit_ore,
                )
            )
        except ExportFileError as error:
            self.error = error
            self.log.warning("export_unreadable", step="plan", code=error.code, error=error.message)
            raise
        totals = self.file_totals()
        planned = sum(1 for p in self.plans if p.outcome is Outcome.PLANNED)
        payments = sum(len(p.payments) for p in self.plans)
        seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
        self.log.event(
            "planned",
            step="plan",
            decisions=len(self.plans),
            planned=planned,
            manual=len(self.plans) - planned,
            payments=payments,
            amount_ore=totals.amount_ore,
            duration_s=round(seconds, 3),
        )
        self.announce(
            f"Control totals of the file: {totals.text()}; {planned} decisions planned "
            f"({payments} payments), {len(self.plans) - planned} for manual handling"
        )
        return totals

    def file_totals(self) -> ControlTotals:
        visible = [p for p in self.plans if not p.protected]
        return ControlTotals(len(self.plans), sum(p.amount_ore for p in visible))

    # -- register ---------------------------------------------------------------------------
    def record_dry_run(self) -> None:
        self.results = [dry_run_result(plan) for plan in self.plans]
        for result in self.results:
            self.report_decision(result)
        self.say("Dry run: nothing was entered in the payout system")

    def register(self, gateway: PayoutGateway, *, worker_id: str) -> None:
        """Register every planned payment exactly once; decisions end paid, already_paid, manual or failed."""
        ledger = Ledger(self.settings.ledger_path)
        ledger.start_run(
            self.run_id, mode=self.mode, source_name=self.source_name, source_sha256=self.source_sha256
        )
        engine = self.new_engine(gateway, ledger, worker_id=worker_id, logged_in=True)
        total = len(self.plans)
        deferred: list[int] = []
        self.log.event("registration_started", step="register", workers=1)
        try:
            self.log_in(gateway)
            engine.prefetch(self.plans)
            for index, plan in enumerate(self.plans, start=1):
                result = engine.process(plan)
                self.results.append(result)
                if plan.decision_id in engine.held_elsewhere:
                    deferred.append(index - 1)  # reported once the other run is done with it
                else:
                    self.report_decision(result)
                if index % 50 == 0 or index == total:
                    self.announce(f"Progress: {index} of {total} decisions handled")
            self._wait_for_other_runs(engine)
        except (PayoutSystemUnavailable, LoginRefusedError) as error:
            self.stopped_reason = str(error)
            if isinstance(error, LoginRefusedError):
                self.announce(f"STOPPED: {error}; check the robot's credentials. Nothing more was entered")
            else:
                self.announce(
                    f"STOPPED: the payout system is unavailable ({error}); the rest is left for a later run"
                )
            self.log.warning("run_stopped", step="register", error=str(error))
            for plan in self.plans[len(self.results) :]:
                self.results.append(engine.not_attempted(plan))
        finally:
            for index in deferred:
                if index < len(self.results):
                    self.report_decision(self.results[index])
            gateway.log_out()
            self.log.event("registration_finished", step="register", decisions=len(self.results))
            ledger.finish_run(self.run_id, status="stopped" if self.stopped_reason else "completed")
            ledger.close()

    def new_engine(
        self, gateway: PayoutGateway, ledger: Ledger, *, worker_id: str, **options: Any
    ) -> RegistrationEngine:
        """A registration engine with the run's retry settings, its events in the run's logs."""
        return RegistrationEngine(
            gateway,
            ledger,
            run_id=self.run_id,
            worker_id=worker_id,
            max_attempts=self.settings.max_attempts,
            max_consecutive_failures=self.settings.max_consecutive_failures,
            backoff_seconds=self.settings.backoff_seconds,
            unknown_outcome_settle_seconds=self.settings.settle_seconds,
            on_event=self.engine_event,
            **options,
        )

    def _wait_for_other_runs(self, engine: RegistrationEngine) -> None:
        """Decisions another run was working on are checked again once it is done with them:
        then they are found registered (``already_paid``), or this run enters what is left.
        Still held after the wait, they stay ``failed``: a later run completes them."""
        waited = 0.0
        while engine.held_elsewhere and waited < HELD_ELSEWHERE_MAX_WAIT_SECONDS:
            self.say(
                f"{len(engine.held_elsewhere)} decisions are being worked on by another run at the same "
                f"time; checking them again in {HELD_ELSEWHERE_WAIT_SECONDS:.0f} s"
            )
            time.sleep(HELD_ELSEWHERE_WAIT_SECONDS)
            waited += HELD_ELSEWHERE_WAIT_SECONDS
            for index, plan in enumerate(self.plans):
                if plan.decision_id in engine.held_elsewhere:
                    self.results[index] = engine.process(plan)

    def log_in(self, gateway: PayoutGateway) -> None:
        """Log in, riding out passing failures; wrong credentials stop at once."""
        attempts = self.settings.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                gateway.log_in()
                self.log.event("logged_in", step="log_in", attempt=attempt)
                return
            except ApplicationError as error:
                self.log.warning("log_in_failed", step="log_in", kind=error.kind, attempt=attempt)
                if attempt == attempts:
                    raise PayoutSystemUnavailable(f"could not log in ({error.kind})") from error
                time.sleep(self.settings.backoff_seconds * 2 ** (attempt - 1))

    def engine_event(self, event: str, values: dict[str, Any]) -> None:
        self.log.event(event, **values)
        if event in _TOLD_EVENTS:
            where = values.get("reference") or values.get("step", "")
            what = values.get("kind") or values.get("error") or ""
            attempt = f", attempt {values['attempt']}" if "attempt" in values else ""
            self.say(f"{where}: {_TOLD_EVENTS[event]} ({what}{attempt})")

    def report_decision(self, result: DecisionResult) -> None:
        """One entry per decision, a line per payment: reference, method, amount, date, status and
        payment number. Nothing of a protected identity's decision but its number and outcome."""
        protected = any(r.code.value == "protected_identity" for r in result.reasons)
        reasons = ", ".join(r.code.value for r in result.reasons)
        line = f"Decision {result.decision_id}: {result.outcome.value}"
        if reasons:
            line += f" ({reasons})"
        if not protected:
            for p in result.payments:
                line += (
                    f"\n    {p.reference}  {p.method.value}  {format_amount(p.amount_ore)} kr  "
                    f"{p.payout_date.isoformat()}  {p.status.value}"
                )
                if p.payment_number:
                    line += f"  {p.payment_number}"
        self.say(line)
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
    def failed(self) -> int:
        return sum(1 for r in self.results if r.outcome is Outcome.FAILED)

    def totals(self) -> Totals:
        totals = Totals()
        for plan, result in zip(self.plans, self.results, strict=False):
            if plan.protected:
                result = result.model_copy(update={"amount_ore": 0, "payments": ()})
            totals.add(result)
        return totals

    def write_reports(self) -> Totals:
        """summary.json always; the workbook when a decision needs a human."""
        artifacts = self.settings.artifacts_dir
        totals = self.totals()
        if self.results:
            totals.check()
        finished = dt.datetime.now(dt.UTC)
        status = "completed"
        if self.error is not None:
            status = "file_error"
        elif self.stopped_reason:
            status = "stopped"
        elif self.missing_results:
            status = "incomplete"
        run: dict[str, object] = {
            "run_id": self.run_id,
            "mode": self.mode,
            "status": status,
            "started_by": self.started_by,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "finished_at": finished.isoformat(timespec="seconds"),
            "run_date": self.settings.run_date.isoformat(),
            "source": {"file_name": self.source_name, "sha256": self.source_sha256},
            "amount_limit_ore": self.settings.amount_limit_ore,
            "error": None
            if self.error is None
            else {
                "code": self.error.code,
                "message": self.error.message,
                "columns": list(self.error.columns),
            },
            "stopped_reason": self.stopped_reason or None,
        }
        if self.missing_results:
            run["missing_decisions"] = self.missing_results
        decisions = (
            public_result(result, plan.protected, plan.case_worker, plan.requested_payout_date)
            for plan, result in zip(self.plans, self.results, strict=False)
        )
        write_summary(artifacts / SUMMARY_FILE, run=run, totals=totals, decisions=decisions)
        human = [(p, r) for p, r in zip(self.plans, self.results, strict=False) if needs_a_human(r)]
        workbook = artifacts / MANUAL_WORKBOOK_FILE
        if human:
            write_manual_workbook(
                workbook, human, source_name=self.source_name, run_id=self.run_id, created=finished
            )
        elif workbook.exists():
            workbook.unlink()  # a workbook from an earlier run must not be mistaken for this one's
        self.reports_written = True
        self.log.event("reports_written", step="report", status=status, **_flat_totals(totals))
        return totals

    def close(self) -> None:
        self.log.event("run_finished", step="finish", failed=self.failed)
        self.log.close()


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
