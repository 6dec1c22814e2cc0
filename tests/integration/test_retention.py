"""Retention (gallring) over real folders, a real console database and the real task.

Runs are aged the way time ages them: their ``run.json`` says when they finished; files
without a run get an old modification time.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from splitpayout.adapters.ledger import Ledger
from splitpayout.jobs.retention import REMOVED_MARK_FILE, RETENTION_FILE, RetentionSettings, run_retention

from console import db, store
from tests.support.robot_env import REPO_ROOT, clean_robot_env
from tests.support.run_history import list_runs

NOW = dt.datetime.now(dt.UTC)
OLD = NOW - dt.timedelta(days=100)
RECORD_FILES = (
    "run.json",
    "summary.json",
    "log.html",
    "report.html",
    "output.xml",
    "run.jsonl",
    "statistics.json",  # the follow-up's aggregates: no personal data, kept with the record
)


def age(path: Path, moment: dt.datetime = OLD) -> Path:
    os.utime(path, (moment.timestamp(), moment.timestamp()))
    return path


def make_run(runs: Path, name: str, finished: dt.datetime | None) -> Path:
    folder = runs / name
    folder.mkdir(parents=True)
    record = {"task": "split_payouts", "started_at": (finished or NOW).isoformat(), "exit_status": 0}
    record["finished_at"] = finished.isoformat() if finished else None
    (folder / "run.json").write_text(json.dumps(record), encoding="utf-8")
    (folder / "summary.json").write_text(
        json.dumps({"run_id": name, "status": "completed"}), encoding="utf-8"
    )
    for name_ in RECORD_FILES[2:]:
        (folder / name_).write_text("record", encoding="utf-8")
    (folder / "manuell-hantering.xlsx").write_bytes(b"personal data")
    return folder


@pytest.fixture
def place(tmp_path: Path) -> dict[str, Path]:
    """A robot's folders with one run of 100 days ago and one of today, and what belongs to them."""
    p = {n: tmp_path / n for n in ("runs", "archive", "rejected", "state", "console", "output")}
    p["old_run"] = make_run(p["runs"], "2026-08-21T020005Z-inbox-aaaaaa", OLD)
    p["new_run"] = make_run(p["runs"], "2026-11-29T020005Z-inbox-bbbbbb", NOW)
    p["unrecorded"] = p["runs"] / "2026-08-01T020005Z-korning-cccccc"
    p["unrecorded"].mkdir()
    (p["unrecorded"] / "manuell-hantering.xlsx").write_bytes(b"personal data")
    age(p["unrecorded"] / "manuell-hantering.xlsx")
    for run in ("old_run", "new_run"):
        folder = p["archive"] / p[run].name
        folder.mkdir(parents=True)
        (folder / "beslut-anna-andersson.xlsx").write_bytes(b"export")  # moved: keeps an old time
        age(folder / "beslut-anna-andersson.xlsx")
    p["rejected"].mkdir()
    for name, note_time in (("gammal.xlsx", OLD), ("ny.xlsx", NOW)):
        (p["rejected"] / name).write_bytes(b"export")
        (p["rejected"] / f"{name}.txt").write_text("note", encoding="utf-8")
        age(p["rejected"] / name)
        age(p["rejected"] / f"{name}.txt", note_time)
    for parent, name, moment in (("exports", "olditem", OLD), ("workers", "newitem", NOW)):
        folder = p["state"] / parent / name
        folder.mkdir(parents=True)
        (folder / "input.json").write_text("[]", encoding="utf-8")
        age(folder / "input.json", moment)
    Ledger(p["state"] / "ledger.sqlite3").close()  # the file stays (its old rows lose their traces)
    age(p["state"] / "ledger.sqlite3")
    sent = p["state"] / "outbox" / "sent"
    sent.mkdir(parents=True)
    (sent / "old.json").write_text("{}", encoding="utf-8")
    age(sent / "old.json")
    db.init_schema(p["console"] / "console.sqlite3")
    conn = db.connect(p["console"] / "console.sqlite3")
    for upload_id, moment in (("0123456789abcdef", OLD), ("fedcba9876543210", NOW)):
        folder = p["console"] / "uploads" / upload_id
        folder.mkdir(parents=True)
        (folder / "Anna Andersson.xlsx").write_bytes(b"export")
        age(folder / "Anna Andersson.xlsx", moment)
        upload = store.Upload(
            upload_id,
            "Anna Andersson.xlsx",
            f"uploads/{upload_id}/Anna Andersson.xlsx",
            "0" * 64,
            6,
            "anna",
            moment.isoformat(timespec="seconds"),
        )
        store.insert_upload(conn, upload)
        # The latest reconciliation compared with both uploads: hard links, the console's way.
        linked = p["console"] / "avstamning-underlag" / "20261120T100000Z-abc123" / upload_id
        linked.mkdir(parents=True)
        os.link(folder / "Anna Andersson.xlsx", linked / "Anna Andersson.xlsx")
    conn.close()
    return p


