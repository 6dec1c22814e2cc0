"""The baselines of ``bench_register.py``: bare Selenium loops and HTTP over the same form."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from process_cpu import CpuMeter
from register_common import (
    PAGE_TIMEOUT_SECONDS,
    PASSWORD,
    USERNAME,
    BenchmarkError,
    Result,
    check_held,
    median_ms,
)

# A bare fast fill, written here and not imported from the robot: every field of the form gets
# its value in one script, with the events a person's typing would fire.
FAST_FILL_SCRIPT = """
const values = arguments[0];
for (const [name, value] of Object.entries(values)) {
  const element = document.getElementById(name);
  if (element === null) { return name; }
  element.value = value;
  element.dispatchEvent(new Event("input", {bubbles: true}));
  element.dispatchEvent(new Event("change", {bubbles: true}));
}
return null;
"""


def run_selenium(server: Any, payments: list[Any], rundir: Path, *, fast: bool, meter: CpuMeter) -> Result:
    """A bare Selenium loop over the same form: typing every field, or (``fast``) one script for all."""
    from robotglue.browser import chromedriver_path, get_chromium_options
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    mode = "selenium-fast" if fast else "selenium"
    base = server.url.rstrip("/")
    started = time.perf_counter()
    thread_cpu = time.thread_time()
    # The robot's own Chromium flags and local chromedriver, so only the driving code differs.
    service = Service(executable_path=chromedriver_path())
    driver = webdriver.Chrome(options=get_chromium_options(headless=True), service=service)
    meter.add(service.process.pid)  # chromedriver and the browser it started
    numbers: list[str] = []
    durations: list[float] = []
    try:
        driver.set_page_load_timeout(PAGE_TIMEOUT_SECONDS)
        # A short poll: the default 0.5 s would add up to half a second to a page that is already there.
        wait = WebDriverWait(driver, PAGE_TIMEOUT_SECONDS, poll_frequency=0.05)
        driver.get(base + "/login")
        driver.find_element(By.ID, "username").send_keys(USERNAME)
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.ID, "login-button").click()
        wait.until(ec.presence_of_element_located((By.ID, "current-user")))
        logged_in = time.perf_counter()
        for payment in payments:
            payment_started = time.perf_counter()
            driver.get(base + "/payments/new")
            numbers.append(submit_form(driver, wait, payment, fast=fast, mode=mode))
            durations.append(time.perf_counter() - payment_started)
        finished = time.perf_counter()
        meter.sample()  # the browser's last figures, before it exits
    finally:
        driver.quit()
    loop_cpu = time.thread_time() - thread_cpu
    if len(set(numbers)) != len(payments) or not all(n.startswith("U-") for n in numbers):
        raise BenchmarkError(f"{mode}: expected {len(payments)} distinct payment numbers")
    check_held(server, payments, mode)
    details = {"browser_and_login_s": round(logged_in - started, 3)}
    return Result(
        mode,
        len(payments),
        finished - logged_in,
        finished - started,
        details,
        median_ms=median_ms(durations),
        cpu_seconds=loop_cpu,  # the meter's browser and chromedriver are added by run_mode
    )


def submit_form(driver: Any, wait: Any, payment: Any, *, fast: bool, mode: str) -> str:
    """Fill the open new-payment form with ``payment``, submit it and return its payment number."""
    from robotglue.browser import payment_form_values
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    values = payment_form_values(payment)
    if fast:
        missing = driver.execute_script(FAST_FILL_SCRIPT, dict(values))
        if missing:
            raise BenchmarkError(f"{mode}: the form has no field {missing!r}")
    else:
        for name, text in values.items():
            element = driver.find_element(By.ID, name)
            if name == "method":
                Select(element).select_by_value(text)
            elif text:
                element.send_keys(text)
    driver.find_element(By.ID, "submit-payment").click()
    answered = ec.any_of(
        ec.presence_of_element_located((By.ID, "payment-number")),
        ec.presence_of_element_located((By.ID, "form-errors")),
    )
    try:
        wait.until(answered)
    except TimeoutException:
        raise BenchmarkError(f"{mode}: no answer to {payment.reference}") from None
    found = driver.find_elements(By.ID, "payment-number")
    if not found:
        raise BenchmarkError(f"{mode}: the payout system refused {payment.reference}")
    return str(found[0].text)


def run_http(server: Any, payments: list[Any], rundir: Path) -> Result:
    """The same form posted over HTTP, one payment after the other."""
    from tests.support.http_gateway import HttpGateway

    started = time.perf_counter()
    thread_cpu = time.thread_time()
    gateway = HttpGateway(server.url, USERNAME, PASSWORD, timeout=PAGE_TIMEOUT_SECONDS)
    gateway.log_in()
    logged_in = time.perf_counter()
    numbers: list[str] = []
    durations: list[float] = []
    for payment in payments:
        payment_started = time.perf_counter()
        numbers.append(gateway.register(payment).payment_number)
        durations.append(time.perf_counter() - payment_started)
    finished = time.perf_counter()
    gateway.log_out()
    if len(set(numbers)) != len(payments):
        raise BenchmarkError(f"http: expected {len(payments)} distinct payment numbers")
    check_held(server, payments, "http")
    details = {"login_s": round(logged_in - started, 3)}
    return Result(
        "http",
        len(payments),
        finished - logged_in,
        finished - started,
        details,
        median_ms=median_ms(durations),
        cpu_seconds=time.thread_time() - thread_cpu,
    )
