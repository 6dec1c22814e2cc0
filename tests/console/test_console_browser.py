"""The console as people use it: the real server (``python -m console``, waitress) in headless
Chromium, real runs of the robot against the stand-in payout system.

The case worker uploads a small export, reads the preview, confirms, watches the progress
reach the end and downloads the workbook; the operator finds that run in the history, opens
its log, filters the failed runs and starts a reconciliation. Each role gets 403 on the
other's pages, and a form with a forged CSRF token is refused.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from openpyxl import load_workbook
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from tests.console.browser_helpers import by_id, cell_text, wait_for, wait_for_page
from tests.console.console_testdata import PASSWORDS, Export, export_without_columns, small_export
from tests.support.accessibility import check_page, hidden_past_region, set_width
from tests.support.payout_server import START_TIMEOUT_SECONDS, PayoutServer, free_port, running_payout_system

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("test_console_browser")]

ROOT = Path(__file__).resolve().parents[2]
CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


@dataclass
class Console:
    url: str  # ends with a slash
    runs_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path


@dataclass
class Observed:
    """What the case worker saw, for the tests to check."""

    export: Export
    preview: dict[str, str] = field(default_factory=dict)
    manual_rows: dict[str, tuple[str, str]] = field(default_factory=dict)  # decision -> (reason, todo)
    progress_seen: list[str] = field(default_factory=list)
    result: dict[str, str] = field(default_factory=dict)
    workbook_values: list[object] = field(default_factory=list)
    file_error: str = ""
    titles_seen: list[str] = field(default_factory=list)
    announcements: list[str] = field(default_factory=list)
    progress_text_role: str = ""
    focused_after_run: str = ""
    confirm_label: str = ""
    preview_dates: list[str] = field(default_factory=list)
    preview_methods: dict[str, str] = field(default_factory=dict)
    amount_limit: str = ""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("console-browser")


@pytest.fixture(scope="module")
def stand_in(workdir: Path) -> Iterator[PayoutServer]:
    with running_payout_system(workdir / "payout.db") as server:
        yield server


@pytest.fixture(scope="module")
def console(workdir: Path, stand_in: PayoutServer) -> Iterator[Console]:
    port = free_port()
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "libraries")]),
        PYTHONUNBUFFERED="1",
        CONSOLE_ENV="development",
        CONSOLE_DATA_DIR=str(workdir / "console"),
        CONSOLE_RUNS_DIR=str(workdir / "runs"),
        CONSOLE_STATE_DIR=str(workdir / "state"),
        ARCHIVE_DIR=str(workdir / "inbox-archive"),
        CONSOLE_PAYOUT_SYSTEM_URL=stand_in.url.rstrip("/"),
        CONSOLE_PAYOUT_SYSTEM_USERNAME="robot",
        CONSOLE_PAYOUT_SYSTEM_PASSWORD="robot-demo-password",
        CONSOLE_PAYOUT_SYSTEM_API_TOKEN=stand_in.api_token,
    )
    log_path = workdir / "console.log"
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "console", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            umask=0o022,  # what it and its runs write must be owner-only all the same
        )
    server = Console(f"http://127.0.0.1:{port}/", workdir / "runs", process, log_path)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            with urllib.request.urlopen(server.url + "logga-in", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the console did not start:\n" + log_path.read_text(errors="replace"))
        time.sleep(0.1)
    yield server
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def downloads(workdir: Path) -> Path:
    folder = workdir / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def browser(downloads: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield driver
    finally:
        driver.quit()


def log_in(driver: webdriver.Chrome, console: Console, username: str, path: str = "") -> None:
    driver.delete_all_cookies()
    driver.get(console.url + path)
    wait_for_page(driver, "login")
    by_id(driver, "username").send_keys(username)
    by_id(driver, "password").send_keys(PASSWORDS[username])
    by_id(driver, "login-button").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "current-user"))
    assert by_id(driver, "current-user").text == username


@pytest.fixture(scope="module")
def real_run(
    browser: webdriver.Chrome, console: Console, stand_in: PayoutServer, workdir: Path, downloads: Path
) -> Observed:
    """The case worker's whole flow, in the browser; what was seen on the way is returned."""
    seen = Observed(export=small_export(workdir / "beslut-december.xlsx", count=4, seed=2026))
    log_in(browser, console, "anna", "filer")
    wait_for_page(browser, "uploads")

    # A file that cannot be used first: the preview says what is wrong, and nothing can be run.
    by_id(browser, "export-file").send_keys(str(export_without_columns(workdir / "fel-export.xlsx")))
    by_id(browser, "upload-button").click()
    wait_for(browser, 'main#main[data-state="preview-failed"]', 30)
    seen.file_error = by_id(browser, "preview-error").text
    assert not browser.find_elements(By.ID, "confirm-form")

    by_id(browser, "back-link").click()
    wait_for_page(browser, "uploads")
    by_id(browser, "export-file").send_keys(str(seen.export.path))
    by_id(browser, "upload-button").click()
    wait_for_page(browser, "upload")
    wait_for(browser, 'main#main[data-state="preview-done"]', 30)  # the page follows the preview live
    for key in ("decisions", "count-planned", "count-manual", "payments", "amount-in-file"):
        seen.preview[key] = by_id(browser, f"preview-{key}").text
    for row in browser.find_elements(By.CSS_SELECTOR, "#preview tr.manual-row"):
        seen.manual_rows[str(row.get_attribute("data-decision-id"))] = (
            cell_text(row, "reason"),
            cell_text(row, "todo"),
        )
    assert stand_in.api_payments() == [], "a preview enters nothing"
    seen.preview_dates = [
        str(row.get_attribute("data-date"))
        for row in browser.find_elements(By.CSS_SELECTOR, "#preview-dates tr.date-row")
    ]
    for row in browser.find_elements(By.CSS_SELECTOR, "#preview-methods tr.method-row"):
        seen.preview_methods[str(row.get_attribute("data-method"))] = row.text
    seen.amount_limit = by_id(browser, "amount-limit").text
    seen.confirm_label = by_id(browser, "confirm-button").text

    by_id(browser, "confirm-button").click()
    wait_for(browser, "section#real", 15)
    deadline = time.monotonic() + 90
    while not browser.find_elements(By.CSS_SELECTOR, 'main#main[data-state="real-done"]'):
        assert time.monotonic() < deadline, "the real run did not finish in 90 s"
        assert not browser.find_elements(By.CSS_SELECTOR, 'main#main[data-state^="real-failed"]')
        try:
            text = by_id(browser, "progress-text").text
        except WebDriverException:  # the page is reloading
            text = ""
        if text and (not seen.progress_seen or seen.progress_seen[-1] != text):
            seen.progress_seen.append(text)
        seen.titles_seen.append(browser.title)
        try:
            said = by_id(browser, "progress-announce").text
            seen.progress_text_role = str(by_id(browser, "progress-text").get_attribute("role") or "")
        except WebDriverException:
            said = ""
        if said and said not in seen.announcements:
            seen.announcements.append(said)
        time.sleep(0.2)
    seen.progress_seen.append(by_id(browser, "progress-text").text)
    seen.focused_after_run = str(browser.switch_to.active_element.get_attribute("id"))
    for key in ("count-paid", "count-already-paid", "count-manual", "count-failed"):
        seen.result[key] = by_id(browser, f"real-{key}").text

    by_id(browser, "download-workbook").click()
    deadline = time.monotonic() + 15
    while True:
        done = [p for p in downloads.glob("manuell-hantering-*.xlsx") if not p.name.endswith(".crdownload")]
        if done:
            break
        assert time.monotonic() < deadline, "the workbook was not downloaded"
        time.sleep(0.1)
    (workbook,) = done
    sheet = load_workbook(workbook).worksheets[0]
    seen.workbook_values = [value for row in sheet.iter_rows(values_only=True) for value in row if value]
    return seen


