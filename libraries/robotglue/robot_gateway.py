"""``RobotGateway``: the ``PayoutGateway`` that works in the payout system's web UI, in a real browser.

It runs the keywords of ``resources/payout_system.resource`` through Robot Framework's
``BuiltIn().run_keyword`` (so every step shows in log.html) and turns their typed failures
into the exceptions of :mod:`splitpayout.gateway`:

- ``BUSINESS: rejected_by_payout_system fields=a,b`` -> ``BusinessError``;
- ``APPLICATION: <kind> ...`` -> ``ApplicationError(kind)``;
- ``LOGIN_REFUSED: ...`` -> ``LoginRefusedError`` (wrong credentials: retrying cannot help);
- any other failure -> ``ApplicationError('timeout')`` when it speaks of a timeout, else
  ``ApplicationError('unexpected_page')``;
- any failure once the payment form has been sent, without the confirmation page seen and
  without the form coming back refused -> ``SubmitOutcomeUnknownError``.

It must be used while Robot Framework runs (from a keyword library during a task or test).
With ``quiet`` (the default) the keywords run at log level WARN: the log keeps their
warnings and failures, not the several lines each browser step writes at INFO, so a
run of thousands of payments leaves a log an operator can read (the caller writes one
line per decision and payment).
The credentials are given at construction and kept private; the password is handed to the
resource as a Robot Framework ``Secret`` and never logged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from robot.api.types import Secret
from robot.errors import ExecutionFailed
from robot.libraries.BuiltIn import BuiltIn
from robot.utils import escape
from splitpayout.gateway import (
    ApplicationError,
    BusinessError,
    LoginRefusedError,
    RegisteredPayment,
    SubmitOutcomeUnknownError,
)
from splitpayout.models import Method, ReasonCode

from robotglue.browser import BROWSER_LIBRARY, payment_form_values
from swedish_rules.amounts import parse_amount_ore

RESOURCE = Path(__file__).resolve().parents[2] / "resources" / "payout_system.resource"
RESOURCE_NAME = "payout_system"
APPLICATION_KINDS = frozenset(
    {"timeout", "server_error", "maintenance", "session_expired", "unexpected_page"}
)

_APPLICATION = re.compile(r"^APPLICATION:\s*(\w+)\s*(.*)$", re.DOTALL)
_BUSINESS = re.compile(r"^BUSINESS:\s*(\w+)\s*(?:fields=(\S*))?\s*(.*)$", re.DOTALL)
_TIMEOUT = re.compile(r"timeout|timed out|did not appear", re.IGNORECASE)


def to_gateway_error(message: str) -> BusinessError | ApplicationError | LoginRefusedError:
    """The typed exception for a failure message of the resource's keywords."""
    if message.startswith("LOGIN_REFUSED:"):
        return LoginRefusedError(message.removeprefix("LOGIN_REFUSED:").strip())
    business = _BUSINESS.match(message)
    if business:
        code_text, fields_text, detail = business.groups()
        try:
            code = ReasonCode(code_text)
        except ValueError:
            code = ReasonCode.REJECTED_BY_PAYOUT_SYSTEM
        fields = tuple(field for field in (fields_text or "").split(",") if field)
        return BusinessError(code, fields, detail.strip())
    application = _APPLICATION.match(message)
    if application and application.group(1) in APPLICATION_KINDS:
        return ApplicationError(application.group(1), application.group(2).strip())
    kind = "timeout" if _TIMEOUT.search(message) else "unexpected_page"
    return ApplicationError(kind, _first_line(message))


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0][:200] if message.strip() else ""


def _digits(text: str) -> str:
    return "".join(character for character in text if character.isdigit())


def _optional(text: str) -> str | None:
    stripped = text.strip()
    return stripped or None


def to_registered_payment(row: dict[str, str]) -> RegisteredPayment:
    """A search-result row (cell texts keyed as in the resource's ``RESULT_CELLS``) as a payment."""
    try:
        return RegisteredPayment(
            payment_number=row["payment_number"].strip(),
            reference=row["reference"].strip(),
            personnummer=_digits(row["personnummer"]),
            method=Method(row["method"].strip().upper()),
            clearing=_optional(_digits(row.get("clearing", ""))),
            account=_optional(_digits(row.get("account", ""))),
            bankgiro=_optional(_digits(row.get("bankgiro", ""))),
            ocr=_optional(row.get("ocr", "")),
            amount_ore=parse_amount_ore(row["amount"].strip()),
            payout_date=dt.date.fromisoformat(row["payout_date"].strip()),
            status=row["status"].strip(),
        )
    except (KeyError, ValueError) as error:
        # The message names the column, never the cell's value.
        column = error.args[0] if isinstance(error, KeyError) else type(error).__name__
        raise ApplicationError(
            "unexpected_page",
            f"a search-result row of {row.get('reference', '?')!r} could not be read ({column})",
        ) from None


