"""Exactly-once registration of planned payments in the payout system.

``RegistrationEngine`` takes the ``DecisionPlan`` of each decision and brings every
planned payment to a known end state, through any ``PayoutGateway`` (HTTP posts or
a real browser) and a ``Ledger`` shared by every run:

1. ``prefetch`` looks up, once, what the payout system already holds over the
   payout dates of the run (every page of the search), indexed by reference.
   With ``look_up_each_payment`` every reference is looked up afresh right before
   its decision is worked on instead: for workers that share no ledger (Control
   Room consumers on machines of their own), whose only guard against a payment
   another worker entered meanwhile is the payout system's own records.
2. ``process`` compares each planned payment with what is held: another amount or
   recipient under the same reference stops the decision (``manual``,
   ``conflict_existing_payment``); all held and matching is ``already_paid``.
3. The missing payments are claimed in the ledger. A reference whose form may ever
   have been sent (a crashed or timed-out earlier attempt) is looked up afresh
   before anything is sent: never entered blindly a second time.
4. Each payment is entered with the intent recorded first (``submitting``) and the
   payment number right after. A submit whose outcome is unknown is settled and
   looked up; it is sent again only when the reference is certainly absent.
   Business refusals are not retried; technical failures are, with backoff and a
   fresh log-in where the session may be gone.

After ``max_consecutive_failures`` payments in a row failed for technical reasons,
the payout system is treated as unavailable: the next ``process`` of a planned
decision raises ``PayoutSystemUnavailable`` and the caller reports the rest with
``not_attempted``.

Events go to ``on_event(event, values)`` when given, else to a structlog-style
logger, with the run id, decision id, reference, step, duration and outcome: never
names, identity or account numbers.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import structlog

from splitpayout.gateway import (
    ApplicationError,
    BusinessError,
    PayoutGateway,
    RegisteredPayment,
    SubmitOutcomeUnknownError,
)
from splitpayout.ledger import Claim, ClaimLostError, Ledger
from splitpayout.models import (
    DecisionPlan,
    DecisionResult,
    Outcome,
    PaymentResult,
    PaymentStatus,
    PlannedPayment,
    Reason,
    ReasonCode,
)

T = TypeVar("T")

# After these failures the session is (or may be) gone: log in again before the next attempt.
# A gateway that needs a fresh log-in after other failures too (say, a browser left on an
# error page after maintenance) is given a larger set through ``relogin_kinds``.
DEFAULT_RELOGIN_KINDS = frozenset({"session_expired", "unexpected_page"})
# After these unknown outcomes the server may still be finishing the save: wait before looking.
_SETTLE_KINDS = frozenset({"timeout", "server_error", "unexpected_page"})


class PayoutSystemUnavailable(Exception):  # noqa: N818 - the name callers and docs use
    """The payout system failed too many times in a row: stop and report the rest as not attempted."""


class EventLogger(Protocol):
    """The part of a structlog logger the engine uses."""

    def info(self, event: str, **fields: Any) -> Any: ...


def default_worker_id() -> str:
    """A worker id unique to this process: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def reference_key(reference: str) -> str:
    """The payout system matches references case-insensitively; so does the engine."""
    return reference.strip().casefold()


def _digits(value: str | None) -> str:
    return "".join(ch for ch in (value or "") if ch.isdigit())


def same_payment(planned: PlannedPayment, held: RegisteredPayment) -> bool:
    """True when the payout system holds exactly this amount, recipient and payout date."""
    return (
        planned.method == held.method
        and planned.personnummer == held.personnummer
        and _digits(planned.clearing) == _digits(held.clearing)
        and _digits(planned.account) == _digits(held.account)
        and _digits(planned.bankgiro) == _digits(held.bankgiro)
        and planned.amount_ore == held.amount_ore
        and planned.payout_date == held.payout_date
    )


@dataclass
class _Step:
    """Where one payment of the decision stands while the engine works on it."""

    payment: PlannedPayment
    status: PaymentStatus = PaymentStatus.NOT_ENTERED
    payment_number: str | None = None
    claim: Claim | None = None


class _Stop(Exception):  # noqa: N818 - control flow inside the engine, not an error
    """Ends the work on a decision with the given outcome and reasons."""

    def __init__(self, outcome: Outcome, reasons: tuple[Reason, ...] = ()) -> None:
        super().__init__(outcome.value)
        self.outcome = outcome
        self.reasons = reasons


