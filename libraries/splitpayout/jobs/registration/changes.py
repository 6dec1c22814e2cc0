"""When the payout system has changed under the robot (a new release; docs/rules.md §4.9).

The form is checked once before the first payment (``form_change``): every element the robot
needs must be there, and no field a person fills in may be unknown to the robot unless the
installation lists it in ``PAYOUT_SYSTEM_IGNORED_FIELDS``. While the robot enters payments,
``RefusalWatch`` tells a refusal that is the case worker's business (one decision's data) from
one that means the payout system has changed: a refused field the robot leaves empty or does not
know, or the same field refused for ``REPEATED_REFUSALS`` decisions in a row although planning
had checked every one of them by the payout system's documented rules.
"""

from __future__ import annotations

from collections.abc import Iterable

from splitpayout.adapters.gateway import FormInspection, PayoutSystemChanged, element_subject
from splitpayout.domain.models import PlannedPayment
from splitpayout.domain.stops import StopCode, field_names
from splitpayout.jobs.registration.matching import filled_fields

#: Decisions in a row whose payments the payout system refused on the same field, although planning
#: had checked them by its documented rules, after which the refusals count as a changed application.
#: Small, because the refused decisions are held back meanwhile (nothing reaches the case workers),
#: and not smaller, because an installation's own ceiling that the robot was not told about
#: (PAYOUT_SYSTEM_MAX_PAYMENT_KR) refuses a few large decisions in a row now and then.
REPEATED_REFUSALS = 5


def form_change(inspection: FormInspection, ignored: Iterable[str] = ()) -> PayoutSystemChanged | None:
    """The change the inspected payment form shows, or None when it is the form the robot knows."""
    if inspection.missing:
        return PayoutSystemChanged(
            StopCode.ELEMENT_MISSING,
            element_subject(inspection.missing),
            f"the payment form lacks {', '.join(inspection.missing)}",
        )
    tolerated = {name.strip().casefold() for name in ignored}
    unknown = [name for name in inspection.unknown if name.casefold() not in tolerated]
    if unknown:
        return PayoutSystemChanged(
            StopCode.UNKNOWN_FIELD,
            ", ".join(unknown),
            f"the payment form has fields the robot does not know: {', '.join(unknown)}"
            " (PAYOUT_SYSTEM_IGNORED_FIELDS lists those the payout system accepts left empty)",
        )
    return None


class RefusalWatch:
    """Refusals in a row, field by field: when a refusal means the payout system has changed."""

    def __init__(self, threshold: int = REPEATED_REFUSALS) -> None:
        self.threshold = threshold
        self._streak: dict[str, int] = {}

    def registered(self) -> None:
        """A payment went through: the refusals are no longer in a row."""
        self._streak.clear()

    def refused(self, payment: PlannedPayment, fields: tuple[str, ...]) -> PayoutSystemChanged | None:
        """The change a refusal of ``fields`` for ``payment`` shows, or None when it is the decision's own."""
        unfilled = [name for name in fields if name not in filled_fields(payment)]
        if unfilled:
            return PayoutSystemChanged(
                StopCode.FIELD_REFUSED,
                field_names(unfilled),
                f"the payout system refused {', '.join(unfilled)}, which the robot does not fill in",
            )
        self._streak = {name: self._streak.get(name, 0) + 1 for name in fields}
        repeated = [name for name, count in self._streak.items() if count >= self.threshold]
        if repeated:
            return PayoutSystemChanged(
                StopCode.FIELD_REFUSED,
                field_names(repeated),
                f"the payout system refused {', '.join(repeated)} for {self.threshold} decisions in a row"
                " that planning had checked by its documented rules",
            )
        return None
