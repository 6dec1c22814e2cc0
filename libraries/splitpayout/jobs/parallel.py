"""Parallel browser workers on one machine: ``Split payouts`` with ``WORKERS`` > 1.

The run plans the export as always, then hands its planned decisions, round robin, to
``WORKERS`` worker processes. Each worker is the ``Consume work items`` task with the
file adapter: a Robot Framework run with a browser of its own, working through its
share of the decisions as work items. The workers share the run's ledger (``STATE_DIR``),
whose claims let one worker at a time work on a reference, so each worker searches the
payout system once for what it already holds instead of before every decision.

The workers' inputs and outputs are work items like Control Room's, their personal part
sealed (``splitpayout.adapters.workitems``) with a key made for the run, which the workers get in their
environment only; the files are written owner-only in the state directory, not among the
artifacts, and removed when the run ends. Each worker leaves its
own ``log.html`` and ``run.jsonl`` in ``<artifacts>/workers/w<N>/``; the run's own log has
one entry per decision, as a single-worker run's has. A decision no worker reported on (a
worker that crashed, say) ends ``failed``: the next run looks its references up first.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from cryptography.fernet import Fernet

from splitpayout.adapters.ledger import Ledger
from splitpayout.adapters.ledger_key import open_ledger
from splitpayout.adapters.local_adapter import NAME as APPENDING_ADAPTER
from splitpayout.adapters.local_adapter import read_output_lines
from splitpayout.adapters.sealing import KEY_FILE_VARIABLE, KEYS_VARIABLE, Sealer
from splitpayout.adapters.workitems import (
    ResultItem,
    WorkItemError,
    file_adapter_env,
    first_stop,
    not_attempted,
    result_item,
    seal_decision,
)
from splitpayout.config import child_environment
from splitpayout.domain.errors import StorageError
from splitpayout.domain.models import DecisionPlan, DecisionResult, Outcome
from splitpayout.jobs.split_payouts.job import SplitPayoutJob
from splitpayout.jobs.split_payouts.planning import dry_run_result
from splitpayout.jobs.work_queue import batch_of
from webcommon.files import open_private, private_dir

ROOT = Path(__file__).resolve().parents[2]
WORKERS_FOLDER = "workers"
POLL_SECONDS = 1.0
PROGRESS_EVERY = 50


#: A worker: its number, its process, the file of its results.
Worker = tuple[int, subprocess.Popen[bytes], Path]


def worker_name(number: int) -> str:
    return f"w{number}"


def register_in_parallel(job: SplitPayoutJob, workers: int, *, poll_seconds: float = POLL_SECONDS) -> None:
    """Register the job's planned payments with ``workers`` browser workers (see the module docstring)."""
    count = max(1, min(workers, job.planned))
    work = (job.settings.state_dir / WORKERS_FOLDER / job.run_id).resolve()  # workers run from ROOT
    key = Fernet.generate_key()  # this run's own: its work items never leave the machine
    try:
        ledger = open_ledger(job.settings.ledger_path)
        ledger.start_run(
            job.run_id, mode=job.mode, source_name=job.source_name, source_sha256=job.source_sha256
        )
    except StorageError as error:  # no worker is started; the report counts every decision failed
        job.stop_on_storage(error)
        return
    job.log.event("registration_started", step="register", workers=count)
    job.announce(f"Registering {job.planned} decisions with {count} browser workers")
    processes: list[Worker] = []
    results: dict[int, ResultItem] = {}
    try:
        planned = _start_workers(job, count, work, key, processes)
        _wait(job, processes, total=planned, poll_seconds=poll_seconds)
        results = _collect(job, processes)
    finally:
        _end_workers(processes, work)
        job.log.event("registration_finished", step="register", decisions=len(results), workers=count)
    _record(job, ledger, results)


def _start_workers(job: SplitPayoutJob, count: int, work: Path, key: bytes, processes: list[Worker]) -> int:
    """Hand the planned decisions out round robin, sealed, and start a worker on each share (each
    one started is in ``processes``). Returns how many decisions were handed out."""
    sealer = Sealer([key])
    batch = batch_of(job, sealer)
    shares: list[list[dict[str, object]]] = [[] for _ in range(count)]
    planned = 0
    for position, plan in enumerate(job.iter_plans(), start=1):
        if plan.outcome is Outcome.PLANNED:
            item = seal_decision(sealer, batch, position, plan)
            shares[planned % count].append({"payload": item.model_dump(mode="json")})
            planned += 1
    for number, items in enumerate(shares, start=1):
        folder = private_dir(work / worker_name(number))
        with open_private(folder / "input.json", "wb") as handle:
            handle.write(json.dumps(items).encode("utf-8"))
        processes.append((number, _start_worker(job, number, folder, key), folder / "output.jsonl"))
    return planned


