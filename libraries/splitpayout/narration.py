"""How a job tells what it does, shared by the payout run and the reconciliation.

``say`` writes a line to the run's log; ``announce`` also reaches whoever watches the run
live (control totals, progress, a stop); ``started_by`` names the person or schedule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypedDict

from splitpayout.config.names import STARTED_BY

Say = Callable[[str], None]


class Narration(TypedDict, total=False):
    """The keyword arguments every job takes besides its settings."""

    say: Say
    announce: Say | None
    started_by: str


class NarratedJob:
    """Base of the jobs: where their messages go, who started them and when."""

    def __init__(
        self, *, say: Say = print, announce: Say | None = None, started_by: str = STARTED_BY
    ) -> None:
        self.say = say
        self.announce = announce or say
        self.started_by = started_by
        self.started_at = dt.datetime.now(dt.UTC)
