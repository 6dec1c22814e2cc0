"""Starting the ``Split payouts`` task as robot.yaml runs it, for the benchmarks.

Importing this module puts the repository root and ``libraries/`` on ``sys.path``, so a
benchmark script run as ``python benchmarks/<script>.py`` reaches the robot's own code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "libraries")]

TASK_COMMAND = (sys.executable, "-m", "splitpayout.runner", "split_payouts")


def task_environment(tree: Path, dropped: tuple[str, ...], **settings: str) -> dict[str, str]:
    """This process's environment without the variables starting with ``dropped``, with
    ``settings`` and the ``PYTHONPATH`` of ``tree`` (a checkout of the robot)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    env.update(settings, PYTHONPATH=os.pathsep.join([str(tree), str(tree / "libraries")]))
    return env


def start_task(tree: Path, env: dict[str, str], *, capture: bool) -> subprocess.Popen[str]:
    """Start the task in ``tree``; its output captured (``capture``) or thrown away."""
    output = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.Popen(TASK_COMMAND, cwd=tree, env=env, stdout=output, stderr=output, text=True)
