"""The inbox's settings and the names of its files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from splitpayout.config import Config
from splitpayout.config.names import INBOX_LOCK_WAIT_SECONDS, INBOX_MIN_AGE_SECONDS, STARTED_BY
from splitpayout.config.names import INBOX_SUMMARY_FILE as INBOX_SUMMARY_FILE

LEDGER_FILE = "inbox.sqlite3"
LOCK_FILE = "inbox.lock"
CONSOLE_FILE = "console.log"
RUN_LABEL = "inbox"
NOTE_SUFFIX = ".txt"
DEFAULT_MIN_AGE_SECONDS = INBOX_MIN_AGE_SECONDS


@dataclass(frozen=True)
class InboxSettings:
    """Where the inbox and its folders are, and how it behaves: the inbox's view of the configuration."""

    inbox_dir: Path
    archive_dir: Path
    rejected_dir: Path
    runs_dir: Path
    state_dir: Path
    artifacts_dir: Path
    min_age_seconds: float = DEFAULT_MIN_AGE_SECONDS
    lock_wait_seconds: float = INBOX_LOCK_WAIT_SECONDS
    started_by: str = STARTED_BY
    mode: str = "real"  # "real" or "dry_run", as the runs' summary.json says

    @classmethod
    def from_config(cls, config: Config) -> InboxSettings:
        """The inbox's settings; the ``Split payouts`` settings are checked too, before any file
        moves. Raises SettingsError naming the variable."""
        robot = config.run
        inbox = config.inbox
        return cls(
            inbox_dir=inbox.inbox_dir,
            archive_dir=inbox.archive_dir,
            rejected_dir=inbox.rejected_dir,
            runs_dir=inbox.runs_dir,
            state_dir=robot.state_dir,
            artifacts_dir=robot.artifacts_dir,
            min_age_seconds=inbox.min_age_seconds,
            lock_wait_seconds=inbox.lock_wait_seconds,
            started_by=robot.started_by,
            mode="dry_run" if robot.dry_run else "real",
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> InboxSettings:
        """The settings from ``env`` (default: this process's environment)."""
        return cls.from_config(Config.load(env))
