"""The work on one decision: compare with what is held, claim, settle earlier attempts, enter
what is missing (docs/rules.md §4)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from splitpayout.adapters.gateway import (
    ApplicationError,
    BusinessError,
    PayoutGateway,
    PayoutSystemChanged,
    RegisteredPayment,
    SubmitOutcomeUnknownError,
)
from splitpayout.adapters.ledger import Claim, ClaimLostError, EntryState, Ledger
from splitpayout.domain.models import DecisionPlan, Outcome, PaymentStatus, PlannedPayment, Reason
from splitpayout.domain.stops import StopCode, fields_subject
from splitpayout.jobs.registration.changes import RefusalWatch
from splitpayout.jobs.registration.holdings import Holdings
from splitpayout.jobs.registration.matching import (
    conflict_reason,
    lost_reason,
    reference_key,
    same_payment,
    stored_differences,
    stored_differently_reason,
)
from splitpayout.jobs.registration.retry import RetryPolicy


@dataclass
class Step:
    """Where one payment of the decision stands while the engine works on it."""

    payment: PlannedPayment
    status: PaymentStatus = PaymentStatus.NOT_ENTERED
    payment_number: str | None = None
    claim: Claim | None = None


class Stop(Exception):  # noqa: N818 - control flow inside the engine, not an error
    """Ends the work on a decision with the given outcome and reasons."""

    def __init__(self, outcome: Outcome, reasons: tuple[Reason, ...] = ()) -> None:
        super().__init__(outcome.value)
        self.outcome = outcome
        self.reasons = reasons


@dataclass
class Shared:
    """What the work on every decision of a run shares."""

    gateway: PayoutGateway
    ledger: Ledger
    run_id: str
    worker_id: str
    lease_seconds: float
    look_up_each: bool
    retry: RetryPolicy
    holdings: Holdings
    event: Callable[..., Any]
    clock: Callable[[], float]
    sent: set[str] = field(default_factory=set)  # reference keys this engine has sent a form for
    # Decisions that ended ``failed`` only because another live worker held one of their
    # references: worth another ``process`` once that worker is done with it.
    held_elsewhere: set[str] = field(default_factory=set)
    refusals: RefusalWatch = field(default_factory=RefusalWatch)
    # The payout system has changed under the robot (a new release): nothing more is entered.
    changed: PayoutSystemChanged | None = None


class DecisionWork:
    """Brings every planned payment of one decision to a known end state."""

    def __init__(self, shared: Shared, plan: DecisionPlan, steps: list[Step]) -> None:
        self._s = shared
        self._ledger = shared.ledger
        self._retry = shared.retry
        self.plan = plan
        self.steps = steps

    def run(self) -> tuple[Outcome, tuple[Reason, ...]]:
        steps = self.steps
        try:
            self._stop_on_stored_differently()
            if self._s.look_up_each:
                for step in steps:
                    self._look_up_or_stop(steps, step, "look_up_before_entering")
            else:
                self._cover_or_stop()
            self._compare_with_held()
            missing = [s for s in steps if s.status is PaymentStatus.NOT_ENTERED]
            self._resolve_recorded_registrations(missing)
            missing = [s for s in steps if s.status is PaymentStatus.NOT_ENTERED]
            self._claim_all(missing)
            self._resolve_earlier_attempts(missing)
            for step in missing:
                if step.status is PaymentStatus.NOT_ENTERED:
                    self._enter(step)
        except Stop as stop:
            if stop.outcome is Outcome.FAILED:
                fail_rest(self._ledger, steps)
            return stop.outcome, stop.reasons
        if all(s.status is PaymentStatus.ALREADY_REGISTERED for s in steps):
            return Outcome.ALREADY_PAID, ()
        return Outcome.PAID, ()

    def _stop_on_stored_differently(self) -> None:
        """A payment the payout system stored other than entered stays with a human: the decision is
        never reported paid and nothing of it is entered again (docs/rules.md §4.9). Its other
        payments are reported as the ledger has them."""
        entries = {step.payment.reference: self._ledger.get(step.payment.reference) for step in self.steps}
        wrong = [e for e in entries.values() if e is not None and e.state is EntryState.STORED_DIFFERENTLY]
        if not wrong:
            return
        for step in self.steps:
            entry = entries[step.payment.reference]
            if entry is not None and entry.state in (EntryState.STORED_DIFFERENTLY, EntryState.REGISTERED):
                step.payment_number = entry.payment_number
                step.status = (
                    PaymentStatus.STORED_DIFFERENTLY
                    if entry.state is EntryState.STORED_DIFFERENTLY
                    else PaymentStatus.ALREADY_REGISTERED
                )
        reasons = tuple(
            stored_differently_reason(
                entry.reference,
                entry.payment_number or "?",
                tuple(filter(None, (entry.last_error or "").partition(":")[2].split(","))),
            )
            for entry in wrong
        )
        raise Stop(Outcome.MANUAL, reasons)

    def _cover_or_stop(self) -> None:
        """The decision's payout dates searched (once per run, usually by the prefetch)."""
        steps = self.steps
        dates = [s.payment.payout_date for s in steps]
        try:
            self._s.holdings.cover(min(dates), max(dates))
        except ApplicationError as error:
            self._failure(steps[0], f"search_{error.kind}", "search_payout_dates")
            fail_rest(self._ledger, steps)
            raise Stop(Outcome.FAILED) from None

    def _compare_with_held(self) -> None:
        conflicts: list[str] = []
        for step in self.steps:
            held = self._s.holdings.held(step.payment.reference)
            if not held:
                continue
            if all(same_payment(step.payment, record) for record in held):
                step.status = self._found_status(step.payment.reference)
                step.payment_number = held[0].payment_number
                self._note_duplicates(step.payment.reference, held)
            else:
                conflicts.append(step.payment.reference)
        self._stop_on_conflicts(conflicts)

    def _stop_on_conflicts(self, conflicts: list[str]) -> None:
        """References the payout system holds with other content stop the decision (manual)."""
        if conflicts:
            for reference in conflicts:
                self._record_conflict(reference)
            raise Stop(Outcome.MANUAL, (conflict_reason(conflicts),))

    def _resolve_recorded_registrations(self, missing: list[Step]) -> None:
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
            found = self._look_up_or_stop(missing, step, "confirm_recorded_registration")
            if found and all(same_payment(step.payment, record) for record in found):
                step.status = self._found_status(step.payment.reference)
                step.payment_number = found[0].payment_number
                self._note_duplicates(step.payment.reference, found)
            elif found:
                self._record_conflict(step.payment.reference)
                raise Stop(Outcome.MANUAL, (conflict_reason([step.payment.reference]),))
            else:
                step.payment_number = entry.payment_number
                lost.append((step.payment.reference, entry.payment_number))
        if lost:
            for reference, payment_number in lost:
                self._s.event(
                    "registered_not_found",
                    decision_id=self.plan.decision_id,
                    reference=reference,
                    payment_number=payment_number,
                    outcome="manual",
                )
            raise Stop(Outcome.MANUAL, (lost_reason(lost),))

    def _found_status(self, reference: str) -> PaymentStatus:
        """A payment found in the payout system was entered by this run when this run sent its
        form (its confirmation was lost, say), else by an earlier one."""
        if reference_key(reference) in self._s.sent:
            return PaymentStatus.REGISTERED
        return PaymentStatus.ALREADY_REGISTERED

    def _claim_all(self, missing: list[Step]) -> None:
        for step in missing:
            claim = self._ledger.claim(step.payment, self._s.worker_id, self._s.run_id, self._s.lease_seconds)
            if claim is None:
                self._s.held_elsewhere.add(self.plan.decision_id)
                self._s.event(
                    "claim_held_elsewhere",
                    decision_id=self.plan.decision_id,
                    reference=step.payment.reference,
                    outcome="failed",
                )
                for other in missing:
                    if other.status is PaymentStatus.NOT_ENTERED:
                        other.status = PaymentStatus.FAILED
                raise Stop(Outcome.FAILED)
            step.claim = claim

    def _resolve_earlier_attempts(self, missing: list[Step]) -> None:
        """A reference whose form may have been sent before is looked up afresh, never re-entered blindly."""
        conflicts: list[str] = []
        for step in missing:
            assert step.claim is not None
            if not step.claim.may_exist:
                continue
            found = self._look_up_or_stop(missing, step, "resolve_earlier_attempt")
            if not found:
                continue
            if all(same_payment(step.payment, record) for record in found):
                self._ledger.mark_registered(step.payment.reference, found[0].payment_number)
                step.claim = None
                step.status = self._found_status(step.payment.reference)
                step.payment_number = found[0].payment_number
                self._note_duplicates(step.payment.reference, found)
                self._s.event(
                    "found_registered",
                    decision_id=self.plan.decision_id,
                    reference=step.payment.reference,
                    outcome="already_registered",
                )
            else:
                conflicts.append(step.payment.reference)
        self._stop_on_conflicts(conflicts)

    def _look_up_or_stop(self, missing: list[Step], step: Step, purpose: str) -> list[RegisteredPayment]:
        try:
            found = self._s.holdings.look_up(step.payment.reference)
        except ApplicationError as error:
            self._failure(step, f"lookup_{error.kind}", purpose)
            fail_rest(self._ledger, missing)
            raise Stop(Outcome.FAILED) from None
        self._retry.consecutive_failures = 0
        return found

    # -- entering one payment ---------------------------------------------------------------

    def _enter(self, step: Step) -> None:
        """Enter one payment: intent first, the payment number after; retries for technical failures."""
        reference = step.payment.reference
        last_kind = "unknown"
        for attempt in range(1, self._retry.max_attempts + 1):
            started = self._s.clock()
            try:
                self._retry.ensure_session()
                self._ledger.mark_submitting(reference, self._s.worker_id, self._s.lease_seconds)
                self._s.sent.add(reference_key(reference))
                stored = self._s.gateway.register(step.payment)
            except PayoutSystemChanged as change:
                self._changed(step, change)
            except ClaimLostError:
                step.claim = None
                self._failure(step, "claim_lost", "register")
                raise Stop(Outcome.FAILED) from None
            except BusinessError as error:
                self._refused(step, error, attempt)
            except SubmitOutcomeUnknownError as error:
                last_kind = f"unknown_{error.kind}"
                if self._settle_unknown_outcome(step, error, attempt, started):
                    return
                # certainly absent: the submit did not go through, so it may be sent again
                continue
            except ApplicationError as error:
                last_kind = error.kind
                self._attempt_failed(step, error, attempt, started)
                continue
            self._check_stored(step, stored)
            self._registered(step, stored.payment_number, attempt, started)
            return
        self._failure(step, last_kind, "register")
        raise Stop(Outcome.FAILED)

    def _check_stored(self, step: Step, stored: RegisteredPayment) -> None:
        """What the confirmation shows is what was entered, or the run stops (docs/rules.md §4.9).

        A payment stored differently is held by the payout system but never counted as done: the
        ledger records it (so no run enters it again), the decision goes to a human naming the
        fields, and nothing more is entered.
        """
        reference = step.payment.reference
        fields = stored_differences(step.payment, stored)
        if not fields:
            self._s.refusals.registered()
            return
        self._ledger.mark_stored_differently(reference, stored.payment_number, fields)
        step.claim = None
        step.status = PaymentStatus.STORED_DIFFERENTLY
        step.payment_number = stored.payment_number
        change = PayoutSystemChanged(
            StopCode.STORED_DIFFERENTLY,
            fields_subject(fields),
            f"the payout system stored {reference} as {stored.payment_number} with other"
            f" {', '.join(fields)} than entered",
            sent=True,
        )
        self._s.changed = change
        self._s.event(
            "stored_differently",
            decision_id=self.plan.decision_id,
            reference=reference,
            payment_number=stored.payment_number,
            fields=list(fields),
            outcome="manual",
        )
        reason = stored_differently_reason(reference, stored.payment_number, fields)
        raise Stop(Outcome.MANUAL, (reason,))

    def _changed(self, step: Step, change: PayoutSystemChanged) -> NoReturn:
        """The payout system has changed: this payment and the rest of the decision are failed (a
        later run, once the robot is adapted, completes them) and nothing more is entered."""
        reference = step.payment.reference
        if change.sent:  # the payment may be stored: "submitting" stays, so a later run looks it up first
            self._ledger.release(reference, self._s.worker_id)
        else:
            self._ledger.mark_failed(reference, change.code.value)
        step.claim = None
        step.status = PaymentStatus.FAILED
        self._s.changed = change
        self._s.event(
            "payout_system_changed",
            decision_id=self.plan.decision_id,
            reference=reference,
            code=change.code.value,
            error=change.detail,
            outcome="failed",
        )
        fail_rest(self._ledger, self.steps)
        raise Stop(Outcome.FAILED) from None

    def _refused(self, step: Step, error: BusinessError, attempt: int) -> NoReturn:
        """A business refusal is never retried: the decision goes to manual handling, unless the
        refusal shows that the payout system has changed (``RefusalWatch``)."""
        reference = step.payment.reference
        change = self._s.refusals.refused(step.payment, error.fields)
        if change is not None:
            self._changed(step, change)
        self._ledger.mark_rejected(reference, error.code.value)
        step.claim = None
        self._retry.consecutive_failures = 0
        self._s.event(
            "payment_rejected",
            decision_id=self.plan.decision_id,
            reference=reference,
            fields=list(error.fields),
            outcome="rejected",
            attempt=attempt,
        )
        detail = f"the payout system refused {reference}"
        if error.fields:
            detail += f" (fields: {', '.join(error.fields)})"
        raise Stop(Outcome.MANUAL, (Reason(code=error.code, fields=error.fields, detail=detail),)) from None

    def _settle_unknown_outcome(
        self, step: Step, error: SubmitOutcomeUnknownError, attempt: int, started: float
    ) -> bool:
        """A submit whose outcome is unknown, looked up after a pause: True when it was registered;
        False when the reference is certainly absent (it may be sent again)."""
        reference = step.payment.reference
        self._s.event(
            "submit_outcome_unknown",
            decision_id=self.plan.decision_id,
            reference=reference,
            kind=error.kind,
            attempt=attempt,
            duration_ms=round((self._s.clock() - started) * 1000),
        )
        self._retry.after_failure(error)
        self._retry.settle(error.kind)
        found = self._look_up_or_stop([step], step, "resolve_unknown_outcome")
        if not found:
            return False
        if all(same_payment(step.payment, record) for record in found):
            self._registered(step, found[0].payment_number, attempt, started)
            self._note_duplicates(reference, found)
            return True
        self._record_conflict(reference)
        raise Stop(Outcome.MANUAL, (conflict_reason([reference]),)) from None

    def _attempt_failed(self, step: Step, error: ApplicationError, attempt: int, started: float) -> None:
        self._retry.after_failure(error)
        self._s.event(
            "attempt_failed",
            decision_id=self.plan.decision_id,
            reference=step.payment.reference,
            kind=error.kind,
            attempt=attempt,
            duration_ms=round((self._s.clock() - started) * 1000),
        )
        if attempt < self._retry.max_attempts:
            self._retry.pause(attempt)

    def _registered(self, step: Step, payment_number: str, attempt: int, started: float) -> None:
        payment = step.payment
        # Registered in the payout system whatever happens next: a ledger that cannot record it
        # (its storage failing) leaves ``submitting``, which makes the next run look it up.
        step.status = PaymentStatus.REGISTERED
        step.payment_number = payment_number
        self._ledger.mark_registered(payment.reference, payment_number)
        step.claim = None
        self._retry.consecutive_failures = 0
        self._s.holdings.remember(RegisteredPayment.of(payment, payment_number, status="registrerad"))
        self._s.event(
            "payment_registered",
            decision_id=self.plan.decision_id,
            reference=payment.reference,
            payment_number=payment_number,
            amount_ore=payment.amount_ore,
            outcome="registered",
            attempt=attempt,
            duration_ms=round((self._s.clock() - started) * 1000),
        )

    # -- failures and conflicts ------------------------------------------------------------

    def _failure(self, step: Step, code: str, purpose: str) -> None:
        """A technical failure remained after retries: the payment is failed; a later run completes it."""
        if step.claim is not None:
            self._ledger.mark_failed(step.payment.reference, code)
            step.claim = None
        step.status = PaymentStatus.FAILED
        self._retry.consecutive_failures += 1
        self._s.event(
            "payment_failed",
            decision_id=self.plan.decision_id,
            reference=step.payment.reference,
            step=purpose,
            error=code,
            outcome="failed",
            consecutive_failures=self._retry.consecutive_failures,
        )

    def _record_conflict(self, reference: str) -> None:
        payment = next(p for p in self.plan.payments if p.reference == reference)
        claim = self._ledger.claim(payment, self._s.worker_id, self._s.run_id, self._s.lease_seconds)
        if claim is not None:
            self._ledger.mark_conflict(reference)
        self._s.event(
            "conflict_existing_payment",
            decision_id=self.plan.decision_id,
            reference=reference,
            outcome="manual",
        )

    def _note_duplicates(self, reference: str, held: list[RegisteredPayment]) -> None:
        if len(held) > 1:
            self._s.event(
                "reference_held_more_than_once",
                decision_id=self.plan.decision_id,
                reference=reference,
                payment_numbers=[record.payment_number for record in held],
            )


def fail_rest(ledger: Ledger, steps: list[Step]) -> None:
    """Every payment not yet entered is failed (and its claim given up as ``not_attempted``)."""
    for step in steps:
        if step.status is PaymentStatus.NOT_ENTERED:
            if step.claim is not None:
                ledger.mark_failed(step.payment.reference, "not_attempted")
                step.claim = None
            step.status = PaymentStatus.FAILED
