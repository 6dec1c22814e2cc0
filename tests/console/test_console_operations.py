"""The operator's pages: the history of every run, each run's facts and logs, the failed-run filter,
safe file serving, no personal data, and the reconciliation button."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from splitpayout.adapters.ledger import Ledger
from splitpayout.adapters.runs import new_run_dir

from console.launcher import Launcher, read_record
from console.operations import ARTIFACT_CSP, BAD_DATES, RECONCILE_RUNNING
from console.settings import Settings
from tests.console.conftest import World, finished_run
from tests.console.console_testdata import Export, csrf_from, flashes, login, page_name, wait_until
from tests.support.payout_server import running_payout_system

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def olle(as_user: Callable[[str], FlaskClient]) -> FlaskClient:
    return as_user("olle")


def history_rows(html: str) -> dict[str, str]:
    """Each history row's run folder name -> the row's HTML."""
    rows = re.findall(r'(<tr class="run-row[^"]*" data-run="([^"]+)".*?</tr>)', html, re.S)
    return {name: row for row, name in rows}


def cell(row: str, column: str) -> str:
    match = re.search(rf'<td class="[^"]*\bcol-{column}\b[^"]*">(.*?)</td>', row, re.S)
    assert match, f"no column {column} in the row"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def personal_data(export: Export) -> list[str]:
    """Names, identity and account numbers of the export that are long enough to be unmistakable."""
    return [value for value in export.personal_data if len(value) >= 6]


def failed_and_interrupted(
    settings: Settings, export_file: Export, dry_run_template: Path
) -> tuple[str, str]:
    failed = finished_run(
        settings,
        "inbox",
        {
            "DRY_RUN": "false",
            "DECISIONS_FILE": str(export_file.path),
            "FAKE_RUN_FILE_ERROR": "missing_columns",
        },
    )
    interrupted = new_run_dir(settings.runs_dir, "inbox")
    record = {
        "task": "process_inbox",
        "started_by": "schedule",
        "pid": 2**22 + 4242,
        "started_at": "2026-11-23T10:00:00+00:00",
    }
    (interrupted / "run.json").write_text(json.dumps(record), encoding="utf-8")
    return failed.name, interrupted.name


def test_history_shows_every_run_with_who_started_it_the_file_counts_and_exit_status(
    olle: FlaskClient, world: World, export_file: Export, settings: Settings
) -> None:
    page = olle.get("/korningar")
    assert page.status_code == 200 and page_name(page) == "history"
    rows = history_rows(page.get_data(as_text=True))
    assert set(rows) == {world.preview_run, world.real_run, world.scheduled_run}

    real = rows[world.real_run]
    assert cell(real, "kind") == "Utbetalning"
    assert cell(real, "started-by") == "handläggare anna"
    # Operators see a label, never the case worker's file name (it may hold personal data).
    assert re.fullmatch(rf"export-\d{{4}}-\d\d-\d\d-{world.sha256[:12]}\.xlsx", cell(real, "file"))
    assert f'data-sha256="{world.sha256}"' in real
    assert (cell(real, "paid"), cell(real, "manual"), cell(real, "failed")) == ("4", "2", "0")
    assert cell(real, "exit-status") == "0"
    assert cell(real, "state") == "Klar med avvikelser: beslut kräver manuell hantering"  # 2 manual
    assert re.fullmatch(r"\d+ s", cell(real, "duration"))
    assert 'class="log-link"' in real and 'class="report-link"' in real

    preview = rows[world.preview_run]
    assert cell(preview, "kind") == "Förhandsgranskning" and cell(preview, "planned") == "4"
    scheduled = rows[world.scheduled_run]
    assert cell(scheduled, "started-by") == "Schema" and cell(scheduled, "kind") == "Utbetalning"


def test_the_failed_filter_shows_failed_and_interrupted_runs_only(
    olle: FlaskClient, world: World, settings: Settings, export_file: Export, dry_run_template: Path
) -> None:
    failed, interrupted = failed_and_interrupted(settings, export_file, dry_run_template)
    everything = history_rows(olle.get("/korningar").get_data(as_text=True))
    assert len(everything) == 5
    page = olle.get("/korningar?visa=misslyckade")
    rows = history_rows(page.get_data(as_text=True))
    assert set(rows) == {failed, interrupted}
    assert cell(rows[failed], "state") == "Misslyckad: Kolumner saknas"
    assert 'data-error-code="missing_columns"' in rows[failed]
    assert cell(rows[failed], "exit-status") == "1"
    assert cell(rows[interrupted], "state").startswith("Avbruten: ")
    assert cell(rows[interrupted], "kind") == "Inkorg"
    assert 'aria-current="page">bara misslyckade' in page.get_data(as_text=True)


def test_a_run_page_shows_its_facts_reasons_and_log_links(olle: FlaskClient, world: World) -> None:
    page = olle.get(f"/korningar/{world.real_run}")
    html = page.get_data(as_text=True)
    assert page_name(page) == "run"
    assert f'id="run-sha256">{world.sha256}<' in html
    assert 'id="run-started-by">handläggare anna<' in html
    assert 'id="run-count-paid">4<' in html
    assert 'data-code="invalid_account"' in html and 'data-code="protected_identity"' in html
    assert f'href="/korningar/{world.real_run}/log.html"' in html
    assert f'href="/korningar/{world.real_run}/report.html"' in html

    log = olle.get(f"/korningar/{world.real_run}/log.html")
    assert log.status_code == 200 and log.mimetype == "text/html"
    assert log.headers["Content-Security-Policy"] == ARTIFACT_CSP
    assert "<title>" in log.get_data(as_text=True)
    assert olle.get(f"/korningar/{world.real_run}/report.html").status_code == 200


def test_operator_pages_and_logs_hold_no_personal_data(
    olle: FlaskClient, world: World, export_file: Export, settings: Settings
) -> None:
    assert "Kontolös Felkontosson" in personal_data(export_file)  # the check below has teeth
    pages = [olle.get("/korningar"), olle.get("/korningar?visa=misslyckade")]
    for run_name in (world.preview_run, world.real_run, world.scheduled_run):
        pages.append(olle.get(f"/korningar/{run_name}"))
        pages.extend(olle.get(f"/korningar/{run_name}/{name}") for name in ("log.html", "report.html"))
    assert all(page.status_code == 200 for page in pages)
    for page in pages:
        text = page.get_data(as_text=True)
        leaked = [value for value in personal_data(export_file) if value in text]
        assert leaked == [], f"{page.request.path} shows personal data"
    # ...while the case worker's workbook of the same run holds them: operators never get it.
    assert (settings.runs_dir / world.real_run / "manuell-hantering.xlsx").is_file()


@pytest.mark.parametrize(
    "path",
    [
        "/korningar/..",
        "/korningar/..%2F..%2Fetc",
        "/korningar/%2e%2e/log.html",
        "/korningar/2026-11-23T104206Z-finns-inte-abcdef",
        "/korningar/2026-11-23T104206Z-finns-inte-abcdef/log.html",
        "/korningar/{real}/summary.json",
        "/korningar/{real}/run.json",
        "/korningar/{real}/output.xml",
        "/korningar/{real}/manuell-hantering.xlsx",
        "/korningar/{real}/..%2F..%2Fconsole%2Fconsole.sqlite3",
        "/korningar/{real}/LOG.HTML",
        "/korningar/{outside}",
        "/korningar/{outside}/log.html",
        "/korningar/{linked_log}/log.html",
    ],
)
def test_only_known_files_inside_a_run_folder_are_served(
    olle: FlaskClient, world: World, settings: Settings, tmp_path: Path, path: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "log.html").write_text("<html>secret</html>", encoding="utf-8")
    link = settings.runs_dir / "2026-11-23T104206Z-lankad-abcdef"
    link.symlink_to(outside, target_is_directory=True)
    linked_log = new_run_dir(settings.runs_dir, "lankad-logg")
    (linked_log / "run.json").write_text('{"task": "split_payouts", "finished_at": "x"}', encoding="utf-8")
    (linked_log / "log.html").symlink_to(outside / "log.html")
    response = olle.get(path.format(real=world.real_run, outside=link.name, linked_log=linked_log.name))
    assert response.status_code == 404
    assert "secret" not in response.get_data(as_text=True)


# Reconciliation --------------------------------------------------------------------------------


def reconcile(client: FlaskClient, **form: Any) -> str:
    """Post the reconciliation's form; the messages of the page it leads to (the history when it
    started, the reconciliation's own page when it was refused)."""
    token = csrf_from(client.get("/avstamning"))
    response = client.post("/avstamning", data={"csrf_token": token, **form})
    assert response.status_code == 303 and response.headers["Location"] in ("/korningar", "/avstamning")
    return flashes(client.get(response.headers["Location"]))


