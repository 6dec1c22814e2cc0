"""How ``scripts/test.sh`` shares the tests out (tests/conftest.py): the modules kept together
(``xdist_group``) come first, then the modules with slow tests, and under ``--dist loadgroup`` a
module's ``xdist_group`` runs on one worker, so its module-scoped fixtures are built once.
Checked on a small suite of its own in a pytest process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

GROUPED = """
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.xdist_group("grouped")


@pytest.mark.parametrize("n", range(6))
def test_grouped(n, tmp_path_factory):
    record = Path(os.environ["RECORD_DIR"]) / f"grouped-{n}"
    record.write_text(os.environ.get("PYTEST_XDIST_WORKER", "none"), encoding="utf-8")
"""

ALONE = """
import pytest


@pytest.mark.parametrize("n", range(6))
def test_alone(n):
    pass
"""

SLOW = """
import pytest


@pytest.mark.slow
def test_slow():
    pass


def test_quick_beside_it():
    pass
"""


def run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (folder / "pytest.ini").write_text("[pytest]\nmarkers =\n    slow: slow\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "libraries")]))
    env["RECORD_DIR"] = str(folder / "records")
    (folder / "records").mkdir(exist_ok=True)
    command = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-q", *args]
    return subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_groups_come_first_then_the_modules_with_slow_tests_with_their_other_tests(
    tmp_path: Path,
) -> None:
    (tmp_path / "test_a_alone.py").write_text(ALONE, encoding="utf-8")
    (tmp_path / "test_b_slow.py").write_text(SLOW, encoding="utf-8")
    (tmp_path / "test_c_grouped.py").write_text(GROUPED, encoding="utf-8")
    completed = run_pytest(tmp_path, "--collect-only")
    modules = [line.split("::")[0] for line in completed.stdout.splitlines() if "::" in line]
    assert modules == ["test_c_grouped.py"] * 6 + ["test_b_slow.py"] * 2 + ["test_a_alone.py"] * 6, (
        completed.stdout
    )
    ids = [line for line in completed.stdout.splitlines() if line.startswith("test_b_slow.py::")]
    assert ids == ["test_b_slow.py::test_slow", "test_b_slow.py::test_quick_beside_it"]


def test_a_modules_group_runs_on_one_worker_and_every_other_test_anywhere(tmp_path: Path) -> None:
    (tmp_path / "test_grouped.py").write_text(GROUPED, encoding="utf-8")
    (tmp_path / "test_alone.py").write_text(ALONE, encoding="utf-8")
    completed = run_pytest(tmp_path, "-n", "3", "--dist", "loadgroup", "--no-loadscope-reorder")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "12 passed" in completed.stdout
    workers = {path.read_text(encoding="utf-8") for path in (tmp_path / "records").iterdir()}
    assert len(list((tmp_path / "records").iterdir())) == 6
    assert len(workers) == 1 and workers != {"none"}, workers
