"""Keyword library for the ``Follow up`` task: the board's figures of split payouts by legal sex.

A thin layer over :class:`splitpayout.jobs.followup.job.FollowUpJob`. Configuration comes from
:class:`splitpayout.config.Config` (``FOLLOW_UP_FROM``, ``FOLLOW_UP_TO``, ``RUNS_DIR``,
``FOLLOW_UP_RUN_FOLDERS``, ``ROBOT_ARTIFACTS``; see docs/follow-up.md). Nothing it logs or
writes holds personal data: counts and sums, small groups withheld.
"""

from __future__ import annotations

from robot.api.deco import keyword, library
from robotglue import robot_log as logger
from robotglue.keyword_library import JobLibrary
from splitpayout.jobs.followup.job import FollowUpJob


@library(scope="SUITE", auto_keywords=False)
class FollowUp(JobLibrary[FollowUpJob, Exception]):
    """The steps of a follow-up: read the runs, count the period, write the files."""

    # No setting error is caught here (``settings_errors`` stays empty): a wrong follow-up setting
    # fails the first keyword as Config.load() words it.

    def build_job(self) -> FollowUpJob:
        return FollowUpJob(self.config.follow_up, say=lambda text: logger.info(text, also_console=True))

    @keyword
    def read_every_run_folder(self) -> None:
        """The real payout runs under RUNS_DIR and in FOLLOW_UP_RUN_FOLDERS, each once."""
        self.job.read_runs()

    @keyword
    def count_each_decision_once(self) -> None:
        """The period's figures per month of payout date; figures under 5 households are withheld."""
        self.job.count()

    @keyword
    def write_the_follow_up_files(self) -> None:
        """uppfoljning.json, uppfoljning.csv and uppfoljning.xlsx in the artifacts."""
        self.job.write()
