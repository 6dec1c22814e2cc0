"""``PayoutPages``: the one small keyword library under ``resources/payout_system.resource``.

The resource says what the robot does on each page of the payout system, with every locator
as a variable; this library does the parts that are code: it waits for the next page, tells
the pages apart, types every failure, and moves personal data between the page and the robot
without logging it. It knows no locator of its own: the resource passes them in (those of
every page at import, the others per keyword), so all locators stay in that one file. It
never runs a keyword of the resource.

A failure of a page step is typed (``PayoutSystemError``), with a message that starts with
its type: ``BUSINESS: rejected_by_payout_system fields=a,b``, ``APPLICATION: <kind> <detail>``,
``LOGIN_REFUSED: <detail>`` or ``CHANGED: <stop code> <detail>`` (the payout system has changed
under the robot: an element missing on a page that did load, a page the robot does not know after
the submit; never retried, docs/rules.md §4.9). The library keeps the last one, so
``RobotGateway`` takes the exception itself instead of reading the message back. No step waits
for an element that is not there: a page is waited for once, then its elements are looked up at once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import urlencode

from robot.api.deco import keyword, library
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError
from robot.utils import timestr_to_secs
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.options import Options as ChromeOptions
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.remote.webdriver import WebDriver
from splitpayout.adapters.gateway import (
    ApplicationError,
    BusinessError,
    LoginRefusedError,
    PayoutSystemChanged,
    element_subject,
)
from splitpayout.domain.reasons import ReasonCode
from splitpayout.domain.stops import StopCode

from robotglue import robot_log
from robotglue.browser import (
    BROWSER_LIBRARY,
    MissingFormFieldError,
    PaymentRows,
    chromedriver_service,
    css,
    fill_form,
    get_chromium_options,
    payment_form_values,
    sandbox_note,
    sandbox_unavailable,
    typed_field_names,
)

GatewayError = BusinessError | ApplicationError | LoginRefusedError | PayoutSystemChanged

#: How often a wait looks at the page: a page that is already there is seen at once, and one
#: that is on its way costs at most this much more than its own load.
WAIT_POLL_SECONDS = 0.02

_ATTRIBUTE_SCRIPT = """
const element = document.querySelector(arguments[0]);
return element === null ? "" : (element.getAttribute(arguments[1]) || "");
"""

_ANY_PRESENT_SCRIPT = """
const [selector, pageSelector, attribute] = arguments;
if (document.readyState === "loading" || document.querySelector(selector) === null) { return null; }
const page = document.querySelector(pageSelector);
return page === null ? "" : (page.getAttribute(attribute) || "");
"""

_TEXT_SCRIPT = """
const element = document.querySelector(arguments[0]);
return element === null ? null : element.textContent.trim();
"""

_READ_ROWS_SCRIPT = """
const [rowSelector, cells] = arguments;
return Array.from(document.querySelectorAll(rowSelector), (row) => {
  const record = {};
  for (const [name, selector] of Object.entries(cells)) {
    const cell = row.querySelector(selector);
    record[name] = cell === null ? null : cell.textContent.trim();
  }
  return record;
});
"""

# Marks the page being left, so that the wait for the next page never takes the old one for it.
_MARK_AND_FIND_SCRIPT = """
document.documentElement.setAttribute("data-robot-left", "");
return document.querySelector(arguments[0]);
"""

# The positions of the selectors that find nothing on the page.
_MISSING_SCRIPT = """
return arguments[0].flatMap((selector, index) => (document.querySelector(selector) === null ? [index] : []));
"""

# The texts of named elements, in one go; null for an element that is not there.
_READ_TEXTS_SCRIPT = """
const texts = {};
for (const [name, selector] of Object.entries(arguments[0])) {
  const element = document.querySelector(selector);
  texts[name] = element === null ? null : element.textContent.trim();
}
return texts;
"""

# What a form lacks of the robot's elements, and the fields a person fills in that none of the
# robot's locators finds (by name, else id).
_INSPECT_FORM_SCRIPT = """
const [formSelector, fields, others] = arguments;
const form = document.querySelector(formSelector);
if (form === null) { return {missing: [formSelector], unknown: []}; }
const missing = Object.entries(fields).filter(([, s]) => document.querySelector(s) === null).map(([n]) => n);
for (const selector of others) { if (document.querySelector(selector) === null) { missing.push(selector); } }
const known = Object.values(fields);
const NOT_FILLED_IN = ["hidden", "submit", "button", "reset"];
const unknown = Array.from(form.querySelectorAll("input, select, textarea"))
  .filter((e) => !NOT_FILLED_IN.includes((e.getAttribute("type") || "").toLowerCase()))
  .filter((e) => !known.some((s) => e.matches(s)))
  .map((e) => e.getAttribute("name") || e.id || e.tagName.toLowerCase());
