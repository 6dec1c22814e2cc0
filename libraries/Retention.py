"""Keyword library for the ``Retention`` task: remove personal data older than the retention period.

A thin layer over :mod:`splitpayout.jobs.retention`. Configuration comes from
:class:`splitpayout.config.Config` (``RETENTION_DAYS``, ``RETENTION_DRY_RUN``, the folders;
see docs/scheduling.md).
The report, ``retention.json`` and ``summary.json`` in the run's artifacts, holds counts and
run folder names only; a copy of the run's record goes into the run history (``RUNS_DIR``)
so that the console's history shows every retention run.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil

from robot.api.deco import keyword, library
from robotglue import robot_log as logger
from splitpayout.adapters.reports import write_json_atomically
from splitpayout.adapters.runs import RUN_RECORD_FILE, SUMMARY_FILE, new_run_dir
from splitpayout.config import Config
from splitpayout.domain.localtime import run_stamp
from splitpayout.jobs.retention import (
    CATEGORIES,
    RETENTION_FILE,
    RetentionReport,
    RetentionSettings,
    run_retention,
)


@library(scope="SUITE", auto_keywords=False)
class Retention:
    """The steps of a retention run: find what is due, remove it, report, record it in the history."""

    def __init__(self) -> None:
        self._settings: RetentionSettings | None = None
        self._report: RetentionReport | None = None
        self._started = dt.datetime.now(dt.UTC)
        self._run_id = f"{run_stamp(self._started)}-retention-{secrets.token_hex(3)}"

    @property
    def settings(self) -> RetentionSettings:
        if self._settings is None:
            self._settings = Config.load().retention
        return self._settings

    @keyword
    def remove_personal_data_older_than_the_retention_period(self) -> None:
        """Remove (or, with RETENTION_DRY_RUN, only count) every file and record past the period."""
        settings = self.settings
        what = "Listing what would be removed" if settings.dry_run else "Removing"
        logger.info(f"{what}: personal data of runs and files older than {settings.days} days")
        self._report = run_retention(settings)

    @keyword
    def write_the_retention_report(self) -> None:
        """retention.json and summary.json in the artifacts: counts per kind and run folder names."""
        report = self._require_report()
        document = report.as_dict()
        artifacts = self.settings.artifacts_dir
        write_json_atomically(artifacts / RETENTION_FILE, document)
        write_json_atomically(artifacts / SUMMARY_FILE, self._summary(document))
        counts = document["would_remove" if report.dry_run else "removed"]
        verb = "would remove" if report.dry_run else "removed"
        logger.info(
            f"Retention {verb}: "
            + ", ".join(f"{counts[c]} {c.replace('_', ' ')}" for c in CATEGORIES)
            + f"; from {len(report.runs)} runs",
            also_console=True,
        )
        if report.runs:
            logger.info("Runs: " + ", ".join(sorted(report.runs)))

    @keyword
    def check_that_everything_due_was_removed(self) -> None:
        """Fail when something past the period could not be removed: the next run tries again."""
        report = self._require_report()
        if not report.complete:
            failed = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in report.failed.items())
            raise AssertionError(f"Retention could not remove everything: {failed} (see retention.json)")

    @keyword
    def record_the_retention_in_the_run_history(self) -> None:
        """A folder in RUNS_DIR with this run's record, unless its artifacts already are one."""
        settings = self.settings
        artifacts = settings.artifacts_dir.resolve()
        if self._report is None or artifacts.parent == settings.runs_dir.resolve():
            return
        folder = new_run_dir(settings.runs_dir, "retention")
        for name in (RETENTION_FILE, SUMMARY_FILE):
            if (artifacts / name).is_file():
                shutil.copy2(artifacts / name, folder / name)
        record = {
            "task": "retention",
            "started_by": settings.started_by,
            "started_at": self._started.isoformat(timespec="seconds"),
            "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "exit_status": 0 if self._report.complete else 1,
            "artifacts": str(artifacts),
        }
        (folder / RUN_RECORD_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")

    def _require_report(self) -> RetentionReport:
        if self._report is None:
            raise AssertionError("Retention has not run: nothing to report")
        return self._report

    def _summary(self, document: dict[str, object]) -> dict[str, object]:
        return {
            "run_id": self._run_id,
            "task": "retention",
            "mode": "dry_run" if self.settings.dry_run else "real",
            "status": document["status"],
            "started_at": self._started.isoformat(timespec="seconds"),
            "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "retention": document,
        }
