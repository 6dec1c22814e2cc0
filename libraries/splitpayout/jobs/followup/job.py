"""One run of the ``Follow up`` task: read the run folders, count the period, write the files.

Plain Python; the ``FollowUp`` keyword library is a thin layer over ``FollowUpJob``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from typing import Any

from splitpayout.config import FollowUpConfig, SettingsError
from splitpayout.jobs.followup.collect import FollowUpCounts, Period, RunFacts, count, read_runs, run_folders
from splitpayout.jobs.followup.files import CSV_FILE, JSON_FILE, WORKBOOK_FILE, write_files
from splitpayout.jobs.followup.report import follow_up_document

MAX_PERIOD_DAYS = 5 * 366


def previous_month(today: dt.date) -> Period:
    """The calendar month before ``today``'s."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    return Period(last.replace(day=1), last)


def period_of(given: FollowUpConfig, today: dt.date) -> Period:
    """``FOLLOW_UP_FROM``/``FOLLOW_UP_TO``; neither: the previous calendar month; a missing start
    is the first of the end's month, a missing end the last day of the start's month."""
    first, last = given.follow_up_from, given.follow_up_to
    if first is None and last is None:
        return previous_month(today)
    if first is None:
        assert last is not None
        first = last.replace(day=1)
    if last is None:
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    if last < first:
        raise SettingsError(f"FOLLOW_UP_TO ({last}) is before FOLLOW_UP_FROM ({first})")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise SettingsError(f"the period may be at most {MAX_PERIOD_DAYS} days, got {first} to {last}")
    return Period(first, last)


class FollowUpJob:
    """The state of one follow-up: the period, the runs read, the counts and the document."""

    def __init__(
        self, settings: FollowUpConfig, *, today: dt.date | None = None, say: Callable[[str], None] = print
    ) -> None:
        self.settings = settings
        self.period = period_of(settings, today or dt.date.today())
        self.say = say
        self.runs: list[RunFacts] = []
        self.counts: FollowUpCounts | None = None
        self.document: dict[str, Any] | None = None

    def read_runs(self) -> None:
        """Every real payout run under RUNS_DIR and in FOLLOW_UP_RUN_FOLDERS, each once."""
        folders = run_folders(self.settings.runs_dir, self.settings.extra_run_folders)
        self.runs = read_runs(folders)
        without = sum(1 for run in self.runs if run.statistics is None)
        self.say(
            f"{len(folders)} run folders read: {len(self.runs)} real payout runs"
            + (
                f", {without} of them without statistics (older runs: their paid households are not counted)"
                if without
                else ""
            )
        )

    def count(self) -> dict[str, Any]:
        """Each decision once, per month of payout date; small groups withheld."""
        self.counts = count(self.runs, self.period)
        self.document = follow_up_document(self.counts, created=dt.datetime.now(dt.UTC))
        total = self.document["total"]
        paid = total["households"]["paid"]
        self.say(
            f"Payout dates {self.period.first} to {self.period.last}: "
            f"{'fewer than 5' if paid is None else paid} households paid, "
            f"{len(total['withheld'])} figures of the period withheld (fewer than 5 households)"
        )
        return self.document

    def write(self) -> None:
        """uppfoljning.json, .csv and .xlsx in the artifacts."""
        if self.document is None:
            raise RuntimeError("nothing counted: count the period first")
        artifacts = self.settings.artifacts_dir
        write_files(artifacts, self.document)
        self.say(f"Written: {JSON_FILE}, {CSV_FILE}, {WORKBOOK_FILE}")