def settings_for(p: dict[str, Path], **changes: str) -> RetentionSettings:
    env = {
        "RETENTION_DAYS": "30",
        "RUNS_DIR": str(p["runs"]),
        "ARCHIVE_DIR": str(p["archive"]),
        "REJECTED_DIR": str(p["rejected"]),
        "STATE_DIR": str(p["state"]),
        "CONSOLE_DATA_DIR": str(p["console"]),
        "ROBOT_ARTIFACTS": str(p["output"]),
    }
    env.update(changes)
    return RetentionSettings.from_env(env)


def file_names(conn_path: Path) -> dict[str, str]:
    conn = db.connect(conn_path)
    try:
        return {row["upload_id"]: row["file_name"] for row in conn.execute("SELECT * FROM uploads")}
    finally:
        conn.close()


def test_old_personal_data_goes_and_every_operator_record_and_newer_file_stays(
    place: dict[str, Path],
) -> None:
    report = run_retention(settings_for(place))

    assert report.complete
    old, new = place["old_run"], place["new_run"]
    assert not (old / "manuell-hantering.xlsx").exists()
    assert all((old / name).is_file() for name in RECORD_FILES)
    assert json.loads((old / REMOVED_MARK_FILE).read_text(encoding="utf-8"))["removed_files"] == [
        "manuell-hantering.xlsx"
    ]
    assert (new / "manuell-hantering.xlsx").is_file() and not (new / REMOVED_MARK_FILE).exists()
    assert not (place["unrecorded"] / "manuell-hantering.xlsx").exists()
    assert not (place["archive"] / old.name).exists()
    assert (place["archive"] / new.name / "beslut-anna-andersson.xlsx").is_file()  # aged by its run
    assert sorted(p.name for p in place["rejected"].iterdir()) == ["ny.xlsx", "ny.xlsx.txt"]
    assert not (place["state"] / "exports" / "olditem").exists()
    assert (place["state"] / "workers" / "newitem").is_dir()
    assert (place["state"] / "ledger.sqlite3").is_file()
    assert not (place["state"] / "outbox" / "sent" / "old.json").exists()
    assert sorted(p.name for p in (place["console"] / "uploads").iterdir()) == ["fedcba9876543210"]
    # A link would keep the old export's data alive after its upload went: it goes too.
    reconciled = place["console"] / "avstamning-underlag" / "20261120T100000Z-abc123"
    assert sorted(p.name for p in reconciled.iterdir()) == ["fedcba9876543210"]
    assert file_names(place["console"] / "console.sqlite3") == {
        "0123456789abcdef": "(gallrad)",
        "fedcba9876543210": "Anna Andersson.xlsx",
    }
    document = report.as_dict()
    assert document["removed"] == {
        "run_workbooks": 2,
        "archived_exports": 1,
        "rejected_files": 1,
        "work_item_folders": 1,
        "outbox_messages": 1,
        "console_uploads": 1,
        "reconcile_sources": 1,
        "console_upload_records": 1,
        "ledger_fingerprints": 0,  # the ledger's own rows: tests/unit/test_ledger_key.py
    }
    assert document["runs"] == sorted([old.name, place["unrecorded"].name])
    assert "Anna" not in json.dumps(document) and "beslut" not in json.dumps(document)

    again = run_retention(settings_for(place))
    assert sum(again.removed.values()) == 0 and again.complete


def test_a_dry_run_lists_what_would_go_and_removes_nothing(place: dict[str, Path]) -> None:
    report = run_retention(settings_for(place, RETENTION_DRY_RUN="true"))

    assert report.as_dict()["would_remove"]["run_workbooks"] == 2
    assert (place["old_run"] / "manuell-hantering.xlsx").is_file()
    assert not (place["old_run"] / REMOVED_MARK_FILE).exists()
    assert (place["archive"] / place["old_run"].name / "beslut-anna-andersson.xlsx").is_file()
    assert file_names(place["console"] / "console.sqlite3")["0123456789abcdef"] == "Anna Andersson.xlsx"


def test_a_longer_period_keeps_the_run_of_a_hundred_days_ago(place: dict[str, Path]) -> None:
    report = run_retention(settings_for(place, RETENTION_DAYS="120"))
    assert sum(report.removed.values()) == 0
    assert (place["old_run"] / "manuell-hantering.xlsx").is_file()


