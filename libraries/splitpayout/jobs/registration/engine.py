"""``RegistrationEngine``: exactly-once registration of each decision's planned payments
(docs/rules.md §4; how it goes about it is in §4.8)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from typing import Any, Protocol

import structlog

from splitpayout.adapters.gateway import ApplicationError, PayoutGateway, PayoutSystemChanged
from splitpayout.adapters.ledger import Ledger
from splitpayout.domain.errors import StorageError
from splitpayout.domain.models import (
    DecisionPlan,
    DecisionResult,
    Outcome,
    PaymentResult,
    PaymentStatus,
    Reason,
)
from splitpayout.jobs.registration.decision import DecisionWork, Shared, Step
from splitpayout.jobs.registration.holdings import Holdings
from splitpayout.jobs.registration.matching import check_plan
from splitpayout.jobs.registration.retry import DEFAULT_RELOGIN_KINDS, RetryPolicy


class PayoutSystemUnavailable(Exception):  # noqa: N818 - the name callers and docs use
    """The payout system failed too many times in a row: stop and report the rest as not attempted."""


class DecisionInterrupted(Exception):  # noqa: N818 - it is what happened, not a fault of the decision
    """The robot's own storage failed while a decision was worked on: the run stops.

    ``cause`` names the folder and what to do; ``result`` is the decision's result as far as it got.
    """

    def __init__(self, cause: StorageError, result: DecisionResult) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.result = result


class EventLogger(Protocol):
    """The part of a structlog logger the engine uses."""

    def info(self, event: str, **fields: Any) -> Any: ...


def default_worker_id() -> str:
    """A worker id unique to this process: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class RegistrationEngine:
    """Registers the planned payments of decisions exactly once: the holdings cache
    (``Holdings``), the retry policy (``RetryPolicy``) and the work on one decision
    (``DecisionWork``) under one roof, with the run's progress and events."""

    def __init__(
        self,
        gateway: PayoutGateway,
        ledger: Ledger,
        *,
        run_id: str,
        worker_id: str | None = None,
        max_attempts: int,
        backoff_seconds: float | Sequence[float],
        max_consecutive_failures: int,
        unknown_outcome_settle_seconds: float,
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
        self._retry = RetryPolicy(
            gateway,
            max_attempts=max_attempts,
            backoff_seconds=backoff_seconds,
            max_consecutive_failures=max_consecutive_failures,
            unknown_outcome_settle_seconds=unknown_outcome_settle_seconds,
            relogin_kinds=relogin_kinds,
            logged_in=logged_in,
            sleep=sleep,
            event=self._event,
        )
        self._gateway = gateway
        self._ledger = ledger
        self.run_id = run_id
        self.worker_id = worker_id or default_worker_id()
        self._progress = progress
        self._log: EventLogger = (
            logger if logger is not None else structlog.get_logger("splitpayout.jobs.registration")
        )
        self._on_event = on_event
        self._clock = clock
        self._holdings = Holdings(gateway, self._retry, event=self._event, clock=clock)
        self._shared = Shared(
            gateway=gateway,
            ledger=ledger,
            run_id=run_id,
            worker_id=self.worker_id,
            lease_seconds=lease_seconds,
            look_up_each=look_up_each_payment,
            retry=self._retry,
            holdings=self._holdings,
            event=self._event,
            clock=clock,
        )
        self._done = 0
        self._total = 0
        # Decisions that ended ``failed`` only because another live worker held one of their
        # references: worth another ``process`` once that worker is done with it.
        self.held_elsewhere: set[str] = self._shared.held_elsewhere

    # -- public API -----------------------------------------------------------------------

    @property
    def unavailable(self) -> bool:
        """True once ``max_consecutive_failures`` payments in a row failed for technical reasons."""
        return self._retry.unavailable

    @property
    def changed(self) -> PayoutSystemChanged | None:
        """How the payout system was found changed under the robot, once it was: nothing more is entered."""
        return self._shared.changed

    def mark_logged_in(self) -> None:
        """The caller has just logged in: the next payment needs no log-in of its own."""
        self._retry.session_ok = True

    def forget_session(self) -> None:
        """Log in afresh before the next step (a second pass after a pause, say)."""
        self._retry.session_ok = False

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
            return self._holdings.cover(first, last)
        except ApplicationError as error:
            self._retry.consecutive_failures += 1
            self._event(
                "prefetch_failed",
                kind=error.kind,
                outcome="failed",
                consecutive_failures=self._retry.consecutive_failures,
            )
            if self.unavailable:
                raise PayoutSystemUnavailable(f"could not search the payout system ({error.kind})") from error
            return 0

    def process(self, plan: DecisionPlan) -> DecisionResult:
        """Bring every planned payment of the decision to a known end state (docs/rules.md §4.8)."""
        if plan.outcome is not Outcome.PLANNED:
            return self._finish(plan, plan.outcome, plan.reasons, [Step(p) for p in plan.payments])
        if self._shared.changed is not None:
            raise self._shared.changed
        if self.unavailable:
            raise PayoutSystemUnavailable(
                f"{self._retry.consecutive_failures} payments in a row failed for technical reasons"
            )
        check_plan(plan)
        self.held_elsewhere.discard(plan.decision_id)
        started = self._clock()
        steps = [Step(payment) for payment in plan.payments]
        try:
            outcome, reasons = DecisionWork(self._shared, plan, steps).run()
        except StorageError as error:
            with suppress(StorageError):  # the storage is failing: the claims' leases run out
                self._release_held(steps)
            raise DecisionInterrupted(error, self._interrupted(plan, steps)) from error
        except BaseException:
            self._release_held(steps)
            raise
        try:
            self._release_held(steps)
        except StorageError as error:
            raise DecisionInterrupted(error, self._interrupted(plan, steps)) from error
        result = self._finish(plan, outcome, reasons, steps)
        self._event(
            "decision_done",
            decision_id=plan.decision_id,
            outcome=outcome.value,
            duration_ms=round((self._clock() - started) * 1000),
        )
        return result

    def _release_held(self, steps: list[Step]) -> None:
        for step in steps:  # a claim still held here was neither finished nor sent
            if step.claim is not None:
                self._ledger.release(step.payment.reference, self.worker_id)
                step.claim = None

    def _interrupted(self, plan: DecisionPlan, steps: list[Step]) -> DecisionResult:
        """A decision the robot's storage failed in the middle of: ``failed`` (a later run completes
        it), its payments as far as they got (one registered before the failure says so)."""
        for step in steps:
            if step.status is PaymentStatus.NOT_ENTERED:
                step.status = PaymentStatus.FAILED
        self._event("decision_interrupted", decision_id=plan.decision_id, outcome=Outcome.FAILED.value)
        return self._finish(plan, Outcome.FAILED, (), steps)

    def not_attempted(self, plan: DecisionPlan) -> DecisionResult:
        """The result for a decision the run did not get to (the payout system was unavailable)."""
        if plan.outcome is not Outcome.PLANNED:
            return self._finish(plan, plan.outcome, plan.reasons, [Step(p) for p in plan.payments])
        steps = [Step(p, status=PaymentStatus.FAILED) for p in plan.payments]
        self._event("decision_not_attempted", decision_id=plan.decision_id, outcome=Outcome.FAILED.value)
        return self._finish(plan, Outcome.FAILED, (), steps)

    # -- results and events ----------------------------------------------------------------

    def _finish(
        self, plan: DecisionPlan, outcome: Outcome, reasons: tuple[Reason, ...], steps: list[Step]
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
