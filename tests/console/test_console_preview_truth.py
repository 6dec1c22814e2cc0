"""What a preview promises is what a real run would do: a file (or decisions) already run is shown as
already registered, a file with nothing left offers no run, and an upload that never ran can be
removed (Flask test client; runs by the quick fake runner, which keeps the robot's real ledger)."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask.testing import FlaskClient

from console import casework
from console.settings import Settings
from tests.console.console_testdata import (
    Export,
    confirm,
    csrf_from,
    flashes,
    upload,
    upload_id_of,
    wait_for_state,
)


@pytest.fixture
def anna(as_user: Callable[[str], FlaskClient], monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    monkeypatch.setenv("FAKE_RUN_LEDGER", "1")  # a real run records what it registered
    return as_user("anna")


def previewed(client: FlaskClient, export: Export, name: str | None = None) -> str:
    upload_id = upload_id_of(upload(client, export.path, name))
    wait_for_state(client, upload_id, "preview-done")
    return upload_id


def number(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert found is not None, element_id
    return found.group(1)


def test_the_same_file_again_is_previewed_as_already_registered_and_offers_no_run(
    anna: FlaskClient, export_file: Export, settings: Settings
) -> None:
    first = previewed(anna, export_file)
    first_page = anna.get(f"/filer/{first}").get_data(as_text=True)
    assert number(first_page, "preview-count-planned") == "4"
    assert "Registrera 7 utbetalningar" in first_page
    confirm(anna, first)
    wait_for_state(anna, first, "real-done")

    again = previewed(anna, export_file, "samma-fil-igen.xlsx")
    html = anna.get(f"/filer/{again}").get_data(as_text=True)
    assert 'id="same-file-notice"' in html and "Samma fil (samma innehåll) har redan körts" in html
    assert number(html, "preview-count-already") == "4"
    assert number(html, "preview-count-planned") == "0"
    assert number(html, "preview-payments") == "0"
    assert 'id="confirm-button"' not in html and 'id="nothing-left"' in html
    assert "4 beslut är redan registrerade av en tidigare körning" in html
    # A forged confirmation starts nothing either.
    token = csrf_from(anna.get(f"/filer/{again}"))
    preview_run = re.search(r'"preview_run" value="([^"]+)"', html)
    assert preview_run is None  # the page offers no form to post
    anna.post(f"/filer/{again}/kor", data={"csrf_token": token, "preview_run": "x", "sha256": "y"})
    with sqlite3.connect(settings.database_path) as conn:
        (real_runs,) = conn.execute(
            "SELECT COUNT(*) FROM runs WHERE kind = 'real' AND upload_id = ?", (again,)
        ).fetchone()
    assert real_runs == 0


def test_an_upload_that_never_ran_can_be_removed_with_its_preview_workbook(
    anna: FlaskClient, export_file: Export, settings: Settings
) -> None:
    upload_id = previewed(anna, export_file, "fel-version.xlsx")
    page = anna.get(f"/filer/{upload_id}").get_data(as_text=True)
    assert "Ta bort filen fel-version.xlsx" in page
    with sqlite3.connect(settings.database_path) as conn:
        (preview_run,) = conn.execute(
            "SELECT run_name FROM runs WHERE upload_id = ?", (upload_id,)
        ).fetchone()
    workbook = settings.runs_dir / preview_run / "manuell-hantering.xlsx"
    assert workbook.is_file()
    token = csrf_from(anna.get(f"/filer/{upload_id}"))
    response = anna.post(f"/filer/{upload_id}/dra-tillbaka", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/filer"
    home = anna.get("/filer")
    assert casework.WITHDRAWN.format(name="fel-version.xlsx") in flashes(home)
    assert upload_id not in home.get_data(as_text=True)
    assert anna.get(f"/filer/{upload_id}").status_code == 404
    assert not (settings.uploads_dir / upload_id).exists() and not workbook.exists()
    assert (settings.runs_dir / preview_run / "summary.json").is_file()  # the operators' record stays


def test_an_upload_that_ran_cannot_be_removed(anna: FlaskClient, export_file: Export) -> None:
    upload_id = previewed(anna, export_file)
    confirm(anna, upload_id)
    wait_for_state(anna, upload_id, "real-done")
    assert 'id="withdraw-form"' not in anna.get(f"/filer/{upload_id}").get_data(as_text=True)
    token = csrf_from(anna.get(f"/filer/{upload_id}"))
    anna.post(f"/filer/{upload_id}/dra-tillbaka", data={"csrf_token": token})
    assert casework.NOT_WITHDRAWABLE in flashes(anna.get(f"/filer/{upload_id}"))
    assert anna.get(f"/filer/{upload_id}").status_code == 200


def test_a_double_click_is_the_same_request_not_a_conflict(
    anna: FlaskClient, export_file: Export, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload_id = previewed(anna, export_file)
    page = anna.get(f"/filer/{upload_id}")
    fields = dict(
        re.findall(
            r'<input type="hidden" name="(preview_run|sha256)" value="([^"]*)"', page.get_data(as_text=True)
        )
    )
    data = {"csrf_token": csrf_from(page), **fields}
    monkeypatch.setenv("FAKE_RUN_HOLD", "1")
    barrier = threading.Barrier(2)

    def click() -> int:
        barrier.wait()
        return anna.post(f"/filer/{upload_id}/kor", data=data).status_code

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: click(), range(2)))
    third = anna.post(f"/filer/{upload_id}/kor", data=data)  # a late third click
    assert answers == [303, 303] and third.status_code == 303
    shown = anna.get(f"/filer/{upload_id}")
    html = shown.get_data(as_text=True)
    assert 'id="flash-error"' not in html and "pågår redan" not in html
    assert "Körningen har startat" in flashes(shown)
    with sqlite3.connect(settings.database_path) as conn:
        (runs,) = conn.execute("SELECT COUNT(*) FROM runs WHERE kind = 'real'").fetchone()
    assert runs == 1
    for folder in settings.runs_dir.iterdir():
        (folder / "release").touch()
    wait_for_state(anna, upload_id, "real-done")


def test_after_retention_the_page_never_says_no_decision_needs_manual_handling(
    anna: FlaskClient, export_file: Export, settings: Settings
) -> None:
    upload_id = previewed(anna, export_file)
    confirm(anna, upload_id)
    wait_for_state(anna, upload_id, "real-done")
    before = anna.get(f"/filer/{upload_id}").get_data(as_text=True)
    assert number(before, "real-manual-count") == number(before, "real-count-manual") == "2"
    with sqlite3.connect(settings.database_path) as conn:
        (real_run,) = conn.execute(
            "SELECT run_name FROM runs WHERE kind = 'real' AND upload_id = ?", (upload_id,)
        ).fetchone()
    (settings.runs_dir / real_run / "manuell-hantering.xlsx").unlink()  # as retention does
    html = anna.get(f"/filer/{upload_id}").get_data(as_text=True)
    assert number(html, "real-manual-count") == number(html, "real-count-manual") == "2"
    assert 'id="real-no-manual"' not in html and 'id="real-list-removed"' in html
