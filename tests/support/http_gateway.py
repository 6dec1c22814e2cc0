"""A ``PayoutGateway`` that posts the payout system's own forms over HTTP.

It takes the same information path as a person in a browser (log-in form, the
"Ny utbetalning" form with its CSRF token, the confirmation page, the search pages),
only without the browser: no JSON API. It serves the integration tests and is the
"direct HTTP posts" baseline of the benchmarks; the robot itself never uses it. The
pages and ids it reads are those of ``docs/payout_system_ui.md``.

Failures map onto the gateway's exceptions:

- 422 with ``#error-FIELD`` elements: ``BusinessError`` (``rejected_by_payout_system``,
  the refused fields; never the Swedish messages, which may quote the values);
- the login page or a redirect to ``/login``: ``ApplicationError("session_expired")``;
- the maintenance page: ``"maintenance"``; other 5xx: ``"server_error"``;
- a timeout or lost connection: ``"timeout"``; any other page: ``"unexpected_page"``;
- anything after the payment form was sent without its confirmation page seen:
  ``SubmitOutcomeUnknownError`` with one of the kinds above;
- a changed payout system (docs/rules.md §4.9): a form without a field the robot fills, a page
  after the submit that is none the robot knows, a confirmation page without one of its fields:
  ``PayoutSystemChanged``, naming the element.

``register`` returns the payment as the confirmation page shows it (every field), and
``inspect_payment_form`` says what the form lacks or has that the robot does not know.

Wrong credentials raise ``LoginRefusedError``: retrying cannot help. The password is
kept private and never appears in messages, ``repr`` or logs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests
from robotglue.browser import payment_form_values
from splitpayout.adapters.gateway import (
    ApplicationError,
    BusinessError,
    FormInspection,
    LoginRefusedError,
    PayoutSystemChanged,
    RegisteredPayment,
    SubmitOutcomeUnknownError,
    element_subject,
    receipt_payment,
)
from splitpayout.domain.contract import FORM_FIELDS
from splitpayout.domain.models import Method, PlannedPayment
from splitpayout.domain.reasons import ReasonCode
from splitpayout.domain.stops import StopCode

from swedish_rules import format_amount, format_identity, parse_amount_ore

__all__ = ["HttpGateway", "LoginRefusedError"]

PAYMENT_NUMBER = re.compile(r"U-\d+")
_RECEIPT_PATH = re.compile(r"^/payments/(U-\d+)/kvitto$")
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_PAGE_IDS = frozenset({"error-message", "error-heading", "error-home-link"})
#: Pages that may come after the submit for reasons other than a new release.
_PASSING_PAGES = frozenset({"login", "maintenance", "error"})
#: The confirmation page's elements, by the names ``receipt_payment`` reads.
_RECEIPT_IDS = {
    "payment_number": "payment-number",
    **{name: "detail-" + name.replace("_", "-") for name in FORM_FIELDS},
    "status": "detail-status",
}
_CONTROLS = frozenset({"input", "select", "textarea"})
_NOT_FILLED_IN = frozenset({"hidden", "submit", "button"})


class _Secret:
    """Holds a password so that no repr, attribute dump or traceback shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "***"


# -- a small HTML reader (stdlib html.parser) ----------------------------------------------


class _Node:
    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[_Node | str] = []

    def iter(self) -> Iterator[_Node]:
        yield self
        for child in self.children:
            if isinstance(child, _Node):
                yield from child.iter()

    def text(self) -> str:
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text())
        return " ".join("".join(parts).split())

    def has_class(self, name: str) -> bool:
        return name in self.attrs.get("class", "").split()


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("#document", {})
        self._stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {name: value or "" for name, value in attrs})
        self._stack[-1].children.append(node)
        if tag not in _VOID:
            self._stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._stack[-1].children.append(_Node(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._stack) - 1, 0, -1):
            if self._stack[depth].tag == tag:
                del self._stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self._stack[-1].children.append(data)


class _Page:
    """One answer of the payout system, parsed."""

    def __init__(self, response: requests.Response) -> None:
        self.status = response.status_code
        self.location = response.headers.get("Location", "")
        builder = _TreeBuilder()
        if "html" in response.headers.get("Content-Type", ""):
            builder.feed(response.text)
            builder.close()
        self._root = builder.root
        self._ids = {node.attrs["id"]: node for node in self._root.iter() if "id" in node.attrs}
        main = self._ids.get("main")
        self.name = main.attrs.get("data-page", "") if main is not None else ""

    def by_id(self, element_id: str) -> _Node | None:
        return self._ids.get(element_id)

    def ids(self) -> list[str]:
        return list(self._ids)

    def rows(self) -> list[_Node]:
        return [node for node in self._root.iter() if node.tag == "tr" and node.has_class("payment-row")]

    def form_controls(self, form_id: str) -> list[_Node]:
        """The inputs, selects and text areas of the form ``form_id``."""
        form = self._ids.get(form_id)
        return [] if form is None else [node for node in form.iter() if node.tag in _CONTROLS]

    def input_value(self, name: str) -> str | None:
        for node in self._root.iter():
            if node.tag == "input" and node.attrs.get("name") == name:
                return node.attrs.get("value", "")
        return None


