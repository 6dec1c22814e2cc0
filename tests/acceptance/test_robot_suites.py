"""Runs the Robot Framework acceptance suites as part of the pytest run.

Each suite runs in its own Robot Framework process; its log and report land in
``output/acceptance/<suite>/`` for reading when it fails. The cases of a suite whose cases are
independent (each starts its own stand-in on its own folder) run one process each, in
``output/acceptance/<suite>/<case>/``, so that parallel workers share them out.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from robot import api as robot_api

ROOT = Path(__file__).resolve().parents[2]
ACCEPTANCE = ROOT / "tests" / "acceptance"
# payout_system_ui.robot runs in tests/integration/test_robot_gateway_suite.py, at TRACE level.
SUITES = sorted(p.name for p in ACCEPTANCE.glob("*.robot") if p.name != "payout_system_ui.robot")
#: Suites whose cases need nothing from another case (dry_run.robot's cases read the first one's run).
INDEPENDENT_CASES = {"split_payouts.robot"}


def runs() -> list[tuple[str, str | None]]:
    """(suite, case) of every run: a whole suite (case None), or one case of an independent one."""
    found: list[tuple[str, str | None]] = []
    for suite in SUITES:
        if suite in INDEPENDENT_CASES:
            found += [
                (suite, case.name) for case in robot_api.TestSuiteBuilder().build(ACCEPTANCE / suite).tests
            ]
        else:
            found.append((suite, None))
    return found


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


RUNS = runs()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize(("suite", "case"), RUNS, ids=[f"{s}::{slug(c)}" if c else s for s, c in RUNS])
def test_acceptance_suite_passes(suite: str, case: str | None) -> None:
    outdir = ROOT / "output" / "acceptance" / suite.removesuffix(".robot")
    only: list[str] = []
    if case is not None:
        assert not set(case) & set("*?["), f"{case!r} would be read as a pattern"
        outdir /= slug(case)
        only = ["--test", case]
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
            str(ACCEPTANCE),
            "--consolecolors",
            "off",
            *only,
            str(ACCEPTANCE / suite),
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
    if case is not None:  # exactly the one case ran (a name matching none exits non-zero already)
        assert re.search(r"^1 test, 1 passed, 0 failed", completed.stdout, re.MULTILINE), completed.stdout
