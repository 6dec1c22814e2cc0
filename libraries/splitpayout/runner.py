"""Run one of the robot's tasks with the options the robot needs, locally or under rcc.

``python -m splitpayout.runner split_payouts`` is what robot.yaml's ``Split payouts``
task runs. Artifacts go to ``$ROBOT_ARTIFACTS`` (default ``output/``). The exit
status is Robot Framework's: 0 when every task passed (for ``Split payouts``: the
file could be read and no decision failed), non-zero otherwise.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from robot.run import run as run_robot

ROOT = Path(__file__).resolve().parents[2]

TASKS = {
    "split_payouts": "split_payouts.robot",
}


def robot_options(artifacts: Path) -> dict[str, object]:
    """Options that keep log.html readable and small for thousands of payments."""
    return {
        "rpa": True,
        "outputdir": str(artifacts),
        "pythonpath": [str(ROOT), str(ROOT / "libraries")],
        "loglevel": "INFO",
        # Retried UI steps and loops leave only their messages, not their structure.
        "removekeywords": ["WUKS", "FOR"],
        "consolewidth": 100,
        "consolecolors": "off" if os.environ.get("CI") else "auto",
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in TASKS:
        print(f"usage: python -m splitpayout.runner {{{','.join(TASKS)}}}", file=sys.stderr)
        return 2
    artifacts = Path(os.environ.get("ROBOT_ARTIFACTS", "output"))
    artifacts.mkdir(parents=True, exist_ok=True)
    suite = ROOT / "tasks" / TASKS[argv[0]]
    return int(run_robot(str(suite), **robot_options(artifacts)))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
