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

    # The robot's own storage (splitpayout.errors.StorageError): the folder is in the code.
    STORAGE_FULL = "storage_full"
    STORAGE_READ_ONLY = "storage_read_only"
    STORAGE_MISSING = "storage_missing"
    LEDGER_UNUSABLE = "ledger_unusable"
    LEDGER_LOCKED = "ledger_locked"
    ARTIFACTS_FULL = "artifacts_full"
    ARTIFACTS_READ_ONLY = "artifacts_read_only"
    ARTIFACTS_MISSING = "artifacts_missing"
    ARTIFACTS_UNUSABLE = "artifacts_unusable"
    TEMP_STORAGE_UNUSABLE = "temp_storage_unusable"
    # Anything else that ended the run before its end (an error in the robot itself).
    RUN_FAILED = "run_failed"

    PAYOUT_SYSTEM_DOWN = "payout_system_down"
    LOGIN_REFUSED = "login_refused"


# The end of every storage sentence: nothing is lost, and the next run completes the rest.
_STORAGE_STOPPED = (
    " Roboten har stoppat innan nästa betalning registrerades; inget är förlorat och nästa körning"
    " registrerar resten, utan dubbletter."
)

# What the operators read: one plain Swedish sentence per cause, saying what happened and what it means.
STOP_TEXT: dict[StopCode, str] = {
    StopCode.STORAGE_FULL: "Lagringen för robotens register (STATE_DIR) är full eller har inte plats"
    " för körningen: frigör utrymme där." + _STORAGE_STOPPED,
    StopCode.STORAGE_READ_ONLY: "Roboten får inte skriva i lagringen för robotens register (STATE_DIR):"
    " ge robotens konto skrivrätt där." + _STORAGE_STOPPED,
    StopCode.STORAGE_MISSING: "Lagringen för robotens register (STATE_DIR) finns inte: kontrollera att"
    " den är monterad och att inställningen är rätt." + _STORAGE_STOPPED,
    StopCode.LEDGER_UNUSABLE: "Robotens register (STATE_DIR) går inte att öppna eller skriva: låt"
    " driften undersöka filen innan roboten körs igen." + _STORAGE_STOPPED,
    StopCode.LEDGER_LOCKED: "Robotens register (STATE_DIR) var låst av en annan process längre än"
    " roboten väntar: kontrollera vilken process som håller det." + _STORAGE_STOPPED,
    StopCode.ARTIFACTS_FULL: "Lagringen för körningens rapporter (ROBOT_ARTIFACTS) är full eller har"
    " inte plats för körningen: frigör utrymme där." + _STORAGE_STOPPED,
    StopCode.ARTIFACTS_READ_ONLY: "Roboten får inte skriva i mappen för körningens rapporter"
    " (ROBOT_ARTIFACTS): ge robotens konto skrivrätt där." + _STORAGE_STOPPED,
    StopCode.ARTIFACTS_MISSING: "Mappen för körningens rapporter (ROBOT_ARTIFACTS) finns inte:"
    " kontrollera att den är monterad och att inställningen är rätt." + _STORAGE_STOPPED,
    StopCode.ARTIFACTS_UNUSABLE: "En fil bland körningens rapporter (ROBOT_ARTIFACTS) går inte att"
    " skriva: låt driften undersöka mappen." + _STORAGE_STOPPED,
    StopCode.TEMP_STORAGE_UNUSABLE: "Robotens tillfälliga filer (TMPDIR) går inte att skriva; oftast"
    " är lagringen full: frigör utrymme där." + _STORAGE_STOPPED,
    StopCode.RUN_FAILED: "Körningen avbröts av ett oväntat fel i roboten. Roboten har stoppat; inget"
    " mer registrerades och nästa körning registrerar resten, utan dubbletter. Den tekniska detaljen"
    " visar felet.",
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
