"""Benchmark: how many decisions one run completes against a flaky payout system, over many seeds.

    .venv/bin/python benchmarks/bench_flaky.py [--seeds 20] [--decisions 28]

Each seed is a fresh stand-in with the fault mix of a bad day: 10 % server errors, 5 % lost
sessions, 3 % requests that hang for 6 s, and 50-200 ms latency on every page (reproducible
from the seed). One run of the registration loop, with the robot's default retry settings
(``MAX_ATTEMPTS``, the second pass), registers the decisions over HTTP (the stand-in's own
forms; the browser adds nothing to what the faults do). Printed per seed: decisions completed
in that one run, faults injected, and whether the payout system holds every reference exactly
once; then the completion rate over all seeds. Not a test: it takes minutes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "libraries")]

from splitpayout.domain.models import Outcome  # noqa: E402

from tests.integration.test_flaky_payout_system import one_run  # noqa: E402
from tests.support.registration import many_plans, payout_system  # noqa: E402

FAULT_MIX = (
    "--error-rate", "0.1", "--expire-session-rate", "0.05", "--hang-rate", "0.03",
    "--hang-seconds", "6", "--latency-ms", "50", "--jitter-ms", "150",
)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--decisions", type=int, default=28)
    args = parser.parse_args()
    completed = total = 0
    print(f"{'seed':>5} {'completed':>10} {'faults':>7} {'once':>5} {'seconds':>8}")
    for seed in range(1, args.seeds + 1):
        plans = many_plans(args.decisions, prefix=f"S{seed}")
        with (
            tempfile.TemporaryDirectory() as folder,
            payout_system(Path(folder), "--seed", str(seed), *FAULT_MIX) as server,
        ):
            started = time.perf_counter()
            results = one_run(server.url, Path(folder), plans, timeout=5.0)
            seconds = time.perf_counter() - started
            done = sum(1 for r in results.values() if r.outcome is Outcome.PAID)
            counts = Counter(row["reference"] for row in server.api_payments())
            once = all(n == 1 for n in counts.values())
            faults = server.log_text().count("fault injected")
        completed += done
        total += len(plans)
        print(f"{seed:>5} {done:>6}/{len(plans):<3} {faults:>7} {'yes' if once else 'NO':>5} {seconds:>8.0f}")
    print(f"completed in one run: {completed} of {total} decisions ({100 * completed / total:.1f} %)")
    return 0 if completed == total else 1


if __name__ == "__main__":
    raise SystemExit(main())
