"""The run history: records and live progress read back from real runs' artifacts."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from splitpayout.adapters.runs import new_run_dir, read_progress, read_run

from tests.support.run_history import list_runs

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "devdata" / "decisions-demo.xlsx"


def run_dry(run_dir: Path, export: Path, started_by: str) -> int:
    env = dict(
        os.environ,
        DECISIONS_FILE=str(export),
        DRY_RUN="true",
        ROBOT_ARTIFACTS=str(run_dir),
        STATE_DIR=str(run_dir.parent / "state"),
        RUN_STARTED_BY=started_by,
        RUN_DATE="2026-11-23",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "libraries")]),
    )
    return subprocess.run(
        [sys.executable, "-m", "splitpayout.runner", "split_payouts"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=False,
        timeout=300,
    ).returncode


@pytest.mark.slow  # two real (dry) runs of the robot
def test_runs_are_listed_newest_first_with_who_started_them_and_how_they_ended(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    first = new_run_dir(runs, "inbox", dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC))
    assert run_dry(first, DEMO, "schedule") == 0
    broken = tmp_path / "broken.xlsx"
    broken.write_text("Beslutsnummer;Belopp\n1;100\n", encoding="utf-8")
    second = new_run_dir(runs, "hl 42/anna", dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC))
    assert "hl-42-anna" in second.name
    assert run_dry(second, broken, "handläggare hl42") != 0
    (runs / "not-a-run").mkdir()

    records = list_runs(runs)
    assert [r.run_dir for r in records] == [second, first]
    refused, ok = records
    assert ok.started_by == "schedule" and ok.mode == "dry_run" and ok.exit_status == 0
    assert not ok.failed and not ok.running
    assert ok.source_name == "decisions-demo.xlsx" and len(ok.source_sha256) == 64
    assert sum(ok.outcomes.values()) == 300
    assert ok.duration_seconds is not None and ok.duration_seconds >= 0
    assert refused.failed and refused.status == "file_error" and refused.error_code == "not_xlsx"
    assert refused.started_by == "handläggare hl42"

    progress = read_progress(first)
    assert progress.finished
    assert progress.decisions_done == progress.decisions_total == 300
    assert progress.payments_done == 0, "a dry run registers nothing"


def test_an_unfinished_run_reads_as_running_with_its_progress_so_far(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "run.json").write_text(
        json.dumps(
            {"task": "split_payouts", "started_by": "schedule", "started_at": "2026-11-23T10:00:00+00:00"}
        )
    )
    lines = [
        {"event": "planned", "decisions": 3, "payments": 5},
        {"event": "decision", "payments": [{"status": "registered"}, {"status": "already_registered"}]},
        {"event": "decision", "payments": [{"status": "not_entered"}]},
    ]
    (run_dir / "run.jsonl").write_text(
        "\n".join(json.dumps(line) for line in lines) + '\n{"event": "decis', encoding="utf-8"
    )
    record = read_run(run_dir)
    assert record is not None and record.running and record.status == "running"
    assert read_progress(run_dir) == type(read_progress(run_dir))(2, 3, 2, 5, False)