class RegistrationEngine:
    """Registers the planned payments of decisions exactly once (see the module docstring)."""

    def __init__(
        self,
        gateway: PayoutGateway,
        ledger: Ledger,
        *,
        run_id: str,
        worker_id: str | None = None,
        max_attempts: int = 3,
        backoff_seconds: float | Sequence[float] = 1.0,
        max_consecutive_failures: int = 5,
        unknown_outcome_settle_seconds: float = 5.0,
        lease_seconds: float = 900.0,
        logged_in: bool = False,
        relogin_kinds: Iterable[str] = DEFAULT_RELOGIN_KINDS,
        look_up_each_payment: bool = False,
        progress: Callable[[int, int], None] | None = None,
        logger: EventLogger | None = None,
        on_event: Callable[[str, dict[str, Any]], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        if max_consecutive_failures < 1:
            raise ValueError(f"max_consecutive_failures must be at least 1, got {max_consecutive_failures}")
        self._gateway = gateway
        self._ledger = ledger
        self.run_id = run_id
        self.worker_id = worker_id or default_worker_id()
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._max_consecutive_failures = max_consecutive_failures
        self._settle_seconds = unknown_outcome_settle_seconds
        self._lease_seconds = lease_seconds
        self._session_ok = logged_in
        self._relogin_kinds = frozenset(relogin_kinds)
        self._look_up_each = look_up_each_payment
        self._progress = progress
        self._log: EventLogger = (
            logger if logger is not None else structlog.get_logger("splitpayout.registration")
        )
        self._on_event = on_event
        self._sleep = sleep
        self._clock = clock
        self._held: dict[str, dict[str, RegisteredPayment]] = {}
        self._covered: list[tuple[dt.date, dt.date]] = []
        self._consecutive_failures = 0
        self._sent: set[str] = set()  # reference keys this engine has sent a form for
        self._done = 0
        self._total = 0
        # Decisions that ended ``failed`` only because another live worker held one of their
        # references: worth another ``process`` once that worker is done with it.
        self.held_elsewhere: set[str] = set()

    # -- public API -----------------------------------------------------------------------

    @property
    def unavailable(self) -> bool:
        """True once ``max_consecutive_failures`` payments in a row failed for technical reasons."""
        return self._consecutive_failures >= self._max_consecutive_failures

    def mark_logged_in(self) -> None:
        """The caller has just logged in: the next payment needs no log-in of its own."""
        self._session_ok = True

    def forget_session(self) -> None:
        """Log in afresh before the next step (a second pass after a pause, say)."""
        self._session_ok = False

    def prefetch(self, plans: Iterable[DecisionPlan]) -> int:
        """Look up, in one search over the run's payout dates, what the payout system holds.

        Returns the number of payments found (see ``prefetch_dates`` for a search that fails).
        """
        plans = list(plans)
        self._total = max(self._total, len(plans))
        dates = [p.payout_date for plan in plans if plan.outcome is Outcome.PLANNED for p in plan.payments]
        if not dates:
            return 0
        return self.prefetch_dates(min(dates), max(dates))

    def prefetch_dates(self, first: dt.date, last: dt.date) -> int:
        """``prefetch`` for the payout dates ``first`` to ``last`` (inclusive).

        A search that keeps failing is one technical failure like any other: each decision then
        searches its own payout dates before anything is entered (and fails on its own when that
        fails too). Only a payout system that keeps failing stops the run (PayoutSystemUnavailable).
        """
        try:
            return self._cover(first, last)
        except ApplicationError as error:
            self._consecutive_failures += 1
            self._event(
                "prefetch_failed",
                kind=error.kind,
                outcome="failed",
                consecutive_failures=self._consecutive_failures,
            )
            if self.unavailable:
                raise PayoutSystemUnavailable(f"could not search the payout system ({error.kind})") from error
            return 0

    def process(self, plan: DecisionPlan) -> DecisionResult:
        """Bring every planned payment of the decision to a known end state (see the module docstring)."""
        if plan.outcome is not Outcome.PLANNED:
            return self._finish(plan, plan.outcome, plan.reasons, [_Step(p) for p in plan.payments])
        if self.unavailable:
            raise PayoutSystemUnavailable(
                f"{self._consecutive_failures} payments in a row failed for technical reasons"
            )
        _check_plan(plan)
        self.held_elsewhere.discard(plan.decision_id)
        started = self._clock()
        steps = [_Step(payment) for payment in plan.payments]
        try:
            outcome, reasons = self._work(plan, steps)
        finally:
            for step in steps:  # a claim still held here was neither finished nor sent
                if step.claim is not None:
                    self._ledger.release(step.payment.reference, self.worker_id)
        result = self._finish(plan, outcome, reasons, steps)
        self._event(
            "decision_done",
            decision_id=plan.decision_id,
            outcome=outcome.value,
            duration_ms=round((self._clock() - started) * 1000),
        )
        return result

    def not_attempted(self, plan: DecisionPlan) -> DecisionResult:
        """The result for a decision the run did not get to (the payout system was unavailable)."""
        if plan.outcome is not Outcome.PLANNED:
            return self._finish(plan, plan.outcome, plan.reasons, [_Step(p) for p in plan.payments])
        steps = [_Step(p, status=PaymentStatus.FAILED) for p in plan.payments]
        self._event("decision_not_attempted", decision_id=plan.decision_id, outcome=Outcome.FAILED.value)
        return self._finish(plan, Outcome.FAILED, (), steps)

    # -- one decision ---------------------------------------------------------------------

    def _work(self, plan: DecisionPlan, steps: list[_Step]) -> tuple[Outcome, tuple[Reason, ...]]:
        try:
            if self._look_up_each:
                for step in steps:
                    self._look_up_or_stop(plan, steps, step, "look_up_before_entering")
            else:
                self._cover_or_stop(plan, steps)
            self._compare_with_held(plan, steps)
            missing = [s for s in steps if s.status is PaymentStatus.NOT_ENTERED]
            self._resolve_recorded_registrations(plan, missing)
            missing = [s for s in steps if s.status is PaymentStatus.NOT_ENTERED]
            self._claim_all(plan, missing)
            self._resolve_earlier_attempts(plan, missing)
            for step in missing:
                if step.status is PaymentStatus.NOT_ENTERED:
                    self._enter(plan, step)
        except _Stop as stop:
            if stop.outcome is Outcome.FAILED:
                self._fail_rest(steps)
            return stop.outcome, stop.reasons
        if all(s.status is PaymentStatus.ALREADY_REGISTERED for s in steps):
            return Outcome.ALREADY_PAID, ()
        return Outcome.PAID, ()

    def _cover_or_stop(self, plan: DecisionPlan, steps: list[_Step]) -> None:
        """The decision's payout dates searched (once per run, usually by the prefetch)."""
        dates = [s.payment.payout_date for s in steps]
        try:
            self._cover(min(dates), max(dates))
        except ApplicationError as error:
            self._failure(plan, steps[0], f"search_{error.kind}", "search_payout_dates")
            self._fail_rest(steps)
            raise _Stop(Outcome.FAILED) from None

    def _compare_with_held(self, plan: DecisionPlan, steps: list[_Step]) -> None:
        conflicts: list[str] = []
        for step in steps:
            held = list(self._held.get(reference_key(step.payment.reference), {}).values())
            if not held:
                continue
            if all(same_payment(step.payment, record) for record in held):
                step.status = self._found_status(step.payment.reference)
                step.payment_number = held[0].payment_number
                self._note_duplicates(plan, step.payment.reference, held)
            else:
                conflicts.append(step.payment.reference)
        if conflicts:
            for reference in conflicts:
                self._record_conflict(plan, reference)
            raise _Stop(Outcome.MANUAL, (_conflict_reason(conflicts),))

    def _resolve_recorded_registrations(self, plan: DecisionPlan, missing: list[_Step]) -> None:
        """A reference the ledger holds as registered is never entered again, whatever a search says.

        Found afresh in the payout system, it counts as registered; not found, the decision goes
        to a human (``registered_not_found``, naming the payment number): a search that finds
        nothing never overrules the robot's own record.
        """
        lost: list[tuple[str, str]] = []
        for step in missing:
            entry = self._ledger.get(step.payment.reference)
            if entry is None or entry.payment_number is None:
                continue
            found = self._look_up_or_stop(plan, missing, step, "confirm_recorded_registration")
            if found and all(same_payment(step.payment, record) for record in found):
                step.status = self._found_status(step.payment.reference)
                step.payment_number = found[0].payment_number
                self._note_duplicates(plan, step.payment.reference, found)
            elif found:
                self._record_conflict(plan, step.payment.reference)
                raise _Stop(Outcome.MANUAL, (_conflict_reason([step.payment.reference]),))
            else:
                step.payment_number = entry.payment_number
                lost.append((step.payment.reference, entry.payment_number))
        if lost:
            for reference, payment_number in lost:
                self._event(
                    "registered_not_found",
                    decision_id=plan.decision_id,
                    reference=reference,
                    payment_number=payment_number,
                    outcome="manual",
                )
            raise _Stop(Outcome.MANUAL, (_lost_reason(lost),))

    def _found_status(self, reference: str) -> PaymentStatus:
        """A payment found in the payout system was entered by this run when this run sent its
        form (its confirmation was lost, say), else by an earlier one."""
        if reference_key(reference) in self._sent:
            return PaymentStatus.REGISTERED
        return PaymentStatus.ALREADY_REGISTERED

    def _claim_all(self, plan: DecisionPlan, missing: list[_Step]) -> None:
        for step in missing:
            claim = self._ledger.claim(step.payment, self.worker_id, self.run_id, self._lease_seconds)
            if claim is None:
                self.held_elsewhere.add(plan.decision_id)
                self._event(
                    "claim_held_elsewhere",
                    decision_id=plan.decision_id,
                    reference=step.payment.reference,
                    outcome="failed",
                )
                for other in missing:
                    if other.status is PaymentStatus.NOT_ENTERED:
                        other.status = PaymentStatus.FAILED
                raise _Stop(Outcome.FAILED)
            step.claim = claim

    def _resolve_earlier_attempts(self, plan: DecisionPlan, missing: list[_Step]) -> None:
        """A reference whose form may have been sent before is looked up afresh, never re-entered blindly."""
        conflicts: list[str] = []
        for step in missing:
            assert step.claim is not None
            if not step.claim.may_exist:
                continue
            found = self._look_up_or_stop(plan, missing, step, "resolve_earlier_attempt")
            if not found:
                continue
            if all(same_payment(step.payment, record) for record in found):
                self._ledger.mark_registered(step.payment.reference, found[0].payment_number)
                step.claim = None
                step.status = self._found_status(step.payment.reference)
                step.payment_number = found[0].payment_number
                self._note_duplicates(plan, step.payment.reference, found)
                self._event(
                    "found_registered",
                    decision_id=plan.decision_id,
                    reference=step.payment.reference,
                    outcome="already_registered",
                )
            else:
                conflicts.append(step.payment.reference)
        if conflicts:
            for reference in conflicts:
                self._record_conflict(plan, reference)
            raise _Stop(Outcome.MANUAL, (_conflict_reason(conflicts),))

    def _look_up_or_stop(
        self, plan: DecisionPlan, missing: list[_Step], step: _Step, purpose: str
    ) -> list[RegisteredPayment]:
        try:
            found = self._look_up(step.payment.reference)
        except ApplicationError as error:
            self._failure(plan, step, f"lookup_{error.kind}", purpose)
            self._fail_rest(missing)
            raise _Stop(Outcome.FAILED) from None
        self._consecutive_failures = 0
        return found

    def _enter(self, plan: DecisionPlan, step: _Step) -> None:
        """Enter one payment: intent first, the payment number after; retries for technical failures."""
        payment = step.payment
        reference = payment.reference
        missing_rest = [step]
        last_kind = "unknown"
        for attempt in range(1, self._max_attempts + 1):
            started = self._clock()
            try:
                self._ensure_session()
                self._ledger.mark_submitting(reference, self.worker_id, self._lease_seconds)
                self._sent.add(reference_key(reference))
                payment_number = self._gateway.register(payment)
            except ClaimLostError:
                step.claim = None
                self._failure(plan, step, "claim_lost", "register")
                raise _Stop(Outcome.FAILED) from None
            except BusinessError as error:
                self._ledger.mark_rejected(reference, error.code.value)
                step.claim = None
                self._consecutive_failures = 0
                self._event(
                    "payment_rejected",
                    decision_id=plan.decision_id,
                    reference=reference,
                    fields=list(error.fields),
                    outcome="rejected",
                    attempt=attempt,
                )
                detail = f"the payout system refused {reference}"
                if error.fields:
                    detail += f" (fields: {', '.join(error.fields)})"
                raise _Stop(
                    Outcome.MANUAL, (Reason(code=error.code, fields=error.fields, detail=detail),)
                ) from None
            except SubmitOutcomeUnknownError as error:
                last_kind = f"unknown_{error.kind}"
                self._event(
                    "submit_outcome_unknown",
                    decision_id=plan.decision_id,
                    reference=reference,
                    kind=error.kind,
                    attempt=attempt,
                    duration_ms=round((self._clock() - started) * 1000),
                )
                self._after_failure(error)
                if error.kind in _SETTLE_KINDS and self._settle_seconds > 0:
                    self._sleep(self._settle_seconds)
                found = self._look_up_or_stop(plan, missing_rest, step, "resolve_unknown_outcome")
                if found:
                    if all(same_payment(payment, record) for record in found):
                        self._registered(plan, step, found[0].payment_number, attempt, started)
                        self._note_duplicates(plan, reference, found)
                        return
                    self._record_conflict(plan, reference)
                    raise _Stop(Outcome.MANUAL, (_conflict_reason([reference]),)) from None
                # certainly absent: the submit did not go through, so it may be sent again
                continue
            except ApplicationError as error:
                last_kind = error.kind
                self._after_failure(error)
                self._event(
                    "attempt_failed",
                    decision_id=plan.decision_id,
                    reference=reference,
                    kind=error.kind,
                    attempt=attempt,
                    duration_ms=round((self._clock() - started) * 1000),
                )
                if attempt < self._max_attempts:
                    self._sleep(self._backoff_for(attempt))
                continue
            self._registered(plan, step, payment_number, attempt, started)
            return
        self._failure(plan, step, last_kind, "register")
        raise _Stop(Outcome.FAILED)

    def _registered(
        self, plan: DecisionPlan, step: _Step, payment_number: str, attempt: int, started: float
    ) -> None:
        self._ledger.mark_registered(step.payment.reference, payment_number)
        step.claim = None
        step.status = PaymentStatus.REGISTERED
        step.payment_number = payment_number
        self._consecutive_failures = 0
        self._remember(
            RegisteredPayment(
                payment_number=payment_number,
                reference=step.payment.reference,
                personnummer=step.payment.personnummer,
                method=step.payment.method,
                clearing=step.payment.clearing,
                account=step.payment.account,
                bankgiro=step.payment.bankgiro,
                ocr=step.payment.ocr,
                amount_ore=step.payment.amount_ore,
                payout_date=step.payment.payout_date,
                status="registrerad",
            )
        )
        self._event(
            "payment_registered",
            decision_id=plan.decision_id,
            reference=step.payment.reference,
            payment_number=payment_number,
            amount_ore=step.payment.amount_ore,
            outcome="registered",
            attempt=attempt,
            duration_ms=round((self._clock() - started) * 1000),
        )

    def _failure(self, plan: DecisionPlan, step: _Step, code: str, purpose: str) -> None:
        """A technical failure remained after retries: the payment is failed; a later run completes it."""
        if step.claim is not None:
            self._ledger.mark_failed(step.payment.reference, code)
            step.claim = None
        step.status = PaymentStatus.FAILED
        self._consecutive_failures += 1
        self._event(
            "payment_failed",
            decision_id=plan.decision_id,
            reference=step.payment.reference,
            step=purpose,
            error=code,
            outcome="failed",
            consecutive_failures=self._consecutive_failures,
        )

    def _fail_rest(self, steps: list[_Step]) -> None:
        for step in steps:
            if step.status is PaymentStatus.NOT_ENTERED:
                if step.claim is not None:
                    self._ledger.mark_failed(step.payment.reference, "not_attempted")
                    step.claim = None
                step.status = PaymentStatus.FAILED

    def _record_conflict(self, plan: DecisionPlan, reference: str) -> None:
        payment = next(p for p in plan.payments if p.reference == reference)
        claim = self._ledger.claim(payment, self.worker_id, self.run_id, self._lease_seconds)
        if claim is not None:
            self._ledger.mark_conflict(reference)
        self._event(
            "conflict_existing_payment",
            decision_id=plan.decision_id,
            reference=reference,
            outcome="manual",
        )

    def _note_duplicates(self, plan: DecisionPlan, reference: str, held: list[RegisteredPayment]) -> None:
        if len(held) > 1:
            self._event(
                "reference_held_more_than_once",
                decision_id=plan.decision_id,
                reference=reference,
                payment_numbers=[record.payment_number for record in held],
            )

    # -- the payout system, with retries ----------------------------------------------------

    def _ensure_session(self) -> None:
        if not self._session_ok:
            self._gateway.log_in()
            self._session_ok = True

    def _after_failure(self, error: ApplicationError) -> None:
        if error.kind in self._relogin_kinds:
            self._session_ok = False

    def _backoff_for(self, attempt: int) -> float:
        if isinstance(self._backoff, int | float):  # doubling, at most eight times the first wait
            return float(self._backoff) * float(2 ** min(attempt - 1, 3))
        if not self._backoff:
            return 0.0
        return float(self._backoff[min(attempt, len(self._backoff)) - 1])

    def _retrying(self, what: str, operation: Callable[[], T]) -> T:
        """Run a read-only operation, retrying technical failures with backoff and fresh log-ins."""
        for attempt in range(1, self._max_attempts + 1):
            try:
                self._ensure_session()
                return operation()
            except ApplicationError as error:
                self._after_failure(error)
                self._event("attempt_failed", step=what, kind=error.kind, attempt=attempt)
                if attempt == self._max_attempts:
                    raise
                self._sleep(self._backoff_for(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _look_up(self, reference: str) -> list[RegisteredPayment]:
        started = self._clock()
        found = self._retrying("look_up", lambda: self._gateway.find_payments(reference=reference))
        found = [record for record in found if reference_key(record.reference) == reference_key(reference)]
        for record in found:
            self._remember(record)
        self._event(
            "looked_up",
            reference=reference,
            found=len(found),
            duration_ms=round((self._clock() - started) * 1000),
        )
        return found

    def _cover(self, first: dt.date, last: dt.date) -> int:
        """Make sure the index holds every payment with a payout date in [first, last].

        Raises ApplicationError when the search keeps failing."""
        if any(lo <= first and last <= hi for lo, hi in self._covered):
            return 0
        started = self._clock()
        found = self._retrying(
            "prefetch", lambda: self._gateway.find_payments(payout_date_from=first, payout_date_to=last)
        )
        for record in found:
            self._remember(record)
        self._covered.append((first, last))
        self._event(
            "prefetched",
            step="prefetch",
            date_from=first.isoformat(),
            date_to=last.isoformat(),
            found=len(found),
            duration_ms=round((self._clock() - started) * 1000),
        )
        return len(found)

    def _remember(self, record: RegisteredPayment) -> None:
        self._held.setdefault(reference_key(record.reference), {})[record.payment_number] = record

    # -- results and events ----------------------------------------------------------------

    def _finish(
        self, plan: DecisionPlan, outcome: Outcome, reasons: tuple[Reason, ...], steps: list[_Step]
    ) -> DecisionResult:
        self._done += 1
        self._total = max(self._total, self._done)
        if self._progress is not None:
            self._progress(self._done, self._total)
        return DecisionResult(
            decision_id=plan.decision_id,
            outcome=outcome,
            amount_ore=plan.amount_ore,
            reasons=reasons,
            payments=tuple(
                PaymentResult(
                    reference=step.payment.reference,
                    method=step.payment.method,
                    amount_ore=step.payment.amount_ore,
                    payout_date=step.payment.payout_date,
                    payment_number=step.payment_number,
                    status=step.status,
                )
                for step in steps
            ),
        )

    def _event(self, event: str, **fields: Any) -> None:
        values = {"run_id": self.run_id, "step": event, **fields}
        if self._on_event is not None:
            self._on_event(event, values)
        else:
            self._log.info(event, **values)


def _conflict_reason(references: list[str]) -> Reason:
    return Reason(
        code=ReasonCode.CONFLICT_EXISTING_PAYMENT,
        fields=("reference",),
        detail=(
            "the payout system already holds "
            + ", ".join(references)
            + " with another amount, recipient or payout date"
        ),
    )


def _lost_reason(lost: list[tuple[str, str]]) -> Reason:
    return Reason(
        code=ReasonCode.REGISTERED_NOT_FOUND,
        fields=("reference",),
        detail=(
            "the robot registered "
            + ", ".join(f"{reference} as {number}" for reference, number in lost)
            + " but the payout system no longer shows it; it is not entered again"
        ),
    )


def _check_plan(plan: DecisionPlan) -> None:
    if not plan.payments:
        raise ValueError(f"planned decision {plan.decision_id} has no payments")
    references = [reference_key(p.reference) for p in plan.payments]
    if len(set(references)) != len(references):
        raise ValueError(f"planned decision {plan.decision_id} repeats a payment reference")
    total = sum(p.amount_ore for p in plan.payments)
    if total > plan.amount_ore:
        raise ValueError(
            f"planned payments of decision {plan.decision_id} add up to {total} öre,"
            f" more than its amount of {plan.amount_ore} öre"
        )
