"""The follow-up page in a real browser, on a console of its own (the fixtures of
test_console_browser): what the ``uppfoljning`` role sees, and axe-core at 1366 and 320 px."""

from __future__ import annotations

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from tests.console.test_console_browser import (  # noqa: F401 (the fixtures, for this module)
    Console,
    browser,
    by_id,
    console,
    downloads,
    log_in,
    stand_in,
    wait_for,
    wait_for_page,
    workdir,
)
from tests.console.test_console_followup import day_figures, write_run
from tests.support.accessibility import check_page


def test_the_follow_up_page_shows_the_chart_and_table_to_the_uppfoljning_role_and_passes_axe(
    browser: webdriver.Chrome,  # noqa: F811 (the fixture imported above)
    console: Console,  # noqa: F811
) -> None:
    """The analyst's page: chart and table of December's shares, January withheld, downloads, and
    axe-core finds nothing at 1366 and 320 px; every other page is refused."""
    write_run(console.runs_dir, "follow-up-01", [day_figures("2026-12-18", 10, 6, 6_000_000, 4_000_000)])
    write_run(console.runs_dir, "follow-up-02", [day_figures("2027-01-19", 3, 1, 300_000, 200_000)])
    log_in(browser, console, "ulla")
    wait_for_page(browser, "followup")
    assert [a.get_attribute("id") for a in browser.find_elements(By.CSS_SELECTOR, "#nav a")] == [
        "nav-followup"
    ]
    browser.execute_script("document.getElementById('period-from').value = '2026-12-01';")
    browser.execute_script("document.getElementById('period-to').value = '2027-01-31';")
    page_before = browser.find_element(By.TAG_NAME, "html")
    by_id(browser, "period-button").click()
    WebDriverWait(browser, 60).until(staleness_of(page_before))  # the new page, not the old one
    wait_for(browser, '#shares-chart g.month[data-month="2027-01"]')
    rows = {
        row.find_element(By.TAG_NAME, "th").text: [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        for row in browser.find_elements(By.CSS_SELECTOR, "#shares-table tbody tr")
    }
    assert rows["2026-12"] == ["60,0 %", "40,0 %", "60,0 %", "10"]
    assert rows["2027-01"] == ["färre än 5"] * 4
    assert (
        len(browser.find_elements(By.CSS_SELECTOR, '#shares-chart g.month[data-month="2026-12"] rect')) == 3
    )
    assert "uppfoljning.xlsx?fran=2026-12-01" in str(by_id(browser, "download-xlsx").get_attribute("href"))
    problems = check_page(browser, "konsol-uppfoljning")
    browser.get(console.url + "korningar")
    wait_for_page(browser, "error")
    assert problems == []