def _cell(row: _Node, column: str) -> str:
    for node in row.iter():
        if node.tag == "td" and node.has_class(f"col-{column}"):
            return node.text()
    raise ApplicationError("unexpected_page", f"a search row has no {column} cell")


def _digits_or_none(text: str) -> str | None:
    digits = "".join(ch for ch in text if ch.isdigit())
    return digits or None


# -- the gateway ---------------------------------------------------------------------------


class HttpGateway:
    """Registers and finds payments by posting the payout system's forms (see the module docstring)."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        timeout: float = 10.0,
        per_page: int = 500,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self._password = _Secret(password)
        self.timeout = timeout
        self.per_page = per_page
        self._http = requests.Session()

    def __repr__(self) -> str:
        return f"HttpGateway({self.base_url!r}, {self.username!r}, password=***)"

    # -- protocol ---------------------------------------------------------------------------

    def log_in(self) -> None:
        """Start a fresh session and log in. Raises LoginRefusedError on wrong credentials."""
        self._http.close()
        self._http = requests.Session()
        form = self._page("GET", "/login")
        if form.status != 200 or form.name != "login":
            self._raise_for(form)
        csrf = form.input_value("csrf_token")
        if csrf is None:
            raise ApplicationError("unexpected_page", "the login page has no CSRF token")
        answer = self._page(
            "POST",
            "/login",
            data={"csrf_token": csrf, "username": self.username, "password": self._password.reveal()},
        )
        if answer.status in (302, 303) and not _is_login(answer.location):
            return
        if answer.status == 200 and answer.name == "login" and answer.by_id("flash-error") is not None:
            raise LoginRefusedError(f"the payout system refused the log-in of user {self.username!r}")
        self._raise_for(answer)

    def log_out(self) -> None:
        """Log out; never raises."""
        try:
            home = self._page("GET", "/")
            csrf = home.input_value("csrf_token")
            if home.status == 200 and csrf is not None and home.by_id("logout-form") is not None:
                self._page("POST", "/logout", data={"csrf_token": csrf})
        except (ApplicationError, requests.RequestException):
            pass
        finally:
            self._http.close()
            self._http = requests.Session()

    def find_payments(
        self,
        *,
        reference: str | None = None,
        payout_date_from: dt.date | None = None,
        payout_date_to: dt.date | None = None,
    ) -> list[RegisteredPayment]:
        """Every payment the search finds, all pages (``per_page`` rows per page load)."""
        params: dict[str, str] = {"per_page": str(self.per_page)}
        if reference is not None:
            params["reference"] = reference
        if payout_date_from is not None:
            params["date_from"] = payout_date_from.isoformat()
        if payout_date_to is not None:
            params["date_to"] = payout_date_to.isoformat()
        found: dict[str, RegisteredPayment] = {}
        page_number = 1
        while True:
            page = self._page("GET", "/payments/search", params={**params, "page": str(page_number)})
            if page.status != 200 or page.name != "search" or page.by_id("result-count") is None:
                self._raise_for(page)
            for row in page.rows():
                record = _payment_from_row(row)
                found[record.payment_number] = record
            if page.by_id("next-page") is None:
                break
            page_number += 1
        return list(found.values())

    def inspect_payment_form(self) -> FormInspection:
        """What the payment form lacks of the robot's fields, and the fields it has that it does not fill."""
        form = self._payment_form()
        controls = form.form_controls("payment-form")
        names = {node.attrs.get("name") or node.attrs.get("id", "") for node in controls}
        missing = [name for name in FORM_FIELDS if name not in names]
        if form.by_id("submit-payment") is None:
            missing.append("#submit-payment")
        unknown = [
            name
            for node in controls
            if node.attrs.get("type", "").lower() not in _NOT_FILLED_IN
            and (name := node.attrs.get("name") or node.attrs.get("id", "")) not in FORM_FIELDS
        ]
        return FormInspection(missing=tuple(missing), unknown=tuple(unknown))

    def _payment_form(self) -> _Page:
        form = self._page("GET", "/payments/new")
        if form.status != 200 or form.name != "new-payment":
            self._raise_for(form)
        return form

    def register(self, payment: object) -> RegisteredPayment:
        """Enter one payment through the form; return it as the confirmation page shows it."""
        if not isinstance(payment, PlannedPayment):
            raise TypeError(f"expected a PlannedPayment, got {type(payment).__name__}")
        form = self._payment_form()
        csrf = form.input_value("csrf_token")
        if csrf is None:
            raise ApplicationError("unexpected_page", "the payment form has no CSRF token")
        controls = {node.attrs.get("name", "") for node in form.form_controls("payment-form")}
        missing = [name for name in FORM_FIELDS if name not in controls]
        if missing:
            raise PayoutSystemChanged(
                StopCode.ELEMENT_MISSING,
                element_subject(missing),
                f"the payment form lacks {', '.join(missing)}",
            )
        data = {
            "csrf_token": csrf,
            **payment_form_values(payment),
            # as a person types it, with the dash (the robot types the 12 digits)
            "personnummer": format_identity(payment.personnummer),
            "amount": format_amount(payment.amount_ore),
        }
        try:
            answer = self._page("POST", "/payments/new", data=data, sent=True)
        except SubmitOutcomeUnknownError:
            raise
        except ApplicationError as error:  # pragma: no cover - _page raises it when sent
            raise SubmitOutcomeUnknownError(error.kind, error.detail) from error
        if answer.status == 422 and answer.name == "new-payment":
            fields = tuple(
                element_id.removeprefix("error-")
                for element_id in answer.ids()
                if element_id.startswith("error-") and element_id not in _PAGE_IDS
            )
            raise BusinessError(
                ReasonCode.REJECTED_BY_PAYOUT_SYSTEM,
                fields,
                f"the payout system refused {', '.join(fields) or 'the form'}",
            )
        if answer.status == 200 and answer.name and answer.name not in _PASSING_PAGES:
            raise PayoutSystemChanged(
                StopCode.PAGE_FLOW_CHANGED,
                f"sidan {answer.name}",
                f"after the submit the payout system showed the page {answer.name!r}, not the confirmation",
                sent=True,
            )
        match = _RECEIPT_PATH.match(urlsplit(answer.location).path) if answer.status == 303 else None
        if match is None:
            try:
                self._raise_for(answer)
            except ApplicationError as error:
                raise SubmitOutcomeUnknownError(error.kind, error.detail) from None
        try:
            receipt = self._page("GET", answer.location)
            if receipt.status != 200 or receipt.name != "confirmation":
                self._raise_for(receipt)
        except ApplicationError as error:
            raise SubmitOutcomeUnknownError(error.kind, "the confirmation page did not load") from None
        texts = {name: receipt.by_id(element_id) for name, element_id in _RECEIPT_IDS.items()}
        return receipt_payment({name: None if node is None else node.text() for name, node in texts.items()})

    # -- HTTP -------------------------------------------------------------------------------

    def _page(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        sent: bool = False,
    ) -> _Page:
        """One request without following redirects. ``sent``: a failure after sending is unknown."""
        url = urljoin(self.base_url + "/", path.lstrip("/"))
        try:
            response = self._http.request(
                method, url, params=params, data=data, timeout=self.timeout, allow_redirects=False
            )
        except requests.RequestException as error:
            kind = "timeout"
            detail = f"{method} {urlsplit(url).path}: {type(error).__name__}"
            if sent and not _never_sent(error):
                raise SubmitOutcomeUnknownError(kind, detail) from None
            raise ApplicationError(kind, detail) from None
        return _Page(response)

    def _raise_for(self, page: _Page) -> None:
        """Raise the ApplicationError that an unexpected answer means."""
        if page.status in (301, 302, 303, 307) and _is_login(page.location):
            raise ApplicationError("session_expired", "redirected to the login page")
        if page.name == "login":
            raise ApplicationError("session_expired", "the login page was shown")
        if page.name == "maintenance":
            raise ApplicationError("maintenance", f"status {page.status}")
        if page.status >= 500:
            raise ApplicationError("server_error", f"status {page.status}")
        raise ApplicationError("unexpected_page", f"status {page.status}, page {page.name or 'unknown'!r}")


