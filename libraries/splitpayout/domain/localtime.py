"""Time as the people who read the robot's records live it: Europe/Stockholm.

Machines keep UTC (``started_at`` in ``run.json``); anything a person reads as a date (a run's
id and folder name, the workbook's "created", the console's pages) is local, with its offset,
so a run at 00:03 on 6 December is dated the 6th, not the 5th.
"""

from __future__ import annotations

import datetime as dt

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    LOCAL_ZONE: dt.tzinfo = ZoneInfo("Europe/Stockholm")
except (ImportError, ZoneInfoNotFoundError):  # pragma: no cover - a system without time-zone data
    LOCAL_ZONE = dt.UTC


def run_stamp(moment: dt.datetime | None = None) -> str:
    """The start of a run's id or folder name, in local time with its zone: ``2026-12-06T000300CET``
    (``CEST`` in summer; a naive ``moment`` is taken as UTC). Letters, not an offset: a ``+`` in a
    name that travels in URLs would read as a space."""
    moment = moment or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(LOCAL_ZONE)
    return f"{local:%Y-%m-%dT%H%M%S}{local.tzname() or 'UTC'}"
