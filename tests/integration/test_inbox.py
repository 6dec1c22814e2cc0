"""The inbox (``Process inbox``): which files it takes, where each one ends, that the same
content is never processed twice, that nothing is lost when a run breaks off, and that one
inbox run works at a time.

Here :mod:`splitpayout.jobs.inbox` runs with a stand-in for the ``Split payouts`` run (real
files, moves, SQLite record and lock; fast). ``test_inbox_task.py`` runs the task as a
scheduler does, with the real runs it starts.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from splitpayout.config import SettingsError
from splitpayout.jobs.inbox.files import is_export_name, move_file, scan_inbox, sha256_of
from splitpayout.jobs.inbox.job import Inbox
from splitpayout.jobs.inbox.lock import InboxLock
from splitpayout.jobs.inbox.outcomes import FileOutcome, InboxError
from splitpayout.jobs.inbox.seen import InboxLedger
from splitpayout.jobs.inbox.settings import INBOX_SUMMARY_FILE, InboxSettings

from tests.support.inbox_run import outcomes, process_inbox
from tests.support.run_history import list_runs

# == the rules, with a stand-in run ==========================================================
FakeRun = Callable[[Path, Path, InboxSettings, int | None], int]


def settings_in(tmp_path: Path, **changes: object) -> InboxSettings:
    (tmp_path / "inbox").mkdir(exist_ok=True)
    values: dict[str, object] = {
        "inbox_dir": tmp_path / "inbox",
        "archive_dir": tmp_path / "archive",
        "rejected_dir": tmp_path / "rejected",
        "runs_dir": tmp_path / "runs",
        "state_dir": tmp_path / "state",
        "artifacts_dir": tmp_path / "output",
        "min_age_seconds": 0.0,
    }
    values.update(changes)
    return InboxSettings(**values)  # type: ignore[arg-type]


def put(settings: InboxSettings, name: str, content: bytes = b"export", age: float = 60.0) -> Path:
    path = settings.inbox_dir / name
    path.write_bytes(content)
    moment = time.time() - age
    os.utime(path, (moment, moment))
    return path


def fake_run(results: dict[str, tuple[int, str | None]], calls: list[str] | None = None) -> FakeRun:
    """A stand-in for the Split payouts run: for each file name, (exit status, summary status);
    a summary status of None writes no summary.json (a run that crashed)."""

    def run(export: Path, run_dir: Path, settings: InboxSettings, lock: int | None) -> int:
        assert export.is_file(), "the run reads the file where the inbox put it"
        assert lock is not None, "the run inherits the inbox lock"
        if calls is not None:
            calls.append(export.name)
        exit_status, status = results.get(export.name, (0, "completed"))
        (run_dir / "run.json").write_text(
            json.dumps(
                {
                    "task": "split_payouts",
                    "started_by": settings.started_by,
                    "started_at": "2026-11-23T10:00:00+00:00",
                    "finished_at": "2026-11-23T10:00:05+00:00",
                    "exit_status": exit_status,
                }
            ),
            encoding="utf-8",
        )
        if status is not None:
            error = None
            if status == "file_error":
                error = {
                    "code": "missing_columns",
                    "message": f"The export file {export.name} lacks required columns.",
                    "columns": ["Belopp", "Delad utbetalning"],
                }
            summary = {
                "run_id": run_dir.name,
                "mode": settings.mode,
                "status": status,
                "source": {"file_name": export.name, "sha256": sha256_of(export)},
                "error": error,
            }
            (run_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
        return exit_status

    return run


def quiet(_: str) -> None:
    pass


# -- which files ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "taken"),
    [
        ("beslut-2026-11.xlsx", True),
        ("BESLUT.XLSX", True),
        ("Beslut november.Xlsx", True),
        ("~$beslut-2026-11.xlsx", False),  # Excel's lock file
        (".~lock.beslut-2026-11.xlsx#", False),  # LibreOffice's lock file
        (".beslut.xlsx", False),  # hidden
        ("beslut.xlsx.part", False),
        ("beslut.csv", False),
        ("beslut.xls", False),
        ("notes.txt", False),
    ],
)
def test_only_visible_xlsx_files_are_exports(name: str, taken: bool) -> None:
    assert is_export_name(name) is taken


def test_the_scan_takes_exports_oldest_first_and_leaves_young_files_waiting(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    put(settings, "newer.xlsx", age=60)
    put(settings, "older.xlsx", age=120)
    put(settings, "being-written.xlsx", age=0)
    put(settings, "~$older.xlsx", age=600)
    put(settings, "readme.txt", age=600)
    (settings.inbox_dir / "folder.xlsx").mkdir()
    (settings.inbox_dir / "link.xlsx").symlink_to(settings.inbox_dir / "older.xlsx")

    ready, waiting = scan_inbox(settings.inbox_dir, min_age_seconds=5)

    assert [p.name for p in ready] == ["older.xlsx", "newer.xlsx"]
    assert [p.name for p in waiting] == ["being-written.xlsx"]


# -- moves ------------------------------------------------------------------------------------
def test_a_move_never_overwrites_and_keeps_the_content(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "beslut.xlsx").write_bytes(b"earlier")
    (target / "beslut (2).xlsx.txt").write_text("a note", encoding="utf-8")
    source = tmp_path / "beslut.xlsx"
    source.write_bytes(b"new")

    moved = move_file(source, target, keep_free=".txt")

    assert moved.name == "beslut (3).xlsx"
    assert moved.read_bytes() == b"new"
    assert (target / "beslut.xlsx").read_bytes() == b"earlier"
    assert not source.exists()


def test_a_move_to_another_filesystem_copies_then_removes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cross_device(*_: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    monkeypatch.setattr(os, "replace", _replace_only_within(tmp_path / "source"))
    (tmp_path / "source").mkdir()
    source = tmp_path / "source" / "beslut.xlsx"
    source.write_bytes(b"content")
    moment = time.time() - 3600
    os.utime(source, (moment, moment))

    moved = move_file(source, tmp_path / "elsewhere")

    assert moved.read_bytes() == b"content"
    assert abs(moved.stat().st_mtime - moment) < 1
    assert not source.exists()
    assert sorted(p.name for p in moved.parent.iterdir()) == ["beslut.xlsx"]  # no temporary left


def _replace_only_within(foreign: Path) -> Callable[[str | Path, str | Path], None]:
    """os.replace that fails like a rename across filesystems when moving out of ``foreign``."""
    real = os.rename

    def replace(source: str | Path, target: str | Path) -> None:
        if Path(source).parent == foreign:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real(source, target)

    return replace


# -- where each file ends -------------------------------------------------------------------
def test_a_new_export_is_run_and_archived_under_its_run_folder(tmp_path: Path) -> None:
    settings = settings_in(tmp_path, started_by="schedule")
    put(settings, "beslut.xlsx", b"one export")
    calls: list[str] = []

    summary = process_inbox(settings, run_export=fake_run({}, calls), say=quiet)

    assert summary["status"] == "completed"
    assert calls == ["beslut.xlsx"]
    [entry] = summary["files"]
    run_dir = entry["run_dir"]
    assert entry["outcome"] == "processed"
    assert (settings.archive_dir / run_dir / "beslut.xlsx").read_bytes() == b"one export"
    assert list(settings.inbox_dir.iterdir()) == []
    assert [r.run_dir.name for r in list_runs(settings.runs_dir)] == [run_dir]
    assert run_dir.split("-")[-2] == "inbox"
    written = json.loads((settings.artifacts_dir / INBOX_SUMMARY_FILE).read_text(encoding="utf-8"))
    assert written["files"] == summary["files"]


def test_the_same_content_under_another_name_is_rejected_with_a_note(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    put(settings, "beslut.xlsx", b"one export")
    first = process_inbox(settings, run_export=fake_run({}), say=quiet)
    put(settings, "beslut-igen.xlsx", b"one export")
    calls: list[str] = []

    second = process_inbox(settings, run_export=fake_run({}, calls), say=quiet)

    assert calls == []
    assert second["status"] == "needs_attention"
    [entry] = second["files"]
    assert entry["outcome"] == "rejected_duplicate"
    assert entry["duplicate_of"]["file"] == first["files"][0]["file"]  # the label, not the name
    assert entry["duplicate_of"]["run_dir"] == first["files"][0]["run_dir"]
    assert (settings.rejected_dir / "beslut-igen.xlsx").read_bytes() == b"one export"
    note = (settings.rejected_dir / "beslut-igen.xlsx.txt").read_text(encoding="utf-8")
    assert "redan behandlats" in note
    assert "beslut.xlsx" in note
    assert first["files"][0]["run_dir"] in note
    assert "duplicate_content" in note
    assert len(list_runs(settings.runs_dir)) == 1


def test_two_copies_in_one_inbox_run_are_run_once(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    put(settings, "a.xlsx", b"same", age=120)
    put(settings, "b.xlsx", b"same", age=60)
    calls: list[str] = []

    summary = process_inbox(settings, run_export=fake_run({}, calls), say=quiet)

    assert calls == ["a.xlsx"]
    assert outcomes(summary, "a.xlsx", "b.xlsx") == ["processed", "rejected_duplicate"]


def test_an_unreadable_export_is_rejected_with_a_note_naming_the_problem(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    put(settings, "trasig.xlsx", b"not a workbook")

    summary = process_inbox(settings, run_export=fake_run({"trasig.xlsx": (1, "file_error")}), say=quiet)

    assert summary["status"] == "needs_attention"
    [entry] = summary["files"]
    assert (entry["outcome"], entry["error_code"]) == ("rejected_unreadable", "missing_columns")
    assert (settings.rejected_dir / "trasig.xlsx").is_file()
    note = (settings.rejected_dir / "trasig.xlsx.txt").read_text(encoding="utf-8")
    assert "Obligatoriska kolumner saknas: Belopp, Delad utbetalning." in note
    assert "Felkod: missing_columns" in note
    assert entry["run_dir"] in note
    assert not (settings.archive_dir / entry["run_dir"]).exists()  # no empty archive folder


def test_a_rejected_name_that_is_taken_gets_a_number_for_file_and_note(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    for content in (b"first", b"second"):
        put(settings, "trasig.xlsx", content)
        process_inbox(settings, run_export=fake_run({"trasig.xlsx": (1, "file_error")}), say=quiet)

    assert (settings.rejected_dir / "trasig.xlsx").read_bytes() == b"first"
    assert (settings.rejected_dir / "trasig (2).xlsx").read_bytes() == b"second"
    assert "trasig (2).xlsx" in (settings.rejected_dir / "trasig (2).xlsx.txt").read_text(encoding="utf-8")


def test_a_stopped_run_is_archived_alerts_and_completes_when_the_file_is_put_back(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    put(settings, "beslut.xlsx", b"export")
    stopped = process_inbox(settings, run_export=fake_run({"beslut.xlsx": (1, "stopped")}), say=quiet)
    [entry] = stopped["files"]
    assert (stopped["status"], entry["outcome"], entry["run_status"]) == (
        "needs_attention",
        "run_failed",
        "stopped",
    )
    archived = settings.archive_dir / entry["run_dir"] / "beslut.xlsx"
    assert archived.is_file()

    os.replace(archived, settings.inbox_dir / "beslut.xlsx")  # what the operator does
    calls: list[str] = []
    again = process_inbox(settings, run_export=fake_run({}, calls), say=quiet)

    assert calls == ["beslut.xlsx"]
    assert (again["status"], outcomes(again, "beslut.xlsx")) == ("completed", ["processed"])


def test_a_run_without_a_result_leaves_the_file_in_the_inbox(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    put(settings, "beslut.xlsx", b"export")

    summary = process_inbox(settings, run_export=fake_run({"beslut.xlsx": (2, None)}), say=quiet)

    assert (summary["status"], outcomes(summary, "beslut.xlsx")) == ("needs_attention", ["run_error"])
    assert (settings.inbox_dir / "beslut.xlsx").read_bytes() == b"export"
    assert not any(settings.archive_dir.iterdir())
    assert process_inbox(settings, run_export=fake_run({}), say=quiet)["status"] == "completed"


def test_files_still_being_written_wait_for_the_next_run(tmp_path: Path) -> None:
    settings = settings_in(tmp_path, min_age_seconds=30.0)
    put(settings, "klar.xlsx", b"ready", age=60)
    put(settings, "skrivs.xlsx", b"being written", age=0)

    summary = process_inbox(settings, run_export=fake_run({}), say=quiet)

    assert summary["status"] == "completed"
    assert outcomes(summary, "klar.xlsx", "skrivs.xlsx") == ["processed", "waiting"]
    assert (settings.inbox_dir / "skrivs.xlsx").exists()


def test_an_empty_inbox_is_a_completed_run(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    put(settings, "~$beslut.xlsx")
    put(settings, "anteckningar.txt")

    summary = process_inbox(settings, run_export=fake_run({}), say=quiet)

    assert (summary["status"], summary["files"]) == ("completed", [])
    assert sorted(p.name for p in settings.inbox_dir.iterdir()) == ["anteckningar.txt", "~$beslut.xlsx"]


def test_a_dry_run_does_not_count_as_processed_for_a_real_run(tmp_path: Path) -> None:
    dry = settings_in(tmp_path, mode="dry_run")
    put(dry, "beslut.xlsx", b"export")
    process_inbox(dry, run_export=fake_run({}), say=quiet)
    real = settings_in(tmp_path, mode="real")
    put(real, "beslut.xlsx", b"export")
    calls: list[str] = []

    summary = process_inbox(real, run_export=fake_run({}, calls), say=quiet)

    assert calls == ["beslut.xlsx"]
    assert outcomes(summary, "beslut.xlsx") == ["processed"]


def test_a_missing_inbox_folder_is_an_error_with_a_summary(tmp_path: Path) -> None:
    settings = settings_in(tmp_path, inbox_dir=tmp_path / "not-mounted")

    with pytest.raises(InboxError, match="not-mounted"):
        process_inbox(settings, run_export=fake_run({}), say=quiet)

    written = json.loads((settings.artifacts_dir / INBOX_SUMMARY_FILE).read_text(encoding="utf-8"))
    assert written["status"] == "error"


# -- crashes and concurrency ----------------------------------------------------------------
def test_a_stopped_inbox_run_puts_the_file_back(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    put(settings, "beslut.xlsx", b"export")

    def interrupted(export: Path, run_dir: Path, settings: InboxSettings, lock: int | None) -> int:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        process_inbox(settings, run_export=interrupted, say=quiet)

    assert (settings.inbox_dir / "beslut.xlsx").read_bytes() == b"export"
    written = json.loads((settings.artifacts_dir / INBOX_SUMMARY_FILE).read_text(encoding="utf-8"))
    assert written["status"] == "error"
    assert outcomes(written, "beslut.xlsx") == ["run_error"]
    ledger = InboxLedger(settings.state_dir / "inbox.sqlite3")
    assert [row.result for row in ledger.rows()] == ["interrupted"]
    ledger.close()


def test_a_file_left_by_a_killed_inbox_run_is_put_back_and_processed(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    # What a killed inbox run leaves: its row "running" and the file in its archive folder.
    staged = settings.archive_dir / "2026-11-23T020000Z-inbox-abcdef" / "beslut.xlsx"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"export")
    ledger = InboxLedger(settings.state_dir / "inbox.sqlite3")
    ledger.begin(sha256_of(staged), "beslut.xlsx", "real", staged.parent, staged)
    ledger.close()
    calls: list[str] = []

    summary = process_inbox(settings, run_export=fake_run({}, calls), say=quiet)

    assert calls == ["beslut.xlsx"]
    assert [e["outcome"] for e in summary["returned_to_inbox"]] == ["returned_to_inbox"]
    assert summary["counts"]["returned_to_inbox"] == 1
    assert (summary["status"], outcomes(summary, "beslut.xlsx")) == ("completed", ["processed"])
    assert not staged.parent.exists()


def test_a_second_inbox_run_leaves_everything_to_the_one_working(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    put(settings, "beslut.xlsx", b"export")
    working = InboxLock(settings.state_dir / "inbox.lock")
    assert working.acquire()
    calls: list[str] = []
    try:
        summary = process_inbox(settings, run_export=fake_run({}, calls), say=quiet)
    finally:
        working.release()

    assert (summary["status"], calls) == ("skipped", [])
    assert "another inbox run" in summary["message"]
    assert (settings.inbox_dir / "beslut.xlsx").exists()


def test_the_lock_is_held_while_a_run_that_inherited_it_lives(tmp_path: Path) -> None:
    path = tmp_path / "inbox.lock"
    inbox_run = InboxLock(path)
    assert inbox_run.acquire()
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(1.5)"], pass_fds=(inbox_run.descriptor or -1,)
    )
    inbox_run.release()  # the inbox run is gone (killed), its run is not
    other = InboxLock(path)
    try:
        assert not other.acquire()
        child.wait(timeout=10)
        assert other.acquire(wait_seconds=5)
    finally:
        other.release()


def test_a_waiting_second_inbox_run_takes_over_when_the_first_ends(tmp_path: Path) -> None:
    settings = settings_in(tmp_path, lock_wait_seconds=10.0)
    first = InboxLock(settings.state_dir / "inbox.lock")
    assert first.acquire()
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(1)"], pass_fds=(first.descriptor or -1,)
    )
    first.release()
    put(settings, "beslut.xlsx", b"export")

    summary = process_inbox(settings, run_export=fake_run({}), say=quiet)

    child.wait(timeout=10)
    assert (summary["status"], outcomes(summary, "beslut.xlsx")) == ("completed", ["processed"])


# -- settings -------------------------------------------------------------------------------
def test_settings_default_to_folders_beside_the_robot() -> None:
    settings = InboxSettings.from_env({})
    assert (settings.inbox_dir, settings.archive_dir, settings.rejected_dir) == (
        Path("inbox"),
        Path("inbox-archive"),
        Path("inbox-rejected"),
    )
    assert (settings.runs_dir, settings.state_dir, settings.artifacts_dir) == (
        Path("runs"),
        Path("state"),
        Path("output"),
    )
    assert (settings.min_age_seconds, settings.lock_wait_seconds) == (5.0, 0.0)
    assert (settings.mode, settings.started_by) == ("real", "schedule")


def test_settings_are_read_from_the_environment() -> None:
    settings = InboxSettings.from_env(
        {
            "INBOX_DIR": "/srv/inkorg",
            "ARCHIVE_DIR": "/srv/arkiv",
            "REJECTED_DIR": "/srv/avvisade",
            "RUNS_DIR": "/srv/runs",
            "STATE_DIR": "/var/lib/robot",
            "INBOX_MIN_AGE_SECONDS": "30",
            "INBOX_LOCK_WAIT_SECONDS": "600",
            "DRY_RUN": "true",
            "RUN_STARTED_BY": "operator",
        }
    )
    assert settings.inbox_dir == Path("/srv/inkorg")
    assert settings.state_dir == Path("/var/lib/robot")
    assert (settings.min_age_seconds, settings.lock_wait_seconds) == (30.0, 600.0)
    assert (settings.mode, settings.started_by) == ("dry_run", "operator")


@pytest.mark.parametrize(
    "env",
    [{"INBOX_MIN_AGE_SECONDS": "soon"}, {"INBOX_LOCK_WAIT_SECONDS": "-1"}, {"DRY_RUN": "maybe"}],
)
def test_a_wrong_setting_stops_the_inbox_before_any_file_moves(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        InboxSettings.from_env(env)


def test_the_log_line_names_file_checksum_run_and_outcome(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    put(settings, "beslut.xlsx", b"export")
    lines: list[str] = []
    inbox = Inbox(settings, run_export=fake_run({}), say=lines.append)
    try:
        assert inbox.take()
        inbox.process_new_exports()
    finally:
        inbox.close()

    [line] = lines
    run_dir = inbox.entries[0].run_dir
    sha256 = sha256_of(settings.archive_dir / run_dir / "beslut.xlsx")
    assert line.startswith(f"export-{run_dir[:10]}-{sha256[:12]}.xlsx  sha256 {sha256[:12]}")
    assert f"run {run_dir}  {FileOutcome.PROCESSED}" in line
    assert "beslut" not in line  # a file's own name may hold a payee's name


def test_a_file_name_with_a_newline_or_a_payees_name_never_reaches_the_log(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    put(settings, "Anna Andersson 19121212-1212\nFAKE processed.xlsx", b"export")
    lines: list[str] = []
    inbox = Inbox(settings, run_export=fake_run({}), say=lines.append)
    try:
        assert inbox.take()
        inbox.process_new_exports()
    finally:
        inbox.close()
    [line] = lines
    assert "\n" not in line and "Anna" not in line and "19121212" not in line
    assert line.startswith("export-")
