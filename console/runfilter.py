"""The run history's filters (period, kind, file, started by, state), its pages and its CSV export.

Every value comes from the query string and is only compared with, never trusted: dates that do not
parse and unknown kinds or states are ignored, text is bounded.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from console.display import STATE_LABELS, TASK_LABELS, local_time, started_by
from console.history import FAILED, INTERRUPTED, RunView
from console.runstate import kind_text, state_text

PAGE_SIZE = 50
MAX_TEXT = 100
FAILED_FILTER = "misslyckade"
STATES = {**{state: state for state in STATE_LABELS}, FAILED_FILTER: FAILED_FILTER}
OUTCOMES = ("paid", "already_paid", "manual", "failed", "planned")
CSV_COLUMNS = (
    "start",
    "slut",
    "typ",
    "startad_av",
    "fil",
    "sha256",
    *OUTCOMES,
    "tid_sekunder",
    "slutstatus",
    "lage",
    "felkod",
    "korning",
)
# A cell starting like this is taken for a formula by spreadsheet programs: it is written after a '.
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _text(text: str | None) -> str:
    return (text or "").strip()[:MAX_TEXT]


DATE_PROBLEM = "{label}: skriv datumet som ÅÅÅÅ-MM-DD (till exempel 2026-12-06). Det filtrerar inte nu."
REVERSED_PROBLEM = (
    "Startad från ({first}) är efter Startad till och med ({last}): inga körningar kan matcha. "
    "Byt plats på datumen. Datumen filtrerar inte nu."
)


def _period(args: Mapping[str, str]) -> tuple[dt.date | None, dt.date | None, tuple[tuple[str, str], ...]]:
    """The dates asked for and what is wrong with them (a date that cannot be read, or a reversed
    period, filters nothing and is said)."""
    problems: list[tuple[str, str]] = []
    days: list[dt.date | None] = []
    fields = (("fran", "filter-from", "Startad från"), ("till", "filter-to", "Startad till"))
    for name, field, label in fields:
        text = (args.get(name) or "").strip()
        day = _day(text)
        if text and day is None:
            problems.append((field, DATE_PROBLEM.format(label=label)))
        days.append(day)
    first, last = days
    if first is not None and last is not None and first > last:
        problems.append(("filter-from", REVERSED_PROBLEM.format(first=first, last=last)))
        first = last = None
    return first, last, tuple(problems)


@dataclass(frozen=True)
class RunFilter:
    """What the operator asked to see; empty fields do not filter."""

    first_day: dt.date | None = None
    last_day: dt.date | None = None
    kind: str = ""
    file: str = ""
    started_by: str = ""
    state: str = ""
    page: int = 1
    problems: tuple[tuple[str, str], ...] = ()  # (field id, what is wrong in Swedish): not filtered by

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> RunFilter:
        state = args.get("status", "")
        if args.get("visa") == FAILED_FILTER:  # the menu's "Misslyckade körningar"
            state = FAILED_FILTER
        try:
            page = max(1, min(int(args.get("sida", "1")), 100000))
        except ValueError:
            page = 1
        kind = args.get("typ", "")
        first, last, problems = _period(args)
        return cls(
            problems=problems,
            first_day=first,
            last_day=last,
            kind=kind if kind in TASK_LABELS else "",
            file=_text(args.get("fil")),
            started_by=_text(args.get("av")),
            state=STATES.get(state, ""),
            page=page,
        )

    @property
    def failed_only(self) -> bool:
        return self.state == FAILED_FILTER

    @property
    def active(self) -> bool:
        return any((self.first_day, self.last_day, self.kind, self.file, self.started_by, self.state))

    def matches(self, view: RunView, upload_names: Mapping[str, str] | None = None) -> bool:
        """Whether the run fits. ``upload_names`` (upload id -> the case worker's own file name) lets
        the file filter find a console run by the name its case worker knows it by; the page still
        shows only the label."""
        record = view.record
        if self.first_day or self.last_day:
            if record.started_at is None:
                return False
            day = local_time(record.started_at).date()
            if (self.first_day and day < self.first_day) or (self.last_day and day > self.last_day):
                return False
        if self.kind and view.kind != self.kind:
            return False
        if self.file and not self._file_matches(view, upload_names or {}):
            return False
        if self.started_by and self.started_by.casefold() not in started_by(record.started_by).casefold():
            return False
        if self.state == FAILED_FILTER:
            return view.state in (FAILED, INTERRUPTED)
        return not self.state or view.state == self.state

    def _file_matches(self, view: RunView, upload_names: Mapping[str, str]) -> bool:
        wanted = self.file.casefold()
        if wanted in view.record.source_name.casefold():
            return True
        upload_id = view.console_run.upload_id if view.console_run is not None else None
        return bool(upload_id) and wanted in upload_names.get(str(upload_id), "").casefold()

    def args(self, page: int | None = None) -> dict[str, str]:
        """The query string of this filter (for links to other pages and to the CSV)."""
        values = {
            "fran": self.first_day.isoformat() if self.first_day else "",
            "till": self.last_day.isoformat() if self.last_day else "",
            "typ": self.kind,
            "fil": self.file,
            "av": self.started_by,
            "status": self.state,
        }
        if page is not None and page > 1:
            values["sida"] = str(page)
        return {key: value for key, value in values.items() if value}


def _safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_LEADS) else text


def _moment(moment: dt.datetime | None) -> str:
    return "" if moment is None else local_time(moment).isoformat(timespec="seconds")


def csv_document(views: Iterable[RunView]) -> str:
    """The runs as CSV: times in Europe/Stockholm with their offset, no personal data."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for view in views:
        record = view.record
        duration = record.duration_seconds
        writer.writerow(
            _safe(value)
            for value in (
                _moment(record.started_at),
                _moment(record.finished_at),
                kind_text(view),
                started_by(record.started_by),
                record.source_name,
                record.source_sha256,
                *(record.outcomes.get(outcome, "") for outcome in OUTCOMES),
                "" if duration is None else round(duration),
                "" if record.exit_status is None else record.exit_status,
                state_text(view),
                record.error_code or "",
                view.name,
            )
        )
    return out.getvalue()
