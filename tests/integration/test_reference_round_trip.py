"""The reference the robot plans is exactly what the payout system stores and what its search finds,
typed in a real browser (headless Chromium) with the robot's own form filling.

Decision numbers are generated over the whole Unicode range: those the planner accepts are
registered, stored and found exactly as planned; the rest never reach the payout system.
"""

from __future__ import annotations

import datetime as dt
import itertools
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from robotglue.browser import fill_form, payment_form_values
from selenium import webdriver
from selenium.webdriver.common.by import By
from splitpayout.domain.contract import FORM_FIELDS
from splitpayout.domain.models import Outcome
from splitpayout.domain.planning.payments import plan_row
from splitpayout.domain.planning.rules import PlanningRules

from swedish_rules import previous_bank_day
from tests.support.browser import logged_in_browser, new_page
from tests.support.payout_server import PayoutServer, running_payout_system
from tests.unit.splitpayout.export_builder import raw_row

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("test_reference_round_trip")]

TODAY = dt.date.today()
PAYOUT_DATE = previous_bank_day(TODAY + dt.timedelta(days=20))
SELECTORS = {name: f"#payment-form #{name}" for name in FORM_FIELDS}
SERIAL = itertools.count(1)
VALID = st.from_regex(r"[A-Za-z0-9ÅÄÖåäö_.\-]{1,30}", fullmatch=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PayoutServer]:
    with running_payout_system(Path(tmp_path_factory.mktemp("refs")) / "payout.db") as running:
        yield running


@pytest.fixture(scope="module")
def browser(server: PayoutServer) -> Iterator[webdriver.Chrome]:
    with logged_in_browser(server) as driver:
        yield driver


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(decision=st.one_of(VALID, st.text(min_size=1, max_size=40)))
@example(decision="WS-3\nNL")
@example(decision="\ufeffEB-1")
@example(decision="Öst.Ärende_1-å")
def test_a_planned_reference_is_stored_and_found_exactly_as_planned(
    decision: str, server: PayoutServer, browser: webdriver.Chrome
) -> None:
    # A serial number keeps each example's decision number unique in the one stand-in.
    number = f"{decision.strip()}{next(SERIAL)}"
    plan = plan_row(
        2,
        raw_row(Beslutsnummer=number, Utbetalningsdatum=PAYOUT_DATE, Delad_utbetalning="Nej"),
        PlanningRules(TODAY),
    )
    if plan.outcome is not Outcome.PLANNED:
        assert next(r.fields for r in plan.reasons) == ("Beslutsnummer",)
        return
    (payment,) = plan.payments
    assert payment.reference == f"{number}/1"

    new_page(browser, lambda: browser.get(server.url + "payments/new"), "new-payment")
    fill_form(browser, SELECTORS, payment_form_values(payment), fast=True)
    new_page(browser, browser.find_element(By.ID, "submit-payment").click, "confirmation")
    payment_number = browser.find_element(By.ID, "payment-number").text

    stored = server.api_payments(reference=payment.reference)
    assert [(row["payment_number"], row["reference"]) for row in stored] == [
        (payment_number, payment.reference)
    ]
    query = urllib.parse.urlencode({"reference": payment.reference})
    new_page(browser, lambda: browser.get(f"{server.url}payments/search?{query}"), "search")
    rows = browser.find_elements(By.CSS_SELECTOR, "#results tr.payment-row")
    assert [(r.get_attribute("data-payment-number"), r.get_attribute("data-reference")) for r in rows] == [
        (payment_number, payment.reference)
    ]
