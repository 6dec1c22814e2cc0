"""Run one of the robot's tasks with the options the robot needs, locally or under rcc.

``python -m splitpayout.runner split_payouts`` is what robot.yaml's ``Split payouts``
task runs. Artifacts go to ``$ROBOT_ARTIFACTS`` (default ``output/``; the runner's settings
are :class:`splitpayout.config.RunnerConfig`, the task's its own sections). The exit
status is Robot Framework's: 0 when every task passed (for ``Split payouts``: the
file could be read and no decision failed), non-zero otherwise.

Every run also leaves ``run.json`` in its artifacts: the task, who started it
(``RUN_STARTED_BY``), when it started and finished, and its exit status, which is
what a run history (``splitpayout.adapters.runs``) reads besides ``summary.json``.

For the tasks that write ``summary.json``, ``run.json`` also carries the run's final
``status`` and ``stop`` (cause) from it; a run that ended without one is ``failed``.

Once ``run.json`` is final, the e-mail outbox is sent (``splitpayout.jobs.notify``, when a
mail server is configured): a mail server that is down or slow never changes the
run's outcome or its exit status.

When the artifacts folder cannot be written at all (missing and not creatable, read-only,
full), nothing can be recorded there: the runner says so on standard error, in Swedish and
English, and exits with ``NO_ARTIFACTS_EXIT``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from contextlib import suppress
from pathlib import Path

from robot.run import run as run_robot

from splitpayout.adapters.storage import translated
from splitpayout.config import Config
from splitpayout.config.names import RUN_RECORD_FILE, SUMMARY_FILE
from splitpayout.domain.errors import StorageError, StorageFolder
from splitpayout.domain.stops import RunStop, StopCode
from splitpayout.jobs.notify.delivery import after_run

ROOT = Path(__file__).resolve().parents[2]
# The exit status when the artifacts folder cannot be written (Robot Framework never uses 254).
NO_ARTIFACTS_EXIT = 254
# The tasks whose summary.json tells the run's final status.
SUMMARY_TASKS = frozenset({"split_payouts", "report_work_items"})

TASKS = {
    "split_payouts": "split_payouts.robot",
    "process_inbox": "process_inbox.robot",
    "reconcile": "reconcile.robot",
    "produce_work_items": "produce_work_items.robot",
    "consume_work_items": "consume_work_items.robot",
    "report_work_items": "report_work_items.robot",
    "retention": "retention.robot",
    "follow_up": "follow_up.robot",
}


def robot_options(artifacts: Path, *, colours: bool = True) -> dict[str, object]:
    """Options that keep log.html readable and small for thousands of payments."""
    return {
        "rpa": True,
        "outputdir": str(artifacts),
        "pythonpath": [str(ROOT), str(ROOT / "libraries")],
        "loglevel": "INFO",
        # Retried UI steps and loops leave only their messages, not their structure.
        "removekeywords": ["WUKS", "FOR"],
        "consolewidth": 100,
        "consolecolors": "auto" if colours else "off",
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in TASKS:
        print(f"usage: python -m splitpayout.runner {{{','.join(TASKS)}}}", file=sys.stderr)
        return 2
    # Everything a run writes may hold personal data (the workbook, the ledger, work items):
    # owner-only, whatever umask the scheduler or the console started it with.
    os.umask(0o077)
    config = Config.load()
    runner = config.runner
    artifacts = runner.artifacts_dir
    suite = ROOT / "tasks" / TASKS[argv[0]]
    record: dict[str, object] = {
        "task": argv[0],
        "started_by": runner.started_by,
        "pid": os.getpid(),
        "started_at": _now(),
        "finished_at": None,
        "exit_status": None,
    }
    try:
        with translated(StorageFolder.ARTIFACTS, artifacts):
            owner_only(artifacts)
        _write_record(artifacts, record)
    except StorageError as error:
        return _cannot_record(error)
    with suppress(OSError):  # a state folder that cannot be made: the task's own check says so
        owner_only(runner.state_dir)
    status = 255
    try:
        status = int(run_robot(str(suite), **robot_options(artifacts, colours=not runner.ci)))
    finally:
        record.update(finished_at=_now(), exit_status=status)
        if argv[0] in SUMMARY_TASKS:
            record.update(_final_status(artifacts, status, str(record["started_at"])))
        try:
            _write_record(artifacts, record)
        except StorageError as error:
            status = _cannot_record(error)
    # After the run is recorded: its messages go out (or wait in the outbox); never changes the status.
    after_run(argv[0], record, artifacts, config.env)
    return status


def owner_only(folder: Path) -> None:
    """Make ``folder`` (created if missing) readable by its owner only, when this user owns it."""
    folder.mkdir(parents=True, exist_ok=True)
    if folder.stat().st_uid == os.getuid():
        folder.chmod(0o700)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _write_record(artifacts: Path, record: dict[str, object]) -> None:
    temporary = artifacts / f"{RUN_RECORD_FILE}.tmp"
    with translated(StorageFolder.ARTIFACTS, artifacts):
        try:
            temporary.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        except OSError:
            temporary.unlink(missing_ok=True)
            raise
        temporary.replace(artifacts / RUN_RECORD_FILE)


def _final_status(artifacts: Path, exit_status: int, started_at: str) -> dict[str, object]:
    """``status`` and ``stop`` of the run, as its summary.json has them; without a summary of this
    run (none, or an earlier run's) the run is ``failed``: it ended before it could write one."""
    try:
        summary = json.loads((artifacts / SUMMARY_FILE).read_text(encoding="utf-8"))
        if (
            isinstance(summary, dict)
            and summary.get("status")
            and str(summary.get("started_at") or "") >= started_at
        ):
            return {"status": summary["status"], "stop": summary.get("stop")}
    except (OSError, ValueError):
        pass
    stop = RunStop(StopCode.RUN_FAILED, f"the run ended with exit status {exit_status} and no summary.json")
    return {"status": "failed", "stop": stop.as_dict()}


def _cannot_record(error: StorageError) -> int:
    """Nothing can be written among the artifacts: the operator reads why where the run was started."""
    stop = error.stop
    print(f"{stop.sentence}\n{stop.detail}", file=sys.stderr)
    return NO_ARTIFACTS_EXIT


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
