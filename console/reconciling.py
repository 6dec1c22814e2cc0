"""What a reconciliation started from the console compares, and how its report reads.

A reconciliation compares the payout system with the exports whose preview succeeded (an export that
could not be read would make the whole comparison fail), or with ``CONSOLE_RECONCILE_DECISIONS`` when
that names them. The chosen exports are linked (hard links, else copies) into one folder of the data
folder, which the ``Reconcile`` task reads as ``DECISIONS_FILE``; the folder of the previous
reconciliation is removed when the next one starts (one reconciliation runs at a time).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from splitpayout.config.names import RECONCILE_SOURCES_FOLDER
from splitpayout.reconcile import FINDING_TEXT, FindingCode

from console import store
from console.history import OK, RunBook, read_summary
from console.settings import Settings
from console.uploads import UploadRefusedError, upload_path
from webcommon.files import read_json_object

SOURCES_FOLDER = RECONCILE_SOURCES_FOLDER
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
}


@dataclass(frozen=True)
class Sources:
    """The exports a reconciliation will compare with, and the payout dates they plan."""

    uploads: list[store.Upload]
    first_day: dt.date | None
    last_day: dt.date | None

    def default_period(self) -> tuple[dt.date, dt.date] | None:
        """From the first to the last payout date of the exports (at most a year, the latest part)."""
        if self.first_day is None or self.last_day is None:
            return None
        first = max(self.first_day, self.last_day - dt.timedelta(days=MAX_PERIOD_DAYS - 1))
        return first, self.last_day


def previewed_sources(conn: sqlite3.Connection, runbook: RunBook) -> Sources:
    """Every upload whose latest preview finished and could read the file, with its payout dates."""
    rows = conn.execute(
        "SELECT upload_id FROM uploads ORDER BY uploaded_at DESC, rowid DESC LIMIT ?", (MAX_UPLOADS,)
    ).fetchall()
    chosen: list[store.Upload] = []
    days: list[dt.date] = []
    for row in rows:
        upload = store.get_upload(conn, str(row["upload_id"]))
        run = store.latest_run(conn, str(row["upload_id"]), store.PREVIEW)
        view = runbook.view(run.run_name, run) if run is not None else None
        if upload is None or view is None or view.state != OK or view.record.status != "completed":
            continue
        chosen.append(upload)
        days.extend(_payout_days(read_summary(view.run_dir)))
    return Sources(chosen, min(days, default=None), max(days, default=None))


def _payout_days(summary: dict[str, Any]) -> list[dt.date]:
    days = []
    for decision in summary.get("decisions") or ():
        for payment in decision.get("payments") or ():
            try:
                days.append(dt.date.fromisoformat(str(payment.get("payout_date"))))
            except ValueError:
                continue
    return days


def link_sources(settings: Settings, uploads: list[store.Upload]) -> Path:
    """A new folder holding the chosen exports (one subfolder per upload); older such folders go."""
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
    return folder


def read_report(run_dir: Path) -> dict[str, Any]:
    """A reconciliation's reconciliation.json ({} when missing)."""
    return read_json_object(run_dir / REPORT_FILE)


def finding_lines(report: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(code, Swedish text, count) for every kind of finding, in report order."""
    counts = report.get("finding_counts") or {}
    return [(code.value, FINDING_TEXT[code][0], int(counts.get(code.value, 0) or 0)) for code in FindingCode]
