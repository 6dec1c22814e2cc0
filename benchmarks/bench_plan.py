"""Benchmark: read and plan exports of 10k, 50k and 100k decisions; speed and peak memory.

    .venv/bin/python benchmarks/bench_plan.py [--sizes 10000 50000 100000] [--workdir DIR]

Each export is generated once with ``devdata/generate_export.py`` (valid decisions plus one
row per scenario of the demo mix, a fixed seed) and reused from ``--workdir``. Each size
is planned in a fresh subprocess so its peak RSS (``resource.getrusage``) is its own.
The whole pipeline is measured: both passes of ``plan_export`` (decision numbers,
then parse + plan) and the check that every planned decision's payments add up to its Belopp.
Targets: at least 3,000 decisions/s and under 200 MB peak RSS, flat as the file grows.
``dec/CPU-s`` (decisions per second of the process's own CPU time) is printed beside the
wall-clock rate because the machine is shared: it shows the code's speed without the
waiting for a core. The target is checked on the wall-clock rate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "libraries")]

TODAY = dt.date(2026, 12, 1)
SEED = 20261201


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


def child(path: Path) -> None:
    """Plan one export and print the measurements as JSON (runs in its own process)."""
    from splitpayout.planner import index_decisions, plan_export

    started = time.perf_counter()
    cpu_started = time.process_time()
    counts: Counter[str] = Counter()
    for plan in plan_export(path, today=TODAY):
        counts[plan.outcome.value] += 1
        if plan.outcome.value == "planned":
            assert sum(payment.amount_ore for payment in plan.payments) == plan.amount_ore
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    index_decisions(path)  # the first pass alone, timed after the peak was taken
    first_pass = time.perf_counter() - started
    print(
        json.dumps(
            {
                "decisions": sum(counts.values()),
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "first_pass_seconds": first_pass,
                "peak_rss_mb": peak_kb / 1024,
                "counts": dict(sorted(counts.items())),
                "file_mb": path.stat().st_size / 1e6,
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "splitpayout-bench")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0

    print(
        f"{'decisions':>10} {'file MB':>8} {'wall s':>7} {'CPU s':>7} {'pass 1 s':>8} "
        f"{'dec/s':>7} {'dec/CPU-s':>9} {'peak RSS MB':>11}  outcomes"
    )
    failed = False
    for size in args.sizes:
        path = ensure_export(args.workdir, size)
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(path)], check=True, capture_output=True, text=True
        ).stdout
        result = json.loads(out)
        rate = result["decisions"] / result["seconds"]
        cpu_rate = result["decisions"] / result["cpu_seconds"]
        print(
            f"{result['decisions']:>10} {result['file_mb']:>8.1f} {result['seconds']:>7.1f} "
            f"{result['cpu_seconds']:>7.1f} {result['first_pass_seconds']:>8.1f} {rate:>7.0f} "
            f"{cpu_rate:>9.0f} {result['peak_rss_mb']:>11.1f}  {result['counts']}"
        )
        failed |= rate < 3000 or result["peak_rss_mb"] >= 200
    print("targets (>= 3000 decisions/s, < 200 MB peak RSS):", "MISSED" if failed else "met")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