def reconcile_runs(settings: Settings) -> list[str]:
    with sqlite3.connect(settings.database_path) as conn:
        return [row[0] for row in conn.execute("SELECT run_name FROM runs WHERE kind = 'reconcile'")]


@pytest.mark.usefixtures("world")  # an export whose preview succeeded
def test_the_reconcile_button_starts_a_recorded_run_in_its_own_folder(
    olle: FlaskClient, settings: Settings
) -> None:
    message = reconcile(olle, **{"from": "2026-12-01", "to": "2026-12-31"})
    assert "Avstämningen har startat" in message
    (run_name,) = reconcile_runs(settings)
    run_dir = settings.runs_dir / run_name
    assert run_dir.is_dir() and "avstamning-olle" in run_name
    with sqlite3.connect(settings.database_path) as conn:
        started_by, kind = conn.execute(
            "SELECT started_by, kind FROM runs WHERE run_name = ?", (run_name,)
        ).fetchone()
        (event,) = conn.execute("SELECT action FROM events WHERE run_name = ?", (run_name,)).fetchone()
    assert (started_by, kind, event) == ("olle", "reconcile", "start_reconcile")
    wait_until(lambda: read_record(run_dir).get("exit_status") == 0, what="the run")
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert (record["task"], record["started_by"]) == ("reconcile", "driftansvarig olle")

    rows = history_rows(olle.get("/korningar").get_data(as_text=True))
    assert cell(rows[run_name], "kind") == "Avstämning"
    assert cell(rows[run_name], "started-by") == "driftansvarig olle"
    assert 'class="report-link"' in rows[run_name]
    page = olle.get(f"/korningar/{run_name}").get_data(as_text=True)
    assert "Inga avvikelser: allt som är registrerat stämmer med besluten." in page
    assert "Period (utbetalningsdagar): <strong>2026-12-01 – 2026-12-31</strong>" in page
    # the export compared, by its label: an upload's own name may hold personal data
    assert "Jämfört med 1 export" in page and "export-" in page and "beslut-november.xlsx" not in page
    assert f'href="/korningar/{run_name}/report.html"' in page


