"""What the operator pages say about a run besides its record: who was notified by e-mail
(Handläggare ids, never addresses) and whether sending failed; which of its files retention
removed; and, for a retention run, what it removed. All read from files in the run folder
that hold no personal data (``notifications.json``, ``removed-by-retention.json``,
``retention.json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from splitpayout.jobs.notify.outbox import GIVEN_UP, MERGED, PENDING, SENT, read_run_notifications
from splitpayout.jobs.retention import CATEGORIES, REMOVED_MARK_FILE, RETENTION_FILE

from webcommon.files import read_json_object

NOTIFICATION_STATE_LABELS = {
    SENT: "skickat",
    PENDING: "ej skickat än",
    GIVEN_UP: "gick inte att skicka",
    MERGED: "ingår i meddelandet till driften",
}
RECIPIENT_LABELS = {"operators": "driften", "ingen-handlaggare": "beslut utan handläggare (reservadress)"}
RETENTION_LABELS = {
    "run_workbooks": "Arbetsböcker i körningar",
    "archived_exports": "Arkiverade exporter",
    "rejected_files": "Avvisade filer",
    "work_item_folders": "Arbetsobjekt i tillståndsmappen",
    "outbox_messages": "Meddelanden i utkorgen",
    "console_uploads": "Uppladdade exporter",
    "reconcile_sources": "Underlag för avstämning",
    "console_upload_records": "Filnamn i konsolens databas",
    "ledger_fingerprints": "Fingeravtryck och belopp i betalningsliggaren",
}


@dataclass(frozen=True)
class Notice:
    """One message of a run, as the pages show it."""

    recipient: str
    kind: str
    state: str
    attempts: int
    last_error: str

    @property
    def failed(self) -> bool:
        return self.state not in (SENT, MERGED)

    @property
    def state_label(self) -> str:
        return NOTIFICATION_STATE_LABELS.get(self.state, self.state)

    @property
    def label(self) -> str:
        return RECIPIENT_LABELS.get(self.recipient, self.recipient)


def notices(run_dir: Path) -> list[Notice]:
    """The run's e-mail messages (empty when none was queued)."""
    return [
        Notice(
            recipient=str(item.get("recipient_id", "")),
            kind=str(item.get("kind", "")),
            state=str(item.get("state", "")),
            attempts=int(item.get("attempts") or 0),
            last_error=str(item.get("last_error") or ""),
        )
        for item in read_run_notifications(run_dir)
    ]


def notice_line(run_dir: Path) -> str:
    """The history's short form: '3 skickade', '2 skickade, 1 ej skickat', or ''."""
    found = notices(run_dir)
    if not found:
        return ""
    sent = sum(1 for n in found if not n.failed)
    unsent = len(found) - sent
    text = f"{sent} skickade"
    return text + (f", {unsent} ej skickade" if unsent else "")


def removed_by_retention(run_dir: Path) -> dict[str, Any]:
    """``{'removed_at': ..., 'removed_files': [...]}`` when retention removed files of this run."""
    return read_json_object(run_dir / REMOVED_MARK_FILE)


def retention_counts(run_dir: Path) -> list[tuple[str, int]]:
    """For a retention run: (label, count) of what it removed, or would remove in a dry run."""
    report = read_json_object(run_dir / RETENTION_FILE)
    counts = report.get("removed") or report.get("would_remove") or {}
    return [(RETENTION_LABELS[c], int(counts.get(c, 0))) for c in CATEGORIES if isinstance(counts, dict)]