def test_case_worker_uploads_previews_confirms_follows_progress_and_downloads(
    real_run: Observed, stand_in: PayoutServer
) -> None:
    assert "Filen saknar kolumner som måste finnas." in real_run.file_error
    assert "Gör om exporten" in real_run.file_error

    assert real_run.preview["decisions"] == "6"
    assert real_run.preview["count-planned"] == "4"
    assert real_run.preview["count-manual"] == "2"
    assert real_run.preview["amount-in-file"].endswith(" kr")
    export = real_run.export
    assert set(real_run.manual_rows) == {export.protected_id, export.invalid_account_id}
    reason, todo = real_run.manual_rows[export.invalid_account_id]
    assert reason.startswith("Ogiltigt eller ofullständigt bankkonto")
    assert todo.startswith("Kontrollera clearing- och kontonummer")

    payments = int(real_run.preview["payments"])
    assert real_run.progress_seen[-1] == f"{payments} av {payments} utbetalningar klara"
    # Seen while the run was going: the page followed it live.
    assert any(
        text.endswith(f" av {payments} utbetalningar klara") and int(text.split()[0]) < payments
        for text in real_run.progress_seen[:-1]
    ), real_run.progress_seen
    assert all(text.endswith("utbetalningar klara") for text in real_run.progress_seen)
    assert real_run.result == {
        "count-paid": "4",
        "count-already-paid": "0",
        "count-manual": "2",
        "count-failed": "0",
    }
    assert len(stand_in.api_payments()) == payments

    assert export.invalid_account_id in real_run.workbook_values
    assert "Vad du behöver göra" in real_run.workbook_values
    assert f"Beslut som kräver manuell hantering: {export.path.name}" in real_run.workbook_values  # her name