def _is_login(location: str) -> bool:
    return urlsplit(location).path.rstrip("/") == "/login"


def _never_sent(error: requests.RequestException) -> bool:
    """True when the request certainly never reached the server (no connection was made)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    if isinstance(error, requests.ConnectionError):
        text = repr(error.args[0]) if error.args else ""
        return "NewConnectionError" in text or "ConnectTimeoutError" in text
    return False


def _payment_from_row(row: _Node) -> RegisteredPayment:
    try:
        return RegisteredPayment(
            payment_number=row.attrs.get("data-payment-number") or _cell(row, "payment-number"),
            reference=row.attrs.get("data-reference") or _cell(row, "reference"),
            personnummer="".join(ch for ch in _cell(row, "personnummer") if ch.isdigit()),
            method=Method(_cell(row, "method")),
            clearing=_digits_or_none(_cell(row, "clearing")),
            account=_digits_or_none(_cell(row, "account")),
            bankgiro=_digits_or_none(_cell(row, "bankgiro")),
            ocr=_cell(row, "ocr") or None,
            amount_ore=parse_amount_ore(_cell(row, "amount")),
            payout_date=dt.date.fromisoformat(_cell(row, "payout-date")),
            status=_cell(row, "status"),
        )
    except ValueError as error:  # a row the reader does not understand: never guess
        raise ApplicationError(
            "unexpected_page", f"a search row could not be read ({type(error).__name__})"
        ) from None
