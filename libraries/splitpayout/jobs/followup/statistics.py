"""A real run's statistics for the board's follow-up: counts and sums, never a person.

``RunStatistics`` is fed every decision's plan and result as the run records it
(``SplitPayoutJob.record``: the single run, the parallel workers' parent and the work-item
reporter alike) and writes ``statistics.json`` next to ``summary.json``. It keeps, per
payout date of the run, the households the run *completed* (outcome ``paid``), how they were
split, and the öre that reached women, men and landlords, plus the payments this run itself
entered. Nothing per decision or per person: legal sex is read from each recipient's identity
number at the moment it is counted and never stored.

Each decision counts once across runs: ``paid`` is the outcome of exactly one run (the one that
entered its last payment); ``already_paid`` adds nothing, and a payment is ``registered`` in
the one run that entered it. Protected-identity decisions are only counted as left out.
Manual decisions are counted by the follow-up from ``summary.json`` (decision number and
latest outcome), which needs nothing from here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from splitpayout.adapters.reports import write_json_atomically
from splitpayout.domain.models import DecisionPlan, DecisionResult, Method, Outcome, PaymentStatus

STATISTICS_FILE = "statistics.json"
STATISTICS_VERSION = 1
EQUAL_SHARE_BP = 5000  # 50 % to each partner

WOMAN, MAN = "woman", "man"
# Counts of households, per payout date.
HOUSEHOLD_KEYS = ("paid", "split", "not_split", "equal_split", "other_split")
# Sums of öre, per payout date, and the households each sum is over (households_with).
AMOUNT_KEYS = ("total", "direct", "to_women", "to_men", "split_to_women", "split_to_men")


def legal_sex(identity: str) -> str:
    """``woman`` or ``man`` from a 12-digit personnummer or samordningsnummer: the second-to-last
    digit is odd for a man and even for a woman. Only ever counted, never stored."""
    if len(identity) != 12 or not identity.isdigit():
        raise ValueError("expected a normalised identity number of 12 digits")
    return MAN if int(identity[10]) % 2 else WOMAN


class DayFigures:
    """What one run counted for one payout date."""

    def __init__(self) -> None:
        self.households: Counter[str] = Counter()
        self.amount_ore: Counter[str] = Counter()
        self.households_with: Counter[str] = Counter()  # households each amount is summed over
        self.payments_registered = 0
        self.households_registered = 0  # households the registered payments belong to

    def add_paid(self, plan: DecisionPlan) -> None:
        """One household completed in this run: its split and where its money went."""
        split = plan.share1_bp is not None
        self.households["paid"] += 1
        self.households["split" if split else "not_split"] += 1
        if split:
            self.households["equal_split" if plan.share1_bp == EQUAL_SHARE_BP else "other_split"] += 1
        sums: Counter[str] = Counter()
        for payment in plan.payments:
            sums["total"] += payment.amount_ore
            if payment.method is Method.BANKGIRO:
                sums["direct"] += payment.amount_ore
                continue
            to = "to_women" if legal_sex(payment.personnummer) == WOMAN else "to_men"
            sums[to] += payment.amount_ore
            if split:
                sums[f"split_{to}"] += payment.amount_ore
        self.households_with["total"] += 1
        for key, amount in sums.items():
            self.amount_ore[key] += amount
            if key != "total" and amount > 0:
                self.households_with[key] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "households": {key: self.households[key] for key in HOUSEHOLD_KEYS},
            "amount_ore": {key: self.amount_ore[key] for key in AMOUNT_KEYS},
            "households_with": {key: self.households_with[key] for key in AMOUNT_KEYS},
            "payments_registered": self.payments_registered,
            "households_registered": self.households_registered,
        }


class RunStatistics:
    """The aggregates of one run, kept as its decisions are recorded (memory: one entry per date)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.days: defaultdict[dt.date, DayFigures] = defaultdict(DayFigures)
        self.protected = 0
        self.first_payout_date: dt.date | None = None

    @property
    def kept(self) -> bool:
        """Only a real run keeps statistics: a dry run pays no one."""
        return self.mode == "real"

    def add(self, plan: DecisionPlan, result: DecisionResult) -> None:
        """Count one decision's final result in this run."""
        if not self.kept:
            return
        if plan.protected:
            self.protected += 1
            return
        for planned in plan.payments:
            first = self.first_payout_date
            self.first_payout_date = planned.payout_date if first is None else min(first, planned.payout_date)
        registered = [p for p in result.payments if p.status is PaymentStatus.REGISTERED]
        for day in sorted({p.payout_date for p in registered}):
            figures = self.days[day]
            figures.households_registered += 1
            figures.payments_registered += sum(1 for p in registered if p.payout_date == day)
        if result.outcome is Outcome.PAID and plan.payments:
            self.days[min(p.payout_date for p in plan.payments)].add_paid(plan)

    def as_dict(self, *, run_id: str, run_date: dt.date) -> dict[str, Any]:
        return {
            "version": STATISTICS_VERSION,
            "run_id": run_id,
            "mode": self.mode,
            "run_date": run_date.isoformat(),
            # Where decisions without a payout date of their own (protected ones) are counted.
            "first_payout_date": None
            if self.first_payout_date is None
            else self.first_payout_date.isoformat(),
            "protected_left_out": self.protected,
            "by_payout_date": [
                {"payout_date": day.isoformat(), **self.days[day].as_dict()} for day in sorted(self.days)
            ],
        }

    def write(self, artifacts: Path, *, run_id: str, run_date: dt.date) -> bool:
        """``statistics.json`` in the run's artifacts (a real run only). A folder that cannot take it
        (full, gone) never fails the run's payouts or its other reports: the file is left out, and
        the follow-up counts the run among those without statistics. Returns whether it was written."""
        if not self.kept:
            return False
        path = artifacts / STATISTICS_FILE
        try:
            write_json_atomically(path, self.as_dict(run_id=run_id, run_date=run_date))
        except OSError:
            with contextlib.suppress(OSError):
                path.with_suffix(path.suffix + ".tmp").unlink(missing_ok=True)
            return False
        return True