def test_the_preview_shows_dates_methods_the_limit_and_the_size_at_the_button(real_run: Observed) -> None:
    payments = int(real_run.preview["payments"])
    assert real_run.confirm_label.startswith(f"Registrera {payments} utbetalningar, ")
    assert real_run.confirm_label.endswith(" kr")
    assert real_run.preview_dates, "no payout dates shown"
    assert set(real_run.preview_methods) <= {"KONTO", "AVI", "BANKGIRO"} and real_run.preview_methods
    assert "Robotens beloppsgräns är 50 000 kr per beslut" in real_run.amount_limit


def test_the_run_page_says_how_far_it_is_in_its_title_and_moves_focus_to_the_result(
    real_run: Observed,
) -> None:
    assert any("% klart – " in title for title in real_run.titles_seen), real_run.titles_seen[-5:]
    assert real_run.focused_after_run == "real-result"
    # Screen readers hear milestones only: the visible count is not a live region.
    assert real_run.progress_text_role == ""
    assert len(real_run.announcements) <= 3
    assert all(text.startswith(("25 procent", "50 procent", "75 procent")) for text in real_run.announcements)


def test_after_a_real_run_its_files_and_the_consoles_are_owner_only(
    real_run: Observed, console: Console, workdir: Path
) -> None:
    workbooks = list(console.runs_dir.glob("*/manuell-hantering.xlsx"))
    assert workbooks, "the real run wrote no workbook"
    private = [
        *workbooks,
        workdir / "console" / "console.sqlite3",
        *(workdir / "console" / "uploads").glob("*/*.xlsx"),
    ]
    for path in private:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    folders = [workdir / "console", workdir / "console" / "uploads", console.runs_dir, workdir / "state"]
    for folder in [*folders, *(path for path in console.runs_dir.iterdir() if path.is_dir())]:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_operator_reads_the_history_opens_the_log_and_filters_failed_runs(
    real_run: Observed, browser: webdriver.Chrome, console: Console
) -> None:
    log_in(browser, console, "olle")
    wait_for_page(browser, "history")
    rows = browser.find_elements(By.CSS_SELECTOR, '#runs tr.run-row[data-kind="real"]')
    assert len(rows) == 1
    (row,) = rows
    assert cell_text(row, "started-by") == "handläggare anna"
    sha256 = hashlib.sha256(real_run.export.path.read_bytes()).hexdigest()
    # A label, never the case worker's file name (it may hold personal data).
    assert re.fullmatch(rf"export-\d{{4}}-\d\d-\d\d-{sha256[:12]}\.xlsx", cell_text(row, "file"))
    assert row.find_element(By.CSS_SELECTOR, "td.col-sha256 code").get_attribute("data-sha256") == sha256
    assert (cell_text(row, "paid"), cell_text(row, "manual"), cell_text(row, "failed")) == ("4", "2", "0")
    assert (
        cell_text(row, "exit-status") == "0"
        and cell_text(row, "state") == "Klar med avvikelser: beslut kräver manuell hantering"
    )
    assert cell_text(row, "duration").endswith("s")
    set_width(browser, 1366)
    assert hidden_past_region(browser, "runs") <= 1  # the e-mail and log columns are in view
    page = browser.page_source
    leaked = [value for value in real_run.export.personal_data if len(value) >= 6 and value in page]
    assert leaked == [], "the history shows personal data"

    row.find_element(By.CSS_SELECTOR, "a.log-link").click()
    WebDriverWait(browser, 15).until(lambda d: "Log" in d.title)
    wait_for(browser, "#s1-t1", 15)  # Robot Framework's log has rendered (it needs its scripts)
    leaked = [
        value for value in real_run.export.personal_data if len(value) >= 6 and value in browser.page_source
    ]
    assert leaked == [], "log.html shows personal data"
    browser.back()
    wait_for_page(browser, "history")

    by_id(browser, "filter-failed").click()
    wait_for(browser, 'main#main[data-filter="failed"]')
    failed = browser.find_elements(By.CSS_SELECTOR, "#runs tr.run-row")
    assert {row.get_attribute("data-state") for row in failed} <= {"failed", "interrupted"}
    (broken,) = [row for row in failed if row.get_attribute("data-kind") in ("preview", "real")]
    assert cell_text(broken, "file").startswith("export-")
    assert cell_text(broken, "state") == "Misslyckad: Kolumner saknas"
    assert broken.get_attribute("data-error-code") == "missing_columns"
    assert cell_text(broken, "exit-status") != "0"
    browser.get(console.url + "korningar?fran=2026-12-31&till=2026-12-01")
    summary = wait_for(browser, "#filter-errors")  # a reversed period is said, and focused
    assert "Byt plats på datumen" in summary.text and browser.switch_to.active_element == summary


