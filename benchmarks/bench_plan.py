"""Benchmark: the whole dry-run task over exports of 10k, 50k and 100k decisions; peak memory.

    .venv/bin/python benchmarks/bench_plan.py [--sizes 10000 50000 100000] [--workdir DIR]

Each export is generated once with ``devdata/generate_export.py`` (valid decisions plus one
row per scenario of the demo mix, a fixed seed) and reused from ``--workdir``. Each size runs
``Split payouts`` with ``DRY_RUN=true`` exactly as robot.yaml does
(``python -m splitpayout.runner split_payouts``, ``MAX_DECISIONS`` raised to the size), so
everything a dry run does is measured: reading, planning, the results, summary.json, the case
workers' workbook and Robot Framework's own log.html/report.html/output.xml. The peak resident
memory is the run process's own (``os.wait4``), measured side by side for every size in one
run of this script.

Targets: under 300 MB at 100k decisions, and the 100k figure within 20 % of the 10k figure
(memory flat as the export grows). Decisions per second are printed too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from robot_task import ROOT, start_task, task_environment

TODAY = dt.date(2026, 12, 1)
SEED = 20261201
TARGET_PEAK_MB = 300
TARGET_GROWTH = 1.20


def ensure_export(workdir: Path, count: int) -> Path:
    """The export of ``count`` decisions in ``workdir``, generated on first use."""
    path = workdir / f"export-{count}.xlsx"
    if path.exists():
        return path
    workdir.mkdir(parents=True, exist_ok=True)
    from devdata.generate_export import generate

    started = time.perf_counter()
    partial = path.with_suffix(".partial.xlsx")
    generate(partial, count=count, seed=SEED, today=TODAY, scenario_mix=True)
    partial.rename(path)
    print(f"generated {path.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def dry_run(path: Path, workdir: Path, size: int) -> dict[str, float | int | str]:
    """Run the dry-run task on ``path``; its time, peak memory and totals."""
    artifacts = workdir / f"output-{size}"
    env = task_environment(
        ROOT,
        ("ROBOT_", "PAYOUT_"),
        DECISIONS_FILE=str(path),
        DRY_RUN="true",
        RUN_DATE=TODAY.isoformat(),
        MAX_DECISIONS=str(size + 1000),
        STATE_DIR=str(workdir / "state"),
        ROBOT_ARTIFACTS=str(artifacts),
    )
    started = time.perf_counter()
    process = start_task(ROOT, env, capture=False)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    summary = json.loads((artifacts / "summary.json").read_text(encoding="utf-8"))
    return {
        "decisions": summary["totals"]["decisions"],
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
        "exit": process.returncode,
        "status": summary["status"],
        "log_mb": (artifacts / "log.html").stat().st_size / 1e6,
        "file_mb": path.stat().st_size / 1e6,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "splitpayout-bench")
    args = parser.parse_args()

    header = ("decisions", "file MB", "wall s", "CPU s", "dec/s", "peak MB", "log MB")
    print(" ".join(f"{name:>{width}}" for name, width in zip(header, (10, 8, 7, 7, 7, 8, 7), strict=True)))
    peaks: dict[int, float] = {}
    for size in args.sizes:
        path = ensure_export(args.workdir, size)
        result = dry_run(path, args.workdir, size)
        if result["status"] != "completed":
            print(f"the dry run of {size} decisions ended {result['status']} (exit {result['exit']})")
            return 1
        decisions = int(result["decisions"])
        peaks[size] = float(result["peak_mb"])
        seconds = float(result["seconds"])
        print(
            f"{decisions:>10} {result['file_mb']:>8.1f} {seconds:>7.1f} {result['cpu_seconds']:>7.1f} "
            f"{decisions / seconds:>7.0f} {result['peak_mb']:>8.1f} {result['log_mb']:>7.1f}"
        )
    smallest, largest = min(peaks), max(peaks)
    growth = peaks[largest] / peaks[smallest]
    flat = growth <= TARGET_GROWTH
    small_enough = peaks[largest] < TARGET_PEAK_MB
    print(
        f"peak memory at {largest} decisions: {peaks[largest]:.0f} MB (target < {TARGET_PEAK_MB} MB):"
        f" {'OK' if small_enough else 'MISSED'}"
    )
    print(
        f"peak at {largest} / peak at {smallest}: {growth:.2f}x (target <= {TARGET_GROWTH:.2f}x):"
        f" {'OK' if flat else 'MISSED'}"
    )
    return 0 if flat and small_enough else 1


if __name__ == "__main__":
    raise SystemExit(main())
