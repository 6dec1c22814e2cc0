"""The environment a test gives a robot task it runs as a subprocess: the test process's own,
without any of the robot's settings, so nothing from the caller's shell changes what is tested."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

#: The robot's settings (see the README's configuration table) besides the prefixed families.
ROBOT_SETTINGS = (
    "DECISIONS_FILE",
    "DRY_RUN",
    "STATE_DIR",
    "RUN_DATE",
    "RUN_STARTED_BY",
    "WORKERS",
    "LOOK_UP_EACH_PAYMENT",
    "MAX_ATTEMPTS",
    "MAX_CONSECUTIVE_FAILURES",
    "RETRY_BACKOFF_SECONDS",
    "UNKNOWN_OUTCOME_SETTLE_SECONDS",
    "AMOUNT_LIMIT_KR",
)
ROBOT_PREFIXES = ("ROBOT_", "PAYOUT_", "RPA_", "WORK_ITEM_")


def clean_robot_env(*also_drop: str) -> dict[str, str]:
    """``os.environ`` without the robot's settings (and ``also_drop``), with the robot's PYTHONPATH."""
    dropped = set(ROBOT_SETTINGS) | set(also_drop)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in dropped and not key.startswith(ROBOT_PREFIXES)
    }
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "libraries")])
    return env