def _collect(job: SplitPayoutJob, processes: list[Worker]) -> dict[int, ResultItem]:
    """Every worker's results, by position in the export, each worker's end told."""
    results: dict[int, ResultItem] = {}
    for number, process, output in processes:
        found = _read_results(output)
        results.update(found)
        job.log.event(
            "worker_finished",
            step="register",
            worker=worker_name(number),
            exit_status=process.returncode,
            decisions=len(found),
        )
        job.say(
            f"Worker {worker_name(number)}: {len(found)} decisions, exit status {process.returncode};"
            f" its log: {WORKERS_FOLDER}/{worker_name(number)}/log.html"
        )
    return results


def _end_workers(processes: list[Worker], work: Path) -> None:
    """No worker outlives the run, and nothing of their work items stays on disk."""
    for _, process, _ in processes:
        if process.poll() is None:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)


def _record(job: SplitPayoutJob, ledger: Ledger, results: dict[int, ResultItem]) -> None:
    """Each decision's result in the job, in export order (``failed`` for one no worker reported
    on), and the run's end in the ledger."""
    job.stop = first_stop(results.values())
    if job.stopped_reason:
        job.announce(f"STOPPED: {job.stop.sentence if job.stop else ''} ({job.stopped_reason})")
    for position, plan in enumerate(job.iter_plans(), start=1):
        job.record(position, plan, _result_for(plan, position, results))
    try:
        ledger.finish_run(job.run_id, status="stopped" if job.stopped_reason else "completed")
    except StorageError as error:
        job.stop_on_storage(error)
    finally:
        ledger.close()


def _result_for(plan: DecisionPlan, position: int, results: dict[int, ResultItem]) -> DecisionResult:
    if plan.outcome is not Outcome.PLANNED:
        return dry_run_result(plan)
    item = results.get(position)
    if item is None or item.plan.decision_id != plan.decision_id:
        return not_attempted(plan)
    return item.result


def _start_worker(job: SplitPayoutJob, number: int, folder: Path, key: bytes) -> subprocess.Popen[bytes]:
    artifacts = job.settings.artifacts_dir / WORKERS_FOLDER / worker_name(number)
    artifacts.mkdir(parents=True, exist_ok=True)
    env = child_environment(
        {
            **file_adapter_env(folder / "input.json", folder / "output.jsonl", adapter=APPENDING_ADAPTER),
            "ROBOT_ARTIFACTS": str(artifacts.resolve()),
            "STATE_DIR": str(job.settings.state_dir.resolve()),
            # The workers share this machine's ledger: one search each for what is held is enough.
            "LOOK_UP_EACH_PAYMENT": "false",
            "WORKERS": "1",
            "RUN_STARTED_BY": f"worker {worker_name(number)} of run {job.run_id}",
            KEYS_VARIABLE: key.decode("ascii"),
        },
        without=("DECISIONS_FILE", KEY_FILE_VARIABLE),
    )
    console = (artifacts / "console.txt").open("wb")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "splitpayout.runner", "consume_work_items"],
            cwd=ROOT,
            env=env,
            stdout=console,
            stderr=subprocess.STDOUT,
        )
    finally:
        console.close()


def _wait(
    job: SplitPayoutJob,
    processes: list[Worker],
    *,
    total: int,
    poll_seconds: float,
) -> None:
    """Wait for every worker, announcing progress every ``PROGRESS_EVERY`` decisions."""
    told = 0
    while True:
        running = [process for _, process, _ in processes if process.poll() is None]
        done = sum(_count_results(output) for _, _, output in processes)
        if done // PROGRESS_EVERY > told // PROGRESS_EVERY or (not running and done != told):
            job.announce(f"Progress: {done} of {total} decisions handled")
            told = done
        if not running:
            return
        time.sleep(poll_seconds)


def _count_results(output: Path) -> int:
    """Results a worker has saved so far: a line each (a line still being written is not counted)."""
    try:
        with output.open("rb") as handle:
            return sum(1 for line in handle if line.endswith(b"\n"))
    except OSError:
        return 0


def _read_results(output: Path) -> dict[int, ResultItem]:
    try:
        data = read_output_lines(output.read_text(encoding="utf-8"))
    except OSError:
        return {}
    found: dict[int, ResultItem] = {}
    for entry in data:
        try:
            item = result_item(entry.get("payload") if isinstance(entry, dict) else None)
        except WorkItemError:
            continue
        found[item.position] = item
    return found