def run_task(place: dict[str, Path], **changes: str) -> subprocess.CompletedProcess[str]:
    env = clean_robot_env("RUNS_DIR", "ARCHIVE_DIR", "REJECTED_DIR", "CONSOLE_DATA_DIR", "SMTP_HOST")
    env.update(
        RETENTION_DAYS="30",
        RUNS_DIR=str(place["runs"]),
        ARCHIVE_DIR=str(place["archive"]),
        REJECTED_DIR=str(place["rejected"]),
        STATE_DIR=str(place["state"]),
        CONSOLE_DATA_DIR=str(place["console"]),
        ROBOT_ARTIFACTS=str(place["output"]),
    )
    env.update(changes)
    return subprocess.run(
        [sys.executable, "-m", "splitpayout.runner", "retention"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_retention_task_reports_in_its_artifacts_and_the_run_history(place: dict[str, Path]) -> None:
    completed = run_task(place)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = json.loads((place["output"] / RETENTION_FILE).read_text(encoding="utf-8"))
    assert report["removed"]["run_workbooks"] == 2 and report["status"] == "completed"
    assert (place["output"] / "log.html").is_file()
    [entry] = [run for run in list_runs(place["runs"]) if run.task == "retention"]
    assert (entry.status, entry.exit_status, entry.mode) == ("completed", 0, "real")
    log = (place["output"] / "log.html").read_text(encoding="utf-8")
    assert "Anna" not in log and "beslut-anna" not in log


def test_the_task_fails_when_something_due_could_not_be_removed(place: dict[str, Path]) -> None:
    (place["console"] / "console.sqlite3").write_bytes(b"this is not a database" * 100)

    completed = run_task(place)

    assert completed.returncode != 0
    report = json.loads((place["output"] / RETENTION_FILE).read_text(encoding="utf-8"))
    assert report["status"] == "incomplete" and report["failed"] == {"console_upload_records": 1}
    assert report["removed"]["run_workbooks"] == 2  # the rest still went
    [entry] = [run for run in list_runs(place["runs"]) if run.task == "retention"]
    assert entry.exit_status == 1


def test_a_real_run_aged_by_a_hundred_days_loses_its_workbook_and_a_fresh_one_keeps_it(
    tmp_path: Path,
) -> None:
    """Two Split payouts runs of the task itself (dry runs: the workbook is the same), one aged."""
    from devdata.generate_export import generate

    export = tmp_path / "beslut.xlsx"
    generate(export, count=50, seed=3, today=dt.date.today(), scenario_mix=True)
    runs = tmp_path / "runs"
    folders = []
    for name in ("2026-08-01T020005Z-inbox-aaaaaa", "2026-11-29T020005Z-inbox-bbbbbb"):
        env = clean_robot_env("RUNS_DIR", "SMTP_HOST")
        env.update(
            DECISIONS_FILE=str(export),
            DRY_RUN="true",
            STATE_DIR=str(tmp_path / "state"),
            ROBOT_ARTIFACTS=str(runs / name),
        )
        subprocess.run(
            [sys.executable, "-m", "splitpayout.runner", "split_payouts"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            timeout=300,
            check=False,
        )
        assert (runs / name / "manuell-hantering.xlsx").is_file()
        folders.append(runs / name)
    old, fresh = folders
    record = json.loads((old / "run.json").read_text(encoding="utf-8"))
    record["started_at"] = (NOW - dt.timedelta(days=100, minutes=2)).isoformat(timespec="seconds")
    record["finished_at"] = (NOW - dt.timedelta(days=100)).isoformat(timespec="seconds")
    (old / "run.json").write_text(json.dumps(record), encoding="utf-8")
    place = {n: tmp_path / n for n in ("runs", "archive", "rejected", "state", "console", "output")}

    completed = run_task(place)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert not (old / "manuell-hantering.xlsx").exists()
    assert all((old / name).is_file() for name in ("summary.json", "log.html", "run.json"))
    assert (fresh / "manuell-hantering.xlsx").is_file()
    report = json.loads((place["output"] / RETENTION_FILE).read_text(encoding="utf-8"))
    assert report["runs"] == [old.name] and report["removed"]["run_workbooks"] == 1
    [aged] = [run for run in list_runs(runs) if run.run_dir == old]
    assert aged.outcomes and aged.status == "completed"  # the operator record is still read


def test_an_export_of_a_run_still_going_or_archived_lately_stays_though_the_file_is_old(
    place: dict[str, Path],
) -> None:
    going = make_run(place["runs"], "2026-11-29T030000Z-inbox-cccccc", None)
    for name in (going.name, "2026-11-29T040000Z-inbox-dddddd"):  # the second has no run folder
        folder = place["archive"] / name
        folder.mkdir()
        (folder / "export-gjord-i-augusti.xlsx").write_bytes(b"export")
        age(folder / "export-gjord-i-augusti.xlsx")  # moved in today: the file keeps its old time

    run_retention(settings_for(place))

    for name in (going.name, "2026-11-29T040000Z-inbox-dddddd"):
        assert (place["archive"] / name / "export-gjord-i-augusti.xlsx").is_file()
    assert (going / "manuell-hantering.xlsx").is_file()