def test_operator_starts_a_reconciliation_from_its_own_page(
    real_run: Observed, browser: webdriver.Chrome, console: Console
) -> None:
    log_in(browser, console, "olle", "korningar")
    by_id(browser, "reconcile-link").click()  # the history's first link after its heading
    wait_for_page(browser, "reconcile")
    ran = browser.find_elements(By.CSS_SELECTOR, '#reconcile-sources input[name="underlag"][data-ran="yes"]')
    assert ran and all(box.is_selected() for box in ran)  # what was run is compared by default
    before = {path.name for path in console.runs_dir.iterdir()}
    by_id(browser, "reconcile-button").click()
    wait_for_page(browser, "history")
    errors = [element.text for element in browser.find_elements(By.ID, "flash-error")]
    assert errors == []
    assert "Avstämningen har startat" in by_id(browser, "flash-info").text
    (new,) = {path.name for path in console.runs_dir.iterdir()} - before
    assert "avstamning-olle" in new
    row = wait_for(browser, f'#runs tr.run-row[data-run="{new}"]')
    assert cell_text(row, "kind") == "Avstämning"
    assert cell_text(row, "started-by") == "driftansvarig olle"


@pytest.mark.skipif(
    not (ROOT / "tasks" / "reconcile.robot").exists(),
    reason="needs the Reconcile task (tasks/reconcile.robot), which is not in this tree yet",
)
def test_the_reconciliation_finishes_with_its_report_in_the_history(
    browser: webdriver.Chrome, console: Console
) -> None:
    log_in(browser, console, "olle", "korningar")
    if not browser.find_elements(By.CSS_SELECTOR, '#runs tr.run-row[data-kind="reconcile"]'):
        browser.get(console.url + "avstamning")
        by_id(browser, "reconcile-button").click()
        wait_for_page(browser, "history")
    deadline = time.monotonic() + 60
    while True:
        row = browser.find_element(By.CSS_SELECTOR, '#runs tr.run-row[data-kind="reconcile"]')
        if row.get_attribute("data-state") != "running":
            break
        assert time.monotonic() < deadline, "the reconciliation did not finish in 60 s"
        time.sleep(0.5)
        browser.refresh()
    run_name = row.get_attribute("data-run")
    assert (console.runs_dir / str(run_name) / "reconciliation.json").is_file()
    row.find_element(By.CSS_SELECTOR, "a.report-link").click()
    WebDriverWait(browser, 15).until(lambda d: "Report" in d.title)


@pytest.mark.parametrize(("username", "path"), [("anna", "korningar"), ("olle", "filer")])
def test_a_role_gets_403_on_the_other_roles_pages(
    browser: webdriver.Chrome, console: Console, username: str, path: str
) -> None:
    log_in(browser, console, username)
    browser.get(console.url + path)
    wait_for_page(browser, "error")
    message = by_id(browser, "error-message")
    assert message.get_attribute("data-status") == "403"
    assert message.text == "Du saknar behörighet för den här sidan."


