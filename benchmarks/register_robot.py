"""The ``robot`` modes of ``bench_register.py``: the real ``Split payouts`` task as a subprocess."""

from __future__ import annotations

import datetime as dt
import json
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from process_cpu import CpuMeter
from register_common import (
    BEFORE_MODE,
    BENCH_LEDGER_KEY,
    PASSWORD,
    ROBOT_TIMEOUT_SECONDS,
    USERNAME,
    BenchmarkError,
    Result,
    check_held,
    label,
)
from robot_task import ROOT, start_task, task_environment


def run_robot(
    server: Any,
    export: Path,
    payments: list[Any],
    rundir: Path,
    *,
    fast: bool,
    meter: CpuMeter,
    workers: int = 1,
    timeout: float = ROBOT_TIMEOUT_SECONDS,
    tree: Path | None = None,
) -> Result:
    """The ``Split payouts`` task as robot.yaml runs it, in its own process, with ``workers`` workers;
    from ``tree`` (another checkout) instead of this one when given."""
    artifacts = rundir / "artifacts"
    mode = BEFORE_MODE if tree is not None else "robot" if fast else "robot-typed"
    tree = tree or ROOT
    name = label(mode, workers)
    env = task_environment(
        tree,
        # Nothing of the caller's robot configuration leaks in: only what is set here is measured.
        ("ROBOT_", "PAYOUT_", "RPA_WORKITEMS", "LOOK_UP_EACH_PAYMENT", "MAX_", "RETRY_"),
        DECISIONS_FILE=str(export),
        DRY_RUN="false",
        RUN_DATE=dt.date.today().isoformat(),
        PAYOUT_SYSTEM_URL=server.url,
        PAYOUT_SYSTEM_USERNAME=USERNAME,
        PAYOUT_SYSTEM_PASSWORD=PASSWORD,
        PAYOUT_SYSTEM_HEADLESS="true",
        PAYOUT_FAST_FILL="true" if fast else "false",
        WORKERS=str(workers),
        STATE_DIR=str(rundir / "state"),
        ROBOT_ARTIFACTS=str(artifacts),
        # A production installation's run (ROBOT_ENV defaults to production): the ledger's key is
        # the benchmark's own, made for this run.
        LEDGER_FINGERPRINT_KEY=BENCH_LEDGER_KEY,
    )
    total = run_task(tree, env, artifacts, name, meter=meter, timeout=timeout)
    check_summary(artifacts, payments, name)
    check_held(server, payments, name)
    seconds, details = read_run_logs(artifacts, workers, name)
    if details["payments_registered_events"] != len(payments):
        raise BenchmarkError(
            f"{name}: the run logs hold {details['payments_registered_events']} payment_registered "
            f"events, {len(payments)} planned"
        )
    return Result(
        mode, len(payments), seconds, total, details, median_ms=details["median_payment_ms"], workers=workers
    )


def run_task(
    tree: Path, env: dict[str, str], artifacts: Path, name: str, *, meter: CpuMeter, timeout: float
) -> float:
    """Run the task to its end; the seconds it took. A run that fails or hangs stops the benchmark."""
    started = time.perf_counter()
    process = start_task(tree, env, capture=True)
    meter.add(process.pid)  # the robot, its workers, their chromedrivers and browsers
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise BenchmarkError(f"{name}: the robot did not finish within {timeout:.0f} s") from None
    total = time.perf_counter() - started
    if process.returncode != 0:
        raise BenchmarkError(
            f"{name}: the robot exited with status {process.returncode}; artifacts in {artifacts}\n"
            + stdout[-3000:]
            + stderr[-2000:]
        )
    return total


def check_summary(artifacts: Path, payments: list[Any], name: str) -> None:
    """The run's ``summary.json`` reports every planned payment registered."""
    summary = json.loads((artifacts / "summary.json").read_text(encoding="utf-8"))
    statuses = [p["status"] for d in summary["decisions"] for p in d["payments"]]
    registered = statuses.count("registered")
    if registered != len(payments) or len(statuses) != len(payments):
        raise BenchmarkError(
            f"{name}: summary.json reports {registered} of {len(statuses)} payments registered, "
            f"{len(payments)} planned"
        )


def read_run_logs(artifacts: Path, workers: int, name: str) -> tuple[float, dict[str, Any]]:
    """The registration phase as the run's and its workers' logs tell it, and the logs' sizes."""
    events = read_events(artifacts / "run.jsonl")
    worker_logs = sorted((artifacts / "workers").glob("w*/run.jsonl"))
    worker_events = {path.parent.name: read_events(path) for path in worker_logs}
    check_workers(events, worker_events, workers, name)
    seconds, details = registration_phase(events, worker_events, name)
    # What an operator opens afterwards: the run's log.html, and the largest worker's.
    details["log_html_mb"] = round((artifacts / "log.html").stat().st_size / 1e6, 2)
    worker_htmls = [path.stat().st_size for path in (artifacts / "workers").glob("w*/log.html")]
    details["largest_worker_log_html_mb"] = round(max(worker_htmls) / 1e6, 2) if worker_htmls else None
    return seconds, details


