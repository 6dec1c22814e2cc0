"""The registration loop: the one way decisions are registered, whoever runs them.

The single run (``SplitPayoutJob.register``), the work-item consumer and therefore the
parallel workers (which are consumers) all call ``RegistrationLoop.run`` with their
decisions and a function that takes each final result. The loop owns what every way of
running needs:

* the ledger's record of the run (started, then completed or stopped);
* logging in (riding out passing failures; wrong credentials stop at once) and one search
  of what the payout system already holds over the run's payout dates;
* decisions another run is working on at the same time, checked again once it is done;
* a second pass for decisions that ended ``failed`` for technical reasons: after a pause,
  with a fresh log-in, each is tried once more before it is reported ``failed``;
* checking the payment form once, at the first log-in, before the first payment: a form that
  lacks an element the robot needs or asks for a field it does not know stops the run;
* stopping cleanly when the payout system is down (the engine's circuit breaker), refuses
  the robot's credentials or has changed under the robot (a new release, docs/rules.md §4.9),
  or when the robot's own storage fails (``StorageError``: the ledger, the run's log, checked
  before each decision): what is left is reported ``failed`` (not attempted), the decision the
  storage failed in ``failed`` as far as it got;
* with ``deferred``, holding back decisions the payout system refused until the next decision
  goes through: when the refusals turn out to be a changed application (the same field refused
  decision after decision), they end ``failed`` for a later run instead of going to the case
  workers.

``deferred=True`` (a run over a whole export) keeps the waits and the second pass for the
end, so one slow decision does not hold up the rest; ``deferred=False`` (a consumer, whose
work item must be released before it takes the next) does them at once, per decision.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from splitpayout.adapters.gateway import (
    ApplicationError,
    LoginRefusedError,
    PayoutGateway,
    PayoutSystemChanged,
)
from splitpayout.adapters.ledger import Ledger
from splitpayout.adapters.narration import Say
from splitpayout.adapters.runlog import RunLog
from splitpayout.domain.errors import StorageError
from splitpayout.domain.models import DecisionPlan, DecisionResult, Outcome, PaymentStatus
from splitpayout.domain.reasons import ReasonCode
from splitpayout.domain.stops import RunStop, StopCode
from splitpayout.jobs.registration.changes import form_change
from splitpayout.jobs.registration.engine import (
    DecisionInterrupted,
    PayoutSystemUnavailable,
    RegistrationEngine,
)

Key = TypeVar("Key")  # how the caller knows a decision: its position, its work item
#: What takes each decision's final result: its key, its plan, its result.
OnResult = Callable[[Key, DecisionPlan, DecisionResult], None]

# Another run working on the same references at the same time: check its decisions again
# every few seconds, for at most a couple of minutes, before calling them failed.
HELD_ELSEWHERE_WAIT_SECONDS = 3.0
HELD_ELSEWHERE_MAX_WAIT_SECONDS = 120.0
# The pause before the second pass, in units of the first retry wait (RETRY_BACKOFF_SECONDS).
SECOND_PASS_PAUSE_FACTOR = 8
PROGRESS_EVERY = 50


@dataclass(frozen=True)
class RunIdentity:
    """What the ledger records of the run."""

    run_id: str
    mode: str
    source_name: str
    source_sha256: str


@dataclass
class LoopOutcome:
    """What happened: decisions handled, how many ended ``failed``, why the run stopped (if it did)."""

    handled: int = 0
    failed: int = 0
    stop: RunStop | None = None
    retried: int = 0  # decisions given a second pass
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def stopped(self) -> str:
        """The stop's technical detail, or "" when the run did not stop."""
        return self.stop.detail if self.stop is not None else ""


