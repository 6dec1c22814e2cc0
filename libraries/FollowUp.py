"""Keyword library for the ``Follow up`` task: the board's figures of split payouts by legal sex.

A thin layer over :class:`splitpayout.jobs.followup.job.FollowUpJob`. Configuration comes from
:class:`splitpayout.config.Config` (``FOLLOW_UP_FROM``, ``FOLLOW_UP_TO``, ``RUNS_DIR``,
``FOLLOW_UP_RUN_FOLDERS``, ``ROBOT_ARTIFACTS``; see docs/follow-up.md). Nothing it logs or
writes holds personal data: counts and sums, small groups withheld.
"""

from __future__ import annotations

from robot.api.deco import keyword, library
from robotglue import robot_log as logger
from splitpayout.config import Config
from splitpayout.jobs.followup.job import FollowUpJob


@library(scope="SUITE", auto_keywords=False)
class FollowUp:
    """The steps of a follow-up: read the runs, count the period, write the files."""

    def __init__(self) -> None:
        self._job: FollowUpJob | None = None

    @property
    def job(self) -> FollowUpJob:
        if self._job is None:
            self._job = FollowUpJob(
                Config.load().follow_up, say=lambda text: logger.info(text, also_console=True)
            )
        return self._job

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
