"""What a reconciliation started from the console compares, and how its report reads.

A reconciliation compares the payout system with what was actually run: the uploads a case worker
ran for real and the inbox archive of the scheduled runs, never an abandoned or superseded preview
unless the operator adds it (or ``CONSOLE_RECONCILE_DECISIONS`` when that names the exports). The
chosen exports are linked (uploads by hard links, else copies; the archive by symbolic links) into
one folder of the data folder, which the ``Reconcile`` task reads as ``DECISIONS_FILE``; the folder
of the previous reconciliation is removed when the next one starts (one reconciliation at a time).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from splitpayout.config.names import ARCHIVE_DIR, RECONCILE_SOURCES_FOLDER
from splitpayout.jobs.reconcile.errors import ReconcileInputError
from splitpayout.jobs.reconcile.findings import FindingCode
from splitpayout.jobs.reconcile.report import FINDING_TEXT, LEFT_OUT_TEXT
from splitpayout.jobs.reconcile.sources import export_files

from console import store
from console.history import OK, RunBook, read_summary
from console.launcher import ROOT
from console.settings import Settings
from console.uploads import UploadRefusedError, upload_path
from webcommon.files import read_json_object

SOURCES_FOLDER = RECONCILE_SOURCES_FOLDER
ARCHIVE_FOLDER = "inkorg"
REPORT_FILE = "reconciliation.json"
WORKBOOK_FILE = "avstamning.xlsx"
MAX_PERIOD_DAYS = 366
MAX_UPLOADS = 1000

ERROR_SOURCE_TEXT = {
    "decisions": "Exporterna att stämma av mot kunde inte läsas.",
    "ledger": "Robotens register över registrerade utbetalningar (ledger) kunde inte läsas.",
    "payout_system": "Utbetalningssystemets API kunde inte läsas.",
    "settings": "Avstämningens inställningar är felaktiga.",
}
STATUS_TEXT = {
    "reconciled": "Inga avvikelser: allt som är registrerat stämmer med besluten.",
    "discrepancies": "Avstämningen hittade avvikelser. Se antalen nedan och fliken Avvikelser i Excel-filen.",
    "input_error": "Avstämningen kunde inte göras.",
    "incomplete": "Avstämningen blev inte klar.",
}
TOTAL_LABELS = {
    "held": "Registrerat i utbetalningssystemet",
    "planned": "Planerat enligt besluten",
    "matched": "Stämmer med besluten",
    "registered_by_robot_outside_exports": LEFT_OUT_TEXT,
}


@dataclass(frozen=True)
class Sources:
    """The exports a reconciliation can compare with, and the payout dates they plan.

    ``uploads`` are the uploads that were run for real (a case worker confirmed them): compared by
    default. ``others`` were only previewed (abandoned, or superseded by another upload): the
    operator may add them, never by default. ``archive`` names the inbox archive's exports (each
    archived by a scheduled real run), compared by default.
    """

    uploads: list[store.Upload]
    first_day: dt.date | None
    last_day: dt.date | None
    others: list[store.Upload] = field(default_factory=list)
    archive: list[str] = field(default_factory=list)

    def default_period(self) -> tuple[dt.date, dt.date] | None:
        """From the first to the last payout date of the exports (at most a year, the latest part)."""
        if self.first_day is None or self.last_day is None:
            return None
        first = max(self.first_day, self.last_day - dt.timedelta(days=MAX_PERIOD_DAYS - 1))
        return first, self.last_day

    @property
    def empty(self) -> bool:
        return not self.uploads and not self.archive


def archive_dir() -> Path:
    """The inbox archive the scheduled runs keep (``ARCHIVE_DIR``, as the runs read it)."""
    path = Path(os.environ.get("ARCHIVE_DIR") or ARCHIVE_DIR)
    return path if path.is_absolute() else ROOT / path


def _archived(runs_dir: Path) -> tuple[list[str], list[dt.date]]:
    """The inbox archive's exports (paths inside it) and the payout dates their runs planned."""
    root = archive_dir()
    if not root.is_dir():
        return [], []
    try:
        files = export_files(root)
    except ReconcileInputError:
        return [], []
    days: list[dt.date] = []
    for folder in {Path(name).parts[0] for _, name in files if len(Path(name).parts) > 1}:
        days.extend(_payout_days(read_json_object(runs_dir / folder / "summary.json")))
    return [name for _, name in files], days


def run_sources(conn: sqlite3.Connection, runbook: RunBook, runs_dir: Path) -> Sources:
    """What was actually run: every upload with a real run (its preview could read the file) and the
    inbox archive; the uploads only previewed are offered apart."""
    rows = conn.execute(
        "SELECT upload_id FROM uploads ORDER BY uploaded_at DESC, rowid DESC LIMIT ?", (MAX_UPLOADS,)
    ).fetchall()
    ran: list[store.Upload] = []
    others: list[store.Upload] = []
    days: list[dt.date] = []
    for row in rows:
        upload = store.get_upload(conn, str(row["upload_id"]))
        run = store.latest_run(conn, str(row["upload_id"]), store.PREVIEW)
        view = runbook.view(run.run_name, run) if run is not None else None
        if upload is None or view is None or view.state != OK or view.record.status != "completed":
            continue
        real = store.latest_run(conn, upload.upload_id, store.REAL)
        if real is None:
            others.append(upload)
            continue
        ran.append(upload)
        days.extend(_payout_days(read_summary(view.run_dir)))
    archive, archive_days = _archived(runs_dir)
    days.extend(archive_days)
    return Sources(ran, min(days, default=None), max(days, default=None), others, archive)


def _payout_days(summary: dict[str, Any]) -> list[dt.date]:
    days = []
    for decision in summary.get("decisions") or ():
        for payment in decision.get("payments") or ():
            try:
                days.append(dt.date.fromisoformat(str(payment.get("payout_date"))))
            except ValueError:
                continue
    return days


def link_sources(settings: Settings, uploads: list[store.Upload], *, archive: bool = False) -> Path:
    """A new folder holding the chosen exports (one subfolder per upload, the inbox archive's exports
    as symbolic links under ``inkorg/``, which go when the archive does); older such folders go."""
    root = settings.data_dir / SOURCES_FOLDER
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    for old in root.iterdir():
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
    folder = root / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    folder.mkdir(mode=0o700)
    for upload in uploads:
        try:
            source = upload_path(settings, upload)
        except UploadRefusedError:  # a record pointing outside the uploads folder is left out
            continue
        if not source.is_file():  # removed since (retention)
            continue
        target = folder / upload.upload_id / source.name
        target.parent.mkdir(mode=0o700)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)  # keeps the modification time, which orders the exports
    if archive:
        _link_archive(folder / ARCHIVE_FOLDER)
    return folder


def _link_archive(target: Path) -> None:
    root = archive_dir()
    try:
        files = export_files(root) if root.is_dir() else []
    except ReconcileInputError:
        return
    for path, name in files:
        link = target / name
        link.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        link.symlink_to(path.resolve())


def read_report(run_dir: Path) -> dict[str, Any]:
    """A reconciliation's reconciliation.json ({} when missing)."""
    return read_json_object(run_dir / REPORT_FILE)


def finding_lines(report: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(code, Swedish text, count) for every kind of finding, in report order."""
    counts = report.get("finding_counts") or {}
    return [(code.value, FINDING_TEXT[code][0], int(counts.get(code.value, 0) or 0)) for code in FindingCode]
