"""Runs tests/acceptance/payout_system_ui.robot (the payout system's keywords and RobotGateway against
the stand-in in a headless Chromium) and checks that its logs, even at TRACE level, hold no
personal data and no password."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.robot_logs import readable_text

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "tests" / "acceptance" / "payout_system_ui.robot"

#: What the suite enters (see tests/acceptance/StandIn.py), in every form it could be written.
PERSONAL_DATA = (
    "191212121212",
    "19121212-1212",
    "121212-1212",
    "1212121212",
    "191212121213",
    "Tolvan",
    "Tolvansson",
    "5837278",
)
PASSWORD = "robot-demo-password"


@pytest.mark.browser
@pytest.mark.slow
def test_the_suite_passes_and_its_logs_hold_no_personal_data(tmp_path: Path) -> None:
    env = dict(os.environ, PAYOUT_SYSTEM_PASSWORD=PASSWORD)
    env.pop("PAYOUT_SYSTEM_URL", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "robot",
            "--loglevel",
            "TRACE",
            "--pythonpath",
            os.pathsep.join([str(ROOT), str(ROOT / "libraries")]),
            "--outputdir",
            str(tmp_path),
            "--consolecolors",
            "off",
            str(SUITE),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    for name in ("output.xml", "log.html", "report.html"):
        text = readable_text(tmp_path / name)
        for secret in (*PERSONAL_DATA, PASSWORD):
            assert secret not in text, f"{name} holds {secret[:4]}…"
    console = result.stdout + result.stderr
    for secret in (*PERSONAL_DATA, PASSWORD):
        assert secret not in console
