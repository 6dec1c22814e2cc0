"""Quiet helpers for ``resources/payout_system.resource``: browser start-up and safe page access.

Imported in the resource as ``Library    robotglue.browser``. The keywords here know no
locator of their own: the resource passes every CSS selector in, so all locators of the
payout system stay in that one resource file.

Why Python at all: SeleniumLibrary's ``Input Text`` and ``Execute Javascript`` write the
text and the script arguments to the log at INFO level, and every variable assignment in
Robot Framework data is logged too. Form values and search results hold identity numbers,
names and account numbers, so they are moved between the page and the robot here, without
logging, and handed to Robot Framework wrapped in objects whose string form hides them
(``FormValues``, ``PaymentRows``).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from robot.api.deco import keyword
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError
from robot.utils import timestr_to_secs
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.options import Options as ChromeOptions
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from splitpayout.gateway import PAYMENT_FORM_FIELDS

ROBOT_AUTO_KEYWORDS = False

#: The name the resource imports RPA.Browser.Selenium under (``AS    PayoutBrowser``).
BROWSER_LIBRARY = "PayoutBrowser"

#: Chromium flags for a quiet, reproducible headless browser in containers and CI.
CHROMIUM_ARGUMENTS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1024",
    # The robot never goes back a page: no back-forward cache, and one document host per tab,
    # which spares the browser work at every page load.
    "--disable-features=BackForwardCache,RenderDocument",
)


_SET_VALUES_SCRIPT = """
const [selectors, values] = arguments;
for (const [name, selector] of Object.entries(selectors)) {
  const element = document.querySelector(selector);
  if (element === null) { return name; }
  element.focus();
  element.value = values[name] ?? "";
  element.dispatchEvent(new Event("input", {bubbles: true}));
  element.dispatchEvent(new Event("change", {bubbles: true}));
  element.blur();
}
return null;
"""

_PAGE_NAME_SCRIPT = """
const element = document.querySelector(arguments[0]);
return element === null ? "" : (element.getAttribute(arguments[1]) || "");
"""

_ANY_PRESENT_SCRIPT = """
const [selector, pageSelector, attribute] = arguments;
if (document.readyState === "loading" || document.querySelector(selector) === null) { return null; }
const page = pageSelector ? document.querySelector(pageSelector) : null;
return page === null ? "" : (page.getAttribute(attribute) || "");
"""

_TEXT_SCRIPT = """
const element = document.querySelector(arguments[0]);
return element === null ? null : element.textContent.trim();
"""

#: How often ``Wait For Any Element`` looks at the page: a page that is already there is seen at
#: once, and one that is on its way costs at most this much more than its own load.
WAIT_POLL_SECONDS = 0.02

_READ_ROWS_SCRIPT = """
const [rowSelector, cells] = arguments;
return Array.from(document.querySelectorAll(rowSelector), (row) => {
  const record = {};
  for (const [name, selector] of Object.entries(cells)) {
    const cell = row.querySelector(selector);
    record[name] = cell === null ? "" : cell.textContent.trim();
  }
  return record;
});
"""

_READ_IDS_SCRIPT = """
return Array.from(document.querySelectorAll(arguments[0]), (element) => element.id);
"""


class FormValues(Mapping[str, str]):
    """The text of every payment-form field, keyed by field name. Personal data.

    Its string form names only the reference, so it can be passed to keywords and
    assigned to variables without the values reaching the log.
    """

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = {name: values.get(name, "") for name in PAYMENT_FORM_FIELDS}

    def __getitem__(self, name: str) -> str:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __str__(self) -> str:
        return f"<payment form values, reference {self._values['reference']!r}>"

    __repr__ = __str__


class PaymentRows(list[dict[str, str]]):
    """Rows read from the search results, one dict of cell texts per payment. Personal data.

    Its string form gives only the number of rows.
    """

    def __str__(self) -> str:
        return f"<{len(self)} payment rows>"

    __repr__ = __str__


def format_form_amount(amount_ore: int) -> str:
    """Öre as the form's amount text without thousands separators: ``1234550`` -> ``12345,50``."""
    if amount_ore < 0:
        raise ValueError(f"Expected an amount of at least 0 öre, got {amount_ore}.")
    kronor, ore = divmod(amount_ore, 100)
    return f"{kronor},{ore:02d}"


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def payment_form_values(payment: object) -> FormValues:
    """The form texts for a ``PlannedPayment``-like object or a mapping.

    The amount comes from ``amount_ore`` (integer öre, formatted ``12345,50``) or, when that
    is missing, from ``amount`` as given. Dates become ``YYYY-MM-DD``; missing fields are empty.
    """
    if isinstance(payment, FormValues):
        return payment
    if isinstance(payment, Mapping):
        source: dict[str, Any] = dict(payment)
    elif hasattr(payment, "model_dump"):
        source = payment.model_dump()
    else:
        source = dict(vars(payment))
    values = {name: _text(source.get(name)) for name in PAYMENT_FORM_FIELDS}
    amount_ore = source.get("amount_ore")
    if amount_ore is not None and amount_ore != "":
        values["amount"] = format_form_amount(int(amount_ore))
    values["method"] = values["method"].upper()
    return FormValues(values)


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


