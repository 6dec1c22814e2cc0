"""Keyword library for the ``Split payouts`` task: the business steps of one run.

A thin layer over :class:`splitpayout.jobs.split_payouts.job.SplitPayoutJob`: each keyword is one
step a case worker would recognise. Configuration comes from
:class:`splitpayout.config.Config` (its ``run`` section, :class:`splitpayout.config.Settings`);
the payout system's credentials from the environment or the vault
(:func:`splitpayout.config.payout_system_credentials`), never through a keyword argument,
so they cannot reach the log.
"""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING, Never

from robot.api.deco import keyword, library
from robotglue import robot_log as logger
from robotglue.keyword_library import JobLibrary, KeywordFailure
from splitpayout.adapters.ledger_key import fingerprint_key
from splitpayout.config import Settings
from splitpayout.config import payout_system_credentials as payout_system_credentials
from splitpayout.domain.errors import ExportFileError
from splitpayout.jobs.split_payouts.job import SplitPayoutJob

from swedish_rules import format_amount

if TYPE_CHECKING:
    from robotglue.robot_gateway import RobotGateway

#: An export the robot cannot read fails the keyword with what is wrong.
_export_step = KeywordFailure(
    ExportFileError, lambda error: f"The export cannot be processed, nothing was entered: {error}"
)


# No settings error is turned into a keyword failure of its own here (``Never``): a wrong setting
# fails the first keyword with the configuration's SettingsError, which names the variable.
@library(scope="SUITE", auto_keywords=False)
class SplitPayouts(JobLibrary[SplitPayoutJob, Never]):
    """The steps of a split-payout run: read, plan, register, report."""

    def __init__(self) -> None:
        super().__init__()
        self._gateway: RobotGateway | None = None

    def build_job(self) -> SplitPayoutJob:
        settings = self.settings()
        if not settings.dry_run:  # a real run without its ledger key does not start (ROBOT_ENV)
            fingerprint_key(self.config.ledger_key, say=logger.info)
        job = SplitPayoutJob(settings, say=logger.info, announce=_announce, started_by=settings.started_by)
        logger.info(f"Run {job.run_id} ({job.mode})")
        return job

    def settings(self) -> Settings:
        """The run's settings; the work-item steps adjust them."""
        return self.config.run

    def open_gateway(self) -> RobotGateway:
        """The payout system's browser, with the robot's credentials (never logged)."""
        from robotglue.browser import BrowserSettings
        from robotglue.robot_gateway import RobotGateway

        job = self.job
        credentials = self.config.credentials
        username, password = payout_system_credentials(job.settings.vault_secret_name, credentials)
        self._gateway = RobotGateway(BrowserSettings.from_settings(job.settings), username, password)
        self._gateway.open()
        return self._gateway

    def close_gateway(self) -> None:
        """Close the payout system's browser, if it was opened."""
        if self._gateway is not None:
            self._gateway.close()
            self._gateway = None

    @keyword
    @_export_step
    def read_the_decisions_export(self) -> None:
        """Check that DECISIONS_FILE is an export the robot can read; fail with what is wrong if not."""
        self.job.read_export()

    @keyword
    @_export_step
    def plan_the_payments(self) -> None:
        """Validate every decision and split its amount into payments, or send it to manual handling."""
        self.job.plan()

    @keyword(tags=["robot:flatten"])
    def register_the_planned_payments(self) -> None:
        """Enter every planned payment in the payout system exactly once (a dry run enters nothing).

        Flattened in the log: one entry per decision and its payments, and the warnings and
        failures of the browser steps, instead of every step of every payment.
        """
        job = self.job
        if job.settings.dry_run:
            job.record_dry_run()
            return
        if not job.room_to_start():  # before logging in anywhere
            return
        try:
            if job.settings.workers > 1:
                from splitpayout.jobs.parallel import register_in_parallel

                register_in_parallel(job, job.settings.workers)
                return
            job.register(self.open_gateway(), worker_id=f"{socket.gethostname()}:{os.getpid()}")
        except Exception as error:
            job.fail(error)
            raise

    @keyword
    def write_the_run_reports(self) -> None:
        """Write summary.json and, when a decision needs a human, the case workers' workbook."""
        totals = self.job.write_reports()
        data = totals.as_dict()
        _announce(
            "Control totals after the run (they add up to the file's): "
            + ", ".join(f"{count} {name}" for name, count in data["outcomes"].items() if count)
            + "; "
            + ", ".join(f"{name} {format_amount(ore)} kr" for name, ore in data["amounts_ore"].items())
        )

    @keyword
    def check_that_every_decision_has_been_handled(self) -> None:
        """Fail when a decision ended ``failed`` or the run was stopped: a later run completes them."""
        job = self.job
        cause = job.cause
        if cause is not None:
            raise AssertionError(
                f"The run {job.status}: {cause.sentence} ({cause.detail}); {job.failed} decisions "
                "are left for a later run"
            )
        if job.failed:
            raise AssertionError(f"{job.failed} decisions failed for technical reasons; run the robot again")
        if job.missing_results:
            raise AssertionError(
                f"{job.missing_results} decisions of the export have no result yet: their work items are"
                " still queued or failed before a consumer reported them; report again when they are done"
            )

    @keyword
    def finish_the_run(self) -> None:
        """Close the payout system and make sure the reports exist, whatever happened before."""
        self.close_gateway()
        if self._job is None:
            return
        try:
            if self._job.reports_pending:
                # The task did not get as far as its reports: whatever the results say, it did not complete.
                self._job.fail(
                    "the run ended before its reports were written (see the failed step in log.html)"
                )
                self._job.write_reports()
        finally:
            self._job.close()


_CONSOLE = {"started": False}


def _announce(text: str) -> None:
    """A milestone of the run: in the log and on the console of whoever watches it (the first
    one starts a new line: Robot Framework's console is in the middle of the task's line)."""
    logger.info(text)
    prefix = "" if _CONSOLE["started"] else "\n"
    _CONSOLE["started"] = True
    logger.console(f"{prefix}  {text}")
