"""Test data and helpers for the console's tests: small exports, login and form helpers."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook
from werkzeug.test import TestResponse

from devdata.generate_export import COLUMNS, HEADER_ROW, generate

PASSWORDS = {
    "anna": "anna-demo-password",
    "olle": "olle-demo-password",
    "berit": "berit-test-password",
    "ulla": "ulla-demo-password",
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class FakeClock:
    """Wall-clock seconds that only move when a test says so."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class Export:
    """A generated export and what the tests need to know of it."""

    path: Path
    decision_ids: tuple[str, ...]
    protected_id: str  # protected identity: manual, and nothing but its number anywhere
    invalid_account_id: str  # manual, reason invalid_account
    personal_data: tuple[str, ...]  # every name, identity and account number in the file


def small_export(path: Path, *, count: int = 4, seed: int = 4711) -> Export:
    """``count`` valid decisions with payout dates ahead (devdata's generator), plus two that need a
    human: one with protected identity and one with an invalid account of sökande 1."""
    generate(path, count=count, seed=seed, today=dt.date.today(), scenario_mix=False)
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[HEADER_ROW]]
    column = {name: header.index(name) for name in COLUMNS}
    changes = {
        "EB-2026-900001": {"Skyddade personuppgifter": "Ja", "Sökande 1 namn": "Hemlig Skyddadsson"},
        "EB-2026-900002": {"Sökande 1 kontonummer": "12", "Sökande 1 namn": "Kontolös Felkontosson"},
    }
    for offset, (decision_id, changed) in enumerate(changes.items(), start=1):
        source = sheet[HEADER_ROW + offset]  # a copy of a valid row, cell formats included
        target_row = sheet.max_row + 1
        for index, cell in enumerate(source):
            target = sheet.cell(row=target_row, column=index + 1, value=cell.value)
            target.number_format = cell.number_format
        sheet.cell(row=target_row, column=column["Beslutsnummer"] + 1, value=decision_id)
        for name, value in changed.items():
            sheet.cell(row=target_row, column=column[name] + 1, value=value)
    workbook.save(path)

    ids: list[str] = []
    personal: set[str] = set()
    for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True):
        if row[column["Beslutsnummer"]] is None:
            continue
        ids.append(str(row[column["Beslutsnummer"]]))
        for name in COLUMNS:
            if "namn" in name or "personnummer" in name or "kontonummer" in name:
                value = row[column[name]]
                if value not in (None, ""):
                    personal.add(str(value))
    return Export(
        path=path,
        decision_ids=tuple(ids),
        protected_id="EB-2026-900001",
        invalid_account_id="EB-2026-900002",
        personal_data=tuple(sorted(personal)),
    )


def export_without_columns(path: Path) -> Path:
    """A real .xlsx workbook that lacks most required columns."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Beslutsnummer", "Belopp"])
    sheet.append(["B-1", 100])
    workbook.save(path)
    return path


def csrf_from(response: TestResponse) -> str:
    match = CSRF.search(response.get_data(as_text=True))
    assert match, f"no csrf_token on the page (status {response.status_code})"
    return match.group(1)


def login(client: FlaskClient, username: str) -> TestResponse:
    """Log in through the form, as a browser would."""
    token = csrf_from(client.get("/logga-in"))
    response = client.post(
        "/logga-in", data={"username": username, "password": PASSWORDS[username], "csrf_token": token}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


def page_name(response: TestResponse) -> str:
    match = re.search(r'<main id="main" data-page="([a-z-]+)"', response.get_data(as_text=True))
    assert match, f"no data-page on the response (status {response.status_code})"
    return match.group(1)


def main_state(response: TestResponse) -> str:
    match = re.search(
        r'<main id="main" data-page="[a-z-]+" data-state="([a-z-]+)"', response.get_data(as_text=True)
    )
    assert match, "no data-state on the page"
    return match.group(1)


def flashes(response: TestResponse) -> str:
    """The text of the page's flash messages."""
    html = response.get_data(as_text=True)
    found = re.findall(r'<div id="flash-(?:info|error)"[^>]*>([^<]*)</div>', html)
    return " ".join(found)


def wait_until(condition: Callable[[], bool], timeout: float = 20.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


def upload(client: FlaskClient, path: Path, name: str | None = None) -> TestResponse:
    """Post the upload form with ``path`` (under ``name``), fetching a fresh CSRF token first."""
    token = csrf_from(client.get("/filer"))
    with path.open("rb") as handle:
        return client.post(
            "/filer",
            data={"csrf_token": token, "export": (handle, name or path.name)},
            content_type="multipart/form-data",
        )


def upload_id_of(response: TestResponse) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)
    location = response.headers["Location"]
    match = re.fullmatch(r"/filer/([0-9a-f]{16})", location)
    assert match, location
    return match.group(1)


def state_of(client: FlaskClient, upload_id: str) -> str:
    response = client.get(f"/filer/{upload_id}/status")
    assert response.status_code == 200 and response.is_json
    state: str = response.get_json()["state"]
    return state


def wait_for_state(client: FlaskClient, upload_id: str, *states: str, timeout: float = 20.0) -> None:
    wait_until(lambda: state_of(client, upload_id) in states, timeout, f"upload state {states}")


def confirm(client: FlaskClient, upload_id: str, **overrides: str) -> TestResponse:
    """Open the upload page (as the case worker reads the preview) and press its confirm button."""
    page = client.get(f"/filer/{upload_id}")
    html = page.get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="(preview_run|sha256)" value="([^"]*)"', html))
    data = {"csrf_token": csrf_from(page), **fields, **overrides}
    return client.post(f"/filer/{upload_id}/kor", data=data)
