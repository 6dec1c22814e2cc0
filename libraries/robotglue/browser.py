"""The payout system's browser in plain Python: its settings, its start-up and its payment form.

No keywords and no environment: :class:`BrowserSettings` carries what the one configuration
says about the browser, and ``robotglue.PayoutPages`` (the keyword library under
``resources/payout_system.resource``) and the tests use the helpers here.

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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from selenium.webdriver.chrome.options import Options as ChromeOptions
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from splitpayout.domain.contract import FORM, FORM_FIELDS

if TYPE_CHECKING:
    from splitpayout.config import Settings

#: The name the resource imports RPA.Browser.Selenium under (``AS    PayoutBrowser``).
BROWSER_LIBRARY = "PayoutBrowser"


@dataclass(frozen=True)
class BrowserSettings:
    """What the robot's configuration says about the payout system's browser.

    ``RobotGateway`` hands these to the resource's ``Open Payout System`` as keyword arguments:
    the resource reads no environment variable and has no defaults of its own.
    """

    url: str
    headless: bool
    page_timeout_seconds: float
    fast_fill: bool
    typed_fields: tuple[str, ...] = ()
    chrome_binary: str | None = None
    chromedriver_path: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> BrowserSettings:
        """The browser's part of the robot's settings (``splitpayout.config.Settings``)."""
        return cls(
            url=settings.payout_system_url.rstrip("/"),
            headless=settings.headless,
            page_timeout_seconds=settings.page_timeout_seconds,
            fast_fill=settings.fast_fill,
            typed_fields=tuple(settings.typed_fields),
            # CHROME_BINARY and CHROMEDRIVER_PATH are fields of the one configuration; a settings
            # object without them leaves the choice to chromium_binary() and chromedriver_path().
            chrome_binary=settings.chrome_binary,
            chromedriver_path=settings.chromedriver_path,
        )


#: Chromium flags for a quiet, reproducible headless browser in containers and CI. The sandbox
#: stays on wherever Chromium can run with it (``sandbox_unavailable``).
CHROMIUM_ARGUMENTS = (
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


NO_SANDBOX = "--no-sandbox"
# Where the kernel says whether unprivileged user namespaces (Chromium's own sandbox) are allowed.
USER_NAMESPACE_SWITCHES = ("/proc/sys/kernel/unprivileged_userns_clone", "/proc/sys/user/max_user_namespaces")
# Chromium's setuid sandbox helper, the other way it can sandbox without user namespaces.
SETUID_SANDBOXES = ("/usr/lib/chromium/chrome-sandbox", "/opt/google/chrome/chrome-sandbox")


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip()
    except OSError:
        return None


def sandbox_unavailable(euid: int | None = None, read: Callable[[str], str | None] = _read) -> str | None:
    """Why Chromium cannot run with its sandbox here, or None when it can: it refuses its sandbox
    to root (as in many containers), and without root it needs unprivileged user namespaces or
    its setuid helper."""
    if (os.geteuid() if euid is None else euid) == 0:
        return "the robot runs as root, where Chromium cannot use its sandbox"
    switches = [read(path) for path in USER_NAMESPACE_SWITCHES]
    if "0" not in switches:
        return None
    if any(os.path.exists(path) and os.stat(path).st_mode & 0o4000 for path in SETUID_SANDBOXES):
        return None
    return "this system allows no unprivileged user namespaces and has no setuid sandbox for Chromium"


def sandbox_note(reason: str | None) -> str:
    """The log's line at a browser's start: whether Chromium runs in its sandbox, and if not, why."""
    if reason is None:
        return "Chromium runs with its sandbox"
    return f"Chromium runs without its sandbox (--no-sandbox): {reason}; run the robot as another user"


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


class FormValues(Mapping[str, str]):
    """The text of every payment-form field, keyed by field name. Personal data.

    Its string form names only the reference, so it can be passed to keywords and
    assigned to variables without the values reaching the log.
    """

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = {name: values.get(name, "") for name in FORM_FIELDS}

    def __getitem__(self, name: str) -> str:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __str__(self) -> str:
        return f"<payment form values, reference {self._values['reference']!r}>"

    __repr__ = __str__


class MissingFormFieldError(AssertionError):
    """The form lacks a field the robot fills in; ``name`` is the field's name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Expected the form field '{name}' on the page, found none.")
        self.name = name


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
    values = {field.name: _text(source.get(field.source, source.get(field.name))) for field in FORM}
    amount_ore = source.get("amount_ore")
    if amount_ore is not None and amount_ore != "":
        values["amount"] = format_form_amount(int(amount_ore))
    values["method"] = values["method"].upper()
    return FormValues(values)


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


