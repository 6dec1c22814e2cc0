"""The seam between the registration engine and a payout system.

The engine (``registration/``) speaks only this protocol. The robot's implementation,
``robotglue.robot_gateway.RobotGateway``, drives the web UI in a real browser through the
keywords of ``resources/payout_system.resource``; ``tests/support/http_gateway.py`` posts
the same forms over HTTP for the tests and the benchmarks' baseline.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from splitpayout.contract import FORM_FIELDS
from splitpayout.models import Method, PlannedPayment, ReasonCode

#: The payout system's payment form, field by field, in the order a person fills it in.
PAYMENT_FORM_FIELDS = FORM_FIELDS


class RegisteredPayment(BaseModel):
    """A payment as the payout system holds it (personal data: never logged)."""

    model_config = ConfigDict(frozen=True)

    payment_number: str
    reference: str
    personnummer: str = Field(repr=False)  # 12 digits; left out of repr() like every personal field
    method: Method
    clearing: str | None = Field(default=None, repr=False)
    account: str | None = Field(default=None, repr=False)
    bankgiro: str | None = None
    ocr: str | None = None
    amount_ore: int
    payout_date: dt.date
    status: str

    @classmethod
    def of(cls, payment: PlannedPayment, payment_number: str, status: str) -> RegisteredPayment:
        """The planned payment as the payout system holds it once registered under ``payment_number``."""
        held = payment.model_dump(include=set(cls.model_fields) - {"payment_number", "status"})
        return cls(payment_number=payment_number, status=status, **held)


class BusinessError(Exception):
    """The payout system refused the data (its validation); retrying cannot help."""

    def __init__(self, code: ReasonCode, fields: tuple[str, ...] = (), detail: str = "") -> None:
        super().__init__(f"{code.value}: {detail or ', '.join(fields)}")
        self.code = code
        self.fields = fields
        self.detail = detail


class ApplicationError(Exception):
    """A technical failure (timeout, 5xx, maintenance, lost session, stale page): worth retrying.

    ``kind`` is one of ``timeout``, ``server_error``, ``maintenance``, ``session_expired``,
    ``unexpected_page``.
    """

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


class LoginRefusedError(Exception):
    """The payout system refused the robot's username or password: retrying cannot help, fix the
    configuration (the vault secret or PAYOUT_SYSTEM_USERNAME/PASSWORD)."""


class SubmitOutcomeUnknownError(ApplicationError):
    """The form was submitted but no confirmation was seen: the payment may or may not be stored.

    Never resolved by submitting again blindly: the engine looks the reference up first.
    """


class PayoutGateway(Protocol):
    """What the registration engine needs from a payout system."""

    def log_in(self) -> None:
        """Log in (again). Raises LoginRefusedError on wrong credentials, ApplicationError when
        the system cannot be reached."""

    def find_payments(
        self,
        *,
        reference: str | None = None,
        payout_date_from: dt.date | None = None,
        payout_date_to: dt.date | None = None,
    ) -> list[RegisteredPayment]:
        """All payments matching the filters (every page of the search)."""

    def register(self, payment: object) -> str:
        """Enter one ``PlannedPayment``; return the payment number from the confirmation page.

        Raises BusinessError when the form is refused, SubmitOutcomeUnknownError when the
        submit was sent but no confirmation came back, ApplicationError otherwise.
        """

    def log_out(self) -> None:
        """Log out; never raises."""
