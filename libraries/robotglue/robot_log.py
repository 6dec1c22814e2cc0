"""The libraries' only way to Robot Framework's log (``log.html``, ``output.xml``) and console.

Every message goes through ``splitpayout.adapters.narration.log_line``: no control character from any
source reaches a log line, so a reference or file name holding CR/LF cannot forge one. A
library imports this module instead of ``robot.api.logger`` (``tests/unit/test_log_lines.py``
checks that none does otherwise).
"""

from __future__ import annotations

from robot.api import logger as _logger
from splitpayout.adapters.narration import Lines, log_line


def info(message: str | Lines, *, also_console: bool = False) -> None:
    """A line in the log (``also_console``: on the console too)."""
    _logger.info(log_line(message), also_console=also_console)


def console(message: str | Lines) -> None:
    """A line on the console of whoever watches the run (its own leading spaces and line break kept)."""
    stripped = message.lstrip("\n") if isinstance(message, str) else message
    breaks = "\n" * (len(message) - len(stripped)) if isinstance(message, str) else ""
    _logger.console(breaks + log_line(stripped))


def error(message: str | Lines) -> None:
    """A line in the log at level ERROR (also shown on the console by Robot Framework)."""
    _logger.error(log_line(message))
