"""The inbox: every new export put in a folder is processed once, unattended.

``Inbox`` runs the ``Split payouts`` task on each new ``*.xlsx`` in ``INBOX_DIR``, one at a
time and each in its own run folder, then archives, rejects (with a Swedish note) or returns
the file; ``InboxLock`` keeps to one inbox run at a time. What happens to each file, and why,
is in docs/scheduling.md. Nothing here reads a cell of an export.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from splitpayout.runs import SUMMARY_FILE, new_run_dir, runs_dir_from_env
from splitpayout.settings import Settings, SettingsError
from webcommon.files import export_label, printable

ROOT = Path(__file__).resolve().parents[2]
LEDGER_FILE = "inbox.sqlite3"
LOCK_FILE = "inbox.lock"
INBOX_SUMMARY_FILE = "inbox-summary.json"
CONSOLE_FILE = "console.log"
RUN_LABEL = "inbox"
NOTE_SUFFIX = ".txt"
DEFAULT_MIN_AGE_SECONDS = 5.0
RUN_STOP_GRACE_SECONDS = 60.0


class FileOutcome(StrEnum):
    """What became of one file in the inbox (``inbox-summary.json``'s ``outcome``)."""

    PROCESSED = "processed"  # run with exit status 0; archived; content recorded as done
    RUN_FAILED = "run_failed"  # run, but a decision failed or the run stopped; archived; run it again
    REJECTED_UNREADABLE = "rejected_unreadable"  # file_error; in the rejected folder with a note
    REJECTED_DUPLICATE = "rejected_duplicate"  # content already processed; rejected folder with a note
    RUN_ERROR = "run_error"  # the run gave no result; the file is back in the inbox
    WAITING = "waiting"  # still being written; left in the inbox for the next inbox run
    RETURNED = "returned_to_inbox"  # taken by an inbox run that was interrupted; processed again


ALERTING = frozenset(
    {
        FileOutcome.RUN_FAILED,
        FileOutcome.REJECTED_UNREADABLE,
        FileOutcome.REJECTED_DUPLICATE,
        FileOutcome.RUN_ERROR,
    }
)

# Ledger results besides the outcomes: a run under way, and one whose inbox run was killed.
RUNNING = "running"
INTERRUPTED = "interrupted"


class InboxError(RuntimeError):
    """The inbox cannot be processed at all (a folder is missing, a setting is wrong)."""


# -- settings -------------------------------------------------------------------------------
def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must be 0 or more, got {value}")
    return value


@dataclass(frozen=True)
class InboxSettings:
    """Where the inbox and its folders are, and how it behaves (environment variables)."""

    inbox_dir: Path
    archive_dir: Path
    rejected_dir: Path
    runs_dir: Path
    state_dir: Path
    artifacts_dir: Path
    min_age_seconds: float = DEFAULT_MIN_AGE_SECONDS
    lock_wait_seconds: float = 0.0
    started_by: str = "schedule"
    mode: str = "real"  # "real" or "dry_run", as the runs' summary.json says

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> InboxSettings:
        """Read the settings; the ``Split payouts`` settings are checked too, before any file moves."""
        env = os.environ if env is None else env
        robot = Settings.from_env(env)
        return cls(
            inbox_dir=Path(env.get("INBOX_DIR", "inbox")),
            archive_dir=Path(env.get("ARCHIVE_DIR", "inbox-archive")),
            rejected_dir=Path(env.get("REJECTED_DIR", "inbox-rejected")),
            runs_dir=runs_dir_from_env(dict(env)),
            state_dir=robot.state_dir,
            artifacts_dir=robot.artifacts_dir,
            min_age_seconds=_seconds(env, "INBOX_MIN_AGE_SECONDS", DEFAULT_MIN_AGE_SECONDS),
            lock_wait_seconds=_seconds(env, "INBOX_LOCK_WAIT_SECONDS", 0.0),
            started_by=env.get("RUN_STARTED_BY", "schedule"),
            mode="dry_run" if robot.dry_run else "real",
        )


# -- files ----------------------------------------------------------------------------------
def is_export_name(name: str) -> bool:
    """An ``.xlsx`` name (any letter case) that is not hidden and not an Excel lock file (``~$``).

    LibreOffice's lock files (``.~lock.<name>#``) are hidden and do not end in ``.xlsx``.
    """
    return name.lower().endswith(".xlsx") and not name.startswith((".", "~$"))


def scan_inbox(
    inbox: Path, min_age_seconds: float, now: float | None = None
) -> tuple[list[Path], list[Path]]:
    """The exports directly in ``inbox``, oldest first: those ready, and those modified less than
    ``min_age_seconds`` ago (probably still being written). Folders and symlinks are left alone."""
    moment = time.time() if now is None else now
    found: list[tuple[float, str, Path]] = []
    with os.scandir(inbox) as entries:
        for entry in entries:
            if not is_export_name(entry.name):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                modified = entry.stat(follow_symlinks=False).st_mtime
            except FileNotFoundError:
                continue  # taken away while we looked
            found.append((modified, entry.name, Path(entry.path)))
    ready: list[Path] = []
    waiting: list[Path] = []
    for modified, _, path in sorted(found):
        (ready if moment - modified >= min_age_seconds else waiting).append(path)
    return ready, waiting


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _candidate_names(name: str) -> Iterator[str]:
    """``name``, then ``stem (2).ext``, ``stem (3).ext``, ..."""
    yield name
    dot = name.rfind(".")
    stem, suffix = (name[:dot], name[dot:]) if dot > 0 else (name, "")
    for number in range(2, 10_000):
        yield f"{stem} ({number}){suffix}"


def _fsync_dir(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some filesystems cannot sync a folder; the rename is still atomic
    finally:
        os.close(descriptor)


def _copy_then_remove(source: Path, target: Path) -> None:
    """Across filesystems: copy to a hidden temporary name, sync, rename, then remove the source.
    A crash at any point leaves the source, the copy, or both: never neither."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
    with source.open("rb") as reader, temporary.open("xb") as writer:
        shutil.copyfileobj(reader, writer)
        writer.flush()
        os.fsync(writer.fileno())
    shutil.copystat(source, temporary)
    os.replace(temporary, target)
    _fsync_dir(target.parent)
    source.unlink()


def move_file(source: Path, folder: Path, name: str | None = None, *, keep_free: str = "") -> Path:
    """Move ``source`` into ``folder`` (made if missing) as ``name`` (default its own), never
    overwriting a file there: a taken name gets a number, ``name (2).xlsx``. With ``keep_free``
    (a suffix such as ``.txt``), a name whose ``name + keep_free`` exists counts as taken too,
    so a file and its note stay a pair. Returns where the file is now."""
    folder.mkdir(parents=True, exist_ok=True)
    for candidate in _candidate_names(name or source.name):
        target = folder / candidate
        if keep_free and target.with_name(target.name + keep_free).exists():
            continue
        try:
            os.link(source, target)  # fails rather than overwrite
        except FileExistsError:
            continue
        except OSError:  # no hard links here: another filesystem, or a share without them
            if target.exists():
                continue
            try:
                os.replace(source, target)
            except OSError as error:
                if error.errno != errno.EXDEV:
                    raise
                _copy_then_remove(source, target)
            _fsync_dir(folder)
            return target
        source.unlink()
        _fsync_dir(folder)
        return target
    raise InboxError(f"no free name for {source.name} in {folder}")


def write_note(path: Path, text: str) -> None:
    """Write a note whole or not at all."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


# -- notes for the people who put files in the inbox (Swedish) ---------------------------------
_PROBLEMS_SV = {
    "not_xlsx": "Filen är inte en Excel-arbetsbok (.xlsx). Det kan vara en CSV- eller textfil "
    "som fått namnet .xlsx. Exportera beslutslistan som Excel-arbetsbok.",
    "encrypted": "Filen är lösenordsskyddad (krypterad). Exportera beslutslistan utan lösenord.",
    "no_header": "Ingen rubrikrad med Beslutsnummer finns bland de tio första raderna på första bladet.",
    "missing_columns": "Obligatoriska kolumner saknas",
    "duplicate_columns": "Samma kolumn finns mer än en gång",
    "no_decisions": "Filen innehåller inga beslut.",
    "export_too_large": (
        "Filen är för stor för en körning: den har fler beslut än roboten tar emot på en gång"
        " (MAX_DECISIONS) eller blir för stor när den packas upp. Dela upp exporten eller be"
        " driften höja gränsen."
    ),
    "unreadable": "Filen är skadad eller kan inte läsas.",
}


def unreadable_note(
    file_name: str, sha256: str, run_dir: str, code: str, message: str, columns: list[str]
) -> str:
    problem = _PROBLEMS_SV.get(code, "Filen kunde inte läsas.")
    if columns:
        problem = f"{problem.rstrip('.')}: {', '.join(columns)}."
    return (
        f"Filen {file_name} kunde inte läsas. Ingenting i den har betalats ut.\n"
        f"\n"
        f"Orsak: {problem}\n"
        f"\n"
        f"Rätta exporten och lägg den nya filen i inkorgen.\n"
        f"\n"
        f"Felkod: {code}\n"
        f"Meddelande: {message}\n"
        f"Körning: {run_dir}\n"
        f"SHA-256: {sha256}\n"
    )


def duplicate_note(file_name: str, sha256: str, earlier: LedgerRow) -> str:
    when = earlier.finished_at or earlier.started_at
    unfinished = ""
    if earlier.result != FileOutcome.PROCESSED.value:
        unfinished = (
            "Den körningen blev inte klar. Lägg tillbaka den arkiverade filen i inkorgen så "
            "slutförs den utan att något betalas ut två gånger.\n\n"
        )
    return (
        f"Filen {file_name} har inte behandlats: exakt samma innehåll har redan behandlats.\n"
        f"\n"
        f"Tidigare fil: {earlier.file_name}\n"
        f"Körning: {earlier.run_dir}\n"
        f"Tidpunkt: {when}\n"
        f"\n"
        f"{unfinished}"
        f"Ingenting har betalats ut en gång till. Var det en ny export som skulle läggas i "
        f"inkorgen, kontrollera att rätt fil exporterades.\n"
        f"\n"
        f"Felkod: duplicate_content\n"
        f"SHA-256: {sha256}\n"
    )


# -- the record of processed content -----------------------------------------------------------
_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox_files (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    mode TEXT NOT NULL,
    result TEXT NOT NULL,
    run_dir TEXT NOT NULL DEFAULT '',
    staged_path TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '',
    exit_status INTEGER,
    error_code TEXT NOT NULL DEFAULT '',
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS inbox_files_content ON inbox_files (sha256, mode, result);
CREATE INDEX IF NOT EXISTS inbox_files_result ON inbox_files (result);
"""


@dataclass(frozen=True)
class LedgerRow:
    """One file the inbox took: its content, where it went, and the run's result."""

    id: int
    sha256: str
    file_name: str
    mode: str
    result: str
    run_dir: str
    staged_path: str
    location: str
    exit_status: int | None
    error_code: str
    started_at: str
    finished_at: str


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class InboxLedger:
    """``STATE_DIR/inbox.sqlite3``: one row per file the inbox took, kept between runs.

    Content counts as processed (never run again) when a row with its SHA-256 and the
    same mode has the result ``processed``. A dry run's record does not stop a real run.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA synchronous = FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def begin(self, sha256: str, file_name: str, mode: str, run_dir: Path, staged_path: Path) -> int:
        cursor = self._db.execute(
            "INSERT INTO inbox_files (sha256, file_name, mode, result, run_dir, staged_path, started_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (sha256, file_name, mode, RUNNING, run_dir.name, str(staged_path), _now()),
        )
        return int(cursor.lastrowid or 0)

    def finish(
        self,
        row_id: int,
        result: str,
        *,
        sha256: str = "",
        location: Path | None = None,
        exit_status: int | None = None,
        error_code: str = "",
    ) -> None:
        self._db.execute(
            "UPDATE inbox_files SET result = ?, sha256 = COALESCE(NULLIF(?, ''), sha256), location = ?,"
            " exit_status = ?, error_code = ?, finished_at = ? WHERE id = ?",
            (
                result,
                sha256,
                "" if location is None else str(location),
                exit_status,
                error_code,
                _now(),
                row_id,
            ),
        )

    def add(
        self, sha256: str, file_name: str, mode: str, result: str, location: Path, error_code: str
    ) -> None:
        """A file handled without a run (a duplicate)."""
        now = _now()
        self._db.execute(
            "INSERT INTO inbox_files (sha256, file_name, mode, result, location, error_code, started_at,"
            " finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (sha256, file_name, mode, result, str(location), error_code, now, now),
        )

    def first_processed(self, sha256: str, mode: str) -> LedgerRow | None:
        rows = self._rows(
            "SELECT * FROM inbox_files WHERE sha256 = ? AND mode = ? AND result = ? ORDER BY id LIMIT 1",
            (sha256, mode, FileOutcome.PROCESSED.value),
        )
        return rows[0] if rows else None

    def unfinished(self) -> list[LedgerRow]:
        return self._rows("SELECT * FROM inbox_files WHERE result = ? ORDER BY id", (RUNNING,))

    def rows(self) -> list[LedgerRow]:
        return self._rows("SELECT * FROM inbox_files ORDER BY id", ())

    def _rows(self, query: str, parameters: tuple[object, ...]) -> list[LedgerRow]:
        return [LedgerRow(**dict(row)) for row in self._db.execute(query, parameters).fetchall()]


# -- one inbox run at a time -------------------------------------------------------------------
class InboxLock:
    """An exclusive ``flock`` on ``STATE_DIR/inbox.lock`` (it names its holder, for operators)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._descriptor: int | None = None

    @property
    def descriptor(self) -> int | None:
        return self._descriptor

    def acquire(self, wait_seconds: float = 0.0) -> bool:
        """True when taken; False when another holder kept it for ``wait_seconds``."""
        if self._descriptor is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    os.close(descriptor)
                    return False
                time.sleep(min(1.0, remaining))
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"pid {os.getpid()} on {socket.gethostname()} since {_now()}\n".encode())
        self._descriptor = descriptor
        return True

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # a run still holding a copy keeps the lock until it ends
            self._descriptor = None


# -- the inbox run -----------------------------------------------------------------------------
@dataclass
class FileEntry:
    """One file of an inbox run, as ``inbox-summary.json`` and the log show it."""

    file_name: str
    outcome: FileOutcome
    sha256: str = ""
    run_dir: str = ""
    run_status: str = ""
    exit_status: int | None = None
    moved_to: str = ""
    note: str = ""
    error_code: str = ""
    message: str = ""
    duplicate_of: dict[str, str] | None = None

    @property
    def alerting(self) -> bool:
        return self.outcome in ALERTING

    @property
    def label(self) -> str:
        """The file as a log names it: ``export-<date>-<short SHA-256>.xlsx`` (its own name
        may hold a payee's name or identity number)."""
        day = self.run_dir[:10] if self.run_dir[:4].isdigit() else dt.date.today().isoformat()
        return export_label(self.sha256, day)

    def line(self) -> str:
        """The log line: the file's label, SHA-256 prefix, run folder, outcome, folder moved to."""
        text = f"{self.label}  sha256 {self.sha256[:12] or '-'}"
        text += f"  run {printable(self.run_dir) or '-'}  {self.outcome}"
        if self.error_code:
            text += f" ({printable(self.error_code)})"
        if self.moved_to:
            text += f"  -> {printable(str(Path(self.moved_to).parent))}/"
        return text

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = self.outcome.value
        return data


RunExport = Callable[[Path, Path, InboxSettings, int | None], int]


def run_split_payouts(
    export: Path, run_dir: Path, settings: InboxSettings, lock_descriptor: int | None
) -> int:
    """Run the ``Split payouts`` task on ``export`` with its artifacts in ``run_dir``, as
    robot.yaml does (``python -m splitpayout.runner split_payouts``); returns its exit status.

    Every other setting is inherited. The run's console output goes to ``run_dir/console.log``.
    The run inherits the inbox lock, so the lock is held until it ends even if the inbox run
    is killed. When the inbox run is stopped, the run is asked to stop too (one SIGTERM: it stops
    as any stopped run does and writes its reports) before the inbox run ends. The run reads the
    export through a link named by its label (``export-<date>-<short SHA-256>.xlsx``), so its
    log, summary and history never show the file's own name, which may hold personal data.
    """
    labelled = export.with_name(export_label(sha256_of(export), run_dir.name[:10]))
    os.link(export, labelled)
    try:
        return _run_task(labelled, run_dir, settings, lock_descriptor)
    finally:
        labelled.unlink(missing_ok=True)


def _run_task(export: Path, run_dir: Path, settings: InboxSettings, lock_descriptor: int | None) -> int:
    env = dict(os.environ)
    paths = [str(ROOT), str(ROOT / "libraries"), *env.get("PYTHONPATH", "").split(os.pathsep)]
    env.update(
        DECISIONS_FILE=str(export.resolve()),
        ROBOT_ARTIFACTS=str(run_dir.resolve()),
        RUN_STARTED_BY=settings.started_by,
        PYTHONPATH=os.pathsep.join(dict.fromkeys(p for p in paths if p)),
    )
    with (run_dir / CONSOLE_FILE).open("wb") as console:
        process = subprocess.Popen(
            [sys.executable, "-m", "splitpayout.runner", "split_payouts"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            pass_fds=() if lock_descriptor is None else (lock_descriptor,),
            # Its own session: a Ctrl-C in a terminal reaches it once, forwarded by the inbox run
            # (a second signal would make Robot Framework stop it without its reports).
            start_new_session=True,
        )
        try:
            return process.wait()
        except BaseException:
            process.terminate()
            try:
                process.wait(timeout=RUN_STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            raise


def _read_summary(run_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((run_dir / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()


@dataclass
class Inbox:
    """One inbox run: take the lock, return files an interrupted run left, process every new
    export, and report. ``run_export`` runs one export (default: the ``Split payouts`` task in
    its own process); ``say`` receives one line per file for the log."""

    settings: InboxSettings
    run_export: RunExport = run_split_payouts
    say: Callable[[str], None] = print
    entries: list[FileEntry] = field(default_factory=list)
    returned: list[FileEntry] = field(default_factory=list)
    status: str = "not_started"
    message: str = ""
    started_at: str = field(default_factory=_now)

    def __post_init__(self) -> None:
        self._lock = InboxLock(self.settings.state_dir / LOCK_FILE)
        self._ledger: InboxLedger | None = None
        self._seen: dict[str, LedgerRow] = {}

    @property
    def ledger(self) -> InboxLedger:
        if self._ledger is None:
            raise InboxError("the inbox has not been taken: call take() first")
        return self._ledger

    # -- steps --------------------------------------------------------------------------------
    def take(self) -> bool:
        """Take the inbox for this run; False when another inbox run holds it (this run then
        does nothing)."""
        if not self.settings.inbox_dir.is_dir():
            self.status = "error"
            self.message = f"the inbox folder {self.settings.inbox_dir} does not exist"
            raise InboxError(f"The inbox folder {self.settings.inbox_dir} does not exist (INBOX_DIR)")
        if not self._lock.acquire(self.settings.lock_wait_seconds):
            self.status = "skipped"
            self.message = f"another inbox run is working on the inbox ({self._lock.path} is locked)"
            return False
        self._ledger = InboxLedger(self.settings.state_dir / LEDGER_FILE)
        self.status = "running"
        return True

    def return_interrupted(self) -> list[FileEntry]:
        """Put back into the inbox every file that an interrupted inbox run had taken for a run
        that never finished; this run processes it again (the payment ledger makes that safe)."""
        for row in self.ledger.unfinished():
            staged = Path(row.staged_path)
            location: Path | None = None
            if row.staged_path and staged.is_file():
                location = move_file(staged, self.settings.inbox_dir)
                _remove_if_empty(staged.parent)
            self.ledger.finish(row.id, INTERRUPTED, location=location)
            entry = FileEntry(
                file_name=row.file_name,
                outcome=FileOutcome.RETURNED,
                sha256=row.sha256,
                run_dir=row.run_dir,
                moved_to="" if location is None else str(location),
                message="an earlier inbox run was interrupted during this file's run; "
                + ("it is back in the inbox" if location else "the file was no longer where that run put it"),
            )
            self.returned.append(entry)
            self.say(f"returned after an interrupted inbox run: {entry.line()}")
        return self.returned

    def process_new_exports(self) -> list[FileEntry]:
        """Every ready export in the inbox, one at a time, oldest first; then again for files that
        arrived meanwhile. Files still being written are left for the next inbox run."""
        left_in_inbox: set[str] = set()
        while True:
            ready, waiting = scan_inbox(self.settings.inbox_dir, self.settings.min_age_seconds)
            ready = [path for path in ready if path.name not in left_in_inbox]
            if not ready:
                break
            entry = self.process_file(ready[0])
            if entry is None:
                continue
            self.entries.append(entry)
            self.say(entry.line())
            if entry.outcome is FileOutcome.RUN_ERROR:
                left_in_inbox.add(Path(entry.moved_to).name)
        for path in waiting:
            if path.name in left_in_inbox:
                continue
            entry = FileEntry(
                file_name=path.name,
                outcome=FileOutcome.WAITING,
                message=f"modified less than {self.settings.min_age_seconds:g} s ago; "
                "left for the next inbox run",
            )
            self.entries.append(entry)
            self.say(entry.line())
        return self.entries

    def process_file(self, path: Path) -> FileEntry | None:
        """Process one export; None when it disappeared before it could be taken."""
        try:
            sha256 = sha256_of(path)
        except FileNotFoundError:
            return None
        earlier = self.ledger.first_processed(sha256, self.settings.mode) or self._seen.get(sha256)
        if earlier is not None:
            return self._reject_duplicate(path, sha256, earlier)
        run_dir = new_run_dir(self.settings.runs_dir, RUN_LABEL)
        staging = self.settings.archive_dir / run_dir.name
        row_id = self.ledger.begin(sha256, path.name, self.settings.mode, run_dir, staging / path.name)
        try:
            staged = move_file(path, staging)
        except FileNotFoundError:
            self.ledger.finish(row_id, INTERRUPTED)
            _remove_if_empty(staging)
            return None
        try:
            exit_status = self.run_export(staged, run_dir, self.settings, self._lock.descriptor)
        except BaseException:  # stopped from outside: the next inbox run does it again
            location = self._put_back(row_id, staged)
            entry = FileEntry(
                file_name=path.name,
                outcome=FileOutcome.RUN_ERROR,
                sha256=sha256,
                run_dir=run_dir.name,
                moved_to=str(location),
                message="the inbox run was stopped during this file's run; the file is back in the inbox",
            )
            self.entries.append(entry)
            self.say(entry.line())
            raise
        summary = _read_summary(run_dir)
        run_status = str(summary.get("status") or "")
        processed_sha = str((summary.get("source") or {}).get("sha256") or sha256)
        entry = FileEntry(
            file_name=path.name,
            outcome=FileOutcome.PROCESSED,
            sha256=processed_sha,
            run_dir=run_dir.name,
            run_status=run_status,
            exit_status=exit_status,
        )
        if run_status == "file_error":
            self._reject_unreadable(row_id, staged, entry, summary)
        elif run_status in ("completed", "stopped"):
            entry.outcome = FileOutcome.PROCESSED if exit_status == 0 else FileOutcome.RUN_FAILED
            entry.moved_to = str(staged)
            if entry.outcome is FileOutcome.RUN_FAILED:
                entry.message = (
                    f"the run {run_status} with exit status {exit_status}; the file is archived; "
                    "put it back into the inbox to complete it"
                )
            self.ledger.finish(
                row_id, entry.outcome.value, sha256=processed_sha, location=staged, exit_status=exit_status
            )
        else:
            location = self._put_back(row_id, staged, exit_status=exit_status, result=FileOutcome.RUN_ERROR)
            entry.outcome = FileOutcome.RUN_ERROR
            entry.moved_to = str(location)
            entry.message = (
                f"the run ended with exit status {exit_status} and no summary.json "
                f"(see {run_dir / CONSOLE_FILE}); the file is back in the inbox"
            )
        if entry.outcome is FileOutcome.RUN_FAILED:  # a second copy in this inbox run is redundant
            self._seen.setdefault(
                processed_sha,
                LedgerRow(
                    id=row_id,
                    sha256=processed_sha,
                    file_name=path.name,
                    mode=self.settings.mode,
                    result=entry.outcome.value,
                    run_dir=run_dir.name,
                    staged_path=str(staged),
                    location=entry.moved_to,
                    exit_status=exit_status,
                    error_code=entry.error_code,
                    started_at=self.started_at,
                    finished_at=_now(),
                ),
            )
        return entry

    def _put_back(
        self, row_id: int, staged: Path, *, exit_status: int | None = None, result: str = INTERRUPTED
    ) -> Path:
        location = move_file(staged, self.settings.inbox_dir)
        _remove_if_empty(staged.parent)
        self.ledger.finish(row_id, result, location=location, exit_status=exit_status)
        return location

    def _reject_unreadable(
        self, row_id: int, staged: Path, entry: FileEntry, summary: dict[str, Any]
    ) -> None:
        error = summary.get("error") or {}
        code = str(error.get("code") or "unreadable")
        message = str(error.get("message") or "the file could not be read")
        columns = [str(c) for c in error.get("columns") or ()]
        target = self._free_rejected_name(entry.file_name)
        note = self.settings.rejected_dir / (target + NOTE_SUFFIX)
        write_note(note, unreadable_note(target, entry.sha256, entry.run_dir, code, message, columns))
        moved = move_file(staged, self.settings.rejected_dir, target)
        _remove_if_empty(staged.parent)
        entry.outcome = FileOutcome.REJECTED_UNREADABLE
        entry.error_code = code
        entry.message = message
        entry.moved_to = str(moved)
        entry.note = str(note)
        self.ledger.finish(
            row_id,
            entry.outcome.value,
            sha256=entry.sha256,
            location=moved,
            exit_status=entry.exit_status,
            error_code=code,
        )

    def _reject_duplicate(self, path: Path, sha256: str, earlier: LedgerRow) -> FileEntry | None:
        target = self._free_rejected_name(path.name)
        note = self.settings.rejected_dir / (target + NOTE_SUFFIX)
        write_note(note, duplicate_note(target, sha256, earlier))
        try:
            moved = move_file(path, self.settings.rejected_dir, target)
        except FileNotFoundError:  # taken away meanwhile
            note.unlink()
            return None
        self.ledger.add(
            sha256,
            path.name,
            self.settings.mode,
            FileOutcome.REJECTED_DUPLICATE.value,
            moved,
            "duplicate_content",
        )
        return FileEntry(
            file_name=path.name,
            outcome=FileOutcome.REJECTED_DUPLICATE,
            sha256=sha256,
            moved_to=str(moved),
            note=str(note),
            error_code="duplicate_content",
            message=f"same content as {earlier.file_name}, processed in run {earlier.run_dir}",
            duplicate_of={
                "file_name": earlier.file_name,
                "run_dir": earlier.run_dir,
                "processed_at": earlier.finished_at or earlier.started_at,
            },
        )

    def _free_rejected_name(self, name: str) -> str:
        """A name free in the rejected folder for both the file and its note."""
        folder = self.settings.rejected_dir
        folder.mkdir(parents=True, exist_ok=True)
        for candidate in _candidate_names(name):
            if not (folder / candidate).exists() and not (folder / (candidate + NOTE_SUFFIX)).exists():
                return candidate
        raise InboxError(f"no free name for {name} in {folder}")

    # -- report -------------------------------------------------------------------------------
    @property
    def needs_attention(self) -> bool:
        """True when monitoring should alert: a file was rejected, a run did not end with exit
        status 0, or the inbox could not be processed."""
        return self.status == "error" or any(entry.alerting for entry in self.entries)

    def finish(self, error: str = "") -> dict[str, Any]:
        """Settle the run's status (``error`` when a step failed) and return its summary."""
        if error:
            self.status = "error"
            self.message = self.message or error
        elif self.status == "running":
            self.status = "needs_attention" if self.needs_attention else "completed"
        return self.summary()

    def summary(self) -> dict[str, Any]:
        counts = {outcome.value: 0 for outcome in FileOutcome}
        for entry in [*self.entries, *self.returned]:
            counts[entry.outcome.value] += 1
        settings = self.settings
        return {
            "task": "process_inbox",
            "status": self.status,
            "message": self.message,
            "mode": settings.mode,
            "started_by": settings.started_by,
            "started_at": self.started_at,
            "finished_at": _now(),
            "folders": {
                "inbox": str(settings.inbox_dir),
                "archive": str(settings.archive_dir),
                "rejected": str(settings.rejected_dir),
                "runs": str(settings.runs_dir),
                "state": str(settings.state_dir),
            },
            "counts": counts,
            "returned_to_inbox": [entry.as_dict() for entry in self.returned],
            "files": [entry.as_dict() for entry in self.entries],
        }

    def write_summary(self, summary: dict[str, Any]) -> Path:
        """``inbox-summary.json`` in the inbox run's artifacts (``ROBOT_ARTIFACTS``)."""
        folder = self.settings.artifacts_dir
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / INBOX_SUMMARY_FILE
        write_note(path, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        return path

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None
        self._lock.release()


def write_error_summary(artifacts_dir: Path, message: str) -> Path:
    """``inbox-summary.json`` for an inbox run that could not even start (a wrong setting)."""
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    path = artifacts_dir / INBOX_SUMMARY_FILE
    summary = {
        "task": "process_inbox",
        "status": "error",
        "message": message,
        "finished_at": _now(),
        "counts": {outcome.value: 0 for outcome in FileOutcome},
        "returned_to_inbox": [],
        "files": [],
    }
    write_note(path, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return path


def process_inbox(
    settings: InboxSettings, *, run_export: RunExport = run_split_payouts, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """One whole inbox run without Robot Framework (for tests and tools); returns the summary,
    also written to ``inbox-summary.json``."""
    inbox = Inbox(settings, run_export=run_export, say=say)
    error = ""
    try:
        if inbox.take():
            inbox.return_interrupted()
            inbox.process_new_exports()
    except BaseException as failure:
        error = f"{type(failure).__name__}: {failure}"
        raise
    finally:
        summary = inbox.finish(error)
        inbox.write_summary(summary)
        inbox.close()
    return summary
