"""The retry policy: attempts, backoff, fresh log-ins, pauses before a look-up, and when the
payout system counts as unavailable (docs/rules.md §4.4 and §4.7)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from splitpayout.adapters.gateway import ApplicationError, PayoutGateway

T = TypeVar("T")

# After these failures the session is (or may be) gone: log in again before the next attempt.
# A gateway that needs a fresh log-in after other failures too (say, a browser left on an
# error page after maintenance) is given a larger set through ``relogin_kinds``.
DEFAULT_RELOGIN_KINDS = frozenset({"session_expired", "unexpected_page"})
# After these unknown outcomes the server may still be finishing the save: wait before looking.
SETTLE_KINDS = frozenset({"timeout", "server_error", "unexpected_page"})


class RetryPolicy:
    """How technical failures are met, and the count of payments that failed in a row."""

    def __init__(
        self,
        gateway: PayoutGateway,
        *,
        max_attempts: int,
        backoff_seconds: float | Sequence[float],
        max_consecutive_failures: int,
        unknown_outcome_settle_seconds: float,
        relogin_kinds: Iterable[str],
        logged_in: bool,
        sleep: Callable[[float], None],
        event: Callable[..., Any],
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        if max_consecutive_failures < 1:
            raise ValueError(f"max_consecutive_failures must be at least 1, got {max_consecutive_failures}")
        self._gateway = gateway
        self.max_attempts = max_attempts
        self._backoff = backoff_seconds
        self.max_consecutive_failures = max_consecutive_failures
        self._settle_seconds = unknown_outcome_settle_seconds
        self._relogin_kinds = frozenset(relogin_kinds)
        self.session_ok = logged_in
        self._sleep = sleep
        self._event = event
        self.consecutive_failures = 0

    @property
    def unavailable(self) -> bool:
        """True once ``max_consecutive_failures`` payments in a row failed for technical reasons."""
        return self.consecutive_failures >= self.max_consecutive_failures

    def ensure_session(self) -> None:
        if not self.session_ok:
            self._gateway.log_in()
            self.session_ok = True

    def after_failure(self, error: ApplicationError) -> None:
        if error.kind in self._relogin_kinds:
            self.session_ok = False

    def backoff_for(self, attempt: int) -> float:
        if isinstance(self._backoff, int | float):  # doubling, at most eight times the first wait
            return float(self._backoff) * float(2 ** min(attempt - 1, 3))
        if not self._backoff:
            return 0.0
        return float(self._backoff[min(attempt, len(self._backoff)) - 1])

    def pause(self, attempt: int) -> None:
        """The wait after failed attempt ``attempt``."""
        self._sleep(self.backoff_for(attempt))

    def settle(self, kind: str) -> None:
        """After an unknown outcome of this kind, give the server time to finish a save."""
        if kind in SETTLE_KINDS and self._settle_seconds > 0:
            self._sleep(self._settle_seconds)

    def retrying(self, what: str, operation: Callable[[], T]) -> T:
        """Run a read-only operation, retrying technical failures with backoff and fresh log-ins."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                self.ensure_session()
                return operation()
            except ApplicationError as error:
                self.after_failure(error)
                self._event("attempt_failed", step=what, kind=error.kind, attempt=attempt)
                if attempt == self.max_attempts:
                    raise
                self.pause(attempt)
        raise AssertionError("unreachable")  # pragma: no cover
