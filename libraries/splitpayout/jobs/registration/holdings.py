"""What the payout system holds, by reference: one search over payout dates (the prefetch),
or one reference looked up afresh."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from splitpayout.adapters.gateway import PayoutGateway, RegisteredPayment
from splitpayout.jobs.registration.matching import reference_key
from splitpayout.jobs.registration.retry import RetryPolicy


class Holdings:
    """The payments known to be held, indexed by reference key, and the payout dates searched."""

    def __init__(
        self,
        gateway: PayoutGateway,
        retry: RetryPolicy,
        *,
        event: Callable[..., Any],
        clock: Callable[[], float],
    ) -> None:
        self._gateway = gateway
        self._retry = retry
        self._event = event
        self._clock = clock
        self._held: dict[str, dict[str, RegisteredPayment]] = {}
        self._covered: list[tuple[dt.date, dt.date]] = []

    def held(self, reference: str) -> list[RegisteredPayment]:
        """What is known to be held under ``reference`` (every payment number)."""
        return list(self._held.get(reference_key(reference), {}).values())

    def remember(self, record: RegisteredPayment) -> None:
        self._held.setdefault(reference_key(record.reference), {})[record.payment_number] = record

    def look_up(self, reference: str) -> list[RegisteredPayment]:
        """``reference`` looked up afresh in the payout system (retried; ApplicationError when it
        keeps failing)."""
        started = self._clock()
        found = self._retry.retrying("look_up", lambda: self._gateway.find_payments(reference=reference))
        found = [record for record in found if reference_key(record.reference) == reference_key(reference)]
        for record in found:
            self.remember(record)
        self._event(
            "looked_up",
            reference=reference,
            found=len(found),
            duration_ms=round((self._clock() - started) * 1000),
        )
        return found

    def cover(self, first: dt.date, last: dt.date) -> int:
        """Make sure the index holds every payment with a payout date in [first, last].

        Raises ApplicationError when the search keeps failing."""
        if any(lo <= first and last <= hi for lo, hi in self._covered):
            return 0
        started = self._clock()
        found = self._retry.retrying(
            "prefetch", lambda: self._gateway.find_payments(payout_date_from=first, payout_date_to=last)
        )
        for record in found:
            self.remember(record)
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
