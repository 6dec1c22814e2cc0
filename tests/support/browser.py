"""A headless Chromium logged in to the stand-in, as the robot's own browser code starts it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from robotglue.browser import chromedriver_path, get_chromium_options
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.wait import WebDriverWait

from tests.support.payout_server import PayoutServer

# The stand-in's development-mode registrar (demo credentials, never a real one).
ROBOT_USER = ("robot", "robot-demo-password")


@contextmanager
def logged_in_browser(server: PayoutServer, user: tuple[str, str] = ROBOT_USER) -> Iterator[webdriver.Chrome]:
    path = chromedriver_path()
    assert path, "chromedriver is installed by scripts/setup.sh"
    options = get_chromium_options(headless=True)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=path))
    username, password = user
    try:
        driver.get(server.url + "login")
        driver.find_element(By.ID, "username").send_keys(username)
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.ID, "login-button").click()
        WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "current-user")))
        yield driver
    finally:
        driver.quit()


def new_page(driver: webdriver.Chrome, action: Callable[[], object], page: str, timeout: float = 10) -> None:
    """Do ``action`` and wait for the NEW document showing the page ``page`` (its ``data-page``).

    The old document is marked first, so a page of the same name (a search from the search page)
    is never mistaken for the answer: the wait ends only in a document without the mark.
    """
    driver.execute_script("window.__oldPage = true;")
    action()

    def arrived(_: object) -> bool:
        try:
            fresh = driver.execute_script("return window.__oldPage === undefined;")
            return bool(fresh) and bool(
                driver.find_elements(By.CSS_SELECTOR, f'main#main[data-page="{page}"]')
            )
        except WebDriverException:  # the document is being replaced right now
            return False

    WebDriverWait(driver, timeout).until(arrived)


# Full Chromium (not the headless shell): what a person's browser renders, for page tests.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


@contextmanager
def full_chromium() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        yield driver
    finally:
        driver.quit()
