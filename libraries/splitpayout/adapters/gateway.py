"""The seam between the registration engine and a payout system.

The engine (``jobs/registration/``) speaks only this protocol. The robot's implementation,
``robotglue.robot_gateway.RobotGateway``, drives the web UI in a real browser through the
keywords of ``resources/payout_system.resource``; ``tests/support/http_gateway.py`` posts
the same forms over HTTP for the tests and the benchmarks' baseline.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from splitpayout.domain.contract import FORM, FORM_FIELDS, stored_value
from splitpayout.domain.models import Method, PlannedPayment
from splitpayout.domain.reasons import ReasonCode
from splitpayout.domain.stops import RunStop, StopCode, fields_subject
from swedish_rules import InvalidAmount, parse_amount_ore

#: The payout system's payment form, field by field, in the order a person fills it in.
#: What the robot reads back from the confirmation page, by the form's field names (docs/payout_system_ui.md).
RECEIPT_FIELDS = ("payment_number", *FORM_FIELDS, "status")
_PAYMENT_NUMBER = re.compile(r"U-\d+")


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
    # Read from the confirmation page (the search does not show them); None when not read.
    name: str | None = Field(default=None, repr=False)
    message: str | None = Field(default=None, repr=False)
    # Every form field's text as the confirmation page shows it (empty when not read): what the
    # read-back compares, field by field, through ``contract.stored_value``.
    form: dict[str, str] = Field(default_factory=dict, repr=False)

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


class PayoutSystemChanged(Exception):  # noqa: N818 - the name callers and docs use
    """The payout system is not the one the robot was written for (a new release): an element the
    robot needs is missing on a page that did load, the form asks for a field the robot does not
    know, the page after sending the form is one the robot does not know, or the payout system
    stored something else than was entered. Never retried: the run stops (docs/rules.md §4.9).

    ``subject`` names the element, field or page (Swedish, for the operators' sentence), ``detail``
    is the technical detail (English: element, field, locator); neither holds a value. ``sent`` is
    true when the payment form had been sent: the payment may be stored.
    """

    def __init__(self, code: StopCode, subject: str, detail: str, *, sent: bool = False) -> None:
        super().__init__(detail)
        self.code = code
        self.subject = subject
        self.detail = detail
        self.sent = sent

    def after_submit(self) -> PayoutSystemChanged:
        """The same change, found after the payment form was sent."""
        return PayoutSystemChanged(self.code, self.subject, self.detail, sent=True)

    @property
    def stop(self) -> RunStop:
        return RunStop(self.code, self.detail, self.subject)


class FormInspection(BaseModel):
    """What the payment form holds, as the robot sees it before entering anything.

    ``missing``: the form fields (by the robot's name for them) or other elements (by locator) the
    robot needs and the page lacks; ``unknown``: the fields a person fills in (by name, else id)
    that none of the robot's locators finds.
    """

    model_config = ConfigDict(frozen=True)

    missing: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()


def element_subject(names: Iterable[str]) -> str:
    """The Swedish subject naming missing elements: form fields by name, other elements by locator."""
    names = list(names)
    fields = [name for name in names if name in FORM_FIELDS]
    others = [name for name in names if name not in FORM_FIELDS]
    parts = [fields_subject(fields)] if fields else []
    if others:
        parts.append(fields_subject(others, kind="elementet" if len(others) == 1 else "elementen"))
    return " och ".join(parts)


def _digits(text: str) -> str | None:
    return "".join(character for character in text if character.isdigit()) or None


def receipt_payment(texts: Mapping[str, str | None]) -> RegisteredPayment:
    """The payment as the confirmation page shows it, from the texts of its ``RECEIPT_FIELDS`` (None:
    the element is missing). The form was sent: a missing element, or a text the robot cannot read,
    raises PayoutSystemChanged (``sent``) naming the field, never its text."""
    missing = [name for name in RECEIPT_FIELDS if texts.get(name) is None]
    if missing:
        raise PayoutSystemChanged(
            StopCode.ELEMENT_MISSING,
            element_subject(missing),
            f"the confirmation page lacks {', '.join(missing)}",
            sent=True,
        )
    text = {name: " ".join(str(texts[name]).split()) for name in RECEIPT_FIELDS}
    unreadable = "payment_number"
    try:
        if not _PAYMENT_NUMBER.fullmatch(text["payment_number"]):
            raise ValueError(unreadable)
        for field in FORM:
            unreadable = field.name
            stored_value(field, text[field.name])
        unreadable = "method"
        method = Method(text["method"].upper())
        unreadable = "amount"
        amount_ore = parse_amount_ore(text["amount"])
        unreadable = "payout_date"
        payout_date = dt.date.fromisoformat(text["payout_date"])
    except (ValueError, InvalidAmount):
        raise PayoutSystemChanged(
            StopCode.STORED_DIFFERENTLY,
            fields_subject([unreadable]),
            f"the confirmation page shows {unreadable} in a form the robot cannot read",
            sent=True,
        ) from None
    return RegisteredPayment(
        payment_number=text["payment_number"],
        reference=text["reference"],
        personnummer=_digits(text["personnummer"]) or "",
        name=text["name"],
        method=method,
        clearing=_digits(text["clearing"]),
        account=_digits(text["account"]),
        bankgiro=_digits(text["bankgiro"]),
        ocr=text["ocr"] or None,
        amount_ore=amount_ore,
        payout_date=payout_date,
        message=text["message"],
        status=text["status"],
        form={name: text[name] for name in FORM_FIELDS},
    )


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

    def inspect_payment_form(self) -> FormInspection:
        """Open a new payment form and say which needed elements it lacks and which fields it has
        that the robot does not know. Raises ApplicationError when the form page does not load."""

    def register(self, payment: object) -> RegisteredPayment:
        """Enter one ``PlannedPayment``; return the payment as the confirmation page shows it (every
        field, read in one go from the page already loaded).

        Raises BusinessError when the form is refused, SubmitOutcomeUnknownError when the
        submit was sent but no confirmation came back, PayoutSystemChanged when a page that did
        load lacks an element or the page after the submit is one the robot does not know,
        ApplicationError otherwise.
        """

    def log_out(self) -> None:
        """Log out; never raises."""
