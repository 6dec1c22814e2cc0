"""Swedish bank days: Monday to Friday, except public holidays and the three eves.

Built on ``holidays.Sweden`` (``PUBLIC`` + ``DE_FACTO``), cached per year; why those
categories and not ``BANK``: docs/swedish-rules.md, "Bank days".
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from holidays import DE_FACTO, PUBLIC
from holidays.countries.sweden import Sweden

__all__ = ["is_bank_day", "previous_bank_day"]


@lru_cache(maxsize=64)
def _closed_days(year: int) -> frozenset[dt.date]:
    calendar = Sweden(years=year, categories=(PUBLIC, DE_FACTO))
    return frozenset(calendar.keys())


def is_bank_day(d: dt.date) -> bool:
    """True when ``d`` is a Swedish bank day."""
    if isinstance(d, dt.datetime):
        d = d.date()
    return d.weekday() < 5 and d not in _closed_days(d.year)


def previous_bank_day(d: dt.date) -> dt.date:
    """``d`` itself when it is a bank day, else the closest earlier bank day."""
    if isinstance(d, dt.datetime):
        d = d.date()
    while not is_bank_day(d):
        d -= dt.timedelta(days=1)
    return d
