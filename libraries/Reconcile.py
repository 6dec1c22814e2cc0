"""Keyword library for the ``Reconcile`` task: the business steps of one reconciliation.

A thin layer over :class:`splitpayout.jobs.reconcile.ReconciliationJob`. Configuration comes
from :class:`splitpayout.config.Config` (see docs/reconciliation.md); the payout system's API
token from the environment or the vault, never through a keyword argument, so it cannot
reach the log.
"""

from __future__ import annotations

from robot.api.deco import keyword, library
from robotglue import robot_log as logger
from robotglue.keyword_library import JobLibrary, KeywordFailure
from robotglue.keyword_library import announce as _announce
from splitpayout.config import Config, MissingSecretError
from splitpayout.config import payout_system_api_token as api_token_of
from splitpayout.jobs.reconcile.errors import ReconcileInputError
from splitpayout.jobs.reconcile.job import ReconciliationJob, discrepancies
from splitpayout.jobs.reconcile.report import REPORT_FILE, WORKBOOK_FILE, write_settings_error_report
from splitpayout.jobs.reconcile.settings import ReconcileSettings


def payout_system_api_token(secret_name: str, config: Config | None = None) -> str:
    """The API token: PAYOUT_SYSTEM_API_TOKEN, else key ``api_token`` of the vault secret ``secret_name``."""
    credentials = (config or Config.load()).credentials
    try:
        return api_token_of(secret_name, credentials)
    except MissingSecretError as error:
        raise ReconcileInputError("payout_system", str(error)) from None


#: An input that cannot be read fails the keyword with what is wrong.
_input_step = KeywordFailure(
    ReconcileInputError, lambda error: f"Input cannot be read ({error.source}): {error.message}"
)


@library(scope="SUITE", auto_keywords=False)
class Reconcile(JobLibrary[ReconciliationJob, ReconcileInputError]):
    """The steps of a reconciliation: read decisions, payout system and ledger; compare; report."""

    settings_errors = (ReconcileInputError,)

    def build_job(self) -> ReconciliationJob:
        settings = ReconcileSettings.from_config(self.config)
        job = ReconciliationJob(settings, say=logger.info, announce=_announce, started_by=settings.started_by)
        logger.info(f"Reconciliation {job.reconciliation_id}")
        return job

    def cannot_start(self, error: ReconcileInputError) -> str:
        return f"The reconciliation cannot start: {error.message}"

    @keyword
    @_input_step
    def read_the_decisions_of_the_period(self) -> None:
        """Plan every decision of DECISIONS_FILE (an export, or a folder of exports) as the robot does."""
        self.job.read_decisions()

    @keyword
    @_input_step
    def read_what_the_payout_system_holds(self) -> None:
        """Ask the payout system's API for every payment of each payout date of the period."""
        job = self.job
        token = payout_system_api_token(job.settings.vault_secret_name, self.config)
        job.read_payout_system(token)

    @keyword
    @_input_step
    def read_the_ledger(self) -> None:
        """Read what the robot's ledger says it registered (references and payment numbers only)."""
        self.job.read_ledger()

    @keyword
    @_input_step
    def compare_the_payments_with_the_decisions_and_the_ledger(self) -> None:
        """Find every discrepancy; one log line per finding."""
        self.job.compare()

    @keyword
    def write_the_reconciliation_reports(self) -> None:
        """Write reconciliation.json (evidence for finance) and avstamning.xlsx (in Swedish)."""
        self.job.write_reports()

    @keyword
    def check_that_the_period_is_reconciled(self) -> None:
        """Fail when a discrepancy was found: the exit status is then non-zero."""
        result = self.job.result
        if result is None:
            raise AssertionError("The comparison was not made")
        if result.findings:
            counts = ", ".join(f"{n} {code}" for code, n in result.counts().items() if n)
            raise AssertionError(
                f"{discrepancies(len(result.findings))} for payout dates {self.job.period.text()} "
                f"({counts}): see {WORKBOOK_FILE} and {REPORT_FILE}"
            )
        _announce(f"Payout dates {self.job.period.text()}: no discrepancies")

    @keyword
    def finish_the_reconciliation(self) -> None:
        """Make sure reconciliation.json exists, also when an input could not be read."""
        if self._job is None:
            if self.settings_error is not None:
                places = self.config.places
                write_settings_error_report(
                    places.artifacts_dir, self.settings_error, started_by=places.started_by
                )
            return
        try:
            if not self._job.reports_written:
                self._job.write_reports()
        finally:
            self._job.close()