def _driver() -> WebDriver:
    library: Any = BuiltIn().get_library_instance(BROWSER_LIBRARY)
    driver: WebDriver = library.driver
    return driver


#: Debian's headless-only build of Chromium (package ``chromium-headless-shell``): the same
#: Blink engine and network stack without the desktop browser around it, which costs about half
#: the processor time per page. The robot's first choice for headless runs. This is the program
#: itself: Debian's ``/usr/bin/chromium-headless-shell`` is a shell script that starts it as a
#: child without ``exec``, so chromedriver, which stops the process it started, would stop only
#: the script and leave the browser running after every run.
HEADLESS_SHELL = "/usr/lib/chromium/chromium-headless-shell"
#: Debian's full Chromium (package ``chromium``): for visible runs, and headless when the
#: headless shell is not installed.
CHROMIUM = "/usr/bin/chromium"


def chromium_binary(headless: bool = True) -> str:
    """The browser to start: ``CHROME_BINARY`` when set; else, headless, Debian's headless shell
    when installed; else Debian's Chromium when installed; else ``""`` (chromedriver's default).
    """
    configured = os.environ.get("CHROME_BINARY")
    if configured:
        return configured
    if headless and os.path.exists(HEADLESS_SHELL):
        return HEADLESS_SHELL
    return CHROMIUM if os.path.exists(CHROMIUM) else ""


@keyword
def get_chromium_options(headless: bool = True) -> ChromeOptions:
    """Chromium options for the payout system: headless by default, quiet, no first-run screens.

    The browser is ``chromium_binary(headless)``: headless runs use Debian's
    ``chromium-headless-shell`` when it is installed (always headless, and much lighter),
    otherwise full Chromium in its headless mode. ``CHROME_BINARY`` names another browser.
    """
    options = ChromeOptions()
    binary = chromium_binary(headless)
    if headless and not binary.endswith("headless-shell"):
        options.add_argument("--headless=new")
    for argument in CHROMIUM_ARGUMENTS:
        options.add_argument(argument)
    if binary:
        options.binary_location = binary
    options.add_experimental_option(
        "prefs", {"credentials_enable_service": False, "profile.password_manager_enabled": False}
    )
    return options


def chromedriver_path() -> str | None:
    """The local chromedriver: ``CHROMEDRIVER_PATH`` when set, else ``chromedriver`` on PATH, else None."""
    configured = os.environ.get("CHROMEDRIVER_PATH")
    if configured:
        return configured
    return shutil.which("chromedriver")


@keyword
def get_chromedriver_service() -> ChromeService | None:
    """A service for the local chromedriver (see ``chromedriver_path``), so nothing is downloaded.

    ``None`` when no chromedriver is installed; Selenium then looks for a driver itself.
    """
    path = chromedriver_path()
    return ChromeService(executable_path=path) if path else None


@keyword
def get_payment_form_values(payment: object) -> FormValues:
    """Turn a payment (``PlannedPayment``-like object or dictionary) into the form's texts."""
    return payment_form_values(payment)


