"""How the UI shows stored values (Jinja filters)."""

from __future__ import annotations

from flask import Flask

from swedish_rules import format_amount, format_bankgiro, format_identity

METHOD_LABELS = {"KONTO": "KONTO", "AVI": "AVI", "BANKGIRO": "BANKGIRO"}
ACTION_LABELS = {
    "login": "Inloggning",
    "login_failed": "Misslyckad inloggning",
    "login_throttled": "Inloggning spärrad (för många försök)",
    "logout": "Utloggning",
    "register": "Registrering",
    "attest": "Attestering",
}


def amount(ore: int | None) -> str:
    """'12 345,50'."""
    return "" if ore is None else format_amount(int(ore))


def identity(twelve_digits: str | None) -> str:
    """'YYYYMMDD-NNNC'."""
    return format_identity(twelve_digits) if twelve_digits else ""


def bankgiro(digits: str | None) -> str:
    """'NNNN-NNNN'."""
    return format_bankgiro(digits) if digits else ""


def action(code: str) -> str:
    """Swedish label of an audit event."""
    return ACTION_LABELS.get(code, code)


FILTERS = {"amount": amount, "identity": identity, "bankgiro": bankgiro, "audit_action": action}


def init_app(app: Flask) -> None:
    """Register the filters."""
    app.jinja_env.filters.update(FILTERS)
