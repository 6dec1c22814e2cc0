"""The case worker's flow through the console (Flask test client; runs by the quick fake runner):
upload limits, preview before confirm, exactly the previewed file, one real run at a time."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from html import unescape as html_unescape
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from splitpayout.adapters.runs import new_run_dir
from werkzeug.test import TestResponse

from console import casework
from console.settings import Settings
from console.uploads import EMPTY, NOT_XLSX
from tests.console.console_testdata import (
    Export,
    confirm,
    csrf_from,
    export_without_columns,
    flashes,
    login,
    main_state,
    page_name,
    state_of,
    upload,
    upload_id_of,
    wait_for_state,
    wait_until,
)


def run_folders(settings: Settings) -> list[Path]:
    return sorted(path for path in settings.runs_dir.iterdir() if path.is_dir())


def real_runs(settings: Settings) -> list[str]:
    with sqlite3.connect(settings.database_path) as conn:
        return [
            row[0] for row in conn.execute("SELECT run_name FROM runs WHERE kind = 'real' ORDER BY rowid")
        ]


def release_all(settings: Settings) -> None:
    for folder in run_folders(settings):
        (folder / "release").touch()


def previewed(client: FlaskClient, export: Export) -> str:
    """Upload ``export``, wait for its preview to finish and open the page; returns the upload id."""
    upload_id = upload_id_of(upload(client, export.path))
    wait_for_state(client, upload_id, "preview-done")
    assert main_state(client.get(f"/filer/{upload_id}")) == "preview-done"
    return upload_id


@pytest.fixture
def anna(as_user: Callable[[str], FlaskClient]) -> FlaskClient:
    return as_user("anna")


@pytest.fixture
def berit(as_user: Callable[[str], FlaskClient]) -> FlaskClient:
    return as_user("berit")


def test_upload_preview_confirm_progress_and_download(
    anna: FlaskClient, settings: Settings, export_file: Export
) -> None:
    response = upload(anna, export_file.path)
    upload_id = upload_id_of(response)
    assert "förhandsgranskas nu" in flashes(anna.get(f"/filer/{upload_id}"))
    wait_for_state(anna, upload_id, "preview-done")

    page = anna.get(f"/filer/{upload_id}")
    html = page.get_data(as_text=True)
    assert page_name(page) == "upload" and main_state(page) == "preview-done"
    assert re.search(r'id="preview-decisions">6<', html)
    assert re.search(r'id="preview-count-planned">4<', html)
    assert re.search(r'id="preview-count-manual">2<', html)
    assert re.search(r'id="preview-amount-in-file">[\d ]+,\d\d kr<', html)
    rows = dict(re.findall(r'data-decision-id="([^"]+)"[^>]*>.*?<td class="col-reason">([^<]+)', html, re.S))
    assert rows == {
        export_file.protected_id: "Skyddade personuppgifter",
        export_file.invalid_account_id: "Ogiltigt eller ofullständigt bankkonto",
    }
    assert "Kontrollera clearing- och kontonummer" in html  # what to do
    assert "Kontolös Felkontosson" in html  # the case worker sees names
    assert "Hemlig Skyddadsson" not in html  # never of a protected identity
    assert 'id="confirm-form"' in html

    response = confirm(anna, upload_id)
    assert response.status_code == 303
    wait_for_state(anna, upload_id, "real-done")
    page = anna.get(f"/filer/{upload_id}")
    html = page.get_data(as_text=True)
    assert "Körningen har startat" in flashes(page)
    assert re.search(r'id="real-count-paid">4<', html)
    assert re.search(r'id="progress-text"[^>]*>7 av 7 utbetalningar klara<', html)
    assert 'id="confirm-form"' not in html  # done: nothing more to confirm

    status = anna.get(f"/filer/{upload_id}/status").get_json()
    assert status["state"] == "real-done"
    assert status["real"]["payments_done"] == status["real"]["payments_total"] == 7

    download = anna.get(f"/filer/{upload_id}/arbetsbok/korning")
    assert download.status_code == 200
    assert download.mimetype == casework.XLSX_MIMETYPE
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"  # the workbook holds personal data
    assert "manuell-hantering-beslut-november.xlsx" in download.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(download.get_data())).worksheets[0]
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]
    assert export_file.invalid_account_id in values and "Vad du behöver göra" in values

    # Who previewed and confirmed, and the real run used exactly the previewed file.
    with sqlite3.connect(settings.database_path) as conn:
        sha, seen_by, confirmed_by = conn.execute(
            "SELECT sha256, preview_seen_by, confirmed_by FROM uploads WHERE upload_id = ?", (upload_id,)
        ).fetchone()
    assert (seen_by, confirmed_by) == ("anna", "anna")
    (real_run,) = real_runs(settings)
    summary = json.loads((settings.runs_dir / real_run / "summary.json").read_text(encoding="utf-8"))
    assert summary["mode"] == "real" and summary["source"]["sha256"] == sha
    # The run knows the export by a label only: a case worker's file name may hold personal data.
    assert re.fullmatch(rf"export-\d{{4}}-\d\d-\d\d-{sha[:12]}\.xlsx", summary["source"]["file_name"])
    record = json.loads((settings.runs_dir / real_run / "run.json").read_text(encoding="utf-8"))
    assert record["started_by"] == "handläggare anna" and record["exit_status"] == 0


def test_the_upload_list_shows_each_files_state(anna: FlaskClient, export_file: Export) -> None:
    upload_id = previewed(anna, export_file)
    page = anna.get("/filer")
    assert re.search(rf'data-upload-id="{upload_id}" data-state="preview-done"', page.get_data(as_text=True))
    assert "Väntar på din bekräftelse" in page.get_data(as_text=True)


# Upload limits ---------------------------------------------------------------------------------


def test_a_file_above_the_limit_is_refused_and_nothing_is_kept(
    anna: FlaskClient, settings: Settings, tmp_path: Path
) -> None:
    limit = settings.max_upload_bytes
    for size, status in ((limit + 1, 422), (limit + 200 * 1024, 413)):  # checked while stored; by Flask
        big = tmp_path / f"stor-{size}.xlsx"
        big.write_bytes(b"PK\x03\x04" + os.urandom(size - 4))
        response = upload(anna, big)
        assert response.status_code == status
        assert "Filen är för stor. Största tillåtna storlek är 0,25 MB." in response.get_data(as_text=True)
    assert list(settings.uploads_dir.iterdir()) == []
    assert run_folders(settings) == []


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


def upload_error(response: TestResponse) -> str:
    """The refusal as the error-summary pattern shows it: a summary linking to the field, the field
    marked invalid and described by the message, and "Fel:" in the page's title."""
    html = response.get_data(as_text=True)
    summary = re.search(r'<div id="error-summary".*?</div>', html, re.S)
    assert summary is not None, "no error summary"
    assert 'href="#export-file"' in summary.group(0)
    assert re.search(r'<input id="export-file"[^>]*aria-invalid="true"', html)
    assert re.search(r'<input id="export-file"[^>]*aria-describedby="export-error export-hint"', html)
    assert re.search(r"<title>Fel: ", html)
    field = re.search(r'<p id="export-error"[^>]*>(.*?)</p>', html, re.S)
    assert field is not None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html_unescape(field.group(1))))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("beslut.csv", b"Beslutsnummer;Belopp\n1;100\n", NOT_XLSX),
        ("beslut.xlsx", b"Beslutsnummer;Belopp\n1;100\n", NOT_XLSX),
        ("beslut.xlsx", _zip_without_workbook(), NOT_XLSX),
        ("beslut.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), NOT_XLSX),  # encrypted (OLE)
        ("beslut.xlsx", b"", EMPTY),
    ],
    ids=["csv", "text-renamed", "zip-without-workbook", "encrypted", "empty"],
)
def test_what_is_not_an_xlsx_workbook_is_refused(
    anna: FlaskClient, settings: Settings, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    response = upload(anna, path)
    assert response.status_code == 422
    assert page_name(response) == "uploads"
    assert message in upload_error(response)
    assert list(settings.uploads_dir.iterdir()) == []
    assert run_folders(settings) == []


def test_an_upload_without_a_file_is_refused(anna: FlaskClient, settings: Settings) -> None:
    token = csrf_from(anna.get("/filer"))
    response = anna.post("/filer", data={"csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Välj exportfilen" in upload_error(response)
    assert run_folders(settings) == []


def test_too_many_previews_at_once_are_refused(
    make_app: Callable[..., Flask], settings: Settings, export_file: Export, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(max_previews=1)
    client = app.test_client()
    login(client, "anna")
    monkeypatch.setenv("FAKE_RUN_HOLD", "1")
    first = upload_id_of(upload(client, export_file.path))
    response = upload(client, export_file.path)
    assert response.status_code == 429
    assert casework.TOO_MANY_PREVIEWS in flashes(response)
    assert [path.name for path in settings.uploads_dir.iterdir()] == [first]
    release_all(settings)
    wait_for_state(client, first, "preview-done")
    assert upload(client, export_file.path).status_code == 303


def test_an_odd_file_name_is_stored_under_a_safe_name(
    anna: FlaskClient, settings: Settings, export_file: Export
) -> None:
    upload_id = upload_id_of(upload(anna, export_file.path, name="../../etc/Beslut för nov<script>.XLSX"))
    (stored,) = (settings.uploads_dir / upload_id).iterdir()
    assert re.fullmatch(r"export-\d{4}-\d\d-\d\d-[0-9a-f]{12}\.xlsx", stored.name)
    assert stored.stat().st_mode & 0o777 == 0o400  # owner-only, read-only once stored
    assert "Beslut för nov_script.xlsx" in anna.get(f"/filer/{upload_id}").get_data(as_text=True)
    wait_for_state(anna, upload_id, "preview-done")


# The preview before the real run ---------------------------------------------------------------


def test_a_file_that_cannot_be_used_says_what_is_wrong_and_cannot_be_run(
    anna: FlaskClient, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_RUN_FILE_ERROR", "missing_columns")
    upload_id = upload_id_of(upload(anna, export_without_columns(tmp_path / "fel.xlsx")))
    wait_for_state(anna, upload_id, "preview-failed")
    page = anna.get(f"/filer/{upload_id}")
    html = page.get_data(as_text=True)
    assert "Filen saknar kolumner som måste finnas." in html
    assert "Utbetalningsdatum, Delad utbetalning" in html
    assert "Gör om exporten" in html
    assert 'id="confirm-form"' not in html
    response = anna.post(
        f"/filer/{upload_id}/kor", data={"csrf_token": csrf_from(page), "preview_run": "x", "sha256": "y"}
    )
    assert response.status_code == 303
    assert casework.PREVIEW_FAILED in flashes(anna.get(response.headers["Location"]))
    assert real_runs(settings) == []


def test_no_real_run_before_the_preview_has_finished(
    anna: FlaskClient, settings: Settings, export_file: Export, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_RUN_HOLD", "1")
    upload_id = upload_id_of(upload(anna, export_file.path))
    page = anna.get(f"/filer/{upload_id}")
    assert main_state(page) == "preview-running"
    html = page.get_data(as_text=True)
    assert 'id="confirm-form"' not in html
    assert 'data-poll-url="/filer/' in html and "progress.js" in html  # live: polls until done
    assert '<meta http-equiv="refresh"' in html  # and without JavaScript, refreshes
    response = anna.post(f"/filer/{upload_id}/kor", data={"csrf_token": csrf_from(page)})
    assert casework.NOT_READY in flashes(anna.get(response.headers["Location"]))
    assert real_runs(settings) == []
    release_all(settings)
    wait_for_state(anna, upload_id, "preview-done")


def test_no_real_run_without_having_seen_the_preview(
    anna: FlaskClient, settings: Settings, export_file: Export
) -> None:
    upload_id = upload_id_of(upload(anna, export_file.path))
    wait_for_state(anna, upload_id, "preview-done")  # finished, but its page never shown
    with sqlite3.connect(settings.database_path) as conn:
        (preview_run,) = conn.execute("SELECT run_name FROM runs WHERE kind = 'preview'").fetchone()
        (sha,) = conn.execute("SELECT sha256 FROM uploads").fetchone()
    token = csrf_from(anna.get("/filer"))
    response = anna.post(
        f"/filer/{upload_id}/kor", data={"csrf_token": token, "preview_run": preview_run, "sha256": sha}
    )
    assert response.status_code == 303
    page = anna.get(response.headers["Location"])  # this shows the preview...
    assert casework.NOT_SEEN in flashes(page)
    assert real_runs(settings) == []
    assert confirm(anna, upload_id).status_code == 303  # ...so now it may be confirmed
    assert len(real_runs(settings)) == 1
    wait_for_state(anna, upload_id, "real-done")


def test_a_confirmation_must_name_the_preview_and_file_shown(
    anna: FlaskClient, settings: Settings, export_file: Export
) -> None:
    upload_id = previewed(anna, export_file)
    for override in ({"preview_run": "2026-01-01T000000Z-other-abcdef"}, {"sha256": "0" * 64}):
        response = confirm(anna, upload_id, **override)
        assert casework.STALE_CONFIRMATION in flashes(anna.get(response.headers["Location"]))
    assert real_runs(settings) == []


def test_a_file_changed_after_its_preview_is_not_run(
    anna: FlaskClient, settings: Settings, export_file: Export
) -> None:
    upload_id = previewed(anna, export_file)
    (stored,) = (settings.uploads_dir / upload_id).iterdir()
    stored.chmod(0o600)
    stored.write_bytes(stored.read_bytes() + b"\0")
    response = confirm(anna, upload_id)
    assert "Filen har ändrats" in flashes(anna.get(response.headers["Location"]))
    assert real_runs(settings) == []


def test_a_finished_file_is_not_run_twice_but_a_failed_one_can_be_run_again(
    anna: FlaskClient, settings: Settings, export_file: Export, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload_id = previewed(anna, export_file)
    monkeypatch.setenv("FAKE_RUN_EXIT", "1")  # e.g. decisions failed on a technical error
    confirm(anna, upload_id)
    wait_for_state(anna, upload_id, "real-failed")
    page = anna.get(f"/filer/{upload_id}").get_data(as_text=True)
    assert ">Kör igen: registrera det som återstår" in page
    monkeypatch.delenv("FAKE_RUN_EXIT")
    confirm(anna, upload_id)
    wait_for_state(anna, upload_id, "real-done")
    response = confirm(anna, upload_id)
    assert casework.ALREADY_DONE in flashes(anna.get(response.headers["Location"]))
    assert len(real_runs(settings)) == 2


# One real run at a time ------------------------------------------------------------------------


def test_a_second_real_run_is_refused_while_one_is_going(
    anna: FlaskClient,
    berit: FlaskClient,
    settings: Settings,
    export_file: Export,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = previewed(anna, export_file)
    second = previewed(berit, export_file)
    monkeypatch.setenv("FAKE_RUN_HOLD", "1")
    confirm(anna, first)
    assert state_of(anna, first) == "real-running"
    page = anna.get(f"/filer/{first}")
    assert re.search(r'id="progress-text"[^>]*>0 av \d+ utbetalningar klara<', page.get_data(as_text=True))

    folders = run_folders(settings)
    page = berit.get(f"/filer/{second}")
    assert 'id="busy-notice"' in page.get_data(as_text=True)
    response = confirm(berit, second)
    message = flashes(berit.get(response.headers["Location"]))
    assert "En körning mot utbetalningssystemet pågår redan (startad av handläggare anna kl." in message
    assert "Vänta tills den är klar" in message
    assert run_folders(settings) == folders and len(real_runs(settings)) == 1

    release_all(settings)
    wait_for_state(anna, first, "real-done")
    monkeypatch.delenv("FAKE_RUN_HOLD")
    confirm(berit, second)
    wait_for_state(berit, second, "real-done")
    assert len(real_runs(settings)) == 2


def scheduled_run(
    settings: Settings, pid: int, *, task: str = "split_payouts", mode: str | None = None
) -> Path:
    """A run folder as a scheduled run leaves it while going: run.json unfinished, with its pid."""
    run_dir = new_run_dir(settings.runs_dir, "inbox")
    record = {"task": task, "started_by": "schedule", "pid": pid, "started_at": "2026-11-23T10:00:00+00:00"}
    (run_dir / "run.json").write_text(json.dumps(record), encoding="utf-8")
    if mode is not None:
        (run_dir / "run.jsonl").write_text(json.dumps({"event": "run_started", "mode": mode}) + "\n")
    return run_dir


@pytest.fixture
def live_runner(settings: Settings) -> Iterator[subprocess.Popen[bytes]]:
    """A live process whose command line names the runner, like a scheduled run's."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", settings.runner_module])
    yield process
    if process.poll() is None:
        process.kill()
    process.wait()


def test_a_scheduled_real_run_blocks_and_a_dead_or_read_only_one_does_not(
    anna: FlaskClient, settings: Settings, export_file: Export, live_runner: subprocess.Popen[bytes]
) -> None:
    upload_id = previewed(anna, export_file)
    scheduled_run(settings, live_runner.pid, mode="dry_run")  # a scheduled preview: no block
    scheduled_run(settings, live_runner.pid, task="reconcile")  # reads only: no block
    scheduled_run(settings, 2**22 + 12345)  # its process is gone: no block
    blocking = scheduled_run(settings, live_runner.pid)
    response = confirm(anna, upload_id)
    assert "pågår redan (startad av schemat kl. " in flashes(anna.get(response.headers["Location"]))
    assert real_runs(settings) == []

    live_runner.kill()
    live_runner.wait()
    confirm(anna, upload_id)
    wait_for_state(anna, upload_id, "real-done")
    assert len(real_runs(settings)) == 1
    assert not (blocking / "summary.json").exists()


def test_a_pid_reused_by_another_program_does_not_block(
    anna: FlaskClient, settings: Settings, export_file: Export
) -> None:
    upload_id = previewed(anna, export_file)
    scheduled_run(settings, os.getpid())  # alive, but not the runner
    confirm(anna, upload_id)
    wait_for_state(anna, upload_id, "real-done")


def test_a_real_run_outlives_a_console_restart_and_a_killed_one_does_not_block(
    make_app: Callable[..., Flask],
    app: Flask,
    anna: FlaskClient,
    berit: FlaskClient,
    settings: Settings,
    export_file: Export,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = previewed(anna, export_file)
    second = previewed(berit, export_file)
    monkeypatch.setenv("FAKE_RUN_HOLD", "1")
    confirm(anna, first)
    (run_name,) = real_runs(settings)

    restarted = make_app()  # a new console process: it knows the run only from disk and its database
    anna_again, berit_again = restarted.test_client(), restarted.test_client()
    login(anna_again, "anna")
    login(berit_again, "berit")
    assert state_of(anna_again, first) == "real-running"
    response = confirm(berit_again, second)
    assert "pågår redan" in flashes(berit_again.get(response.headers["Location"]))

    pid = json.loads((settings.runs_dir / run_name / "run.json").read_text(encoding="utf-8"))["pid"]
    os.kill(pid, signal.SIGKILL)  # the machine went down mid-run
    app.extensions["console_launcher"].wait_all(timeout=10)
    wait_until(
        lambda: state_of(anna_again, first) == "real-interrupted", what="the run to read as interrupted"
    )
    page = anna_again.get(f"/filer/{first}").get_data(as_text=True)
    assert "Körningen avbröts" in page and ">Kör igen: registrera det som återstår" in page

    monkeypatch.delenv("FAKE_RUN_HOLD")
    confirm(berit_again, second)  # the interrupted run no longer blocks
    wait_for_state(berit_again, second, "real-done")
    restarted.extensions["console_launcher"].wait_all(timeout=20)


# Whose uploads -----------------------------------------------------------------------------------


def test_a_case_worker_cannot_open_another_case_workers_upload(
    anna: FlaskClient, berit: FlaskClient, settings: Settings, export_file: Export
) -> None:
    upload_id = previewed(anna, export_file)
    for path in (
        f"/filer/{upload_id}",
        f"/filer/{upload_id}/status",
        f"/filer/{upload_id}/arbetsbok/forhandsgranskning",
    ):
        assert berit.get(path).status_code == 404
    response = berit.post(f"/filer/{upload_id}/kor", data={"csrf_token": csrf_from(berit.get("/filer"))})
    assert response.status_code == 404
    assert upload_id not in berit.get("/filer").get_data(as_text=True)
    assert real_runs(settings) == []


@pytest.mark.parametrize(
    "path",
    [
        "/filer/0123456789abcdef",
        "/filer/not-an-id",
        "/filer/{id}/arbetsbok/summary.json",
        "/filer/{id}/arbetsbok/..%2F..%2Fsummary.json",
        "/filer/{id}/arbetsbok/korning",  # no real run yet
    ],
)
def test_unknown_uploads_and_files_are_404(anna: FlaskClient, export_file: Export, path: str) -> None:
    upload_id = previewed(anna, export_file)
    response = anna.get(path.format(id=upload_id))
    assert response.status_code == 404
    assert page_name(response) == "error"


def test_the_preview_workbook_can_be_downloaded(anna: FlaskClient, export_file: Export) -> None:
    upload_id = previewed(anna, export_file)
    response = anna.get(f"/filer/{upload_id}/arbetsbok/forhandsgranskning")
    assert response.status_code == 200
    assert (
        "manuell-hantering-beslut-november-forhandsgranskning.xlsx" in response.headers["Content-Disposition"]
    )


def test_a_preview_that_never_ends_is_stopped_and_the_page_says_why(
    make_app: Callable[..., Flask], settings: Settings, export_file: Export, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_RUN_HOLD", "1")  # the preview waits for a release that never comes
    client = make_app(preview_timeout_seconds=1).test_client()
    login(client, "anna")
    upload_id = upload_id_of(upload(client, export_file.path))
    wait_for_state(client, upload_id, "preview-failed")
    (run_dir,) = settings.runs_dir.iterdir()

    def run_record() -> dict[str, Any]:
        return dict(json.loads((run_dir / "run.json").read_text(encoding="utf-8")))

    # The page may say so a moment before the console has written why (it stops, then records).
    wait_until(lambda: "stopped_by_console" in run_record(), what="the console's record of the stop")
    record = run_record()
    assert record["stopped_by_console"]["code"] == "preview_timeout"
    assert record["finished_at"] and record["exit_status"] != 0
    pid = int(record["pid"])
    wait_until(lambda: not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text())
    html = client.get(f"/filer/{upload_id}").get_data(as_text=True)
    assert "Förhandsgranskningen avbröts: den tog för lång tid." in html
    assert 'id="confirm-form"' not in html
