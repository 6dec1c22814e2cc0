"""Read the runs' folders and count each decision once (docs/follow-up.md, "Counted once").

A run folder holds a run's ``summary.json``; a real ``Split payouts`` run (or work-item
reporter) also holds ``statistics.json`` (:mod:`splitpayout.jobs.followup.statistics`). Runs are
read oldest first, each once however many ways it was reached (by its run id):

- **paid** households and their amounts come from the ``statistics.json`` of the run that
  completed them, summed per payout date: ``paid`` is the outcome of one run only, so re-runs
  (``already_paid``) add nothing;
- **payments registered** are the payments each run entered itself, in the run that did;
- **manual** decisions are counted from ``summary.json`` by their latest outcome (decision
  number and reason codes), unless a run paid them; a decision whose latest outcome is
  ``failed`` is counted as not completed;
- **protected** decisions are only counted as left out.

Dry runs and other tasks' folders add nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from splitpayout.adapters.files import read_json_object
from splitpayout.adapters.runs import parse_date
from splitpayout.config.names import SUMMARY_FILE
from splitpayout.domain.models import Outcome
from splitpayout.domain.reasons import ReasonCode
from splitpayout.jobs.followup.statistics import AMOUNT_KEYS, HOUSEHOLD_KEYS, STATISTICS_FILE
from swedish_rules import previous_bank_day

_PAID = frozenset({Outcome.PAID.value, Outcome.ALREADY_PAID.value})
_PROTECTED = ReasonCode.PROTECTED_IDENTITY.value


@dataclass(frozen=True)
class Period:
    """Payout dates from ``first`` to ``last``, inclusive."""

    first: dt.date
    last: dt.date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.first <= day <= self.last

    def months(self) -> list[str]:
        """Every month the period touches, ``YYYY-MM``, in order."""
        found: list[str] = []
        year, month = self.first.year, self.first.month
        while (year, month) <= (self.last.year, self.last.month):
            found.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found


@dataclass
class Tally:
    """The counts of one month (or of the whole period), before anything is withheld."""

    households: Counter[str] = field(default_factory=Counter)
    amount_ore: Counter[str] = field(default_factory=Counter)
    households_with: Counter[str] = field(default_factory=Counter)
    payments_registered: int = 0
    households_registered: int = 0
    manual_by_reason: Counter[str] = field(default_factory=Counter)
    manual: int = 0
    not_completed: int = 0
    protected_left_out: int = 0

    def add_day(self, figures: dict[str, Any]) -> None:
        """Add one run's figures of one payout date (``statistics.json``'s ``by_payout_date``)."""
        for key in HOUSEHOLD_KEYS:
            self.households[key] += _count(figures.get("households"), key)
        for key in AMOUNT_KEYS:
            self.amount_ore[key] += _count(figures.get("amount_ore"), key)
            self.households_with[key] += _count(figures.get("households_with"), key)
        self.payments_registered += _count(figures, "payments_registered")
        self.households_registered += _count(figures, "households_registered")

    def add(self, other: Tally) -> None:
        for name in ("households", "amount_ore", "households_with", "manual_by_reason"):
            getattr(self, name).update(getattr(other, name))
        for name in ("payments_registered", "households_registered", "manual", "not_completed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.protected_left_out += other.protected_left_out


@dataclass(frozen=True)
class RunFacts:
    """What the follow-up reads of one run: its decisions' outcomes and its statistics."""

    run_id: str
    started_at: str
    run_date: dt.date
    decisions: list[dict[str, Any]]
    statistics: dict[str, Any] | None

    @property
    def undated_day(self) -> dt.date:
        """The day a decision without a payout date of its own is counted on: the run's first
        planned payout date (an export is one month's payouts), else the run's date."""
        first = parse_date((self.statistics or {}).get("first_payout_date"))
        return first or self.run_date


@dataclass
class FollowUpCounts:
    """Each month's tally and what was read."""

    period: Period
    months: dict[str, Tally]
    runs_read: int = 0
    runs_without_statistics: int = 0

    def total(self) -> Tally:
        total = Tally()
        for tally in self.months.values():
            total.add(tally)
        return total


