"""Keyword library for the ``Process inbox`` task: the business steps of one inbox run.

A thin layer over :class:`splitpayout.inbox.Inbox`: take the inbox, put back what an
interrupted run left, process every new export (each by the ``Split payouts`` task in its
own run folder), and report. Settings come from :class:`splitpayout.config.Config`
(:class:`splitpayout.inbox.InboxSettings`; see ``docs/scheduling.md``).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from robot.api import logger
from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn
from splitpayout.config import Config, SettingsError
from splitpayout.inbox import Inbox, InboxSettings, write_error_summary


@library(scope="SUITE", auto_keywords=False)
class ProcessInbox:
    """The steps of an inbox run: take the inbox, process the new exports, report."""

    def __init__(self) -> None:
        self._inbox: Inbox | None = None
        self._summary_written = False
        self._settings_error = ""

    @cached_property
    def config(self) -> Config:
        """The run's configuration, read once."""
        return Config.load()

    @property
    def inbox(self) -> Inbox:
        if self._inbox is None:
            try:
                settings = InboxSettings.from_config(self.config)
            except SettingsError as error:
                self._settings_error = f"a wrong setting: {error}"
                raise AssertionError(f"The inbox cannot be processed, nothing was moved: {error}") from None
            self._inbox = Inbox(settings, say=_announce)
        return self._inbox

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
        if self._inbox is None:
            if self._settings_error:
                write_error_summary(self.config.places.artifacts_dir, self._settings_error)
            return
        if not self._summary_written:
            self._write_summary(error="the inbox run ended before its report (see the log)")
        self._inbox.close()

    def _write_summary(self, error: str = "") -> dict[str, Any]:
        summary = self.inbox.finish(error)
        path = self.inbox.write_summary(summary)
        self._summary_written = True
        logger.info(f"Wrote {path}")
        return summary


def _announce(text: str) -> None:
    """A line of the inbox run: in the log and on the console of whoever watches it."""
    logger.info(text)
    logger.console(f"  {text}")