def chromium_binary(headless: bool = True, configured: str | None = None) -> str:
    """The browser to start: ``configured`` (``CHROME_BINARY``) when given; else, headless, Debian's
    headless shell when installed; else Debian's Chromium when installed; else ``""`` (chromedriver's
    default).
    """
    if configured:
        return configured
    if headless and os.path.exists(HEADLESS_SHELL):
        return HEADLESS_SHELL
    return CHROMIUM if os.path.exists(CHROMIUM) else ""


def get_chromium_options(
    headless: bool = True, binary: str | None = None, *, no_sandbox_reason: str | bool | None = True
) -> ChromeOptions:
    """Chromium options for the payout system: headless by default, quiet, no first-run screens,
    and in its sandbox unless ``no_sandbox_reason`` (by default ``sandbox_unavailable()``) says
    why it cannot be.

    The browser is ``chromium_binary(headless, binary)``: headless runs use Debian's
    ``chromium-headless-shell`` when it is installed (always headless, and much lighter),
    otherwise full Chromium in its headless mode; ``binary`` names another browser.
    """
    options = ChromeOptions()
    chosen = chromium_binary(headless, binary)
    if headless and not chosen.endswith("headless-shell"):
        options.add_argument("--headless=new")
    for argument in CHROMIUM_ARGUMENTS:
        options.add_argument(argument)
    reason = sandbox_unavailable() if no_sandbox_reason is True else no_sandbox_reason
    if reason:
        options.add_argument(NO_SANDBOX)
    if chosen:
        options.binary_location = chosen
    options.add_experimental_option(
        "prefs", {"credentials_enable_service": False, "profile.password_manager_enabled": False}
    )
    return options


def chromedriver_path(configured: str | None = None) -> str | None:
    """The local chromedriver: ``configured`` (``CHROMEDRIVER_PATH``) when given, else
    ``chromedriver`` on PATH, else None."""
    if configured:
        return configured
    return shutil.which("chromedriver")


def chromedriver_service(configured: str | None = None) -> ChromeService | None:
    """A service for the local chromedriver (see ``chromedriver_path``), so nothing is downloaded.

    ``None`` when no chromedriver is installed; Selenium then looks for a driver itself.
    """
    path = chromedriver_path(configured)
    return ChromeService(executable_path=path) if path else None


def typed_field_names(setting: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """The field names of ``PAYOUT_TYPED_FIELDS`` (comma-separated), checked against the form's fields."""
    if setting is None:
        return ()
    names = setting.split(",") if isinstance(setting, str) else list(setting)
    cleaned = tuple(name.strip() for name in names if name.strip())
    unknown = [name for name in cleaned if name not in FORM_FIELDS]
    if unknown:
        raise ValueError(
            f"Expected payment-form field names ({', '.join(FORM_FIELDS)}), got {', '.join(unknown)}."
        )
    return cleaned


def fill_form(
    driver: WebDriver,
    selectors: Mapping[str, str],
    values: Mapping[str, str],
    *,
    fast: bool = True,
    typed: str | list[str] | tuple[str, ...] = (),
) -> None:
    """Fill the form ``selectors`` (name -> CSS) with ``values``; logs nothing itself.

    ``fast`` sets the values with JavaScript in one step, focusing each field and sending the
    ``input`` and ``change`` events typing sends, so a page that checks its fields as they are
    filled in sees them filled in. The fields named in ``typed`` (a list or comma-separated
    names) are typed key by key all the same, after the others; without ``fast`` every field is.
    Typing clears the field first, and ``select`` elements are chosen by value, as a person would.
    """
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
        raise MissingFormFieldError(missing)


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
