"""A reconciliation's settings: the period and what it reads (docs/reconciliation.md, Settings)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from splitpayout.config import Config, ReconcileConfig, SettingsError
from splitpayout.config.names import STARTED_BY
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.jobs.reconcile.errors import ReconcileInputError

MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class Period:
    """Payout dates from ``first`` to ``last``, inclusive."""

    first: dt.date
    last: dt.date

    @classmethod
    def month_of(cls, day: dt.date) -> Period:
        last_day = calendar.monthrange(day.year, day.month)[1]
        return cls(day.replace(day=1), day.replace(day=last_day))

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.first <= day <= self.last

    def text(self) -> str:
        return f"{self.first.isoformat()} to {self.last.isoformat()}"


def period_of(given: ReconcileConfig, today: dt.date) -> Period:
    """``RECONCILE_FROM``/``RECONCILE_TO``; a missing start is the first of ``today``'s month, a
    missing end the last day of the start's month."""
    first, last = given.reconcile_from, given.reconcile_to
    if first is None:
        first = Period.month_of(last or today).first
    if last is None:
        last = Period.month_of(first).last
    if last < first:
        raise SettingsError(f"RECONCILE_TO ({last}) is before RECONCILE_FROM ({first})")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise SettingsError(f"the period may be at most {MAX_PERIOD_DAYS} days, got {first} to {last}")
    return Period(first, last)


def period_from_env(env: Mapping[str, str], today: dt.date) -> Period:
    """The period of ``env``'s ``RECONCILE_FROM``/``RECONCILE_TO`` (see :func:`period_of`)."""
    return period_of(ReconcileConfig.from_env(env), today)


@dataclass(frozen=True)
class ReconcileSettings:
    """What a reconciliation is configured by: its view of the configuration (docs/reconciliation.md)."""

    period: Period
    decisions_path: Path | None
    ledger_path: Path
    artifacts_dir: Path
    rules: PlanningRules  # a run's planning rules, on the period's first day
    payout_system_url: str
    vault_secret_name: str
    timeout_seconds: float
    max_attempts: int
    backoff_seconds: float
    started_by: str = STARTED_BY

    @property
    def planning_date(self) -> dt.date:
        """The date the decisions are planned with: the period's first day (docs/reconciliation.md)."""
        return self.rules.today

    @classmethod
    def from_config(cls, config: Config) -> ReconcileSettings:
        """Raises ReconcileInputError (source ``settings``) on a missing or malformed value."""
        try:
            base = config.run
            period = period_of(config.reconcile, base.run_date)
        except SettingsError as error:
            raise ReconcileInputError("settings", str(error)) from None
        return cls(
            period=period,
            decisions_path=base.decisions_file,
            ledger_path=base.ledger_path,
            artifacts_dir=base.artifacts_dir,
            rules=base.planning_rules.on(period.first),
            payout_system_url=base.payout_system_url,
            vault_secret_name=base.vault_secret_name,
            timeout_seconds=base.page_timeout_seconds,
            max_attempts=base.max_attempts,
            backoff_seconds=base.backoff_seconds,
            started_by=base.started_by,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReconcileSettings:
        """The settings from ``env`` (default: this process's environment)."""
        return cls.from_config(Config.load(env))