class RegistrationLoop(Generic[Key]):
    """Registers a stream of decisions through one engine (see the module docstring)."""

    def __init__(
        self,
        gateway: PayoutGateway,
        engine: RegistrationEngine,
        ledger: Ledger,
        *,
        run: RunIdentity,
        log: RunLog,
        say: Say,
        announce: Say,
        max_attempts: int,
        backoff_seconds: float,
        deferred: bool,
        payout_dates: Callable[[Key], tuple[dt.date, dt.date] | None] | None = None,
        total: int | None = None,
        ignored_fields: Iterable[str] = (),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._gateway = gateway
        self._engine = engine
        self._ledger = ledger
        self._run = run
        self._log = log
        self._say = say
        self._announce = announce
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._deferred = deferred
        self._payout_dates = payout_dates
        self._total = total
        self._sleep = sleep
        self._logged_in = False
        self._ignored_fields = tuple(ignored_fields)
        self._form_checked = False
        # Decisions refused by the payout system, held back while the refusals may be a changed application.
        self._refused: list[tuple[Key, DecisionPlan, DecisionResult]] = []
        self._on_result: OnResult[Key] | None = None  # the caller's, for the run
        self.outcome = LoopOutcome()

    @property
    def stopped(self) -> str:
        return self.outcome.stopped

    def run(self, decisions: Iterable[tuple[Key, DecisionPlan]], on_result: OnResult[Key]) -> LoopOutcome:
        """Bring every decision to its end state; ``on_result`` gets each final result once."""
        run = self._run
        self._on_result = on_result
        self._log.event("registration_started", step="register", workers=1)
        later: list[tuple[Key, DecisionPlan, DecisionResult]] = []
        try:
            try:
                self._ledger.start_run(
                    run.run_id, mode=run.mode, source_name=run.source_name, source_sha256=run.source_sha256
                )
            except StorageError as error:
                self._stop_on_storage(error)
            for key, plan in decisions:
                result = self._handle(key, plan)
                if self._deferred and self._worth_another_look(plan, result):
                    later.append((key, plan, result))
                else:
                    if not self._deferred and self._worth_another_look(plan, result):
                        result = self._look_again(plan, result)
                    self._finish(key, plan, result)
            if later:
                self._again_at_the_end(later)
            self._release_refused()
        finally:
            if self._logged_in:
                self._gateway.log_out()
            self._log.event("registration_finished", step="register", decisions=self.outcome.handled)
            self._finish_run()
        return self.outcome

    def _finish_run(self) -> None:
        """The run's end in the ledger; a ledger that cannot record it stops the run (when nothing
        else has) and the run's report says so."""
        try:
            self._ledger.finish_run(self._run.run_id, status="stopped" if self.stopped else "completed")
        except StorageError as error:
            self._stop_on_storage(error)

    # -- one decision --------------------------------------------------------------------

    def _handle(self, key: Key, plan: DecisionPlan) -> DecisionResult:
        if plan.outcome is not Outcome.PLANNED:
            return self._engine.process(plan)
        return self._attempt(plan, key=key)

    def _attempt(
        self, plan: DecisionPlan, *, key: Key | None = None, earlier: DecisionResult | None = None
    ) -> DecisionResult:
        """Enter a planned decision (its first pass, or again after ``earlier``). When the run has
        stopped, or stops now, the decision keeps ``earlier``, or without one is not attempted."""
        if self._log.failure is not None:
            self._stop_on_storage(self._log.failure)
        if self.stopped:
            return earlier if earlier is not None else self._engine.not_attempted(plan)
        try:
            self._ensure_logged_in(key)
            result = self._engine.process(plan)
        except (PayoutSystemUnavailable, LoginRefusedError, PayoutSystemChanged) as error:
            self._stop(error)
            return earlier if earlier is not None else self._engine.not_attempted(plan)
        except DecisionInterrupted as interrupted:
            self._stop_on_storage(interrupted.cause)
            return interrupted.result
        self._stop_if_changed()
        return result

    def _stop_if_changed(self) -> None:
        """The engine found the payout system changed while entering a decision: stop at once."""
        if self._engine.changed is not None and not self.stopped:
            self._stop(self._engine.changed)

    def _worth_another_look(self, plan: DecisionPlan, result: DecisionResult) -> bool:
        held = plan.decision_id in self._engine.held_elsewhere
        return not self.stopped and (held or result.outcome is Outcome.FAILED)

    def _look_again(self, plan: DecisionPlan, result: DecisionResult) -> DecisionResult:
        """At once, for one decision: wait out another run, then a second pass if still failed."""
        waited = 0.0
        while plan.decision_id in self._engine.held_elsewhere and waited < HELD_ELSEWHERE_MAX_WAIT_SECONDS:
            self._say(
                f"Decision {plan.decision_id} is being worked on by another run at the same time; "
                f"checking it again in {HELD_ELSEWHERE_WAIT_SECONDS:.0f} s"
            )
            self._sleep(HELD_ELSEWHERE_WAIT_SECONDS)
            waited += HELD_ELSEWHERE_WAIT_SECONDS
            result = self._attempt(plan, earlier=result)
        if result.outcome is Outcome.FAILED and plan.decision_id not in self._engine.held_elsewhere:
            self._pause_before_second_pass(1)
            result = self._attempt(plan, earlier=result)
            self.outcome.retried += 1
        return result

    def _again_at_the_end(self, later: list[tuple[Key, DecisionPlan, DecisionResult]]) -> None:
        """After the whole pass: wait out other runs, then give failed decisions a second pass."""
        waited = 0.0
        held = self._engine.held_elsewhere
        while any(p.decision_id in held for _, p, _ in later) and waited < HELD_ELSEWHERE_MAX_WAIT_SECONDS:
            count = sum(1 for _, p, _ in later if p.decision_id in held)
            self._say(
                f"{count} decisions are being worked on by another run at the same time; "
                f"checking them again in {HELD_ELSEWHERE_WAIT_SECONDS:.0f} s"
            )
            self._sleep(HELD_ELSEWHERE_WAIT_SECONDS)
            waited += HELD_ELSEWHERE_WAIT_SECONDS
            later = [(k, p, self._attempt(p, earlier=r) if p.decision_id in held else r) for k, p, r in later]
        failed = [
            index
            for index, (_, plan, result) in enumerate(later)
            if result.outcome is Outcome.FAILED and plan.decision_id not in held
        ]
        if failed and not self.stopped:
            self._pause_before_second_pass(len(failed))
            for index in failed:
                key, plan, result = later[index]
                later[index] = (key, plan, self._attempt(plan, earlier=result))
            self.outcome.retried += len(failed)
        for key, plan, result in later:
            self._finish(key, plan, result)

    def _pause_before_second_pass(self, count: int) -> None:
        pause = self._backoff * SECOND_PASS_PAUSE_FACTOR
        self._announce(
            f"{count} decisions failed for technical reasons; trying them once more in {pause:g} s,"
            " after a fresh log-in"
        )
        self._log.event("second_pass", step="register", decisions=count, pause_s=pause)
        self._sleep(pause)
        self._engine.forget_session()
        self._logged_in = False

    def _finish(self, key: Key, plan: DecisionPlan, result: DecisionResult) -> None:
        # A consumer releases each work item before it takes the next: it cannot hold one back.
        if self._deferred and _refused_only(result) and not self.stopped:
            self._refused.append((key, plan, result))
            return
        self._release_refused()
        self._deliver(key, plan, result)

    def _release_refused(self) -> None:
        """The refused decisions held back: the case workers' (``manual``), unless the run stopped
        because the payout system has changed: then nothing goes to them, and a later run enters
        the decisions once the robot is adapted (``failed``)."""
        held, self._refused = self._refused, []
        changed = self.outcome.stop is not None and self.outcome.stop.changed_application
        for key, plan, result in held:
            if changed:
                self._log.event("refusal_not_the_decisions", decision_id=plan.decision_id, outcome="failed")
                result = _failed_instead(result)
            self._deliver(key, plan, result)

    def _deliver(self, key: Key, plan: DecisionPlan, result: DecisionResult) -> None:
        assert self._on_result is not None  # set by ``run``
        self._on_result(key, plan, result)
        outcome = self.outcome
        outcome.handled += 1
        outcome.counts[result.outcome.value] = outcome.counts.get(result.outcome.value, 0) + 1
        if result.outcome is Outcome.FAILED:
            outcome.failed += 1
        if outcome.handled % PROGRESS_EVERY == 0 or outcome.handled == self._total:
            of_total = f" of {self._total}" if self._total else ""
            self._announce(f"Progress: {outcome.handled}{of_total} decisions handled")

    # -- the payout system ---------------------------------------------------------------

    def _ensure_logged_in(self, key: Key | None) -> None:
        if self._logged_in:
            return
        for attempt in range(1, self._max_attempts + 1):
            try:
                self._gateway.log_in()
                self._log.event("logged_in", step="log_in", attempt=attempt)
                self._check_form()
                break
            except ApplicationError as error:
                self._log.warning("log_in_failed", step="log_in", kind=error.kind, attempt=attempt)
                if attempt == self._max_attempts:
                    raise PayoutSystemUnavailable(f"could not log in ({error.kind})") from error
                self._sleep(self._backoff * 2 ** (attempt - 1))
        self._logged_in = True
        self._engine.mark_logged_in()
        dates = self._payout_dates(key) if self._payout_dates is not None and key is not None else None
        if dates is not None:
            self._engine.prefetch_dates(*dates)

    def _check_form(self) -> None:
        """Once per loop, before the first payment: the payment form is the one the robot knows."""
        if self._form_checked:
            return
        change = form_change(self._gateway.inspect_payment_form(), self._ignored_fields)
        self._form_checked = True
        self._log.event("payment_form_checked", step="check_form", outcome="changed" if change else "ok")
        if change is not None:
            raise change

    def _stop(self, error: Exception) -> None:
        if isinstance(error, PayoutSystemChanged):
            stop = error.stop
            self._announce(
                f"STOPPED: the payout system has changed ({error.detail}). Nothing more is entered;"
                " adapt the robot (resources/payout_system.resource) before the next run"
            )
        elif isinstance(error, LoginRefusedError):
            stop = RunStop(StopCode.LOGIN_REFUSED, str(error))
            self._announce(f"STOPPED: {error}; check the robot's credentials. Nothing more is entered")
        else:
            stop = RunStop(StopCode.PAYOUT_SYSTEM_DOWN, str(error))
            self._announce(
                f"STOPPED: the payout system is unavailable ({error}); the rest is left for a later run"
            )
        self.outcome.stop = stop
        self._log.warning("run_stopped", step="register", code=stop.code.value, error=stop.detail)

    def _stop_on_storage(self, error: StorageError) -> None:
        """The robot's own storage failed: nothing more is entered (the first cause is the one told)."""
        if self.outcome.stop is not None:
            return
        stop = error.stop
        self._announce(f"STOPPED: {stop.detail}. Nothing more is entered; a later run completes the rest")
        self.outcome.stop = stop
        self._log.warning("run_stopped", step="register", code=stop.code.value, error=stop.detail)


def _refused_only(result: DecisionResult) -> bool:
    """A decision in manual handling only because the payout system refused a field."""
    codes = {reason.code for reason in result.reasons}
    return result.outcome is Outcome.MANUAL and codes == {ReasonCode.REJECTED_BY_PAYOUT_SYSTEM}


def _failed_instead(result: DecisionResult) -> DecisionResult:
    """A refused decision reported ``failed``: what was registered stays, the rest is for a later run."""
    done = (PaymentStatus.REGISTERED, PaymentStatus.ALREADY_REGISTERED)
    failed = {"status": PaymentStatus.FAILED}
    payments = tuple(p if p.status in done else p.model_copy(update=failed) for p in result.payments)
    return result.model_copy(update={"outcome": Outcome.FAILED, "reasons": (), "payments": payments})
