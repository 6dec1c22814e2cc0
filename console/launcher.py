"""Starting the robot's runs and knowing which of them are still going.

A run is a subprocess, ``python -m splitpayout.runner <task>``, with its artifacts in
its own folder under the runs folder (``splitpayout.adapters.runs.new_run_dir``). The console
records each run it starts (kind, who, when, process id) in its database, and a thread
per run records its exit status when the process ends.

Runs are started in their own session, so that they finish even when the console is
stopped; a console started again finds them through the process id that ``run.json``
and its database hold. A run whose process is gone without finishing its ``run.json``
(killed, machine restarted) is *interrupted*: it never blocks anything.

One real run at a time: ``start_real_run`` refuses (``RunRefusedError``) while another run
that registers payments is going, whether the console started it or not (scheduled
inbox runs land in the same runs folder). The check and the start happen under a lock
(a thread lock and an exclusive file lock in the data folder), so two confirmations at
the same instant cannot both start.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from splitpayout.adapters.runs import RUN_LOG_FILE, RUN_RECORD_FILE, new_run_dir, parse_time

from console import db, store
from console.display import local_time
from console.settings import CASE_WORKER, DEVELOPMENT, Settings
from webcommon.files import open_private, private_dir, private_file, read_json_object

ROOT = Path(__file__).resolve().parents[1]
LOG = logging.getLogger(__name__)
POLL_SECONDS = 1.0
# How long a run's process may go on after its run.json says it finished.
FINISHED_GRACE_SECONDS = 60.0
# After SIGTERM, then after SIGKILL: how long to wait for the process to go.
STOP_GRACE_SECONDS = 10.0
# Why the console stopped a run (run.json's ``stopped_by_console.code``).
PREVIEW_TIMEOUT = "preview_timeout"
LINGERING = "lingering_process"

# The robot's tasks (splitpayout.runner) that the console starts.
SPLIT_PAYOUTS = "split_payouts"
RECONCILE_TASK = "reconcile"
# Tasks that never register payments, so never block a real run.
READ_ONLY_TASKS = frozenset({RECONCILE_TASK})


class RunRefusedError(Exception):
    """A run cannot start now; the message (Swedish) says why and what to do."""


@dataclass(frozen=True)
class BlockingRun:
    """A run that registers payments and is going right now."""

    run_name: str
    started_by: str
    started_at: dt.datetime | None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_record(run_dir: Path) -> dict[str, Any]:
    """``run.json`` of a run folder ({} when missing or being written)."""
    return read_json_object(run_dir / RUN_RECORD_FILE)


def first_mode(run_dir: Path) -> str | None:
    """The mode (``real``/``dry_run``) a split-payouts run announced in the first line of its log."""
    try:
        with (run_dir / RUN_LOG_FILE).open(encoding="utf-8") as handle:
            event = json.loads(handle.readline())
    except (OSError, ValueError):
        return None
    mode = event.get("mode") if isinstance(event, dict) else None
    return mode if isinstance(mode, str) else None


def process_alive(pid: object, marker: str) -> bool:
    """Whether ``pid`` is a live process running the robot's runner (``marker`` in its command line).

    The command-line check keeps a process id reused by an unrelated process after a restart
    from passing for a run.
    """
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by someone else
    proc = Path("/proc") / str(pid)
    if not proc.is_dir():
        return True  # no /proc: trust the signal check
    try:
        state = (proc / "stat").read_text(encoding="utf-8", errors="replace").rsplit(")", 1)[1].split()[0]
        command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", errors="replace")
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X") and marker in command


class Launcher:
    """Starts runs and answers which are going; one per app (``app.extensions["console_launcher"]``)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._processes: dict[str, subprocess.Popen[bytes]] = {}

    # Liveness ------------------------------------------------------------------------------------

    def is_going(self, run_name: str, pid: int | None = None) -> bool:
        """Whether the run's process is still going (whoever started it). A run whose run.json
        says it finished is done, even while its process takes a moment more to exit: the
        pages show it done, so it must not count as going either."""
        record = read_record(self._settings.runs_dir / run_name)
        if record.get("finished_at"):
            return False
        process = self._processes.get(run_name)
        if process is not None:
            return process.poll() is None
        recorded = record.get("pid")
        candidate = recorded if isinstance(recorded, int) else pid
        return process_alive(candidate, self._settings.runner_module)

    def blocking_run(self, conn: sqlite3.Connection) -> BlockingRun | None:
        """A run that registers payments and is going now, or None."""
        kinds = store.kinds_of_runs(conn)
        for run in store.unfinished_runs(conn, store.REAL):
            if self.is_going(run.run_name, run.pid):
                return BlockingRun(run.run_name, f"handläggare {run.started_by}", parse_time(run.started_at))
        runs_dir = self._settings.runs_dir
        if not runs_dir.is_dir():
            return None
        for path in sorted(runs_dir.iterdir(), reverse=True):
            if path.name in kinds or not path.is_dir():
                continue  # the console's own runs: real ones are checked above, the others never block
            record = read_record(path)
            if not record or record.get("finished_at"):
                continue
            task = record.get("task")
            if task in READ_ONLY_TASKS or (task == SPLIT_PAYOUTS and first_mode(path) == "dry_run"):
                continue
            if process_alive(record.get("pid"), self._settings.runner_module):
                return BlockingRun(
                    path.name,
                    str(record.get("started_by") or "schedule"),
                    parse_time(record.get("started_at")),
                )
        return None

    def going_count(self, conn: sqlite3.Connection, kind: str) -> int:
        """How many of the console's runs of ``kind`` are going."""
        return sum(1 for run in store.unfinished_runs(conn, kind) if self.is_going(run.run_name, run.pid))

    # Starting ------------------------------------------------------------------------------------

    def environment(self, run_dir: Path, started_by: str, extra: Mapping[str, str]) -> dict[str, str]:
        """The run's environment: the console's own, without its CONSOLE_* settings, plus the run's."""
        settings = self._settings
        env = {key: value for key, value in os.environ.items() if not key.startswith("CONSOLE_")}
        if os.environ.get("CONSOLE_URL"):  # the robot's e-mail links to the console (docs/notifications.md)
            env["CONSOLE_URL"] = os.environ["CONSOLE_URL"]
        env.update(
            PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "libraries")]),
            PYTHONUNBUFFERED="1",
            ROBOT_ARTIFACTS=str(run_dir.resolve()),
            RUN_STARTED_BY=started_by,
            STATE_DIR=str(settings.state_dir.resolve()),
            PAYOUT_SYSTEM_URL=settings.payout_system_url,
        )
        if settings.env == DEVELOPMENT:  # a development console's runs are development ones (ROBOT_ENV)
            env.setdefault("ROBOT_ENV", DEVELOPMENT)
        if settings.payout_system_username is not None and settings.payout_system_password is not None:
            env["PAYOUT_SYSTEM_USERNAME"] = settings.payout_system_username
            env["PAYOUT_SYSTEM_PASSWORD"] = settings.payout_system_password
        env.update(extra)
        return env

    def start(
        self,
        conn: sqlite3.Connection,
        *,
        kind: str,
        task: str,
        console_user: str,
        started_by: str,
        label: str,
        upload_id: str | None = None,
        extra_env: Mapping[str, str] | None = None,
    ) -> str:
        """Make the run's folder, record the run and start its process; returns the folder's name."""
        settings = self._settings
        run_dir = private_dir(new_run_dir(settings.runs_dir, label))
        run_name = run_dir.name
        store.insert_run(
            conn,
            store.ConsoleRun(
                run_name=run_name,
                kind=kind,
                upload_id=upload_id,
                started_by=console_user,
                started_at=store.now_iso(),
                pid=None,
                finished_at=None,
                exit_status=None,
            ),
        )
        private_dir(settings.run_output_dir)
        output = settings.run_output_dir / f"{run_name}.txt"
        command = [settings.python, "-m", settings.runner_module, task]
        try:
            with open_private(output, "ab") as log_file:
                process = subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=self.environment(run_dir, started_by, extra_env or {}),
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # a run finishes even when the console stops
                    umask=0o077,  # what the run writes (workbook, ledger, logs) is owner-only
                )
        except OSError as exc:
            LOG.error("run %s could not start: %s", run_name, type(exc).__name__)
            store.finish_run(conn, run_name, 255)
            raise RunRefusedError(
                "Körningen kunde inte startas på grund av ett tekniskt fel. Kontakta driften."
            ) from exc
        self._processes[run_name] = process
        store.set_run_pid(conn, run_name, process.pid)
        store.add_event(conn, console_user, f"start_{kind}", upload_id=upload_id, run_name=run_name)
        LOG.info("run %s started (%s %s, pid %d)", run_name, kind, task, process.pid)
        threading.Thread(
            target=self._wait, args=(run_name, process, kind), name=f"wait-{run_name}", daemon=True
        ).start()
        return run_name

    def start_preview(
        self, conn: sqlite3.Connection, *, upload: store.Upload, console_user: str, file_path: Path
    ) -> str:
        """Start the preview (a dry run) of a newly uploaded export."""
        return self._start_split(conn, upload, console_user, dry_run=True, decisions_file=str(file_path))

    def _start_split(
        self,
        conn: sqlite3.Connection,
        upload: store.Upload,
        console_user: str,
        *,
        dry_run: bool,
        decisions_file: str,
    ) -> str:
        """A case worker's run of the split-payout task on an upload: the preview or the real run."""
        return self.start(
            conn,
            kind=store.PREVIEW if dry_run else store.REAL,
            task=SPLIT_PAYOUTS,
            console_user=console_user,
            started_by=f"{CASE_WORKER} {console_user}",
            label=f"{'forhandsgranskning' if dry_run else 'korning'}-{console_user}",
            upload_id=upload.upload_id,
            extra_env={
                "DECISIONS_FILE": decisions_file,
                "DECISIONS_FILE_TITLE": upload.file_name,  # her own name for it, in her workbook only
                "DRY_RUN": "true" if dry_run else "false",
            },
        )

    def start_real_run(
        self, conn: sqlite3.Connection, *, upload: store.Upload, console_user: str, file_path: Path
    ) -> str:
        """Start the real run of a previewed upload, unless another run that registers payments is going.

        The file is checked against the SHA-256 recorded at upload (and previewed) first.
        """
        with self._real_run_slot():
            blocking = self.blocking_run(conn)
            if blocking is not None:
                raise RunRefusedError(_busy_message(blocking))
            try:
                actual = sha256_of(file_path)
            except OSError:
                actual = ""
            if actual != upload.sha256:
                raise RunRefusedError(
                    "Filen har ändrats eller saknas sedan förhandsgranskningen och körs därför inte. "
                    "Ladda upp exporten igen."
                )
            run_name = self._start_split(
                conn, upload, console_user, dry_run=False, decisions_file=str(file_path.resolve())
            )
            store.mark_confirmed(conn, upload.upload_id, console_user)
            return run_name

    @contextlib.contextmanager
    def _real_run_slot(self) -> Iterator[None]:
        private_dir(self._settings.data_dir)
        lock_file = private_file(self._settings.data_dir / "real-run.lock")  # owner-only, like the rest
        with self._lock, lock_file.open("a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _wait(self, run_name: str, process: subprocess.Popen[bytes], kind: str) -> None:
        """Record the run's end. A preview still going after ``preview_timeout_seconds`` is stopped,
        and so is a run whose process lingers ``FINISHED_GRACE_SECONDS`` after its run.json said it
        had finished: the console never leaves behind a process it has given up on."""
        run_dir = self._settings.runs_dir / run_name
        limit = self._settings.preview_timeout_seconds if kind == store.PREVIEW else None
        started = time.monotonic()
        finished_seen: float | None = None
        while True:
            try:
                status = process.wait(timeout=POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if finished_seen is None and read_record(run_dir).get("finished_at"):
                finished_seen = now
            if limit is not None and now - started > limit:
                status = _stop(process, run_dir, PREVIEW_TIMEOUT, f"the preview took longer than {limit} s")
                break
            if finished_seen is not None and now - finished_seen > FINISHED_GRACE_SECONDS:
                status = _stop(process, run_dir, LINGERING, "the process went on after the run had finished")
                break
        try:
            conn = db.connect(self._settings.database_path)
            try:
                store.finish_run(conn, run_name, status)
            finally:
                conn.close()
        except Exception:  # a thread must not die silently; run.json still tells the end
            LOG.exception("could not record the end of run %s", run_name)
        LOG.info("run %s ended with exit status %d", run_name, status)

    def wait_all(self, timeout: float | None = None) -> None:
        """Wait for the processes this launcher started (tests, and an orderly shutdown)."""
        for process in list(self._processes.values()):
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=timeout)


def _stop(process: subprocess.Popen[bytes], run_dir: Path, code: str, reason: str) -> int:
    """Stop a run's whole process group (it runs in a session of its own) and say so in run.json."""
    LOG.warning("stopping run %s: %s", run_dir.name, reason)
    for sig, grace in ((signal.SIGTERM, STOP_GRACE_SECONDS), (signal.SIGKILL, STOP_GRACE_SECONDS)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
            break
    status = process.returncode if process.returncode is not None else -int(signal.SIGKILL)
    record = read_record(run_dir)
    record.update(stopped_by_console={"code": code, "reason": reason})
    if not record.get("finished_at"):
        record.update(finished_at=store.now_iso(), exit_status=status)
    with contextlib.suppress(OSError):
        temporary = run_dir / (RUN_RECORD_FILE + ".console.tmp")
        temporary.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        temporary.replace(run_dir / RUN_RECORD_FILE)
    return status


def _busy_message(blocking: BlockingRun) -> str:
    who = "schemat" if blocking.started_by == "schedule" else blocking.started_by
    when = ""
    if blocking.started_at is not None:
        when = f" kl. {local_time(blocking.started_at):%H:%M}"
    return (
        f"En körning mot utbetalningssystemet pågår redan (startad av {who}{when}). "
        "Bara en körning i taget får registrera utbetalningar. Vänta tills den är klar och "
        "tryck sedan på knappen igen; förhandsgranskningen gäller fortfarande."
    )
