"""Runs the Robot Framework acceptance suites as part of the pytest run.

Each suite runs in its own Robot Framework process; its log and report land in
``output/acceptance/<suite>/`` for reading when it fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# payout_system_ui.robot runs in tests/integration/test_robot_gateway_suite.py, at TRACE level.
SUITES = sorted(
    p.name for p in (ROOT / "tests" / "acceptance").glob("*.robot") if p.name != "payout_system_ui.robot"
)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("suite", SUITES)
def test_acceptance_suite_passes(suite: str) -> None:
    outdir = ROOT / "output" / "acceptance" / suite.removesuffix(".robot")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "libraries")])
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "robot",
            "--outputdir",
            str(outdir),
            "--pythonpath",
            str(ROOT / "tests" / "acceptance"),
            "--consolecolors",
            "off",
            str(ROOT / "tests" / "acceptance" / suite),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    errors = [line for line in (completed.stdout + completed.stderr).splitlines() if "[ ERROR ]" in line]
    assert not errors, f"{suite} has errors (a broken setting or import is not a pass): {errors}"
    assert completed.returncode == 0, (
        f"{suite} failed (see {outdir / 'log.html'}):\n{completed.stdout[-6000:]}\n{completed.stderr[-2000:]}"
    )
