"""``RobotGateway``: the ``PayoutGateway`` that works in the payout system's web UI, in a real browser.

It runs the page steps of ``resources/payout_system.resource`` through Robot Framework's
``BuiltIn().run_keyword`` (so every step shows in log.html) and does what is code around them:
it passes the browser settings in as arguments, reads the search page by page, checks that it
read every match, and raises the exceptions of :mod:`splitpayout.adapters.gateway`:

- a failure the resource's library ``PayoutPages`` typed is raised as the exception it typed
  (``BusinessError``, ``ApplicationError(kind)``, ``LoginRefusedError``), taken from the
  library, not read back from the message;
- any other failure (a page without an expected field, say) -> ``ApplicationError('unexpected_page')``;
- any failure once the payment form has been sent, without the confirmation page seen and
  without the form coming back refused -> ``SubmitOutcomeUnknownError``;
- a changed payout system (an element missing on a page that did load, a page it does not know
  after the submit, a confirmation it cannot read) -> ``PayoutSystemChanged``, never retried.

``register`` returns the payment as the confirmation page shows it, read in one go from the page
already loaded; ``inspect_payment_form`` checks the form once before the first payment.

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
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from robot.api.types import Secret
from robot.errors import ExecutionFailed
from robot.libraries.BuiltIn import BuiltIn
from robot.utils import escape
from splitpayout.adapters.gateway import (
    ApplicationError,
    BusinessError,
    FormInspection,
    PayoutSystemChanged,
    RegisteredPayment,
    SubmitOutcomeUnknownError,
    receipt_payment,
)
from splitpayout.domain.models import Method
from splitpayout.domain.stops import StopCode

from robotglue.browser import BROWSER_LIBRARY, BrowserSettings, PaymentRows, payment_form_values
from robotglue.PayoutPages import PayoutPages
from swedish_rules.amounts import parse_amount_ore

RESOURCE = Path(__file__).resolve().parents[2] / "resources" / "payout_system.resource"
RESOURCE_NAME = "payout_system"
#: The name the resource imports ``robotglue.PayoutPages`` under.
PAGES_LIBRARY = "PayoutPages"
#: Searches read at most this many pages: a search that never ends is a page that is not the search.
MAX_SEARCH_PAGES = 10_000


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0][:200] if message.strip() else ""


def _digits(text: str) -> str:
    return "".join(character for character in text if character.isdigit())


def _optional(text: str) -> str | None:
    stripped = text.strip()
    return stripped or None


def to_registered_payment(row: dict[str, str]) -> RegisteredPayment:
    """A search-result row (cell texts keyed as in the resource's ``RESULT_CELLS``) as a payment.

    A cell that is not there (None) means the payout system has changed: PayoutSystemChanged.
    """
    missing = [name for name, text in row.items() if text is None]
    if missing:
        raise PayoutSystemChanged(
            StopCode.ELEMENT_MISSING,
            f"kolumnen {', '.join(missing)} i sökresultatet",
            f"a search-result row lacks the cells {', '.join(missing)}",
        )
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
    """The payout system's web UI as a ``PayoutGateway``, driven by the resource's page steps."""

    def __init__(
        self,
        browser: BrowserSettings,
        username: str,
        password: str | Secret,
        *,
        resource: Path | str = RESOURCE,
        quiet: bool = True,
        search_page_size: int | None = None,
    ) -> None:
        self._browser = browser
        self._username = username
        self._password = password if isinstance(password, Secret) else Secret(password)
        self._resource = Path(resource)
        self._imported = False
        self._quiet = quiet
        self._quiet_depth = 0
        self._search_page_size = search_page_size  # None: the resource's own page size

    def __repr__(self) -> str:
        return f"RobotGateway(url={self._browser.url!r}, username={self._username!r})"

    # -- browser life cycle (not part of the protocol) ---------------------------------------

    def open(self) -> None:
        """Start the payout system's browser unless one is open already."""
        self._import_resource()
        if self._browser_is_open():
            return
        browser = self._browser
        self._run(
            "Open Payout System",
            browser.url,
            browser.headless,
            browser.page_timeout_seconds,
            browser.chrome_binary or "",
            browser.chromedriver_path or "",
        )
        self._run("Choose How Payment Forms Are Filled", browser.fast_fill, ",".join(browser.typed_fields))

    def close(self) -> None:
        """Close the payout system's browser; never raises."""
        with contextlib.suppress(ApplicationError, BusinessError):
            self._run("Close Payout System")

    def __enter__(self) -> RobotGateway:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
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
        filters = [
            reference or "",
            payout_date_from.isoformat() if payout_date_from else "",
            payout_date_to.isoformat() if payout_date_to else "",
        ]
        rows = self._read_every_search_page(filters)
        payments = [to_registered_payment(row) for row in rows]
        if reference is not None:
            wanted = reference.casefold()
            payments = [payment for payment in payments if payment.reference.casefold() == wanted]
        return payments

    def inspect_payment_form(self) -> FormInspection:
        """Open a new payment form: what it lacks of the robot's elements, and its unknown fields."""
        with self._quietly():
            found = self._run("Inspect Payment Form")
        if not isinstance(found, dict):
            raise ApplicationError("unexpected_page", "the payment form could not be inspected")
        return FormInspection(missing=tuple(found["missing"]), unknown=tuple(found["unknown"]))

    def register(self, payment: object) -> RegisteredPayment:
        """Enter one ``PlannedPayment`` and return it as the confirmation page shows it."""
        values = payment_form_values(payment)
        with self._quietly():
            self._run("Open Payment Form")
            self._run("Fill Payment Form", values)
            try:
                self._run("Submit Payment Form")
                receipt = self._run("Read Payment Receipt")
            except (BusinessError, PayoutSystemChanged):
                raise
            except ApplicationError as error:
                raise SubmitOutcomeUnknownError(error.kind, error.detail) from None
        if not isinstance(receipt, list) or len(receipt) != 1:
            raise PayoutSystemChanged(
                StopCode.ELEMENT_MISSING, "kvittot", "the confirmation page could not be read", sent=True
            )
        return receipt_payment(receipt[0])

    def log_out(self) -> None:
        """Log out; never raises."""
        with contextlib.suppress(ApplicationError, BusinessError):
            self._run("Log Out Of Payout System")

    # -- the search, page by page ----------------------------------------------------------------

    def _read_every_search_page(self, filters: list[str]) -> PaymentRows:
        """The rows of every page of one search; all the matches the search reports, or a failure.

        A search read only in part could make the robot enter a payment twice.
        """
        rows = PaymentRows()
        page_size = [] if self._search_page_size is None else [self._search_page_size]
        for page in range(1, MAX_SEARCH_PAGES + 1):
            answer = self._run("Read Search Results Page", *filters, page, *page_size)
            if not isinstance(answer, list) or len(answer) != 3:
                raise ApplicationError("unexpected_page", "the search returned no rows")
            page_rows, next_pages, matches = answer
            rows.extend(page_rows)
            if not next_pages:
                break
        else:
            raise ApplicationError("unexpected_page", f"the search had more than {MAX_SEARCH_PAGES} pages")
        if len(rows) != matches:
            raise ApplicationError(
                "unexpected_page", f"the search reported {matches} payments, {len(rows)} were read"
            )
        return rows

    # -- running keywords ----------------------------------------------------------------------

    def _import_resource(self) -> None:
        """Import the resource unless the running suite has it already (importing it again would
        start its libraries again for this suite)."""
        if self._imported:
            return
        try:
            BuiltIn().get_library_instance(PAGES_LIBRARY)
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
        """Run the resource's page step ``name``; a failure becomes the gateway exception it is."""
        self._import_resource()
        pages = cast(PayoutPages, BuiltIn().get_library_instance(PAGES_LIBRARY))
        arguments = [escape(argument) if isinstance(argument, str) else argument for argument in args]
        with self._quietly():
            pages.forget_failure()
            try:
                return BuiltIn().run_keyword(f"{RESOURCE_NAME}.{name}", *arguments)
            except ExecutionFailed as failure:
                if failure.timeout or failure.exit or failure.skip or failure.syntax:
                    raise  # the run's own timeouts, fatal errors and syntax errors are not the gateway's
                typed = pages.take_failure()
                raise typed or ApplicationError("unexpected_page", _first_line(str(failure))) from None

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
