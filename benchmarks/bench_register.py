"""Benchmark: the robot's payments per second (1, 2, 4 workers) beside bare loops and HTTP; a Malmö month.

    .venv/bin/python benchmarks/bench_register.py [--decisions 30] [--modes robot selenium http ...]
                                                  [--workers 1 2 4] [--rounds 1] [--malmo] [--before TREE]
                                                  [--malmo-workers 2] [--json] [--workdir DIR] [--keep]

One export of ``--decisions`` valid decisions (``devdata/generate_export.py``, a fixed seed,
payout dates relative to today) is planned once; every mode then registers the same
planned payments in a fresh payout-system stand-in with a fresh database:

``robot``          the real ``Split payouts`` task as a subprocess (``python -m
                   splitpayout.runner split_payouts``), with its default fast fill, once per
                   worker count in ``--workers`` (environment variable ``WORKERS``): shown as
                   ``robot`` (one worker), ``robot x2``, ``robot x4``. With N > 1 the task plans
                   the export and then runs N browser worker processes that share the ledger;
``robot-typed``    the same with ``PAYOUT_FAST_FILL=false`` (every field typed key by key), one worker;
``selenium``       a bare Selenium loop that types (shown as ``selenium-typed``): headless
                   Chromium, log in once, then for each payment open the new-payment form,
                   ``send_keys`` every field, submit and wait for the confirmation page's payment
                   number (the natural hand-written baseline);
``selenium-fast``  the same bare loop, but the whole form is filled by one ``execute_script``
                   that sets each field's ``value`` and fires bubbling ``input`` and ``change``
                   events (what the robot's fast fill does, written here by hand);
``http``           the same form posted over HTTP by ``HttpGateway`` (the stand-in's own limit).

``--before TREE`` adds the row ``robot (before)``: the same ``robot`` mode (one worker) run from
another checkout of the robot, e.g. the code before a change (``git archive <commit> | tar -x -C
TREE``), side by side in the same run, with the same export and stand-in. The verdict then says
whether the robot of this tree keeps at least 90 % of that rate (reading every payment back from
its confirmation page may cost at most 10 %).

``reg s`` is the wall time of the registration phase. For the robot it is read from its
``run.jsonl`` in the artifacts folder: from ``registration_started`` to
``registration_finished``, so it includes starting the workers (with N > 1, N worker processes),
their browsers and their log-ins, the searches of what the payout system already holds, and
waiting for the slowest worker. A robot that writes no such events is measured
from its log-in (``logged_in``, the earliest over all workers) to the last ``decision_done``
instead, which leaves out its browser start and log-in; a note under the table says so. For
the bare loops and HTTP ``reg s`` runs from the logged-in session to the last payment number.
``pay/s`` is the planned payments divided by ``reg s``; ``pay/s/w`` divides that by the number
of workers (for the baselines, one browser or one connection). ``total s`` is everything the
mode costs: for the robot the whole process (Python and Robot Framework start-up, reading and
planning the export, the browsers, the reports), for the Selenium loops browser start-up and
log-in too, for HTTP the log-in too; ``total pay/s`` divides the payments by it.

After each mode the stand-in's JSON API must hold every planned reference exactly once with
the planned method, amount and payout date, and nothing else; the robot's ``summary.json``
must report every payment ``registered``, its run logs must hold one ``payment_registered``
event per planned payment, and with N > 1 there must be one log per worker
(``<artifacts>/workers/w<K>/run.jsonl``). Anything else stops the benchmark with an error and a
non-zero exit status: a benchmark that silently measured nothing would be worse than none.

The ratios (``x selenium``, ``x sel-fast``, ``x http``) divide a mode's registration rate by
that of the typing Selenium loop, the fast-fill Selenium loop and HTTP, measured side by side
in the same run. With ``--rounds R`` every mode runs R times (a fresh stand-in each time, each
round starting with another mode) and the fastest round counts: the machine is shared, and the
fastest round is the one least disturbed by other work. ``load`` is the machine's 1-minute load
average around each mode (mean of before and after); well above the number of cores plus the
mode's own workers, other work competed for the processors and the rates and ratios are noisy.
``med ms`` is the median time of one payment (for the robot from the ``duration_ms`` of its
``payment_registered`` events, over all workers' logs when there are worker logs): a burst of
other work moves it less than the totals.

``cpu ms`` is the processor time (user and system, all cores) per payment of the mode's own
processes, sampled from ``/proc`` twice a second (``process_cpu.py``): for the robot the whole
process tree over the whole run (the task, its workers, their chromedrivers and browsers, from
start-up to the reports), for the bare loops the loop itself, chromedriver and the browser, for
HTTP the loop. ``srv ms`` is the stand-in's over the same time. Their sum says how many payments
per second the machine could carry at most at that cost with every core doing nothing else
(cores / (cpu + srv)): the verdict gives that ceiling beside each worker count's rate, since
N browsers side by side on a 2-core machine share two cores, whatever N is.

``--malmo`` adds a Malmö month: 2,400 valid households of the same generator with the same
seed, about half of them split between two partners (the generator's own mix for valid
decisions: half split, some paid partly straight to a landlord by bankgiro, so some 3,950
payments rather than 3,600; the draws depend on the date, the exact figures are printed).
Only the robot runs it, with ``--malmo-workers`` workers (2), once, in a fresh stand-in,
checked like every mode. It prints the wall time of the whole robot process (the figure the
target is about), the registration phase, the payments per second, and whether the whole
process took under 15 minutes. It takes ten to fifteen minutes on a two-core machine.
``--modes`` with no mode runs the month alone. A month smaller than 2,400 households (the
hidden ``--malmo-households N``, to try this code path quickly) is printed but not judged.

The verdict after the table gives, for each target of a two-core machine, the measured figure
and OK or MISSED: at least 3 payments/s per worker for every robot worker count; the robot
(one worker) within 1.5x of the bare fast-fill loop, i.e. at least the ``selenium-fast`` rate
divided by 1.5; the Malmö month under 15 minutes. Targets are reported, not asserted: the exit
status is 0 whenever the measurements are valid, whatever the verdict.

The Selenium loops send the same texts as the robot, in a Chromium started with the robot's own
flags and chromedriver, and poll for the confirmation page every 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from process_cpu import CpuMeter
from register_baselines import run_http, run_selenium
from register_common import (
    BEFORE_MODE,
    DEFAULT_WORKERS,
    MALMO_HOUSEHOLDS,
    MALMO_TIMEOUT_SECONDS,
    MODES,
    ROBOT_TIMEOUT_SECONDS,
    STAND_IN_RULES,
    BenchmarkError,
    Result,
    composition,
    count,
    label,
    make_export,
    say,
)
from register_report import print_malmo, print_table, print_verdict, results_json, targets
from register_robot import run_robot


def run_mode(
    mode: str,
    export: Path,
    payments: list[Any],
    rundir: Path,
    *,
    workers: int = 1,
    timeout: float = ROBOT_TIMEOUT_SECONDS,
    before: Path | None = None,
) -> Result:
    """One mode against a fresh stand-in with a fresh database in ``rundir`` (``before``: the tree
    the ``robot-before`` mode runs from)."""
    from tests.support.payout_server import running_payout_system

    rundir.mkdir(parents=True)
    runners: dict[str, Callable[[Any, CpuMeter], Result]] = {
        "robot": lambda server, meter: run_robot(
            server, export, payments, rundir, fast=True, meter=meter, workers=workers, timeout=timeout
        ),
        "robot-typed": lambda server, meter: run_robot(
            server, export, payments, rundir, fast=False, meter=meter, timeout=timeout
        ),
        "selenium": lambda server, meter: run_selenium(server, payments, rundir, fast=False, meter=meter),
        "selenium-fast": lambda server, meter: run_selenium(server, payments, rundir, fast=True, meter=meter),
        "http": lambda server, meter: run_http(server, payments, rundir),
        BEFORE_MODE: lambda server, meter: run_robot(
            server, export, payments, rundir, fast=True, meter=meter, timeout=timeout, tree=before
        ),
    }
    with running_payout_system(rundir / "payout-system.sqlite3") as server:
        if server.api_payments():
            raise BenchmarkError(f"{label(mode, workers)}: the fresh stand-in already holds payments")
        load_before = os.getloadavg()[0]
        with CpuMeter(server.process.pid) as server_meter, CpuMeter() as meter:
            result = runners[mode](server, meter)
    result.cpu_seconds += meter.seconds
    result.server_cpu_seconds = server_meter.seconds
    # The machine's 1-minute load average around the mode: above the core count, other work
    # competed for the processors and the mode's rate is lower than it would be alone.
    result.load = (load_before + os.getloadavg()[0]) / 2
    return result


def run_malmo(workdir: Path, households: int, workers: int, today: dt.date) -> tuple[Result, dict[str, int]]:
    """A Malmö month: the robot alone with ``workers`` workers on ``households`` valid households."""
    export, payments = make_export(workdir, households, today, name="malmo")
    mix = composition(payments)
    say(
        f"Malmö month: {mix['households']} households, {mix['split']} split, "
        f"{mix['direct_payments']} direct payments, {mix['payments']} payments; "
        f"the robot with {count(workers, 'worker')} (this takes a while)"
    )
    rundir = workdir / f"malmo-w{workers}"
    if rundir.exists():
        shutil.rmtree(rundir)
    result = run_mode("robot", export, payments, rundir, workers=workers, timeout=MALMO_TIMEOUT_SECONDS)
    return result, mix


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--decisions", type=int, default=30, help="valid decisions in the export (30)")
    modes_help = "modes to run (all; none: --malmo alone)"
    parser.add_argument("--modes", nargs="*", choices=MODES, default=list(MODES), help=modes_help)
    workers_help = "worker counts the robot mode runs with, one row each (1 2 4)"
    parser.add_argument("--workers", nargs="+", type=int, default=list(DEFAULT_WORKERS), help=workers_help)
    parser.add_argument("--rounds", type=int, default=1, help="runs per mode; the fastest counts (1)")
    parser.add_argument("--malmo", action="store_true", help="also time a Malmö month (2,400 households)")
    parser.add_argument("--malmo-workers", type=int, default=2, help="the robot's workers for --malmo (2)")
    # A smaller month, to try the --malmo code path without waiting a quarter of an hour.
    parser.add_argument("--malmo-households", type=int, default=MALMO_HOUSEHOLDS, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument("--workdir", type=Path, help="where exports and stand-in databases go (a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (artifacts, logs)")
    parser.add_argument(
        "--before",
        type=Path,
        metavar="TREE",
        help="also run the robot from TREE, another checkout (row 'robot (before)')",
    )
    return parser


def parse_args() -> tuple[argparse.Namespace, list[tuple[str, int]]]:
    """The options, and the (mode, workers) of every row: the robot once per worker count, every
    other mode with one."""
    parser = build_parser()
    args = parser.parse_args()
    if args.decisions < 1 or args.rounds < 1:
        parser.error("--decisions and --rounds must be at least 1")
    if min(args.workers) < 1 or args.malmo_workers < 1 or args.malmo_households < 1:
        parser.error("--workers, --malmo-workers and --malmo-households must be at least 1")
    modes = list(dict.fromkeys(args.modes))
    if not modes and not args.malmo:
        parser.error("no mode to run: name one with --modes, or add --malmo")
    entries = [
        (mode, workers)
        for mode in modes
        for workers in (dict.fromkeys(args.workers) if mode == "robot" else (1,))
    ]
    if args.before is not None:
        if not (args.before / "libraries" / "splitpayout").is_dir():
            parser.error(f"--before {args.before}: not a checkout of the robot")
        entries.insert(0, (BEFORE_MODE, 1))
    for name in [name for name in os.environ if name.startswith(STAND_IN_RULES)]:
        say(f"ignoring {name}: the stand-in runs without faults or payment rules here")
        del os.environ[name]

    return args, entries


def run_rounds(
    args: argparse.Namespace, entries: list[tuple[str, int]], workdir: Path
) -> tuple[dict[str, list[Result]], list[Any], tuple[Result, dict[str, int]] | None]:
    """Every row ``args.rounds`` times, then the Malmö month when asked: each row's results, the
    planned payments and the month's result with its composition."""
    rounds: dict[str, list[Result]] = {label(mode, workers): [] for mode, workers in entries}
    payments: list[Any] = []
    today = dt.date.today()
    if entries:
        export, payments = make_export(workdir, args.decisions, today)
        say(f"{args.decisions} decisions, {len(payments)} payments; work directory {workdir}")
    for number in range(1, args.rounds + 1):
        shift = (number - 1) % len(entries) if entries else 0  # each round starts with another mode
        for mode, workers in entries[shift:] + entries[:shift]:
            name = label(mode, workers)
            rundir = workdir / f"{mode}-w{workers}-{number}"
            if rundir.exists():
                shutil.rmtree(rundir)
            result = run_mode(mode, export, payments, rundir, workers=workers, before=args.before)
            rounds[name].append(result)
            say(
                f"round {number} {name}: {result.payments} payments in {result.seconds:.1f} s "
                f"({result.rate:.2f}/s), {result.total_seconds:.1f} s in all"
            )
    if not args.malmo:
        return rounds, payments, None
    malmo = run_malmo(workdir, args.malmo_households, args.malmo_workers, today)
    say(
        f"Malmö month: {malmo[0].payments} payments in {malmo[0].total_seconds:.1f} s in all, "
        f"{malmo[0].seconds:.1f} s registering ({malmo[0].rate:.2f}/s)"
    )
    return rounds, payments, malmo


def main() -> int:
    args, entries = parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="splitpayout-bench-register-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        rounds, payments, malmo = run_rounds(args, entries, workdir)
    except BenchmarkError as error:
        say(f"FAILED: {error}")
        say(f"work directory kept: {workdir}")
        return 1
    if not args.keep and args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)

    best = {name: max(results, key=lambda r: r.rate) for name, results in rounds.items()}
    checks = targets(best, malmo)
    if args.json:
        output = results_json(
            best,
            rounds,
            malmo,
            checks,
            decisions=args.decisions if entries else None,
            payments=len(payments) if entries else None,
            rounds_asked=args.rounds,
        )
        print(json.dumps(output, indent=2, ensure_ascii=False))
        return 0
    if best:
        print_table(best, args.rounds)
    if malmo is not None:
        if best:
            print()
        print_malmo(*malmo)
    print()
    print_verdict(checks)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
