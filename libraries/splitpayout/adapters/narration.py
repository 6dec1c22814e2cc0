"""How a job tells what it does, shared by the payout run and the reconciliation.

``say`` writes a line to the run's log; ``announce`` also reaches whoever watches the run
live (control totals, progress, a stop); ``started_by`` names the person or schedule.

``log_line`` is what every message goes through on its way to a log (the job's ``say`` and
``announce``, and ``robotglue.robot_log``, the libraries' only way to Robot Framework's log):
no control character from any source (an export's cells, a file name, what the payout system
shows) reaches a log line, so none can forge one. A message of several lines that the robot
lays out itself is ``Lines``: each line is cleaned, then they are joined.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypedDict

from splitpayout.config.names import STARTED_BY

Say = Callable[[str], None]


class Lines(tuple[str, ...]):
    """A message of several lines, laid out by the robot (each line cleaned on its own)."""

    __slots__ = ()


def clean(text: object) -> str:
    """``text`` with every control or other unprintable character (CR, LF, NUL, ESC, Unicode line
    separators...) replaced by ``?``."""
    return "".join(char if char.isprintable() else "?" for char in str(text))


def log_line(message: str | Lines) -> str:
    """A message as it may reach a log: cleaned, with only the robot's own line breaks."""
    if isinstance(message, Lines):
        return "\n".join(clean(line) for line in message)
    return clean(message)


def _cleaning(say: Say) -> Callable[[str | Lines], None]:
    def write(message: str | Lines) -> None:
        say(log_line(message))

    return write


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
        self.say = _cleaning(say)
        self.announce = _cleaning(announce or say)
        self.started_by = started_by
        self.started_at = dt.datetime.now(dt.UTC)
