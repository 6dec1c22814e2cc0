"""The stand-in's pages meet WCAG 2.1 AA at 1366 and 320 px (axe-core, no sideways scrolling), and a
refused field is tied to its message, in headless Chromium against the real server."""

from __future__ import annotations

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.wait import WebDriverWait

from tests.support.accessibility import check_page
from tests.support.payout_server import PayoutServer

pytestmark = pytest.mark.browser


def wait_for_page(driver: webdriver.Chrome, name: str, token: str = "") -> None:
    """Wait for the page ``name``; with ``token``, for a new page (the old one has no such element)."""
    selector = f'main#main[data-page="{name}"]'
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.CSS_SELECTOR, selector)))
    if token:
        WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.CSS_SELECTOR, token)))


def log_in(driver: webdriver.Chrome, server: PayoutServer, username: str, password: str) -> None:
    driver.delete_all_cookies()
    driver.get(server.url + "login")
    wait_for_page(driver, "login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-button").click()
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "current-user")))


def test_every_stand_in_page_meets_wcag_21_aa_at_1366_and_320_px(
    server: PayoutServer, browser: webdriver.Chrome
) -> None:
    problems: list[str] = []
    browser.get(server.url + "login")
    wait_for_page(browser, "login")
    problems += check_page(browser, "utbetalning-logga-in")

    log_in(browser, server, "robot", "robot-demo-password")
    problems += check_page(browser, "utbetalning-start")
    browser.get(server.url + "payments/new")
    wait_for_page(browser, "new-payment")
    problems += check_page(browser, "utbetalning-ny")
    browser.find_element(By.ID, "amount").send_keys("0")
    browser.find_element(By.ID, "submit-payment").click()
    wait_for_page(browser, "new-payment", "#form-errors")
    amount = browser.find_element(By.ID, "amount")
    assert amount.get_attribute("aria-invalid") == "true"
    assert "error-amount" in str(amount.get_attribute("aria-describedby")).split()
    problems += check_page(browser, "utbetalning-ny-fel")
    browser.get(server.url + "payments/search?reference=ingen")
    wait_for_page(browser, "search", "#result-count")
    problems += check_page(browser, "utbetalning-sok")

    log_in(browser, server, "attestant", "attestant-demo-password")
    browser.get(server.url + "audit")
    wait_for_page(browser, "audit")
    problems += check_page(browser, "utbetalning-handelselogg")
    assert problems == []