def typed_field_names(setting: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """The field names of ``PAYOUT_TYPED_FIELDS`` (comma-separated), checked against the form's fields."""
    if setting is None:
        return ()
    names = setting.split(",") if isinstance(setting, str) else list(setting)
    cleaned = tuple(name.strip() for name in names if name.strip())
    unknown = [name for name in cleaned if name not in PAYMENT_FORM_FIELDS]
    if unknown:
        raise ValueError(
            f"Expected payment-form field names ({', '.join(PAYMENT_FORM_FIELDS)}), got {', '.join(unknown)}."
        )
    return cleaned


@keyword
def set_form_fields_quietly(
    selectors: Mapping[str, str],
    values: Mapping[str, str],
    fast: bool = True,
    typed: str | list[str] | tuple[str, ...] = (),
) -> None:
    """Give every field named in ``selectors`` (CSS) its text from ``values``, logging no value.

    ``fast`` sets the values with JavaScript in one step, focusing each field and sending the
    ``input`` and ``change`` events typing sends, so a page that checks its fields as they are
    filled in sees them filled in. The fields named in ``typed`` (a list or comma-separated
    names) are typed key by key all the same, after the others; without ``fast`` every field is.
    Typing clears the field first, and ``select`` elements are chosen by value, as a person would.
    """
    driver = _driver()
    with _unlogged():
        fill_form(driver, selectors, values, fast=fast, typed=typed)


def fill_form(
    driver: WebDriver,
    selectors: Mapping[str, str],
    values: Mapping[str, str],
    *,
    fast: bool = True,
    typed: str | list[str] | tuple[str, ...] = (),
) -> None:
    """``Set Form Fields Quietly`` on a given driver (see there); logs nothing itself."""
    typed_names = set(typed_field_names(typed))
    if fast:
        quick = {name: selector for name, selector in selectors.items() if name not in typed_names}
        slow = {name: selector for name, selector in selectors.items() if name in typed_names}
    else:
        quick, slow = {}, dict(selectors)
    missing = ""
    if quick:
        missing = driver.execute_script(_SET_VALUES_SCRIPT, quick, dict(values)) or ""
    if not missing and slow:
        missing = _type(driver, slow, values)
    if missing:
        raise AssertionError(f"Expected the form field '{missing}' on the page, found none.")


def _type(driver: WebDriver, selectors: Mapping[str, str], values: Mapping[str, str]) -> str:
    """Type the fields key by key; return the name of the first field not found, or an empty string."""
    for name, selector in selectors.items():
        found = driver.find_elements("css selector", selector)
        if not found:
            return name
        element = found[0]
        text = values.get(name, "")
        if element.tag_name.lower() == "select":
            Select(element).select_by_value(text)
        else:
            element.clear()
            if text:
                element.send_keys(text)
    return ""


def css(locator: str) -> str:
    """A CSS selector for a SeleniumLibrary-style locator: ``css:x`` -> ``x``, ``id:x`` -> ``#x``."""
    if locator.startswith("css:"):
        return locator[4:]
    if locator.startswith("id:"):
        return "#" + locator[3:]
    return locator


@keyword
def get_page_attribute(locator: str, attribute: str) -> str:
    """The ``attribute`` of the first element matching ``locator``, or an empty string when there is none.

    One look at the page (a single browser round trip), for checks made at every step.
    """
    value: str = _driver().execute_script(_PAGE_NAME_SCRIPT, css(locator), attribute)
    return value or ""


@keyword
def get_text_quietly(locator: str) -> str:
    """The text of the first element matching ``locator``; fails when there is none. Not logged."""
    with _unlogged():
        text: str | None = _driver().execute_script(_TEXT_SCRIPT, css(locator))
    if text is None:
        raise AssertionError(f"Expected an element '{locator}' on the page, found none.")
    return text


@keyword
def click_quietly(locator: str) -> None:
    """Click the first element matching ``locator`` (a button or link), in one find and one click.

    A click that starts a page load returns when that page has loaded (or the page-load
    timeout ran out: then the failure says it timed out).
    """
    driver = _driver()
    found = driver.find_elements("css selector", css(locator))
    if not found:
        raise AssertionError(f"Expected an element '{locator}' to click, found none.")
    try:
        found[0].click()
    except TimeoutException as error:
        raise AssertionError(f"The page timed out after the click on '{locator}': {error.msg}") from None


@keyword
def wait_for_any_element(
    locator: str, timeout: str | float = "30 seconds", page: str = "", page_attribute: str = ""
) -> str:
    """Wait until the page has an element matching ``locator`` (CSS, may list several with commas).

    Looks every 20 ms, so a page that is already there costs one look. Returns, from the same
    look, the ``page_attribute`` of the element matching ``page`` (an empty string when either
    is not given or not there). Fails with "did not appear within ..." after ``timeout`` (a
    Robot Framework time string or seconds).
    """
    driver = _driver()
    selector = css(locator)
    limit = timestr_to_secs(timeout)
    deadline = time.monotonic() + limit
    while True:
        try:
            found: str | None = driver.execute_script(
                _ANY_PRESENT_SCRIPT, selector, css(page) if page else "", page_attribute
            )
            if found is not None:
                return found
        except WebDriverException as error:
            if "timeout" in (error.msg or "").casefold():
                raise AssertionError(f"Element '{locator}' did not appear: the page timed out") from None
            # A page in the middle of loading cannot run scripts yet: look again.
        if time.monotonic() >= deadline:
            raise AssertionError(f"Element '{locator}' did not appear within {limit:g} seconds.")
        time.sleep(WAIT_POLL_SECONDS)


@keyword
def get_element_ids(selector: str, strip_prefix: str = "") -> list[str]:
    """The ``id`` of every element matching ``selector`` (CSS), in page order, without ``strip_prefix``."""
    ids: list[str] = _driver().execute_script(_READ_IDS_SCRIPT, selector)
    return [element_id.removeprefix(strip_prefix) for element_id in ids]


@keyword
def read_table_rows(row_selector: str, cells: Mapping[str, str]) -> PaymentRows:
    """The text of the ``cells`` (name -> CSS within the row) of every row matching ``row_selector``."""
    driver = _driver()
    with _unlogged():
        rows = driver.execute_script(_READ_ROWS_SCRIPT, row_selector, dict(cells))
    return PaymentRows(rows)


@keyword
def combine_payment_rows(rows: list[dict[str, str]], more: list[dict[str, str]]) -> PaymentRows:
    """``rows`` followed by ``more``, still hiding the cell texts from the log."""
    return PaymentRows([*rows, *more])


@keyword
def get_url_with_query(base: str, path: str, **parameters: object) -> str:
    """``base`` + ``path`` with the non-empty ``parameters`` as a URL-encoded query string."""
    query = urlencode({name: _text(value) for name, value in parameters.items() if _text(value)})
    url = base.rstrip("/") + path
    return f"{url}?{query}" if query else url
