"""The real server (subprocess, waitress) driven in headless Chromium, as the robot will."""

from __future__ import annotations

import pytest
from payout_testdata import ACCOUNT, CLEARING, PNR
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from swedish_rules import is_bank_day
from tests.support.browser import new_page
from tests.support.payout_server import PayoutServer

pytestmark = pytest.mark.browser


def next_bank_day() -> str:
    import datetime as dt

    day = dt.date.today() + dt.timedelta(days=7)
    while not is_bank_day(day):
        day += dt.timedelta(days=1)
    return day.isoformat()


def wait_for_page(driver: webdriver.Chrome, name: str) -> None:
    WebDriverWait(driver, 10).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, f'main#main[data-page="{name}"]'))
    )


def click_to(driver: webdriver.Chrome, element_id: str, name: str) -> None:
    """Click ``element_id`` and wait for the NEW page ``name`` (the old page may have the same name)."""
    new_page(driver, driver.find_element(By.ID, element_id).click, name)


def test_log_in_register_confirm_and_find_by_search(server: PayoutServer, browser: webdriver.Chrome) -> None:
    browser.get(server.url + "payments/new")
    wait_for_page(browser, "login")  # not logged in: sent to the login page first
    browser.find_element(By.ID, "username").send_keys("robot")
    browser.find_element(By.ID, "password").send_keys("robot-demo-password")
    click_to(browser, "login-button", "new-payment")  # and back to the form asked for

    # A refused field first: the error shows beside it and nothing is stored.
    browser.find_element(By.ID, "personnummer").send_keys(PNR)
    browser.find_element(By.ID, "name").send_keys("Anna Andersson")
    Select(browser.find_element(By.ID, "method")).select_by_value("KONTO")
    browser.find_element(By.ID, "clearing").send_keys(CLEARING)
    browser.find_element(By.ID, "account").send_keys(ACCOUNT)
    browser.find_element(By.ID, "amount").send_keys("0")
    payout_date = next_bank_day()
    browser.find_element(By.ID, "payout_date").send_keys(payout_date)
    browser.find_element(By.ID, "reference").send_keys("B-2001/1")
    click_to(browser, "submit-payment", "new-payment")
    assert "större än 0" in browser.find_element(By.ID, "error-amount").text
    assert server.api_payments(reference="B-2001/1") == []

    amount = browser.find_element(By.ID, "amount")
    amount.clear()
    amount.send_keys("4 321,50")
    click_to(browser, "submit-payment", "confirmation")
    assert browser.find_element(By.ID, "confirmation").text == "Utbetalningen är registrerad"
    payment_number = browser.find_element(By.ID, "payment-number").text
    assert payment_number.startswith("U-") and payment_number[2:].isdigit()
    assert browser.find_element(By.ID, "detail-amount").text == "4 321,50"

    click_to(browser, "nav-search", "search")
    browser.find_element(By.ID, "reference").send_keys("b-2001/1")
    click_to(browser, "search-button", "search")
    assert browser.find_element(By.ID, "result-count").text == "1 träffar"
    row = browser.find_element(By.CSS_SELECTOR, "#results tr.payment-row")
    assert row.get_attribute("data-payment-number") == payment_number
    assert row.find_element(By.CSS_SELECTOR, "td.col-personnummer").text == PNR
    assert row.find_element(By.CSS_SELECTOR, "td.col-payout-date").text == payout_date

    (stored,) = server.api_payments(reference="B-2001/1")
    assert (stored["payment_number"], stored["amount_ore"]) == (payment_number, 432150)

    click_to(browser, "logout-button", "login")
    assert "utloggad" in browser.find_element(By.ID, "flash-info").text
