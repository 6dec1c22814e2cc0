"""The one error a reconciliation raises: an input that cannot be read."""

from __future__ import annotations


class ReconcileInputError(Exception):
    """An input cannot be read: the settings, the decisions, the payout system or the ledger.

    ``source`` is one of ``settings``, ``decisions``, ``payout_system``, ``ledger``; the
    message is a clear English sentence that never holds personal data or secrets.
    """

    def __init__(self, source: str, message: str) -> None:
        super().__init__(message)
        self.source = source
        self.message = message

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"
