"""Swedish bank days: Monday to Friday, except public holidays and the three eves.

Banks in Sweden are closed on the public holidays (allmänna helgdagar) and on
Midsummer Eve, Christmas Eve and New Year's Eve, which are not public holidays
by law but are treated as Sundays in banking.

Library evaluation (holidays 0.109, ``holidays.Sweden``):

* The default (``PUBLIC``) category has the public holidays only; it does not
  contain the eves. With ``include_sundays`` left at its default it does not
  list every Sunday either (we check weekends ourselves).
* The ``DE_FACTO`` category holds exactly Midsummer Eve (the Friday between
  19 and 25 June), Christmas Eve and New Year's Eve: ``PUBLIC`` + ``DE_FACTO``
  is the set of weekday closures we need. The tests recompute the eves
  independently for many years.
* The ``BANK`` category must not be used: it lists half days ("from 2pm", such
  as Maundy Thursday), which are bank days.

Holiday sets are built once per year and cached.
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
