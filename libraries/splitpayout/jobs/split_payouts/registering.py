"""A run's registering: each decision's result kept and told, its payments entered exactly once
(or, in a dry run, what a real run would enter). Results go to a ``ResultStore`` on disk as
they come, so memory stays flat however long the export."""

from __future__ import annotations

from typing import Any

from splitpayout.adapters.gateway import PayoutGateway
from splitpayout.adapters.ledger import Ledger
from splitpayout.adapters.ledger_key import open_ledger
from splitpayout.adapters.narration import Lines
from splitpayout.adapters.storage import check_room
from splitpayout.domain.errors import StorageError
from splitpayout.domain.models import DecisionPlan, DecisionResult, Outcome
from splitpayout.jobs.registration.engine import RegistrationEngine
from splitpayout.jobs.registration.loop import RegistrationLoop, RunIdentity
from splitpayout.jobs.split_payouts.planning import PlanningSteps, dry_run_result
from swedish_rules import format_amount

# Decisions per log entry in a dry run.
DRY_RUN_BLOCK = 100

# Engine events an operator reading log.html should see as they happen.
_TOLD_EVENTS = {
    "attempt_failed": "technical failure, trying again",
    "submit_outcome_unknown": "no confirmation after sending; looking the reference up before anything else",
    "payment_failed": "still failing after every try; a later run completes it",
}


def hidden_if_protected(plan: DecisionPlan, result: DecisionResult) -> DecisionResult:
    """What the totals may count of a decision: nothing but its outcome for a protected identity."""
    if plan.protected:
        return result.model_copy(update={"amount_ore": 0, "payments": ()})
    return result


def _dry_run_block(
    first: int, last: int, planned: int, payments: int, amount_ore: int, others: list[Lines]
) -> Lines:
    head = f"Decisions {first}–{last} of the export: {planned} planned"
    if planned:
        head += f" ({payments} payments, {format_amount(amount_ore)} kr)"
    return Lines([head, *(line for other in others for line in other)])


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


class RegisteringSteps(PlanningSteps):
    """Register the planned payments (or record a dry run), keeping and telling each result."""

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
                block.append(decision_text(result))
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

    def report_decision(self, result: DecisionResult, *, tell: bool = True) -> None:
        """The decision in run.jsonl and (``tell``) as its own entry in log.html."""
        protected = any(r.code.value == "protected_identity" for r in result.reasons)
        if tell:
            self.say(decision_text(result))
        self.log.event(
            "decision",
            step="decision",
            decision_id=result.decision_id,
            outcome=result.outcome.value,
            reasons=[r.code.value for r in result.reasons],
            payments=[] if protected else [p.model_dump(mode="json") for p in result.payments],
        )