class RobotGateway:
    """The payout system's web UI as a ``PayoutGateway``, driven by the resource's keywords."""

    def __init__(
        self,
        url: str,
        username: str,
        password: str | Secret,
        *,
        resource: Path | str = RESOURCE,
        quiet: bool = True,
    ) -> None:
        self._url = url.rstrip("/")
        self._username = username
        self._password = password if isinstance(password, Secret) else Secret(password)
        self._resource = Path(resource)
        self._imported = False
        self._quiet = quiet
        self._quiet_depth = 0

    def __repr__(self) -> str:
        return f"RobotGateway(url={self._url!r}, username={self._username!r})"

    # -- browser life cycle (not part of the protocol) ---------------------------------------

    def open(self) -> None:
        """Start the payout system's browser unless one is open already."""
        self._import_resource()
        if not self._browser_is_open():
            self._run("Open Payout System", self._url)

    def close(self) -> None:
        """Close the payout system's browser; never raises."""
        with contextlib.suppress(ApplicationError, BusinessError):
            self._run("Close Payout System")

    def __enter__(self) -> RobotGateway:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.log_out()
        self.close()

    # -- PayoutGateway -------------------------------------------------------------------------

    def log_in(self) -> None:
        """Log in (again), opening the browser first when needed."""
        self.open()
        self._run("Log In To Payout System", self._username, self._password)

    def find_payments(
        self,
        *,
        reference: str | None = None,
        payout_date_from: dt.date | None = None,
        payout_date_to: dt.date | None = None,
    ) -> list[RegisteredPayment]:
        """Every payment matching the filters, read from all pages of the search."""
        rows = self._run(
            "Find Payments",
            reference or "",
            payout_date_from.isoformat() if payout_date_from else "",
            payout_date_to.isoformat() if payout_date_to else "",
        )
        if not isinstance(rows, list):
            raise ApplicationError("unexpected_page", "the search returned no rows")
        payments = [to_registered_payment(row) for row in rows]
        if reference is not None:
            wanted = reference.casefold()
            payments = [payment for payment in payments if payment.reference.casefold() == wanted]
        return payments

    def register(self, payment: object) -> str:
        """Enter one ``PlannedPayment`` and return its payment number from the confirmation page."""
        values = payment_form_values(payment)
        with self._quietly():
            self._run("Open Payment Form")
            self._run("Fill Payment Form", values)
            try:
                self._run("Submit Payment Form")
                number = self._run("Read Payment Number")
            except BusinessError:
                raise
            except ApplicationError as error:
                raise SubmitOutcomeUnknownError(error.kind, error.detail) from None
        return str(number)

    def log_out(self) -> None:
        """Log out; never raises."""
        with contextlib.suppress(ApplicationError, BusinessError):
            self._run("Log Out Of Payout System")

    # -- running keywords ----------------------------------------------------------------------

    def _import_resource(self) -> None:
        """Import the resource unless the running suite has it already (importing it again would
        reset its variables, such as the payout system's URL, for this suite)."""
        if self._imported:
            return
        try:
            BuiltIn().get_library_instance(BROWSER_LIBRARY)
        except RuntimeError:
            BuiltIn().import_resource(str(self._resource))
        self._imported = True

    def _browser_is_open(self) -> bool:
        try:
            library: Any = BuiltIn().get_library_instance(BROWSER_LIBRARY)
            return library.driver is not None
        except Exception:  # SeleniumLibrary raises NoOpenBrowser; a missing library is as good as closed
            return False

    def _run(self, name: str, *args: object) -> object:
        """Run the resource's keyword ``name``; its typed failures become gateway exceptions."""
        self._import_resource()
        arguments = [escape(argument) if isinstance(argument, str) else argument for argument in args]
        with self._quietly():
            try:
                return BuiltIn().run_keyword(f"{RESOURCE_NAME}.{name}", *arguments)
            except ExecutionFailed as failure:
                if failure.timeout or failure.exit or failure.skip or failure.syntax:
                    raise  # the run's own timeouts, fatal errors and syntax errors are not the gateway's
                raise to_gateway_error(str(failure)) from None

    @contextlib.contextmanager
    def _quietly(self) -> Iterator[None]:
        """With ``quiet``, the keywords inside run at log level WARN (once, however many there are)."""
        if not self._quiet or self._quiet_depth:
            self._quiet_depth += 1
            try:
                yield
            finally:
                self._quiet_depth -= 1
            return
        builtin = BuiltIn()
        level = builtin.set_log_level("WARN")
        self._quiet_depth += 1
        try:
            yield
        finally:
            self._quiet_depth -= 1
            builtin.set_log_level(level)
