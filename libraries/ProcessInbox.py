"""Keyword library for the ``Process inbox`` task: the business steps of one inbox run.

A thin layer over :class:`splitpayout.jobs.inbox.Inbox`: take the inbox, put back what an
interrupted run left, process every new export (each by the ``Split payouts`` task in its
own run folder), and report. Settings come from :class:`splitpayout.config.Config`
(:class:`splitpayout.jobs.inbox.InboxSettings`; see ``docs/scheduling.md``).
"""

from __future__ import annotations

from typing import Any

from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn
from robotglue import robot_log as logger
from robotglue.keyword_library import JobLibrary
from robotglue.keyword_library import announce as _announce
from splitpayout.config import SettingsError
from splitpayout.jobs.inbox.job import Inbox, write_error_summary
from splitpayout.jobs.inbox.settings import InboxSettings


@library(scope="SUITE", auto_keywords=False)
class ProcessInbox(JobLibrary[Inbox, SettingsError]):
    """The steps of an inbox run: take the inbox, process the new exports, report."""

    settings_errors = (SettingsError,)

    def __init__(self) -> None:
        super().__init__()
        self._summary_written = False

    def build_job(self) -> Inbox:
        return Inbox(InboxSettings.from_config(self.config), say=_announce)

    def cannot_start(self, error: SettingsError) -> str:
        return f"The inbox cannot be processed, nothing was moved: {error}"

    @property
    def inbox(self) -> Inbox:
        """The inbox run (the library's job)."""
        return self.job

    @keyword
    def make_sure_no_other_inbox_run_is_working(self) -> None:
        """Take the inbox for this run. When another inbox run holds it, this run ends here,
        passing, and leaves every file to that run."""
        inbox = self.inbox
        settings = inbox.settings
        logger.info(
            f"Inbox {settings.inbox_dir}, archive {settings.archive_dir}, rejected {settings.rejected_dir}, "
            f"runs {settings.runs_dir} ({settings.mode})"
        )
        if not inbox.take():
            self._write_summary()
            BuiltIn().pass_execution(f"Nothing done: {inbox.message}")

    @keyword
    def return_exports_left_by_an_interrupted_run(self) -> None:
        """Put back into the inbox every export whose run an interrupted inbox run never finished."""
        returned = self.inbox.return_interrupted()
        if not returned:
            logger.info("No inbox run was interrupted")

    @keyword
    def process_every_new_export_in_the_inbox(self) -> None:
        """Run the ``Split payouts`` task on each new export, oldest first, and archive or reject it.

        One line per file: file name, SHA-256 prefix, run folder, outcome.
        """
        entries = self.inbox.process_new_exports()
        if not entries:
            _announce("The inbox holds no new export")

    @keyword
    def report_the_inbox_run(self) -> None:
        """Write inbox-summary.json; fail when a file was rejected or a run did not end well, so
        that monitoring alerts."""
        inbox = self.inbox
        summary = self._write_summary()
        counts = summary["counts"]
        _announce(
            "Inbox run: "
            + (", ".join(f"{count} {name}" for name, count in counts.items() if count) or "no files")
        )
        if inbox.needs_attention:
            attention = [e for e in inbox.entries if e.alerting]
            raise AssertionError(
                f"{len(attention)} of the inbox's files need attention: "
                + "; ".join(f"{e.file_name}: {e.outcome}" for e in attention)
            )

    @keyword
    def finish_the_inbox_run(self) -> None:
        """Write inbox-summary.json if no step did, and let go of the inbox."""
        if self._job is None:
            if self.settings_error is not None:
                write_error_summary(
                    self.config.places.artifacts_dir, f"a wrong setting: {self.settings_error}"
                )
            return
        if not self._summary_written:
            self._write_summary(error="the inbox run ended before its report (see the log)")
        self._job.close()

    def _write_summary(self, error: str = "") -> dict[str, Any]:
        summary = self.inbox.finish(error)
        path = self.inbox.write_summary(summary)
        self._summary_written = True
        logger.info(f"Wrote {path}")
        return summary