def read_events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def check_workers(
    events: list[dict[str, Any]], worker_events: dict[str, list[dict[str, Any]]], workers: int, name: str
) -> None:
    """The robot ran as many workers as asked: a row named ``x4`` must have had four."""
    if workers > 1 and not worker_events:
        raise BenchmarkError(
            f"{name}: no worker logs (artifacts/workers/w<K>/run.jsonl) after a run with WORKERS={workers}: "
            "does the robot read WORKERS?"
        )
    if worker_events and len(worker_events) != workers:
        raise BenchmarkError(
            f"{name}: {len(worker_events)} worker logs ({', '.join(worker_events)}), {workers} workers asked"
        )
    announced = [e["workers"] for e in events if e.get("event") == "registration_started" and "workers" in e]
    if announced and any(int(count) != workers for count in announced):
        raise BenchmarkError(f"{name}: registration_started names {announced[0]} workers, {workers} asked")


def stamp(event: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(event["timestamp"])


def named(source: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return [e for e in source if e.get("event") == event]


def registration_phase(
    events: list[dict[str, Any]], worker_events: dict[str, list[dict[str, Any]]], name: str
) -> tuple[float, dict[str, Any]]:
    """Seconds of the robot's registration phase (see ``bench_register.py``'s docstring), and where
    the time went.

    ``events`` are the run's own ``run.jsonl``; ``worker_events`` each worker's, when it ran workers.
    Per-payment events are taken from the workers' logs when there are any, else from the run's.
    """
    from_workers = [e for source in worker_events.values() for e in source]
    everything = events + from_workers
    per_payment = from_workers if worker_events else events
    logged_in = sorted(stamp(e) for e in named(everything, "logged_in"))
    start, end, measured, note = phase_bounds(events, everything, logged_in, name)
    seconds = (end - start).total_seconds()
    if seconds <= 0:
        raise BenchmarkError(f"{name}: the registration phase in the run logs lasted {seconds} s")
    registered = named(per_payment, "payment_registered")
    first_payment_at = min((stamp(e) for e in registered), default=start)
    durations = [e["duration_ms"] for e in registered if "duration_ms" in e]
    prefetched = [e.get("duration_ms", 0) for e in named(everything, "prefetched")]
    run_started = [stamp(e) for e in named(events, "run_started")]
    details = {
        "measured": measured,
        "note": note,
        "worker_logs": len(worker_events),
        "payments_registered_events": len(registered),
        "prefetch_s": round(sum(prefetched) / 1000, 3),
        "searches": len(prefetched) + len(named(everything, "looked_up")),
        "failed_attempts": len(named(everything, "attempt_failed")),
        "median_payment_ms": statistics.median(durations) if durations else None,
        "run_started_to_registration_s": round((start - run_started[0]).total_seconds(), 3)
        if run_started
        else None,
        # With registration events: how long starting the browser(s) and logging in took (first and
        # last worker); in the fallback both are 0 or later, the start being the first log-in.
        "first_login_after_start_s": round((logged_in[0] - start).total_seconds(), 3) if logged_in else None,
        "last_login_after_start_s": round((logged_in[-1] - start).total_seconds(), 3) if logged_in else None,
        "first_payment_after_start_s": round((first_payment_at - start).total_seconds(), 3),
    }
    return seconds, details


def phase_bounds(
    events: list[dict[str, Any]], everything: list[dict[str, Any]], logged_in: list[dt.datetime], name: str
) -> tuple[dt.datetime, dt.datetime, str, str | None]:
    """Start and end of the registration phase, how they were measured, and a note for the fallback."""
    started = named(events, "registration_started")
    finished = named(events, "registration_finished")
    if started and finished:
        return stamp(started[0]), stamp(finished[-1]), "registration_started to registration_finished", None
    done = [stamp(e) for e in named(everything, "decision_done")]
    if not logged_in or not done:
        raise BenchmarkError(
            f"{name}: no registration_started/registration_finished in run.jsonl, and "
            f"{len(logged_in)} logged_in and {len(done)} decision_done events to measure by instead"
        )
    note = (
        f"{name}: run.jsonl holds no registration_started/registration_finished events, so reg s "
        "runs from the log-in to the last finished decision: without starting the browser and "
        "logging in"
    )
    return logged_in[0], max(done), "logged_in to the last decision_done (fallback)", note
