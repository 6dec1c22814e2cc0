"""The inbox task as a scheduler runs it (``python -m splitpayout.runner process_inbox``), with the
real runs it starts: dry runs where registering is not the point, and one real run against the
stand-in payout system showing that an inbox run registers and a second registers nothing.
``test_inbox.py`` holds the inbox's rules, with a stand-in for each run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from splitpayout.jobs.inbox.files import sha256_of

from tests.support.inbox_run import export, identity_numbers, outcomes, run_the_inbox
from tests.support.payout_server import running_payout_system
from tests.support.robot_logs import readable_text
from tests.support.run_history import list_runs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def place(tmp_path: Path) -> dict[str, Path]:
    folders = {name: tmp_path / name for name in ("inbox", "archive", "rejected", "runs", "state", "output")}
    folders["inbox"].mkdir()
    return folders


def test_a_new_export_is_archived_under_its_run_and_the_same_content_is_never_run_again(
    place: dict[str, Path],
) -> None:
    export(place["inbox"] / "beslut-november.xlsx")
    for leave_alone in (
        "~$beslut-november.xlsx",
        ".~lock.beslut-november.xlsx#",
        "beslut.csv",
        "läs mig.txt",
    ):
        (place["inbox"] / leave_alone).write_text("not an export", encoding="utf-8")

    status, summary = run_the_inbox(place)

    assert status == 0, summary
    assert summary["status"] == "completed"
    [entry] = summary["files"]
    assert outcomes(summary, "beslut-november.xlsx") == ["processed"]
    assert (entry["file"], entry["outcome"], entry["exit_status"]) == (
        entry["file"],
        "processed",
        0,
    )
    archived = place["archive"] / entry["run_dir"] / "beslut-november.xlsx"
    assert archived.is_file()
    assert sorted(p.name for p in place["inbox"].iterdir()) == sorted(
        ["~$beslut-november.xlsx", ".~lock.beslut-november.xlsx#", "beslut.csv", "läs mig.txt"]
    )
    [run] = list_runs(place["runs"])
    assert run.run_dir.name == entry["run_dir"]
    assert (run.task, run.started_by, run.mode, run.status, run.exit_status) == (
        "split_payouts",
        "schedule",
        "dry_run",
        "completed",
        0,
    )
    # The run knows the export by its label only (a file's own name may hold personal data).
    assert (run.source_name, run.source_sha256) == (
        f"export-{entry['run_dir'][:10]}-{entry['sha256'][:12]}.xlsx",
        entry["sha256"],
    )
    assert run.outcomes["planned"] == 10

    shutil.copy2(archived, place["inbox"] / "beslut-november-igen.xlsx")
    status, summary = run_the_inbox(place)

    assert status != 0
    [entry] = summary["files"]
    assert (entry["outcome"], entry["duplicate_of"]["run_dir"]) == ("rejected_duplicate", run.run_dir.name)
    note = (place["rejected"] / "beslut-november-igen.xlsx.txt").read_text(encoding="utf-8")
    assert "beslut-november.xlsx" in note
    assert run.run_dir.name in note
    assert (place["rejected"] / "beslut-november-igen.xlsx").is_file()
    assert len(list_runs(place["runs"])) == 1, "a duplicate starts no run"

    personal = identity_numbers(archived)
    assert personal
    for text in (
        readable_text(place["output"] / "inbox-summary.json"),
        readable_text(place["output"] / "log.html"),
        note,
    ):
        assert not [value for value in personal if value in text]


def test_unreadable_exports_are_rejected_with_a_note_naming_the_problem(place: dict[str, Path]) -> None:
    shutil.copy(FIXTURES / "csv-renamed.xlsx", place["inbox"] / "export.xlsx")
    shutil.copy(FIXTURES / "missing-columns.xlsx", place["inbox"] / "saknar-kolumner.xlsx")

    status, summary = run_the_inbox(place)

    assert status != 0
    assert summary["status"] == "needs_attention"
    assert outcomes(summary, "export.xlsx", "saknar-kolumner.xlsx") == ["rejected_unreadable"] * 2
    names = {
        sha256_of(FIXTURES / fixture): name
        for fixture, name in (
            ("csv-renamed.xlsx", "export.xlsx"),
            ("missing-columns.xlsx", "saknar-kolumner.xlsx"),
        )
    }
    found = {names[e["sha256"]]: (e["outcome"], e["error_code"]) for e in summary["files"]}
    assert found == {
        "export.xlsx": ("rejected_unreadable", "not_xlsx"),
        "saknar-kolumner.xlsx": ("rejected_unreadable", "missing_columns"),
    }
    not_xlsx = (place["rejected"] / "export.xlsx.txt").read_text(encoding="utf-8")
    assert "inte en Excel-arbetsbok" in not_xlsx
    assert "not_xlsx" in not_xlsx
    missing = (place["rejected"] / "saknar-kolumner.xlsx.txt").read_text(encoding="utf-8")
    assert "Obligatoriska kolumner saknas: " in missing
    for column in ("Utbetalningsdatum", "Delad utbetalning", "Sökande 1 personnummer"):
        assert column in missing
    assert sorted(p.name for p in place["rejected"].iterdir()) == [
        "export.xlsx",
        "export.xlsx.txt",
        "saknar-kolumner.xlsx",
        "saknar-kolumner.xlsx.txt",
    ]
    assert list(place["inbox"].iterdir()) == []
    assert {r.error_code for r in list_runs(place["runs"])} == {"not_xlsx", "missing_columns"}


def test_an_empty_inbox_exits_0(place: dict[str, Path]) -> None:
    status, summary = run_the_inbox(place)

    assert status == 0
    assert (summary["status"], summary["files"]) == ("completed", [])
    assert list_runs(place["runs"]) == []


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ({"INBOX_MIN_AGE_SECONDS": "soon"}, "INBOX_MIN_AGE_SECONDS"),
        ({"INBOX_DIR": "/nonexistent/inkorg"}, "/nonexistent/inkorg"),
    ],
)
def test_an_inbox_that_cannot_be_processed_fails_and_moves_nothing(
    place: dict[str, Path], settings: dict[str, str], said: str
) -> None:
    shutil.copy(FIXTURES / "csv-renamed.xlsx", place["inbox"] / "export.xlsx")

    status, summary = run_the_inbox(place, **settings)

    assert status != 0
    assert summary["status"] == "error"
    assert said in summary["message"]
    assert [p.name for p in place["inbox"].iterdir()] == ["export.xlsx"]
    assert list_runs(place["runs"]) == []


@pytest.mark.browser
@pytest.mark.slow
def test_a_real_inbox_run_registers_and_a_second_registers_nothing_new(place: dict[str, Path]) -> None:
    export(place["inbox"] / "beslut.xlsx", seed=11, count=5)
    with running_payout_system(place["state"].parent / "payout-system.sqlite3") as server:
        real = {
            "PAYOUT_SYSTEM_URL": server.url,
            "PAYOUT_SYSTEM_USERNAME": "robot",
            "PAYOUT_SYSTEM_PASSWORD": "robot-demo-password",
        }
        status, summary = run_the_inbox(place, dry_run=False, **real)

        assert status == 0, summary
        [entry] = summary["files"]
        [run] = list_runs(place["runs"])
        assert (entry["outcome"], run.mode, run.status) == ("processed", "real", "completed")
        assert run.outcomes["paid"] == 5
        registered = server.api_payments()
        references = sorted(p["reference"] for p in registered)
        run_summary = json.loads((run.run_dir / "summary.json").read_text(encoding="utf-8"))
        planned = sorted(p["reference"] for d in run_summary["decisions"] for p in d["payments"])
        assert references == planned
        assert len(set(references)) == len(references) >= 5

        archived = place["archive"] / entry["run_dir"] / "beslut.xlsx"
        shutil.copy2(archived, place["inbox"] / "beslut kopia.xlsx")
        status, summary = run_the_inbox(place, dry_run=False, **real)

        assert status != 0
        assert [e["outcome"] for e in summary["files"]] == ["rejected_duplicate"]
        assert server.api_payments() == registered
        assert len(list_runs(place["runs"])) == 1