@pytest.mark.usefixtures("world")
def test_the_reconciliation_gets_its_settings(
    olle: FlaskClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, object] = {}
    original = Launcher.environment

    def spy(self: Launcher, run_dir: Path, started_by: str, extra: dict[str, str]) -> dict[str, str]:
        env = original(self, run_dir, started_by, extra)
        seen.update(env)
        return env

    monkeypatch.setattr(Launcher, "environment", spy)
    reconcile(olle, **{"from": "2026-12-01", "to": "2026-12-31"})
    assert seen["RECONCILE_FROM"] == "2026-12-01" and seen["RECONCILE_TO"] == "2026-12-31"
    # Only the exports whose preview succeeded, linked into a folder of their own.
    folder = Path(str(seen["DECISIONS_FILE"]))
    assert folder.parent == (settings.data_dir / "avstamning-underlag").resolve()
    (linked,) = folder.rglob("*.xlsx")  # under its label, never the upload's own name
    assert linked.name.startswith("export-") and linked.name.endswith(".xlsx")
    assert seen["PAYOUT_SYSTEM_URL"] == settings.payout_system_url
    assert seen["STATE_DIR"] == str(settings.state_dir.resolve())
    assert str(seen["ROBOT_ARTIFACTS"]).startswith(str(settings.runs_dir.resolve()))


@pytest.mark.parametrize(
    "dates",
    [{"from": "2026-13-01"}, {"to": "igår"}, {"from": "2026-12-31", "to": "2026-12-01"}],
    ids=["bad-month", "not-a-date", "from-after-to"],
)
def test_bad_reconcile_dates_start_nothing(
    olle: FlaskClient, settings: Settings, dates: dict[str, str]
) -> None:
    assert BAD_DATES in reconcile(olle, **dates)
    assert reconcile_runs(settings) == []


@pytest.mark.usefixtures("world")
def test_a_second_reconciliation_waits_for_the_first(
    olle: FlaskClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_RUN_HOLD", "1")
    reconcile(olle)
    assert RECONCILE_RUNNING in reconcile(olle)
    assert len(reconcile_runs(settings)) == 1
    (run_name,) = reconcile_runs(settings)
    rows = history_rows(olle.get("/korningar").get_data(as_text=True))
    assert cell(rows[run_name], "state").startswith("Pågår")


@pytest.mark.skipif(
    not (ROOT / "tasks" / "reconcile.robot").exists(),
    reason="needs the Reconcile task (tasks/reconcile.robot), which is not in this tree yet",
)
@pytest.mark.usefixtures("world")  # an uploaded export for the reconciliation to read
def test_the_real_reconcile_task_writes_its_reports(
    make_app: Callable[..., Flask], settings: Settings, tmp_path: Path
) -> None:
    """The real runner and task, against the stand-in, over a period with nothing planned or held:
    no findings, so exit status 0, with its reports and the history's link to them."""
    Ledger(settings.state_dir / "ledger.sqlite3").close()  # the robot's (empty) ledger
    with running_payout_system(tmp_path / "payout.db") as server:
        app = make_app(
            runner_module="splitpayout.runner",
            payout_system_url=server.url.rstrip("/"),
            payout_system_api_token="dev-api-token",
        )
        client = app.test_client()
        login(client, "olle")
        reconcile(client, **{"from": "2020-01-01", "to": "2020-01-31"})
        (run_name,) = reconcile_runs(settings)
        run_dir = settings.runs_dir / run_name
        wait_until(lambda: read_record(run_dir).get("finished_at") is not None, 120, "the reconciliation")
        assert read_record(run_dir)["exit_status"] == 0
        assert (run_dir / "reconciliation.json").is_file() and (run_dir / "avstamning.xlsx").is_file()
        rows = history_rows(client.get("/korningar").get_data(as_text=True))
        assert cell(rows[run_name], "kind") == "Avstämning" and cell(rows[run_name], "exit-status") == "0"
        page = client.get(f"/korningar/{run_name}").get_data(as_text=True)
        assert "Inga avvikelser: allt som är registrerat stämmer med besluten." in page
        assert client.get(f"/korningar/{run_name}/avstamning.xlsx").status_code == 200
        assert client.get(f"/korningar/{run_name}/report.html").status_code == 200