def run_folders(runs_dir: Path, extra: Iterable[Path] = ()) -> list[Path]:
    """Every folder holding a ``summary.json``: the subfolders of ``runs_dir``, and each of ``extra``
    (or, when one of them is a folder of run folders, its subfolders)."""
    found: list[Path] = []
    for folder in (runs_dir, *extra):
        if (folder / SUMMARY_FILE).is_file() and folder != runs_dir:
            found.append(folder)
        elif folder.is_dir():
            found.extend(
                child
                for child in sorted(folder.iterdir())
                if not child.is_symlink() and (child / SUMMARY_FILE).is_file()
            )
    return found


def read_runs(folders: Iterable[Path]) -> list[RunFacts]:
    """The real payout runs of ``folders``, each once (by run id), oldest first."""
    runs: dict[str, RunFacts] = {}
    for folder in folders:
        facts = _read_run(folder)
        if facts is not None:
            runs.setdefault(facts.run_id, facts)
    return sorted(runs.values(), key=lambda run: (run.started_at, run.run_id))


def count(runs: list[RunFacts], period: Period) -> FollowUpCounts:
    """Each decision of ``runs`` counted once, per month of payout date within ``period``."""
    counts = FollowUpCounts(period, {month: Tally() for month in period.months()}, runs_read=len(runs))
    for run in runs:
        if run.statistics is None:
            counts.runs_without_statistics += 1
            continue
        for figures in run.statistics.get("by_payout_date") or []:
            day = parse_date(figures.get("payout_date")) if isinstance(figures, dict) else None
            if day in period:
                assert day is not None
                counts.months[f"{day:%Y-%m}"].add_day(figures)
    for day, decision in _latest_unpaid(runs):
        if day not in period:
            continue
        tally = counts.months[f"{day:%Y-%m}"]
        codes = [r.get("code") for r in decision.get("reasons") or [] if isinstance(r, dict)]
        if _PROTECTED in codes:
            tally.protected_left_out += 1
        elif decision.get("outcome") == Outcome.MANUAL.value:
            tally.manual += 1
            tally.manual_by_reason.update(str(code) for code in dict.fromkeys(codes) if code)
        elif decision.get("outcome") == Outcome.FAILED.value:
            tally.not_completed += 1
    return counts


def _latest_unpaid(runs: list[RunFacts]) -> Iterator[tuple[dt.date, dict[str, Any]]]:
    """Each decision no run paid, by its latest outcome, with the day it is counted on."""
    latest: dict[str, tuple[dt.date, dict[str, Any]]] = {}
    paid: set[str] = set()
    for run in runs:
        for decision in run.decisions:
            decision_id = decision.get("decision_id")
            if not isinstance(decision_id, str):
                continue
            if decision.get("outcome") in _PAID:
                paid.add(decision_id)
            requested = parse_date(decision.get("requested_payout_date"))
            day = previous_bank_day(requested) if requested is not None else run.undated_day
            latest[decision_id] = (day, decision)
    for decision_id, found in latest.items():
        if decision_id not in paid:
            yield found


def _read_run(folder: Path) -> RunFacts | None:
    summary = read_json_object(folder / SUMMARY_FILE)
    if summary.get("mode") != "real" or "task" in summary:
        return None  # a dry run, or another task's summary (retention)
    decisions, run_id = summary.get("decisions"), summary.get("run_id")
    run_date = parse_date(summary.get("run_date"))
    if not isinstance(decisions, list) or not isinstance(run_id, str) or run_date is None:
        return None
    statistics = read_json_object(folder / STATISTICS_FILE)
    return RunFacts(
        run_id=run_id,
        started_at=str(summary.get("started_at") or ""),
        run_date=run_date,
        decisions=[d for d in decisions if isinstance(d, dict)],
        # None without one, or with a copy from another run (no statistics of this one).
        statistics=statistics if statistics.get("run_id") == run_id else None,
    )


def _count(mapping: object, key: str) -> int:
    value = mapping.get(key) if isinstance(mapping, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
