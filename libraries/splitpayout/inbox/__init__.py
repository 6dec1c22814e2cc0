"""The inbox: every new export put in a folder is processed once, unattended.

``Inbox`` runs the ``Split payouts`` task on each new ``*.xlsx`` in ``INBOX_DIR``, one at a
time and each in its own run folder, then archives, rejects (with a Swedish note) or returns
the file; ``InboxLock`` keeps to one inbox run at a time. What happens to each file, and why,
is in docs/scheduling.md. Nothing here reads a cell of an export.

The modules: ``settings`` (folders and behaviour), ``files`` (finding and moving files),
``lock`` (one inbox run at a time), ``seen`` (the record of content already taken),
``notes`` (the Swedish notes), ``outcomes`` (what became of a file), ``run`` (one export's
run in its own process) and ``job`` (the inbox run).
"""

from splitpayout.inbox.files import is_export_name, move_file, scan_inbox, sha256_of, write_note
from splitpayout.inbox.job import Inbox, process_inbox, write_error_summary
from splitpayout.inbox.lock import InboxLock
from splitpayout.inbox.notes import duplicate_note, unreadable_note
from splitpayout.inbox.outcomes import ALERTING, INTERRUPTED, RUNNING, FileEntry, FileOutcome, InboxError
from splitpayout.inbox.run import RunExport, run_split_payouts
from splitpayout.inbox.seen import InboxLedger, LedgerRow
from splitpayout.inbox.settings import (
    CONSOLE_FILE,
    DEFAULT_MIN_AGE_SECONDS,
    INBOX_SUMMARY_FILE,
    LEDGER_FILE,
    LOCK_FILE,
    NOTE_SUFFIX,
    RUN_LABEL,
    InboxSettings,
)

__all__ = [
    "ALERTING",
    "CONSOLE_FILE",
    "DEFAULT_MIN_AGE_SECONDS",
    "INBOX_SUMMARY_FILE",
    "INTERRUPTED",
    "LEDGER_FILE",
    "LOCK_FILE",
    "NOTE_SUFFIX",
    "RUNNING",
    "RUN_LABEL",
    "FileEntry",
    "FileOutcome",
    "Inbox",
    "InboxError",
    "InboxLedger",
    "InboxLock",
    "InboxSettings",
    "LedgerRow",
    "RunExport",
    "duplicate_note",
    "is_export_name",
    "move_file",
    "process_inbox",
    "run_split_payouts",
    "scan_inbox",
    "sha256_of",
    "unreadable_note",
    "write_error_summary",
    "write_note",
]
