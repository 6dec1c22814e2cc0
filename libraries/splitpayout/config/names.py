"""The names and defaults the robot's files and folders are known by: one place for each.

Folders are relative to where a run starts unless their variable names another place; file
names are those inside a run's artifacts folder (``ROBOT_ARTIFACTS``) or the state folder
(``STATE_DIR``), as the README's "Reading a run's output" describes them.
"""

from __future__ import annotations

# -- default folders and values (the README's configuration table) ----------------------------
ARTIFACTS_DIR = "output"
STATE_DIR = "state"
RUNS_DIR = "runs"
INBOX_DIR = "inbox"
ARCHIVE_DIR = "inbox-archive"
REJECTED_DIR = "inbox-rejected"
CONSOLE_DATA_FOLDER = "console"  # under STATE_DIR unless CONSOLE_DATA_DIR says otherwise
PAYOUT_SYSTEM_URL = "http://127.0.0.1:8080"
PAYOUT_SYSTEM_SECRET = "payout_system"  # noqa: S105 (the name of a vault secret, not a secret)
SMTP_SECRET = "smtp"  # noqa: S105 (the name of a vault secret, not a secret)
LEDGER_SECRET = "ledger"  # noqa: S105 (the name of a vault secret, not a secret)
# Development's ledger key, under the home folder unless LEDGER_KEY_FILE names another place.
DEVELOPMENT_KEY_FILE = ".config/split-payout/ledger-fingerprint.key"
STARTED_BY = "schedule"
INBOX_MIN_AGE_SECONDS = 5.0
INBOX_LOCK_WAIT_SECONDS = 0.0
SMTP_PORT = 25
SMTP_TIMEOUT_SECONDS = 10
NOTIFY_MAX_ATTEMPTS = 5

# -- files of one run's artifacts ------------------------------------------------------------
RUN_RECORD_FILE = "run.json"
SUMMARY_FILE = "summary.json"
RUN_LOG_FILE = "run.jsonl"
MANUAL_WORKBOOK_FILE = "manuell-hantering.xlsx"
INBOX_SUMMARY_FILE = "inbox-summary.json"  # of an inbox run
# The console's links to the exports a reconciliation compares with (under CONSOLE_DATA_DIR).
RECONCILE_SOURCES_FOLDER = "avstamning-underlag"

# -- files of the state folder ---------------------------------------------------------------
LEDGER_FILE = "ledger.sqlite3"
