"""Helpers for driving the console's pages in headless Chromium (the console's browser tests)."""

from __future__ import annotations

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait


def by_id(driver: webdriver.Chrome, element_id: str) -> WebElement:
    return driver.find_element(By.ID, element_id)


def wait_for(driver: webdriver.Chrome, css: str, timeout: float = 15) -> WebElement:
    element: WebElement = WebDriverWait(driver, timeout).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, css))
    )
    return element


def wait_for_page(driver: webdriver.Chrome, name: str, timeout: float = 15) -> None:
    wait_for(driver, f'main#main[data-page="{name}"]', timeout)


def cell_text(row: WebElement, column: str) -> str:
    return row.find_element(By.CSS_SELECTOR, f"td.col-{column}").text.strip()
