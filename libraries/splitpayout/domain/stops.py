"""Why a run stopped before its end: one code per cause, one Swedish sentence per code.

A stop is the run's own decision to enter nothing more (the payout system is down, the robot's
credentials were refused, ...). It travels from where it is found (the registration loop) to
everything that reports the run: ``summary.json`` (``stop``: code, Swedish sentence, English
detail), ``run.jsonl``, ``log.html``, the console and the operators' e-mail. The detail names what
was found (an element, a field, a count) and never a value from the export or the payout system.

The stops of a changed payout system (a new release: docs/rules.md §4.9) name what changed in the
Swedish sentence too: the ``subject`` is the element, field or page by its name in the form or the
page, never a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from splitpayout.domain.models import field_label


class StopCode(StrEnum):
    """Why the run stopped (stable, machine-readable)."""

    # The robot's own storage (splitpayout.domain.errors.StorageError): the folder is in the code.
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
    # The payout system has changed under the robot (a new release): docs/rules.md §4.9.
    ELEMENT_MISSING = "payout_system_element_missing"
    UNKNOWN_FIELD = "payout_system_unknown_field"
    STORED_DIFFERENTLY = "payout_system_stored_differently"
    PAGE_FLOW_CHANGED = "payout_system_page_flow_changed"
    FIELD_REFUSED = "payout_system_refuses_field"


#: Every stop that means the payout system has changed: the robot must be adapted before it runs again.
CHANGED_APPLICATION = frozenset(
    {
        StopCode.ELEMENT_MISSING,
        StopCode.UNKNOWN_FIELD,
        StopCode.STORED_DIFFERENTLY,
        StopCode.PAGE_FLOW_CHANGED,
        StopCode.FIELD_REFUSED,
    }
)
_NOTHING_MORE = " Roboten har stoppat; inga fler utbetalningar har registrerats."


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
    StopCode.ELEMENT_MISSING: "Utbetalningssystemet har ändrats: {subject} saknas på sidan." + _NOTHING_MORE,
    StopCode.UNKNOWN_FIELD: (
        "Utbetalningssystemet har ändrats: formuläret har fältet {subject}, som roboten inte känner till."
        + _NOTHING_MORE
    ),
    StopCode.STORED_DIFFERENTLY: (
        "Utbetalningssystemet har ändrats: {subject} sparades annorlunda än det angavs."
        + _NOTHING_MORE
        + " Utbetalningen som sparades fel ska rättas eller makuleras innan den attesteras."
    ),
    StopCode.PAGE_FLOW_CHANGED: (
        "Utbetalningssystemet har ändrats: efter Registrera visades {subject}, som roboten inte känner till."
        + _NOTHING_MORE
    ),
    StopCode.FIELD_REFUSED: (
        "Utbetalningssystemet har ändrats: det nekar fältet {subject} för uppgifter som roboten redan"
        " kontrollerat." + _NOTHING_MORE
    ),
}


@dataclass(frozen=True)
class RunStop:
    """One stop: its code, the technical detail (English, no personal data, no values) and, for a
    changed payout system, the ``subject`` its sentence names (an element, a field, a page)."""

    code: StopCode
    detail: str
    subject: str = ""

    @property
    def sentence(self) -> str:
        """The Swedish sentence for the operators."""
        return STOP_TEXT[self.code].replace("{subject}", self.subject or "ett element")

    @property
    def changed_application(self) -> bool:
        """True when the payout system has changed under the robot (a new release)."""
        return self.code in CHANGED_APPLICATION

    def as_dict(self) -> dict[str, Any]:
        """As ``summary.json`` and ``run.json`` hold it."""
        document = {"code": self.code.value, "message_sv": self.sentence, "detail": self.detail}
        if self.subject:
            document["subject"] = self.subject
        return document

    @classmethod
    def from_dict(cls, data: object) -> RunStop | None:
        """A stop read back from a run's record, or None when there is none (or it is not one)."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                StopCode(str(data.get("code"))), str(data.get("detail", "")), str(data.get("subject") or "")
            )
        except ValueError:
            return None


def fields_subject(names: tuple[str, ...] | list[str], *, kind: str = "fältet") -> str:
    """The Swedish subject naming form fields, each by its Swedish label with the payout system's own
    name after it: ``fältet Belopp (amount)``, ``fälten Belopp (amount), Utbetalningsdag (payout_date)``;
    a field the robot has no label for (a new one) by its name alone."""
    named = field_names(names)
    if len(names) == 1:
        return f"{kind} {named}"
    plural = "fälten" if kind == "fältet" else kind
    return f"{plural} {named}"


def field_names(names: tuple[str, ...] | list[str]) -> str:
    """Form fields by Swedish label and own name, comma-separated: ``OCR-nummer (ocr), Belopp (amount)``."""
    return ", ".join(_named(name) for name in names)


def _named(name: str) -> str:
    label = field_label(name)
    return name if label == name else f"{label} ({name})"
