"""Why a run stopped before its end: one code per cause, one Swedish sentence per code.

A stop is the run's own decision to enter nothing more (the payout system is down, the robot's
credentials were refused, ...). It travels from where it is found (the registration loop) to
everything that reports the run: ``summary.json`` (``stop``: code, Swedish sentence, English
detail), ``run.jsonl``, ``log.html``, the console and the operators' e-mail. The detail names what
was found (an element, a field, a count) and never a value from the export or the payout system.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class StopCode(StrEnum):
    """Why the run stopped (stable, machine-readable)."""

    PAYOUT_SYSTEM_DOWN = "payout_system_down"
    LOGIN_REFUSED = "login_refused"


# What the operators read: one plain Swedish sentence per cause, saying what happened and what it means.
STOP_TEXT: dict[StopCode, str] = {
    StopCode.PAYOUT_SYSTEM_DOWN: (
        "Utbetalningssystemet svarade inte. Roboten har stoppat; resten av besluten registreras av"
        " nästa körning."
    ),
    StopCode.LOGIN_REFUSED: (
        "Utbetalningssystemet nekade robotens inloggning. Roboten har stoppat; kontrollera robotens"
        " användaruppgifter."
    ),
}


@dataclass(frozen=True)
class RunStop:
    """One stop: its code and the technical detail (English, no personal data, no values)."""

    code: StopCode
    detail: str

    @property
    def sentence(self) -> str:
        """The Swedish sentence for the operators."""
        return STOP_TEXT[self.code]

    def as_dict(self) -> dict[str, Any]:
        """As ``summary.json`` and ``run.json`` hold it."""
        return {"code": self.code.value, "message_sv": self.sentence, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: object) -> RunStop | None:
        """A stop read back from a run's record, or None when there is none (or it is not one)."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(StopCode(str(data.get("code"))), str(data.get("detail", "")))
        except ValueError:
            return None
