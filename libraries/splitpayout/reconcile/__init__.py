"""Reconciliation of a payout period: the payout system against the decisions and the ledger.

What it compares, the findings and the reports: docs/reconciliation.md. One module per job:
``settings`` (the period), ``sources`` (the exports, planned), ``client`` (the payout system's
API), ``findings`` and ``compare`` (the finders), ``report`` (the reports), ``job`` (the steps).
"""

from __future__ import annotations

from splitpayout.files import file_sha256
from splitpayout.reconcile.client import (
    MAX_REFERENCE_LOOKUPS,
    HeldPayment,
    Holdings,
    PayoutSystemApi,
    look_up_elsewhere,
    read_period,
)
from splitpayout.reconcile.compare import (
    FINDERS,
    differing_fields,
    ledger_by_reference,
    reconcile,
    references_to_look_up,
)
from splitpayout.reconcile.errors import ReconcileInputError
from splitpayout.reconcile.findings import Count, Finding, FindingCode, Reconciliation
from splitpayout.reconcile.job import ReconciliationJob, discrepancies
from splitpayout.reconcile.report import (
    FINDING_TEXT,
    REPORT_FILE,
    WORKBOOK_FILE,
    new_reconciliation_id,
    write_settings_error_report,
    write_workbook,
)
from splitpayout.reconcile.settings import MAX_PERIOD_DAYS, Period, ReconcileSettings, period_from_env
from splitpayout.reconcile.sources import Decisions, ExportSource, export_files, read_decisions

__all__ = [
    "FINDERS",
    "FINDING_TEXT",
    "MAX_PERIOD_DAYS",
    "MAX_REFERENCE_LOOKUPS",
    "REPORT_FILE",
    "WORKBOOK_FILE",
    "Count",
    "Decisions",
    "ExportSource",
    "Finding",
    "FindingCode",
    "HeldPayment",
    "Holdings",
    "PayoutSystemApi",
    "Period",
    "ReconcileInputError",
    "ReconcileSettings",
    "Reconciliation",
    "ReconciliationJob",
    "differing_fields",
    "discrepancies",
    "export_files",
    "file_sha256",
    "ledger_by_reference",
    "look_up_elsewhere",
    "new_reconciliation_id",
    "period_from_env",
    "read_decisions",
    "read_period",
    "reconcile",
    "references_to_look_up",
    "write_settings_error_report",
    "write_workbook",
]
