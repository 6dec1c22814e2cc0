"""The operator pages show who was notified about a run (ids, never addresses) and whether sending
failed, which files retention removed from a run, and retention runs in the history."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from Retention import Retention
from splitpayout.jobs.notify.outbox import GIVEN_UP, PENDING, SENT, Message, record_in_run

from console.launcher import Launcher
from console.settings import Settings
from tests.console.conftest import World
from tests.console.test_console_operations import cell, history_rows


@pytest.fixture
def olle(as_user: Callable[[str], FlaskClient]) -> FlaskClient:
    return as_user("olle")


def message(run_dir: Path, recipient: str, to: str, state: str, error: str = "") -> Message:
    return Message(
        message_id=f"R1.x.{recipient}",
        run_id="R1",
        run_dir=str(run_dir),
        kind="operators" if recipient == "operators" else "case_worker",
        recipient_id=recipient,
        to=[to],
        subject="Delad utbetalning",
        body="text",
        state=state,
        attempts=1 if state == SENT else 3,
        last_error=error,
    )


def test_the_run_page_and_history_show_who_was_notified_and_what_failed(
    olle: FlaskClient, world: World, settings: Settings
) -> None:
    run_dir = settings.runs_dir / world.real_run
    record_in_run(
        run_dir,
        [
            message(run_dir, "hl1001", "hl1001@kommun.example", SENT),
            message(
                run_dir, "ingen-handlaggare", "bistand@kommun.example", PENDING, "ConnectionRefusedError"
            ),
            message(run_dir, "operators", "drift@kommun.example", GIVEN_UP, "recipient refused (550)"),
        ],
    )

    html = olle.get(f"/korningar/{world.real_run}").get_data(as_text=True)

    rows = dict(re.findall(r'data-recipient="([^"]+)" data-state="([^"]+)"', html))
    assert rows == {"hl1001": SENT, "ingen-handlaggare": PENDING, "operators": GIVEN_UP}
    assert "ej skickat än" in html and "gick inte att skicka" in html and "ConnectionRefusedError" in html
    assert "@kommun.example" not in html
    history = olle.get("/korningar").get_data(as_text=True)
    assert cell(history_rows(history)[world.real_run], "notified") == "1 skickade, 2 ej skickade"
    assert cell(history_rows(history)[world.preview_run], "notified") == ""


def _retention_of_an_old_run(
    run_dir: Path, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, dry_run: bool
) -> None:
    """Make ``run_dir`` 100 days old and set up a retention run (30 days) over the test's folders."""
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    record["finished_at"] = (dt.datetime.now(dt.UTC) - dt.timedelta(days=100)).isoformat()
    (run_dir / "run.json").write_text(json.dumps(record), encoding="utf-8")
    for name, value in {
        "RETENTION_DAYS": "30",
        "RETENTION_DRY_RUN": "true" if dry_run else "false",
        "RUNS_DIR": str(settings.runs_dir),
        "STATE_DIR": str(settings.state_dir),
        "CONSOLE_DATA_DIR": str(settings.data_dir),
        "ARCHIVE_DIR": str(tmp_path / "archive"),
        "REJECTED_DIR": str(tmp_path / "rejected"),
        "ROBOT_ARTIFACTS": str(tmp_path / "retention-output"),
    }.items():
        monkeypatch.setenv(name, value)


def test_retention_removes_an_old_runs_workbook_and_both_pages_say_so(
    olle: FlaskClient, world: World, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir = settings.runs_dir / world.real_run
    assert (run_dir / "manuell-hantering.xlsx").is_file()
    _retention_of_an_old_run(run_dir, settings, tmp_path, monkeypatch, dry_run=False)
    retention = Retention()
    retention.remove_personal_data_older_than_the_retention_period()
    retention.write_the_retention_report()
    retention.record_the_retention_in_the_run_history()

    assert not (run_dir / "manuell-hantering.xlsx").exists()
    page = olle.get(f"/korningar/{world.real_run}").get_data(as_text=True)
    assert 'id="run-removed"' in page and "manuell-hantering.xlsx" in page
    history = olle.get("/korningar").get_data(as_text=True)
    [(name, row)] = [(n, r) for n, r in history_rows(history).items() if 'data-kind="retention"' in r]
    assert cell(row, "kind") == "Gallring"
    retention_page = olle.get(f"/korningar/{name}").get_data(as_text=True)
    counts = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="number">(\d+)</td>', retention_page))
    assert counts["Arbetsböcker i körningar"] == "1"
    assert 'id="run-removed"' not in olle.get(f"/korningar/{world.preview_run}").get_data(as_text=True)


def test_runs_the_console_starts_get_its_address_for_their_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSOLE_URL", "https://robot.kommun.example")
    monkeypatch.setenv("CONSOLE_SECRET_KEY", "x" * 40)
    settings = Settings(data_dir=tmp_path / "d", runs_dir=tmp_path / "r", state_dir=tmp_path / "s")
    env = Launcher(settings).environment(tmp_path / "r" / "run", "handläggare anna", {})
    assert [name for name in env if name.startswith("CONSOLE_")] == ["CONSOLE_URL"]
    assert env["CONSOLE_URL"] == "https://robot.kommun.example"


def test_every_kind_of_removal_has_a_swedish_label_on_the_retention_page() -> None:
    # A retention run's page lists every kind the task counts; one without a label would fail it.
    from splitpayout.jobs.retention import CATEGORIES

    from console.notices import RETENTION_LABELS

    assert set(RETENTION_LABELS) == set(CATEGORIES)
    assert RETENTION_LABELS["reconcile_sources"] == "Underlag för avstämning"


def test_a_trial_retention_is_told_apart_from_a_real_one(
    olle: FlaskClient, world: World, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir = settings.runs_dir / world.real_run
    _retention_of_an_old_run(run_dir, settings, tmp_path, monkeypatch, dry_run=True)
    retention = Retention()
    retention.remove_personal_data_older_than_the_retention_period()
    retention.write_the_retention_report()
    retention.record_the_retention_in_the_run_history()

    assert (run_dir / "manuell-hantering.xlsx").is_file()  # a trial removes nothing
    history = olle.get("/korningar").get_data(as_text=True)
    [(name, row)] = [(n, r) for n, r in history_rows(history).items() if 'data-kind="retention"' in r]
    assert cell(row, "kind") == "Gallring (provkörning: inget togs bort)"
    assert "<h1>Gallring (provkörning: inget togs bort)" in olle.get(f"/korningar/{name}").get_data(
        as_text=True
    )
