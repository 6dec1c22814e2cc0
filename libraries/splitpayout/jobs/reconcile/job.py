"""One reconciliation, step by step: read the three sources, compare, write the reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, Unpack

from splitpayout.adapters.ledger import Ledger, LedgerEntry
from splitpayout.adapters.ledger_key import fingerprint_key
from splitpayout.adapters.narration import NarratedJob, Narration
from splitpayout.adapters.reports import write_json_atomically
from splitpayout.domain.models import Outcome, PlannedPayment
from splitpayout.jobs.reconcile.client import (
    MAX_REFERENCE_LOOKUPS,
    Holdings,
    PayoutSystemApi,
    look_up_elsewhere,
    read_period,
)
from splitpayout.jobs.reconcile.compare import ledger_by_reference, reconcile, references_to_look_up
from splitpayout.jobs.reconcile.errors import ReconcileInputError
from splitpayout.jobs.reconcile.findings import Reconciliation
from splitpayout.jobs.reconcile.report import (
    REPORT_FILE,
    WORKBOOK_FILE,
    new_reconciliation_id,
    write_workbook,
)
from splitpayout.jobs.reconcile.settings import Period, ReconcileSettings
from splitpayout.jobs.reconcile.sources import Decisions, read_decisions
from swedish_rules import format_amount


def discrepancies(count: int) -> str:
    return f"{count} discrepancy" if count == 1 else f"{count} discrepancies"


class ReconciliationJob(NarratedJob):
    """One reconciliation, step by step; the ``Reconcile`` keyword library is a thin layer over it.

    Steps: ``read_decisions``, ``read_ledger`` and ``read_payout_system`` (in any order), then
    ``compare`` and ``write_reports``. An input that cannot be read raises ReconcileInputError; the reports
    then say so (``status: input_error``).
    """

    def __init__(self, settings: ReconcileSettings, **narration: Unpack[Narration]) -> None:
        super().__init__(**narration)
        self.settings = settings
        self.reconciliation_id = new_reconciliation_id(self.started_at)
        self.decisions: Decisions | None = None
        self.holdings: Holdings | None = None
        self.ledger_entries: dict[str, LedgerEntry] | None = None
        self.fingerprint: Callable[[PlannedPayment], str] | None = None
        self.result: Reconciliation | None = None
        self.error: ReconcileInputError | None = None
        self.reports_written = False
        self._api: PayoutSystemApi | None = None
        self._ledger: Ledger | None = None

    @property
    def period(self) -> Period:
        return self.settings.period

    def _failed(self, error: ReconcileInputError) -> ReconcileInputError:
        self.error = error
        return error

    def read_decisions(self) -> Decisions:
        settings = self.settings
        self.say(
            f"Period {self.period.text()}; decisions planned as on {settings.planning_date.isoformat()} "
            "(the first day of the period)"
        )
        try:
            self.decisions = read_decisions(settings.decisions_path, settings.rules, say=self.say)
        except ReconcileInputError as error:
            raise self._failed(error) from None
        plans = self.decisions.plans.values()
        in_period = sum(
            1
            for plan in plans
            if plan.outcome is Outcome.PLANNED and any(p.payout_date in self.period for p in plan.payments)
        )
        self.announce(
            f"Decisions: {len(self.decisions.plans)} in {len(self.decisions.sources)} export(s), "
            f"{in_period} with payments in the period"
        )
        return self.decisions

    def read_payout_system(self, token: str) -> Holdings:
        settings = self.settings
        self._api = PayoutSystemApi(
            settings.payout_system_url,
            token,
            timeout=settings.timeout_seconds,
            attempts=settings.max_attempts,
            backoff_seconds=settings.backoff_seconds,
        )
        try:
            self.holdings = read_period(self._api, self.period)
        except ReconcileInputError as error:
            raise self._failed(error) from None
        held = sum(p.amount_ore for p in self.holdings.in_period)
        self.announce(
            f"The payout system holds {len(self.holdings.in_period)} payments, {format_amount(held)} kr, "
            f"for the period ({self.holdings.days_queried} payout dates asked)"
        )
        return self.holdings

    def read_ledger(self) -> dict[str, LedgerEntry]:
        path = self.settings.ledger_path
        if not path.is_file():
            raise self._failed(
                ReconcileInputError(
                    "ledger",
                    f"the ledger {path.name!r} does not exist in STATE_DIR: set STATE_DIR to the robot's "
                    "state folder",
                )
            )
        key = fingerprint_key(say=self.say)  # a production installation without its key stops here, saying so
        try:
            self._ledger = Ledger(path, fingerprint_key=key)
            self.ledger_entries = ledger_by_reference(self._ledger.entries())
        except Exception as error:  # sqlite3 raises several kinds for a damaged or locked file
            raise self._failed(
                ReconcileInputError(
                    "ledger", f"the ledger {path.name!r} cannot be read ({type(error).__name__})"
                )
            ) from None
        self.fingerprint = self._ledger.fingerprint
        self.say(f"Ledger {path.name}: {len(self.ledger_entries)} payment references")
        return self.ledger_entries

    def compare(self) -> Reconciliation:
        assert self.decisions is not None and self.holdings is not None and self.ledger_entries is not None
        plans = self.decisions.plans
        if self._api is not None:
            wanted = references_to_look_up(self.period, plans, self.holdings, self.ledger_entries)
            if wanted:
                self.say(
                    f"Looking up {len(wanted)} reference(s) on any payout date: planned in the period but "
                    "not held in it, or held with another payment number than the ledger's"
                    + (f" (the first {MAX_REFERENCE_LOOKUPS})" if len(wanted) > MAX_REFERENCE_LOOKUPS else "")
                )
            try:
                look_up_elsewhere(self._api, self.holdings, wanted, self.period)
            except ReconcileInputError as error:
                raise self._failed(error) from None
        self.result = reconcile(self.period, plans, self.holdings, self.ledger_entries, self.fingerprint)
        for finding in self.result.findings:
            self.say(finding.line())
        result = self.result
        self.announce(
            f"Held {result.held.payments} payments ({format_amount(result.held.amount_ore)} kr), "
            f"planned {result.planned.payments} ({format_amount(result.planned.amount_ore)} kr), "
            f"matched {result.matched.payments} ({format_amount(result.matched.amount_ore)} kr); "
            + (
                "no discrepancies"
                if not result.findings
                else f"{discrepancies(len(result.findings))}: "
                + ", ".join(f"{n} {code}" for code, n in result.counts().items() if n)
            )
        )
        return result

    @property
    def status(self) -> str:
        if self.error is not None:
            return "input_error"
        if self.result is None:
            return "incomplete"
        return "discrepancies" if self.result.findings else "reconciled"

    def document(self) -> dict[str, Any]:
        """reconciliation.json: period, sources, totals and findings by code (no personal data)."""
        settings = self.settings
        decisions = self.decisions
        holdings = self.holdings
        result = self.result
        document: dict[str, Any] = {
            "reconciliation_id": self.reconciliation_id,
            "status": self.status,
            "started_by": self.started_by,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "period": {"from": self.period.first.isoformat(), "to": self.period.last.isoformat()},
            "planning_date": settings.planning_date.isoformat(),
            "amount_limit_ore": settings.rules.amount_limit_ore,
            "sources": {
                "decisions": [] if decisions is None else [s.as_dict() for s in decisions.sources],
                "decisions_superseded": None if decisions is None else decisions.superseded,
                "ledger": {
                    "file_name": settings.ledger_path.name,
                    "entries": None if self.ledger_entries is None else len(self.ledger_entries),
                },
                "payout_system": {
                    "url": settings.payout_system_url,
                    "days_queried": None if holdings is None else holdings.days_queried,
                    "references_looked_up": None if holdings is None else holdings.references_looked_up,
                    "look_ups_skipped": None if holdings is None else holdings.look_ups_skipped,
                },
            },
            "totals": None if result is None else result.totals(),
            "finding_counts": None if result is None else result.counts(),
            "findings": None
            if result is None
            else {code.value: [f.as_dict() for f in items] for code, items in result.by_code().items()},
            "error": None
            if self.error is None
            else {"source": self.error.source, "message": self.error.message},
        }
        return document

    def write_reports(self) -> Path:
        """reconciliation.json always; avstamning.xlsx when the comparison was made."""
        artifacts = self.settings.artifacts_dir
        document = self.document()
        write_json_atomically(artifacts / REPORT_FILE, document)
        workbook = artifacts / WORKBOOK_FILE
        if self.result is not None:
            write_workbook(workbook, document, self.result)
        elif workbook.exists():
            workbook.unlink()  # an earlier reconciliation's workbook must not be taken for this one's
        self.reports_written = True
        self.say(f"Reports: {REPORT_FILE}" + (f", {WORKBOOK_FILE}" if self.result is not None else ""))
        return artifacts / REPORT_FILE

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
            self._api = None
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None
