"""Fast, faithful input on the payout system's real payment form, in headless Chromium.

A page that checks its fields as a person fills them in listens for ``input`` and
``change`` events, and one that watches typing for keys: the fast fill must fire the
former for every field, and the fields named in ``PAYOUT_TYPED_FIELDS`` must still be
typed key by key.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from robotglue.browser import (
    HEADLESS_SHELL,
    fill_form,
    payment_form_values,
)
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.wait import WebDriverWait
from splitpayout.domain.contract import FORM_FIELDS

from swedish_rules import is_bank_day
from tests.support.browser import logged_in_browser
from tests.support.payout_server import PayoutServer, running_payout_system

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("test_form_filling")]

SELECTORS = {name: f"#payment-form #{name}" for name in FORM_FIELDS}
TEXT_FIELDS = [name for name in FORM_FIELDS if name != "method"]

# Counts the events each field receives, as a page's own validation would see them.
LISTEN = """
window.seen = {};
for (const element of document.querySelectorAll('#payment-form input, #payment-form select,'
                                                 + ' #payment-form textarea')) {
  window.seen[element.id] = {input: 0, change: 0, keydown: 0};
  for (const kind of ['input', 'change', 'keydown']) {
    element.addEventListener(kind, (event) => {
      // Keys that type a character (Shift and the like are keys too).
      if (kind !== 'keydown' || event.key.length === 1) { window.seen[element.id][kind] += 1; }
    });
  }
}
"""


def bank_day_ahead() -> dt.date:
    day = dt.date.today() + dt.timedelta(days=10)
    while not is_bank_day(day):
        day += dt.timedelta(days=1)
    return day


VALUES = payment_form_values(
    {
        "personnummer": "198112289874",
        "name": "Anna Andersson",
        "method": "BANKGIRO",
        "bankgiro": "5050-1055",
        "ocr": "",
        "amount_ore": 512_350,
        "payout_date": bank_day_ahead(),
        "reference": "FF-1/1",
        "message": "Hyra december",
    }
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PayoutServer]:
    with running_payout_system(Path(tmp_path_factory.mktemp("form")) / "payout.db") as running:
        yield running


@pytest.fixture(scope="module")
def browser(server: PayoutServer) -> Iterator[webdriver.Chrome]:
    with logged_in_browser(server) as driver:
        yield driver


def test_headless_runs_use_the_headless_shell_when_it_is_installed(browser: webdriver.Chrome) -> None:
    # scripts/setup.sh installs Debian's chromium-headless-shell where the release packages it;
    # the robot must then drive it, not full Chromium (several times the processor time per page).
    expected = "chrome-headless-shell" if os.path.exists(HEADLESS_SHELL) else "chrome"
    assert browser.capabilities["browserName"] == expected


def open_form(driver: webdriver.Chrome, server: PayoutServer) -> None:
    driver.get(server.url + "payments/new")
    driver.execute_script(LISTEN)


def field_values(driver: webdriver.Chrome) -> dict[str, str]:
    return {name: driver.find_element(By.ID, name).get_attribute("value") or "" for name in FORM_FIELDS}


def submit(driver: webdriver.Chrome) -> str:
    driver.find_element(By.ID, "submit-payment").click()
    WebDriverWait(driver, 10).until(
        ec.any_of(
            ec.presence_of_element_located((By.ID, "payment-number")),
            ec.presence_of_element_located((By.ID, "form-errors")),
        )
    )
    found = driver.find_elements(By.ID, "payment-number")
    assert found, "the payout system refused the filled form"
    return found[0].text


def test_the_fast_fill_sets_every_field_with_the_events_typing_fires_and_the_form_is_accepted(
    browser: webdriver.Chrome, server: PayoutServer
) -> None:
    open_form(browser, server)
    fill_form(browser, SELECTORS, VALUES, fast=True)
    assert field_values(browser) == dict(VALUES)
    seen = browser.execute_script("return window.seen;")
    for name in FORM_FIELDS:
        assert seen[name]["input"] >= 1 and seen[name]["change"] >= 1, name
        assert seen[name]["keydown"] == 0, name  # nothing typed: no per-keystroke cost
    assert submit(browser).startswith("U-")


def test_fields_named_for_typing_are_typed_key_by_key_and_the_rest_set_at_once(
    browser: webdriver.Chrome, server: PayoutServer
) -> None:
    values = payment_form_values({**dict(VALUES), "reference": "FF-2/1", "amount": "5123,50"})
    open_form(browser, server)
    fill_form(browser, SELECTORS, values, fast=True, typed="amount, reference")
    assert field_values(browser) == dict(values)
    seen = browser.execute_script("return window.seen;")
    assert seen["amount"]["keydown"] == len("5123,50")
    assert seen["reference"]["keydown"] == len("FF-2/1")
    assert all(seen[name]["keydown"] == 0 for name in TEXT_FIELDS if name not in ("amount", "reference"))
    assert submit(browser).startswith("U-")


def test_without_the_fast_fill_every_text_field_is_typed(
    browser: webdriver.Chrome, server: PayoutServer
) -> None:
    values = payment_form_values({**dict(VALUES), "reference": "FF-3/1"})
    open_form(browser, server)
    browser.execute_script("document.getElementById('name').value = 'left over';")
    fill_form(browser, SELECTORS, values, fast=False)
    assert field_values(browser) == dict(values)  # cleared before typing, as a person would
    seen = browser.execute_script("return window.seen;")
    for name in TEXT_FIELDS:
        assert seen[name]["keydown"] == len(values[name]), name
    assert submit(browser).startswith("U-")


def test_a_field_missing_from_the_page_is_named() -> None:
    with pytest.raises(ValueError, match="got belopp"):
        fill_form(None, SELECTORS, VALUES, typed="belopp")  # type: ignore[arg-type]


def test_a_form_without_a_field_the_robot_fills_fails_naming_it(
    browser: webdriver.Chrome, server: PayoutServer
) -> None:
    open_form(browser, server)
    browser.execute_script("document.getElementById('ocr').remove();")
    with pytest.raises(AssertionError, match="form field 'ocr'"):
        fill_form(browser, SELECTORS, VALUES, fast=True)
