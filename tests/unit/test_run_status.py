"""A run's final status is decided from what happened: an error that ends a run, or reports
written before every decision was handled, make it ``failed`` with its cause and the control
totals of the whole file, never ``completed``. Storage failures are named errors: which folder,
what is wrong, what to do."""

from __future__ import annotations

import datetime as dt
import errno
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from splitpayout.adapters.ledger import Ledger
from splitpayout.adapters.results import ResultStore
from splitpayout.adapters.runlog import RunLog
from splitpayout.adapters.storage import check_room, storage_error
from splitpayout.config import Settings
from splitpayout.domain.errors import StorageError, StorageFolder, StorageProblem
from splitpayout.domain.models import DecisionResult, Outcome
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.domain.stops import STOP_TEXT, StopCode
from splitpayout.jobs.export_plan import plan_export
from splitpayout.jobs.split_payouts.job import SplitPayoutJob

from devdata.generate_export import generate
from tests.support.small_disk import fill, small_disk

DECISIONS = 6


class BrokenGateway:
    """A payout system connection that fails with an error the robot does not know."""

    def log_in(self) -> None:
        raise RuntimeError("the browser crashed")

    def log_out(self) -> None:
        pass


def job_for(tmp_path: Path) -> SplitPayoutJob:
    export = tmp_path / "export.xlsx"
    if not export.exists():
        generate(export, count=DECISIONS, scenario_mix=False)
    settings = Settings.from_env(
        {
            "DECISIONS_FILE": str(export),
            "STATE_DIR": str(tmp_path / "state"),
            "ROBOT_ARTIFACTS": str(tmp_path / "artifacts"),
        }
    )
    job = SplitPayoutJob(settings, say=lambda _: None)
    job.read_export()
    job.plan()
    return job


def summary_of(job: SplitPayoutJob) -> dict[str, Any]:
    job.write_reports()
    job.close()
    document: dict[str, Any] = json.loads((job.settings.artifacts_dir / "summary.json").read_text("utf-8"))
    return document


def planned(tmp_path: Path) -> int:
    plans = plan_export(tmp_path / "export.xlsx", PlanningRules(dt.date.today()))
    return sum(1 for plan in plans if plan.outcome is Outcome.PLANNED)


def test_an_error_that_ends_the_registration_makes_the_run_failed_with_the_whole_file_counted(
    tmp_path: Path,
) -> None:
    job = job_for(tmp_path)
    with pytest.raises(RuntimeError):
        job.register(BrokenGateway(), worker_id="test:1")  # type: ignore[arg-type]

    summary = summary_of(job)

    assert summary["status"] == "failed"
    assert summary["stop"]["code"] == "run_failed"
    assert summary["stop"]["message_sv"] == STOP_TEXT[StopCode.RUN_FAILED]
    assert summary["stop"]["detail"] == "RuntimeError: the browser crashed"
    assert summary["totals"]["decisions"] == DECISIONS
    assert summary["totals"]["outcomes"]["failed"] == planned(tmp_path) > 0
    assert len(summary["decisions"]) == DECISIONS


def test_reports_written_before_the_registration_ran_are_never_a_completed_run(tmp_path: Path) -> None:
    job = job_for(tmp_path)  # planned; the registration step never ran (it failed, say)

    summary = summary_of(job)

    assert summary["status"] == "failed"
    assert "before every decision" in summary["stop"]["detail"]
    assert summary["totals"]["decisions"] == DECISIONS
    assert summary["totals"]["outcomes"]["failed"] == planned(tmp_path)
    assert summary["totals"]["amounts_ore"]["registered"] == 0


def test_a_ledger_locked_by_another_process_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    Ledger(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError) as raised:
            other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
        holder.close()

    error = storage_error(raised.value, StorageFolder.STATE, path)

    assert error is not None and error.problem is StorageProblem.LOCKED
    assert error.stop.code is StopCode.LEDGER_LOCKED
    assert error.stop.detail.startswith("STATE_DIR:") and str(path) in error.stop.detail


def test_a_ledger_file_that_is_not_a_database_cannot_be_opened_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    path.write_bytes(b"this is no SQLite database, whatever its name says" * 100)

    with pytest.raises(StorageError) as raised:
        Ledger(path)

    assert raised.value.stop.code is StopCode.LEDGER_UNUSABLE
    assert "examined" in raised.value.stop.detail


@pytest.mark.parametrize(
    ("number", "folder", "code"),
    [
        (errno.ENOSPC, StorageFolder.STATE, StopCode.STORAGE_FULL),
        (errno.EROFS, StorageFolder.STATE, StopCode.STORAGE_READ_ONLY),
        (errno.ENOSPC, StorageFolder.ARTIFACTS, StopCode.ARTIFACTS_FULL),
        (errno.EACCES, StorageFolder.ARTIFACTS, StopCode.ARTIFACTS_READ_ONLY),
        (errno.EIO, StorageFolder.TEMP, StopCode.TEMP_STORAGE_UNUSABLE),
    ],
)
def test_each_system_error_names_its_folder_and_problem(
    tmp_path: Path, number: int, folder: StorageFolder, code: StopCode
) -> None:
    error = storage_error(OSError(number, "as the system says"), folder, tmp_path)
    assert error is not None and error.stop.code is code
    assert error.stop.detail.startswith(f"{folder.value}:")


def test_a_constraint_or_programming_error_is_no_storage_problem(tmp_path: Path) -> None:
    assert storage_error(sqlite3.IntegrityError("UNIQUE"), StorageFolder.STATE, tmp_path) is None
    assert storage_error(ValueError("x"), StorageFolder.STATE, tmp_path) is None


def test_a_missing_folder_refuses_the_run(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    with pytest.raises(StorageError) as raised:
        check_room(tmp_path / "state", tmp_path / "not-mounted", 10)
    assert raised.value.stop.code is StopCode.ARTIFACTS_MISSING


def test_a_run_log_on_a_full_disk_keeps_its_first_failure_and_never_raises(tmp_path: Path) -> None:
    with small_disk(tmp_path / "artifacts", 256) as artifacts:
        log = RunLog(artifacts / "run.jsonl", "run-1")
        log.event("run_started")
        fill(artifacts)
        for _ in range(3):
            log.event("decision", note="x" * 8192)  # more than the buffer: it must reach the disk
        log.close()

    assert log.failure is not None and log.failure.stop.code is StopCode.ARTIFACTS_FULL


def test_results_outlive_a_temporary_folder_that_fills_up(tmp_path: Path) -> None:
    def result(number: int, outcome: Outcome) -> DecisionResult:
        return DecisionResult(decision_id=f"B-{number}", outcome=outcome, amount_ore=100 * number)

    with small_disk(tmp_path / "tmp", 256) as folder:
        store = ResultStore(folder)
        store.put(1, result(1, Outcome.FAILED))
        store.put(2, result(2, Outcome.PAID))
        fill(folder)
        for number in range(3, 200):
            store.put(number, result(number, Outcome.PAID))
        store.put(1, result(1, Outcome.PAID))  # a second pass replaces a result kept before

        assert store.failure is not None and store.failure.stop.code is StopCode.TEMP_STORAGE_UNUSABLE
        assert [position for position, _ in store] == list(range(1, 200))
        assert store.get(1) == result(1, Outcome.PAID) and store.get(2) == result(2, Outcome.PAID)
        assert (store.count(Outcome.PAID), store.count(Outcome.FAILED), len(store)) == (199, 0, 199)
        store.close()