return {missing: missing, unknown: unknown};
"""

_READ_IDS_SCRIPT = """
return Array.from(document.querySelectorAll(arguments[0]), (element) => element.id);
"""


def failure_message(error: GatewayError) -> str:
    """The text of a typed failure, as the resource's documentation describes it."""
    if isinstance(error, LoginRefusedError):
        return f"LOGIN_REFUSED: {error}"
    if isinstance(error, BusinessError):
        return f"BUSINESS: {error.code.value} fields={','.join(error.fields)}"
    if isinstance(error, PayoutSystemChanged):
        return f"CHANGED: {error.code.value} {error.detail}"
    return f"APPLICATION: {error.kind} {error.detail}".rstrip()


class PayoutSystemError(AssertionError):
    """A typed failure of a page step; ``error`` is the gateway's exception for it."""

    ROBOT_SUPPRESS_NAME = True

    def __init__(self, error: GatewayError) -> None:
        super().__init__(failure_message(error))
        self.error = error


@dataclass(frozen=True)
class PageNames:
    """The page names (``data-page``) that explain why the expected page did not come."""

    login: str
    maintenance: str
    error: str


def failure_for_page(names: PageNames, page: str, status: str, expected: str) -> ApplicationError:
    """Why the browser shows ``page`` (its name; ``status`` on an error page) instead of ``expected``."""
    if page == names.login:
        return ApplicationError("session_expired", f"expected {expected}, got the login page")
    if page == names.maintenance:
        return ApplicationError("maintenance", "the payout system is closed for maintenance")
    if page == names.error:
        if not status or status.startswith("5"):
            return ApplicationError(
                "server_error", f"the payout system answered with an error page ({status})"
            )
        return ApplicationError("unexpected_page", f"expected {expected}, got an error page ({status})")
    return ApplicationError("unexpected_page", f"expected {expected}, got '{page}'")


@contextmanager
def _unlogged() -> Iterator[None]:
    """Nothing reaches the log inside: Selenium's DEBUG messages echo what is sent and received."""
    try:
        previous = BuiltIn().set_log_level("NONE")
    except RobotNotRunningError:
        yield
        return
    try:
        yield
    finally:
        BuiltIn().set_log_level(previous)


