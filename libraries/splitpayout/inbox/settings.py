"""The inbox's settings and the names of its files."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from splitpayout.runs import runs_dir_from_env
from splitpayout.settings import Settings, SettingsError

LEDGER_FILE = "inbox.sqlite3"
LOCK_FILE = "inbox.lock"
INBOX_SUMMARY_FILE = "inbox-summary.json"
CONSOLE_FILE = "console.log"
RUN_LABEL = "inbox"
NOTE_SUFFIX = ".txt"
DEFAULT_MIN_AGE_SECONDS = 5.0


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
