"""A run's planning: the export checked, planned by the run's rules, its control totals told.

Plans are never held as a list: each pass reads them from the export again (checking that the
file is still the one read first). A work-item run hands its plans over instead (``use_plans``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from splitpayout.adapters.files import file_sha256
from splitpayout.adapters.reader import read_header
from splitpayout.domain.errors import ExportFileError
from splitpayout.domain.models import DecisionPlan, DecisionResult, Outcome, PaymentStatus, payment_results
from splitpayout.jobs.export_plan import plan_export
from splitpayout.jobs.split_payouts.state import RunState
from swedish_rules import format_amount


def dry_run_result(plan: DecisionPlan) -> DecisionResult:
    """What a real run would do for a plan: ``planned`` payments, or ``manual`` with reasons."""
    status = PaymentStatus.PLANNED if plan.outcome is Outcome.PLANNED else PaymentStatus.NOT_ENTERED
    return DecisionResult(
        decision_id=plan.decision_id,
        outcome=plan.outcome,
        amount_ore=0 if plan.protected else plan.amount_ore,
        reasons=plan.reasons,
        payments=payment_results(plan, status),
    )


@dataclass
class ControlTotals:
    """Count and sum of a set of decisions, printed before and after the run."""

    count: int = 0
    amount_ore: int = 0

    def text(self) -> str:
        return f"{self.count} decisions, {format_amount(self.amount_ore)} kr"


class PlanningSteps(RunState):
    """Read the export and plan it: the first steps of a run."""

    def read_export(self) -> None:
        """Check that the export can be read; a file-level problem stops the run before anything is in."""
        path = self.settings.decisions_file
        try:
            if path is None:
                raise ExportFileError("unreadable", "DECISIONS_FILE is not set: name the export to process")
            if not path.is_file():
                raise ExportFileError("unreadable", f"the export {path.name!r} does not exist")
            self.source_sha256 = file_sha256(path)
            read_header(path, max_decisions=self.rules.max_decisions)
        except ExportFileError as error:
            self.error = error
            self.log.warning("export_unreadable", step="read", code=error.code, error=error.message)
            raise
        self.log.event("export_read", step="read", file_name=self.source_name, sha256=self.source_sha256)
        self.say(f"Export {self.source_name} (SHA-256 {self.source_sha256[:12]}…) can be read")

    def use_plans(self, plans: list[DecisionPlan]) -> None:
        """Work on these plans (handed over in work items) instead of reading an export."""
        self._handed_plans = plans
        self.decisions = len(plans)

    def iter_plans(self) -> Iterator[DecisionPlan]:
        """The export's plans in file order, read afresh and planned by the run's rules (or the plans
        handed over)."""
        if self._handed_plans is not None:
            yield from self._handed_plans
            return
        path = self.settings.decisions_file
        assert path is not None
        if self.source_sha256 and file_sha256(path) != self.source_sha256:
            raise ExportFileError(
                "unreadable",
                f"the export {path.name!r} changed while the run was working on it; nothing more is done."
                " Run the robot again on the new file",
            )
        yield from plan_export(path, self.rules)

    def plan(self) -> ControlTotals:
        """Validate and split every decision. Returns the control totals of the file."""
        started = dt.datetime.now(dt.UTC)
        totals = ControlTotals()
        payments = 0
        first: dt.date | None = None
        last: dt.date | None = None
        try:
            for plan in self.iter_plans():
                totals.count += 1
                totals.amount_ore += 0 if plan.protected else plan.amount_ore
                if plan.outcome is Outcome.PLANNED:
                    self.planned += 1
                    payments += len(plan.payments)
                    for payment in plan.payments:
                        first = min(first or payment.payout_date, payment.payout_date)
                        last = max(last or payment.payout_date, payment.payout_date)
        except ExportFileError as error:
            self.error = error
            self.log.warning("export_unreadable", step="plan", code=error.code, error=error.message)
            raise
        self.decisions = totals.count
        self.payout_dates = (first, last) if first is not None and last is not None else None
        self._tell_planned(totals, payments, seconds=(dt.datetime.now(dt.UTC) - started).total_seconds())
        return totals

    def _tell_planned(self, totals: ControlTotals, payments: int, *, seconds: float) -> None:
        manual = self.decisions - self.planned
        self.log.event(
            "planned",
            step="plan",
            decisions=self.decisions,
            planned=self.planned,
            manual=manual,
            payments=payments,
            amount_ore=totals.amount_ore,
            duration_s=round(seconds, 3),
        )
        self.announce(
            f"Control totals of the file: {totals.text()}; {self.planned} decisions planned "
            f"({payments} payments), {manual} for manual handling"
        )