@library(scope="GLOBAL", auto_keywords=False)
class PayoutPages:
    """Waits, page checks, typed failures and quiet page access for the payout system's resource."""

    def __init__(
        self,
        page: str,
        page_name_attribute: str,
        login_page: str,
        maintenance_page: str,
        error_page: str,
        error_status: str,
        error_status_attribute: str,
    ) -> None:
        self._page = css(page)
        self._page_attribute = page_name_attribute
        self._names = PageNames(login_page, maintenance_page, error_page)
        self._error_status = css(error_status)
        self._error_status_attribute = error_status_attribute
        self._url = ""
        self._timeout: float | None = None  # None: the browser library's own timeout
        self._fast_fill = True
        self._typed_fields: tuple[str, ...] = ()
        self._last_failure: GatewayError | None = None

    # -- for RobotGateway (not keywords) ---------------------------------------------------------

    def forget_failure(self) -> None:
        """Drop the last typed failure (before a step whose failure is wanted)."""
        self._last_failure = None

    def take_failure(self) -> GatewayError | None:
        """The typed failure raised since ``forget_failure``, if any."""
        failure, self._last_failure = self._last_failure, None
        return failure

    # -- the browser ---------------------------------------------------------------------------

    @keyword
    def get_chromium_options(self, headless: bool, binary: str | None = None) -> ChromeOptions:
        """Chromium options: headless (Debian's headless shell when installed), quiet, sandboxed
        wherever it can be (the log says whether it is, and if not, why).

        ``binary`` names another browser; empty, the robot chooses (``browser.chromium_binary``).
        """
        reason = sandbox_unavailable()
        robot_log.info(sandbox_note(reason))
        return get_chromium_options(headless=headless, binary=binary or None, no_sandbox_reason=reason)

    @keyword
    def get_chromedriver_service(self, path: str | None = None) -> ChromeService | None:
        """The local chromedriver at ``path``, else the one on PATH, so nothing is downloaded."""
        return chromedriver_service(path or None)

    @keyword
    def use_payout_system_at(self, url: str, page_timeout: str | float) -> None:
        """Remember the payout system's address and how long one of its pages may take."""
        self._url = url.rstrip("/")
        self._timeout = timestr_to_secs(page_timeout)

    @keyword
    def use_form_filling(self, fast: bool, typed: str | list[str] | tuple[str, ...] = ()) -> None:
        """How ``Fill Form Quietly`` fills forms: ``fast`` in one step except the ``typed`` fields."""
        self._fast_fill = bool(fast)
        self._typed_fields = typed_field_names(typed)

    # -- pages ---------------------------------------------------------------------------------

    @keyword
    def go_to_payout_system_page(self, path: str, **query: object) -> None:
        """Load ``path`` of the payout system with the non-empty ``query`` parameters."""
        parameters = {name: str(value) for name, value in query.items() if value is not None and str(value)}
        url = self._url + path + (f"?{urlencode(parameters)}" if parameters else "")
        try:
            self._driver().get(url)
        except TimeoutException:
            self._fail(self._no_answer())
        except WebDriverException as error:
            if "net::ERR_" not in (error.msg or ""):
                raise
            self._fail(ApplicationError("server_error", "the payout system cannot be reached"))

    @keyword
    def payout_system_should_show_page(self, name: str, after_submit: bool = False) -> None:
        """The current page is the payout system's page ``name`` (its ``data-page``); typed failure if not.

        ``after_submit``: the page came in answer to a sent form, so any page but ``name`` and those
        that explain a passing failure (login, maintenance, error) means a changed page flow.
        """
        page = self._page_name()
        if page == name:
            return
        if after_submit and page not in (self._names.login, self._names.maintenance, self._names.error):
            self._fail(
                PayoutSystemChanged(
                    StopCode.PAGE_FLOW_CHANGED,
                    f"sidan {page or '(utan namn)'}",
                    f"after the submit the payout system showed the page {page!r}, not the {name} page",
                    sent=True,
                )
            )
        self._fail_because_of_current_page(f"the {name} page")

    @keyword
    def payout_system_should_show(self, locator: str, expected: str) -> None:
        """The current page has an element ``locator``; a typed failure naming ``expected`` if not."""
        if not self._driver().find_elements("css selector", css(locator)):
            self._fail_because_of_current_page(expected)

    @keyword
    def page_should_have_elements(self, page: str, *locators: str) -> None:
        """The current page is ``page`` and has every element of ``locators``: on the page that did
        load, a missing one means the payout system has changed (named in the failure)."""
        self.payout_system_should_show_page(page)
        missing = self._driver().execute_script(_MISSING_SCRIPT, [css(locator) for locator in locators])
        if missing:
            self._missing(", ".join(locators[index] for index in missing), f"the {page} page")

    @keyword
    def click_quietly(self, locator: str, on_page: str = "") -> None:
        """Click the first element matching ``locator``; a page load it starts must end in time.

        The page is marked as left first, so the wait for the next page never takes it for the next.
        On the page ``on_page`` (when given) a missing ``locator`` means the payout system has changed.
        """
        found = self._driver().execute_script(_MARK_AND_FIND_SCRIPT, css(locator))
        if found is None:
            if on_page and self._page_name() == on_page:
                self._missing(locator, f"the {on_page} page")
            self._fail_because_of_current_page(f"a page with '{locator}'")
        try:
            found.click()
        except TimeoutException:
            self._fail(self._no_answer())

    @keyword
    def wait_for_payout_system_page(self, expected: str) -> str:
        """Wait until the page has an element ``expected`` (CSS, may list several) and return its name.

        Looks every 20 ms. A page that never comes is a typed failure naming the page shown instead.
        """
        driver = self._driver()
        selector = css(expected)
        deadline = time.monotonic() + self._page_timeout()
        while True:
            try:
                found = driver.execute_script(_ANY_PRESENT_SCRIPT, selector, self._page, self._page_attribute)
                if found is not None:
                    return str(found)
            except WebDriverException as error:
                if "timeout" in (error.msg or "").casefold():
                    break
                # A page in the middle of loading cannot run scripts yet: look again.
            if time.monotonic() >= deadline:
                break
            time.sleep(WAIT_POLL_SECONDS)
        if self._page_name() in (self._names.login, self._names.maintenance, self._names.error):
            self._fail_because_of_current_page("the next page")
        self._fail(self._no_answer())

    @keyword
    def submit_and_wait_for_page(self, button: str, expected: str) -> str:
        """Click ``button`` and wait for a page with ``expected``; return that page's name."""
        self.click_quietly(button)
        return self.wait_for_payout_system_page(expected)

    @keyword
    def submit_if_shown_and_wait_for_page(self, button: str, expected: str) -> None:
        """Click ``button`` when the page has it, then wait for ``expected``; else do nothing."""
        if self._driver().find_elements("css selector", css(button)):
            self.submit_and_wait_for_page(button, expected)

    # -- answers -------------------------------------------------------------------------------

    @keyword
    def login_should_not_have_been_refused(self, refusal: str) -> None:
        """The login page does not show ``refusal``: refused credentials stop the robot (LOGIN_REFUSED)."""
        if self._page_name() == self._names.login and self._driver().find_elements(
            "css selector", css(refusal)
        ):
            self._fail(LoginRefusedError("the payout system refused the username or password"))

    @keyword
    def form_should_not_have_been_refused(
        self, form_page: str, field_errors: str, strip_prefix: str = ""
    ) -> None:
        """Not back on ``form_page``: a form sent back is a BUSINESS failure.

        The failure names the refused fields: the ids of the ``field_errors`` without ``strip_prefix``.
        """
        if self._page_name() != form_page:
            return
        ids: list[str] = self._driver().execute_script(_READ_IDS_SCRIPT, css(field_errors))
        fields = tuple(element_id.removeprefix(strip_prefix) for element_id in ids)
        if not fields:  # the form came back without a refusal the robot can read: it has changed
            self._missing(field_errors, f"the {form_page} page sent back")
        self._fail(BusinessError(ReasonCode.REJECTED_BY_PAYOUT_SYSTEM, fields))

    @keyword
    def inspect_form_quietly(
        self, form: str, fields: Mapping[str, str], *elements: str
    ) -> dict[str, list[str]]:
        """What the form ``form`` lacks of the ``fields`` (name -> CSS) and other ``elements`` (by
        locator), and the fields a person fills in there that none of the ``fields`` finds (by name)."""
        others = [css(element) for element in elements]
        with _unlogged():
            found = self._driver().execute_script(_INSPECT_FORM_SCRIPT, css(form), dict(fields), others)
        return {"missing": list(found["missing"]), "unknown": list(found["unknown"])}

    @keyword
    def read_texts_quietly(self, elements: Mapping[str, str]) -> PaymentRows:
        """The texts of the ``elements`` (name -> CSS) of the page, in one go, not logged: one row
        whose value is None for an element that is not there."""
        with _unlogged():
            found = self._driver().execute_script(
                _READ_TEXTS_SCRIPT, {n: css(s) for n, s in elements.items()}
            )
        return PaymentRows([found])

    @keyword
    def fill_form_quietly(
        self, fields: Mapping[str, str], payment: object, fast: bool | None = None, typed: str | None = None
    ) -> None:
        """Fill the form ``fields`` (name -> CSS) from ``payment``, logging no value.

        As ``Use Form Filling`` said, unless ``fast`` or ``typed`` say otherwise: the fast
        fill sets every value in one step with the events typing fires, and types key by key
        only the ``typed`` fields; without it every field is typed.
        """
        values = payment_form_values(payment)
        chosen_fast = self._fast_fill if fast is None else bool(fast)
        chosen_typed = self._typed_fields if typed is None else typed_field_names(typed)
        with _unlogged():
            try:
                fill_form(self._driver(), fields, values, fast=chosen_fast, typed=chosen_typed)
            except MissingFormFieldError as missing:
                self._missing(missing.name, "the payment form")

    @keyword
    def get_text_quietly(self, locator: str, pattern: str = "") -> str:
        """The text of ``locator`` (not logged); a typed failure when missing or not matching ``pattern``."""
        with _unlogged():
            text: str | None = self._driver().execute_script(_TEXT_SCRIPT, css(locator))
        if text is None:  # the page did load (the steps check it first): the element is gone
            self._missing(locator, "the page")
        if pattern and not re.search(pattern, text):
            self._fail(ApplicationError("unexpected_page", f"the page holds no '{locator}' as expected"))
        return str(text)

    @keyword
    def get_number_quietly(self, locator: str, pattern: str) -> int:
        """The number ``pattern``'s first group finds in the text of ``locator``; typed failure if none."""
        text = self.get_text_quietly(locator)
        match = re.search(pattern, text)
        if match is None:
            self._fail(ApplicationError("unexpected_page", f"the page shows no number in '{locator}'"))
        return int(match.group(1))

    @keyword
    def read_table_rows_quietly(self, rows: str, cells: Mapping[str, str]) -> PaymentRows:
        """The text of the ``cells`` (name -> CSS within the row) of every row matching ``rows``."""
        with _unlogged():
            found = self._driver().execute_script(_READ_ROWS_SCRIPT, css(rows), dict(cells))
        return PaymentRows(found)

    # -- helpers -------------------------------------------------------------------------------

    def _driver(self) -> WebDriver:
        browser: Any = BuiltIn().get_library_instance(BROWSER_LIBRARY)
        driver: WebDriver = browser.driver
        return driver

    def _page_timeout(self) -> float:
        if self._timeout is not None:
            return self._timeout
        browser: Any = BuiltIn().get_library_instance(BROWSER_LIBRARY)
        return float(browser.timeout)

    def _page_name(self) -> str:
        value = self._driver().execute_script(_ATTRIBUTE_SCRIPT, self._page, self._page_attribute)
        return str(value or "")

    def _no_answer(self) -> ApplicationError:
        return ApplicationError(
            "timeout", f"the payout system did not answer within {self._page_timeout():g} seconds"
        )

    def _fail_because_of_current_page(self, expected: str) -> NoReturn:
        page = self._page_name()
        status = ""
        if page == self._names.error:
            status = str(
                self._driver().execute_script(
                    _ATTRIBUTE_SCRIPT, self._error_status, self._error_status_attribute
                )
                or ""
            )
        self._fail(failure_for_page(self._names, page, status, expected))

    def _missing(self, element: str, where: str) -> NoReturn:
        """An element the robot needs is missing on a page that did load: the payout system has changed."""
        self._fail(
            PayoutSystemChanged(
                StopCode.ELEMENT_MISSING, element_subject([element]), f"{where} lacks {element}"
            )
        )

    def _fail(self, error: GatewayError) -> NoReturn:
        self._last_failure = error
        raise PayoutSystemError(error)