def test_a_form_with_a_forged_csrf_token_is_refused(browser: webdriver.Chrome, console: Console) -> None:
    log_in(browser, console, "olle", "avstamning")
    before = {path.name for path in console.runs_dir.iterdir()}
    browser.execute_script(
        "document.querySelector('#reconcile-form input[name=csrf_token]').value = 'forged-token';"
    )
    by_id(browser, "reconcile-button").click()
    wait_for_page(browser, "error")
    assert by_id(browser, "error-message").get_attribute("data-status") == "400"
    assert {path.name for path in console.runs_dir.iterdir()} == before


def test_a_refused_upload_uses_the_error_summary_pattern(
    browser: webdriver.Chrome, console: Console, workdir: Path
) -> None:
    log_in(browser, console, "anna", "filer")
    wait_for_page(browser, "uploads")
    not_a_workbook = workdir / "=inte-en-arbetsbok.xlsx"
    not_a_workbook.write_bytes(b"Beslutsnummer;Belopp\n1;100\n")
    by_id(browser, "export-file").send_keys(str(not_a_workbook))
    by_id(browser, "upload-button").click()
    wait_for(browser, "#error-summary")
    assert browser.title.startswith("Fel: ")
    assert browser.switch_to.active_element.get_attribute("id") == "error-summary"
    field = by_id(browser, "export-file")
    assert field.get_attribute("aria-invalid") == "true"
    assert field.get_attribute("aria-describedby") == "export-error export-hint"
    assert "=inte-en-arbetsbok.xlsx" in by_id(browser, "export-error").text
    by_id(browser, "error-summary-link").click()
    assert browser.switch_to.active_element.get_attribute("id") == "export-file"
    # The console's own focus ring, for keyboard users.
    ActionChains(browser).send_keys(Keys.TAB).perform()
    focused = browser.switch_to.active_element
    assert focused.get_attribute("id") == "upload-button"
    assert focused.value_of_css_property("outline-style") == "solid"
    assert focused.value_of_css_property("outline-color") == "rgba(179, 71, 0, 1)"


def test_a_case_worker_filters_to_one_handlaggare_and_looks_up_a_decision(
    real_run: Observed, browser: webdriver.Chrome, console: Console
) -> None:
    log_in(browser, console, "anna", "filer")
    browser.find_element(By.CSS_SELECTOR, 'tr.upload-row[data-state="real-done"] td.col-file a').click()
    wait_for(browser, 'main#main[data-state="real-done"]')
    groups = browser.find_elements(By.CSS_SELECTOR, "#real table.manual")
    workers = [str(group.get_attribute("data-handlaggare")) for group in groups]
    assert workers == sorted(workers, key=lambda w: (w == "", w.casefold())), "grouped by handläggare"
    chosen = next(w for w in workers if w)
    Select(by_id(browser, "handlaggare")).select_by_value(chosen)
    by_id(browser, "worker-filter-button").click()
    wait_for(browser, "#real-filter-note")
    shown = {
        row.get_attribute("data-handlaggare")
        for row in browser.find_elements(By.CSS_SELECTOR, "#real tr.manual-row")
    }
    assert shown == {chosen}

    decision = real_run.export.invalid_account_id
    by_id(browser, "nav-lookup").click()
    wait_for_page(browser, "lookup")
    by_id(browser, "lookup-decision").send_keys(decision)
    by_id(browser, "lookup-button").click()
    wait_for(browser, "#lookup-result-heading")
    kinds = {
        row.find_element(By.CSS_SELECTOR, ".col-kind").text
        for row in browser.find_elements(By.CSS_SELECTOR, "tr.lookup-row")
    }
    assert kinds == {"Förhandsgranskning", "Utbetalning"}
    assert {
        row.get_attribute("data-outcome") for row in browser.find_elements(By.CSS_SELECTOR, "tr.lookup-row")
    } == {"manual"}


def test_an_operator_looks_up_a_registered_decision_and_filters_the_history(
    real_run: Observed, browser: webdriver.Chrome, console: Console, stand_in: PayoutServer
) -> None:
    paid = next(p for p in stand_in.api_payments() if p["reference"].endswith("/1"))
    decision = paid["reference"].rsplit("/", 1)[0]
    log_in(browser, console, "olle", "korningar/beslut")
    wait_for_page(browser, "lookup")
    by_id(browser, "lookup-decision").send_keys(decision.lower())  # any letter case
    by_id(browser, "lookup-button").click()
    wait_for(browser, "#lookup-result-heading")
    real = browser.find_element(By.CSS_SELECTOR, 'tr.lookup-row[data-outcome="paid"]')
    assert paid["payment_number"] in real.find_element(By.CSS_SELECTOR, ".col-payment-numbers").text
    assert real.find_element(By.CSS_SELECTOR, ".col-outcome").text == "Registrerad"
    page = browser.page_source
    assert [v for v in real_run.export.personal_data if len(v) >= 6 and v in page] == []

    by_id(browser, "nav-history").click()
    wait_for_page(browser, "history")
    Select(by_id(browser, "filter-kind")).select_by_value("preview")
    by_id(browser, "filter-button").click()
    wait_for(browser, 'main#main[data-filter="filtered"]')
    kinds = {
        row.get_attribute("data-kind") for row in browser.find_elements(By.CSS_SELECTOR, "#runs tr.run-row")
    }
    assert kinds == {"preview"}
    assert "typ=preview" in str(by_id(browser, "history-csv").get_attribute("href"))
    started = browser.find_element(By.CSS_SELECTOR, "#runs td.col-started-at").text
    assert started.endswith((" CET", " CEST")), started


def test_every_console_page_meets_wcag_21_aa_at_1366_and_320_px(
    real_run: Observed, browser: webdriver.Chrome, console: Console
) -> None:
    """axe-core finds nothing and no page scrolls sideways, on every page of both roles."""
    problems: list[str] = []
    browser.delete_all_cookies()
    browser.get(console.url + "logga-in")
    wait_for_page(browser, "login")
    problems += check_page(browser, "konsol-logga-in")

    log_in(browser, console, "anna", "filer")
    wait_for_page(browser, "uploads")
    problems += check_page(browser, "konsol-mina-filer")
    not_a_workbook = real_run.export.path.with_name("=inte-en-arbetsbok.xlsx")
    not_a_workbook.write_bytes(b"Beslutsnummer;Belopp\n1;100\n")  # this test's own, whatever ran before
    by_id(browser, "export-file").send_keys(str(not_a_workbook))
    by_id(browser, "upload-button").click()
    wait_for(browser, "#error-summary")
    problems += check_page(browser, "konsol-uppladdningsfel")
    by_id(browser, "export-file").send_keys(str(real_run.export.path))
    by_id(browser, "upload-button").click()
    wait_for(browser, 'main#main[data-state="preview-done"]', 30)
    problems += check_page(browser, "konsol-forhandsgranskning")
    browser.get(console.url + "filer")
    browser.find_element(By.CSS_SELECTOR, 'tr.upload-row[data-state="real-done"] td.col-file a').click()
    wait_for(browser, 'main#main[data-state="real-done"]')
    problems += check_page(browser, "konsol-korning-klar")
    browser.get(console.url + "filer")
    browser.find_element(By.LINK_TEXT, "fel-export.xlsx").click()
    wait_for(browser, 'main#main[data-state="preview-failed"]')
    problems += check_page(browser, "konsol-fil-kan-inte-koras")
    browser.get(console.url + "filer/beslut?beslut=" + real_run.export.invalid_account_id)
    wait_for(browser, "#lookup-result")
    problems += check_page(browser, "konsol-sok-beslut-handlaggare")
    browser.get(console.url + "korningar")
    wait_for_page(browser, "error")
    problems += check_page(browser, "konsol-403")

    log_in(browser, console, "olle", "korningar")
    wait_for_page(browser, "history")
    problems += check_page(browser, "konsol-korningar")
    browser.find_element(By.CSS_SELECTOR, '#runs tr.run-row[data-kind="real"] a.run-link').click()
    wait_for_page(browser, "run")
    problems += check_page(browser, "konsol-korning")
    browser.get(console.url + "avstamning")
    wait_for_page(browser, "reconcile")
    problems += check_page(browser, "konsol-starta-avstamning")
    browser.get(console.url + "korningar?typ=reconcile")
    reconciliations = browser.find_elements(
        By.CSS_SELECTOR, '#runs tr.run-row[data-kind="reconcile"] a.run-link'
    )
    if reconciliations:
        reconciliations[0].click()
        wait_for(browser, "#reconcile-report")
        problems += check_page(browser, "konsol-avstamning")
    browser.get(console.url + "korningar?visa=misslyckade")
    wait_for(browser, 'main#main[data-filter="failed"]')
    problems += check_page(browser, "konsol-misslyckade")
    browser.get(console.url + "korningar/beslut?beslut=" + real_run.export.invalid_account_id)
    wait_for(browser, "#lookup-result")
    problems += check_page(browser, "konsol-sok-beslut-drift")
    assert problems == []
