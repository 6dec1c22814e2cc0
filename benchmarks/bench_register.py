"""Benchmark: payments registered per second by the robot, beside a bare Selenium loop and plain HTTP.

    .venv/bin/python benchmarks/bench_register.py [--decisions 30] [--modes robot selenium http]
                                                  [--rounds 1] [--json] [--workdir DIR] [--keep]

One export of ``--decisions`` valid decisions (``devdata/generate_export.py``, a fixed seed,
payout dates relative to today) is planned once; every mode then registers the same
planned payments in a fresh payout-system stand-in with a fresh database:

``robot``         the real ``Split payouts`` task as a subprocess (``python -m
                  splitpayout.runner split_payouts``), with its default fast fill;
``robot-typed``   the same with ``PAYOUT_FAST_FILL=false``: every field typed key by key;
``selenium``      a bare Selenium loop: headless Chromium, log in once, then for each payment
                  open the new-payment form, ``send_keys`` every field, submit and wait for the
                  confirmation page's payment number (the natural hand-written baseline);
``http``          the same form posted over HTTP by ``HttpGateway`` (the stand-in's own limit).

``reg s`` is the wall time of the registration phase: from the logged-in session to the last
payment number. For the robot it is read from its ``run.jsonl`` (``logged_in`` to the last
``decision_done``), so it includes the robot's one search of what the payout system already
holds. ``total s`` is everything the mode costs: for the robot the whole process (Python and
Robot Framework start-up, reading and planning the export, the browser, the reports), for
the Selenium loop browser start-up and log-in too, for HTTP the log-in too.

After each mode the stand-in's JSON API must hold every planned reference exactly once with
the planned method, amount and payout date, and nothing else; the robot's ``summary.json``
must report every payment ``registered``. Anything else stops the benchmark with an error:
a benchmark that silently measured nothing would be worse than none.

The ratios (``x selenium``, ``x http``) divide a mode's registration rate by that of the bare
Selenium loop and of HTTP, measured side by side in the same run. With ``--rounds R`` every
mode runs R times (a fresh stand-in each time, each round starting with another mode) and
the fastest round counts: the machine is shared, and the fastest round is the one least
disturbed by other work. ``load`` is the machine's 1-minute load average around each mode
(mean of before and after); well above the number of cores, other work competed for the
processors and the rates and ratios are noisy. ``med ms`` is the median time of one payment
(for the robot from ``run.jsonl``): a burst of other work moves it less than the totals.

The Selenium loop types the same texts as the robot, in a Chromium started with the robot's
own flags, and polls for the confirmation page every 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "libraries")]

SEED = 20261201
USERNAME = "robot"
PASSWORD = "robot-demo-password"  # noqa: S105 - the stand-in's development-mode demo account
PAGE_TIMEOUT_SECONDS = 30
ROBOT_TIMEOUT_SECONDS = 1800
MODES = ("robot", "robot-typed", "selenium", "http")
BASELINES = ("selenium", "http")
# Environment variables that would make the stand-in inject faults or refuse payments.
STAND_IN_RULES = ("PAYOUT_FAULT_", "PAYOUT_MAX_PAYMENT_KR")


class BenchmarkError(RuntimeError):
    """A mode did not register exactly the planned payments: its numbers would mean nothing."""


@dataclass
class Result:
    """One round of one mode."""

    mode: str
    payments: int
    seconds: float  # the registration phase
    total_seconds: float  # everything the mode costs (see the module docstring)
    details: dict[str, Any] = field(default_factory=dict)
    load: float = 0.0  # mean of the 1-minute load average before and after
    median_ms: float | None = None  # the median time of one payment (a burst of load moves it less)

    @property
    def rate(self) -> float:
        return self.payments / self.seconds

    @property
    def total_rate(self) -> float:
        return self.payments / self.total_seconds


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the export and its plan -----------------------------------------------------------------


def make_export(workdir: Path, decisions: int, today: dt.date) -> tuple[Path, list[Any]]:
    """Write the export of ``decisions`` valid decisions; return it with its planned payments."""
    from splitpayout.models import Outcome
    from splitpayout.planner import plan_export

    from devdata.generate_export import generate

    path = workdir / f"decisions-{decisions}.xlsx"
    generate(path, count=decisions, seed=SEED, today=today, scenario_mix=False)
    plans = list(plan_export(path, today=today))
    not_planned = [plan.decision_id for plan in plans if plan.outcome is not Outcome.PLANNED]
    if not_planned:
        raise BenchmarkError(f"expected only plannable decisions, {len(not_planned)} are not")
    payments = [payment for plan in plans for payment in plan.payments]
    if len(plans) != decisions or not payments:
        raise BenchmarkError(f"expected {decisions} planned decisions, got {len(plans)}")
    return path, payments


def check_held(server: Any, payments: list[Any], mode: str) -> None:
    """The stand-in holds every planned payment exactly once, as planned, and nothing else."""
    held = server.api_payments()
    planned = {payment.reference: payment for payment in payments}
    references = [record["reference"] for record in held]
    problems: list[str] = []
    if len(held) != len(payments):
        problems.append(f"{len(held)} payments held, {len(payments)} planned")
    twice = sorted({reference for reference in references if references.count(reference) > 1})
    if twice:
        problems.append(f"{len(twice)} references held more than once, e.g. {twice[0]}")
    missing = sorted(set(planned) - set(references))
    if missing:
        problems.append(f"{len(missing)} planned references missing, e.g. {missing[0]}")
    unexpected = sorted(set(references) - set(planned))
    if unexpected:
        problems.append(f"{len(unexpected)} unplanned references held, e.g. {unexpected[0]}")
    for record in held:
        payment = planned.get(record["reference"])
        if payment is None:
            continue
        expected = (payment.method.value, payment.amount_ore, payment.payout_date.isoformat())
        found = (str(record["method"]).upper(), record["amount_ore"], record["payout_date"])
        if found != expected:
            problems.append(f"{record['reference']} held as {found}, planned {expected}")
            break
    if problems:
        raise BenchmarkError(f"{mode}: the payout system does not hold the plan: " + "; ".join(problems))


# -- the modes ---------------------------------------------------------------------------------


def run_robot(server: Any, export: Path, payments: list[Any], rundir: Path, *, fast: bool) -> Result:
    """The ``Split payouts`` task as robot.yaml runs it, in its own process."""
    artifacts = rundir / "artifacts"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROBOT_", "PAYOUT_"))}
    env.update(
        DECISIONS_FILE=str(export),
        DRY_RUN="false",
        RUN_DATE=dt.date.today().isoformat(),
        PAYOUT_SYSTEM_URL=server.url,
        PAYOUT_SYSTEM_USERNAME=USERNAME,
        PAYOUT_SYSTEM_PASSWORD=PASSWORD,
        PAYOUT_SYSTEM_HEADLESS="true",
        PAYOUT_FAST_FILL="true" if fast else "false",
        STATE_DIR=str(rundir / "state"),
        ROBOT_ARTIFACTS=str(artifacts),
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "libraries")]),
    )
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "splitpayout.runner", "split_payouts"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=ROBOT_TIMEOUT_SECONDS,
        check=False,
    )
    total = time.perf_counter() - started
    mode = "robot" if fast else "robot-typed"
    if completed.returncode != 0:
        raise BenchmarkError(
            f"{mode}: the robot exited with status {completed.returncode}; artifacts in {artifacts}\n"
            + completed.stdout[-3000:]
            + completed.stderr[-2000:]
        )
    summary = json.loads((artifacts / "summary.json").read_text(encoding="utf-8"))
    statuses = [p["status"] for d in summary["decisions"] for p in d["payments"]]
    registered = statuses.count("registered")
    if registered != len(payments) or len(statuses) != len(payments):
        raise BenchmarkError(
            f"{mode}: summary.json reports {registered} of {len(statuses)} payments registered, "
            f"{len(payments)} planned"
        )
    check_held(server, payments, mode)
    events = read_events(artifacts / "run.jsonl")
    seconds, details = registration_phase(events, mode)
    if details["payments_registered_events"] != len(payments):
        raise BenchmarkError(
            f"{mode}: run.jsonl holds {details['payments_registered_events']} payment_registered "
            f"events, {len(payments)} planned"
        )
    return Result(mode, len(payments), seconds, total, details, median_ms=details["median_payment_ms"])


def read_events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def registration_phase(events: list[dict[str, Any]], mode: str) -> tuple[float, dict[str, Any]]:
    """Seconds from the robot's log-in to its last finished decision, and where the time went."""

    def stamp(event: dict[str, Any]) -> dt.datetime:
        return dt.datetime.fromisoformat(event["timestamp"])

    logged_in = [e for e in events if e.get("event") == "logged_in"]
    done = [e for e in events if e.get("event") == "decision_done"]
    if len(logged_in) != 1 or not done:
        raise BenchmarkError(
            f"{mode}: expected one logged_in and some decision_done events in run.jsonl, "
            f"found {len(logged_in)} and {len(done)}"
        )
    start = stamp(logged_in[0])
    seconds = (stamp(done[-1]) - start).total_seconds()
    if seconds <= 0:
        raise BenchmarkError(f"{mode}: the registration phase in run.jsonl lasted {seconds} s")
    registered = [e for e in events if e.get("event") == "payment_registered"]
    first_payment_at = min((stamp(e) for e in registered), default=start)
    durations = [e["duration_ms"] for e in registered if "duration_ms" in e]
    prefetched = [e.get("duration_ms", 0) for e in events if e.get("event") == "prefetched"]
    retries = [e for e in events if e.get("event") == "attempt_failed"]
    planned_at = [stamp(e) for e in events if e.get("event") == "planned"]
    run_started = [stamp(e) for e in events if e.get("event") == "run_started"]
    details = {
        "payments_registered_events": len(registered),
        "prefetch_s": round(sum(prefetched) / 1000, 3),
        "searches": len(prefetched) + sum(1 for e in events if e.get("event") == "looked_up"),
        "failed_attempts": len(retries),
        "median_payment_ms": statistics.median(durations) if durations else None,
        "first_payment_after_login_s": round((first_payment_at - start).total_seconds(), 3),
        "browser_and_login_s": round((start - planned_at[0]).total_seconds(), 3) if planned_at else None,
        "run_started_to_login_s": round((start - run_started[0]).total_seconds(), 3) if run_started else None,
    }
    return seconds, details


def run_selenium(server: Any, payments: list[Any], rundir: Path) -> Result:
    """A bare Selenium loop over the same form, typing every field."""
    from robotglue.browser import chromedriver_path, get_chromium_options, payment_form_values
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    base = server.url.rstrip("/")
    started = time.perf_counter()
    # The robot's own Chromium flags and local chromedriver, so only the driving code differs.
    driver = webdriver.Chrome(
        options=get_chromium_options(headless=True),
        service=Service(executable_path=chromedriver_path()),
    )
    numbers: list[str] = []
    durations: list[float] = []
    try:
        driver.set_page_load_timeout(PAGE_TIMEOUT_SECONDS)
        # A short poll: the default 0.5 s would add up to half a second to a page that is already there.
        wait = WebDriverWait(driver, PAGE_TIMEOUT_SECONDS, poll_frequency=0.05)
        driver.get(base + "/login")
        driver.find_element(By.ID, "username").send_keys(USERNAME)
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.ID, "login-button").click()
        wait.until(ec.presence_of_element_located((By.ID, "current-user")))
        logged_in = time.perf_counter()
        answered = ec.any_of(
            ec.presence_of_element_located((By.ID, "payment-number")),
            ec.presence_of_element_located((By.ID, "form-errors")),
        )
        for payment in payments:
            payment_started = time.perf_counter()
            values = payment_form_values(payment)
            driver.get(base + "/payments/new")
            for name, text in values.items():
                element = driver.find_element(By.ID, name)
                if name == "method":
                    Select(element).select_by_value(text)
                elif text:
                    element.send_keys(text)
            driver.find_element(By.ID, "submit-payment").click()
            try:
                wait.until(answered)
            except TimeoutException:
                raise BenchmarkError(f"selenium: no answer to {payment.reference}") from None
            found = driver.find_elements(By.ID, "payment-number")
            if not found:
                raise BenchmarkError(f"selenium: the payout system refused {payment.reference}")
            numbers.append(found[0].text)
            durations.append(time.perf_counter() - payment_started)
        finished = time.perf_counter()
    finally:
        driver.quit()
    if len(set(numbers)) != len(payments) or not all(n.startswith("U-") for n in numbers):
        raise BenchmarkError(f"selenium: expected {len(payments)} distinct payment numbers")
    check_held(server, payments, "selenium")
    details = {"browser_and_login_s": round(logged_in - started, 3)}
    return Result(
        "selenium",
        len(payments),
        finished - logged_in,
        finished - started,
        details,
        median_ms=median_ms(durations),
    )


def run_http(server: Any, payments: list[Any], rundir: Path) -> Result:
    """The same form posted over HTTP, one payment after the other."""
    from splitpayout.http_gateway import HttpGateway

    started = time.perf_counter()
    gateway = HttpGateway(server.url, USERNAME, PASSWORD, timeout=PAGE_TIMEOUT_SECONDS)
    gateway.log_in()
    logged_in = time.perf_counter()
    numbers: list[str] = []
    durations: list[float] = []
    for payment in payments:
        payment_started = time.perf_counter()
        numbers.append(gateway.register(payment))
        durations.append(time.perf_counter() - payment_started)
    finished = time.perf_counter()
    gateway.log_out()
    if len(set(numbers)) != len(payments):
        raise BenchmarkError(f"http: expected {len(payments)} distinct payment numbers")
    check_held(server, payments, "http")
    details = {"login_s": round(logged_in - started, 3)}
    return Result(
        "http",
        len(payments),
        finished - logged_in,
        finished - started,
        details,
        median_ms=median_ms(durations),
    )


def median_ms(seconds: list[float]) -> float | None:
    return round(statistics.median(seconds) * 1000, 1) if seconds else None


def run_mode(mode: str, export: Path, payments: list[Any], rundir: Path) -> Result:
    """One mode against a fresh stand-in with a fresh database in ``rundir``."""
    from tests.support.payout_server import running_payout_system

    rundir.mkdir(parents=True)
    runners: dict[str, Callable[[Any], Result]] = {
        "robot": lambda server: run_robot(server, export, payments, rundir, fast=True),
        "robot-typed": lambda server: run_robot(server, export, payments, rundir, fast=False),
        "selenium": lambda server: run_selenium(server, payments, rundir),
        "http": lambda server: run_http(server, payments, rundir),
    }
    with running_payout_system(rundir / "payout-system.sqlite3") as server:
        if server.api_payments():
            raise BenchmarkError(f"{mode}: the fresh stand-in already holds payments")
        load_before = os.getloadavg()[0]
        result = runners[mode](server)
    # The machine's 1-minute load average around the mode: above the core count, other work
    # competed for the processors and the mode's rate is lower than it would be alone.
    result.load = (load_before + os.getloadavg()[0]) / 2
    return result


# -- the report --------------------------------------------------------------------------------


def ratios(best: dict[str, Result]) -> dict[str, dict[str, float | None]]:
    """Each mode's registration rate divided by each baseline's, where the baseline ran."""
    return {
        mode: {
            baseline: (result.rate / best[baseline].rate) if baseline in best else None
            for baseline in BASELINES
        }
        for mode, result in best.items()
    }


def print_table(best: dict[str, Result], rounds: int) -> None:
    table = ratios(best)

    def ratio(value: float | None) -> str:
        return f"{value:.2f}" if value is not None else "-"

    print(
        f"{'mode':<12} {'payments':>8} {'reg s':>7} {'pay/s':>7} {'x selenium':>10} {'x http':>7} "
        f"{'total s':>8} {'total pay/s':>11} {'med ms':>7} {'load':>5}"
    )
    for mode, result in best.items():
        print(
            f"{mode:<12} {result.payments:>8} {result.seconds:>7.1f} {result.rate:>7.2f} "
            f"{ratio(table[mode]['selenium']):>10} {ratio(table[mode]['http']):>7} "
            f"{result.total_seconds:>8.1f} {result.total_rate:>11.2f} "
            f"{'-' if result.median_ms is None else f'{result.median_ms:.0f}':>7} {result.load:>5.1f}"
        )
    if rounds > 1:
        print(f"(fastest of {rounds} rounds per mode)")
    busiest = max(result.load for result in best.values())
    if busiest > (os.cpu_count() or 1) + 1:  # a browser mode alone keeps about one core busy
        print(
            f"note: the load average reached {busiest:.1f} on {os.cpu_count()} cores: other work "
            "competed for the machine, so the rates and ratios are noisy"
            + ("" if rounds > 1 else "; --rounds 3 takes the fastest of three runs per mode")
        )
    for mode in ("robot", "robot-typed"):
        if mode in best:
            d = best[mode].details
            print(
                f"{mode}: {d['run_started_to_login_s']} s from run start to log-in (plan, browser), "
                f"{d['prefetch_s']} s searching before registering, {d['failed_attempts']} failed attempts"
            )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--decisions", type=int, default=30, help="valid decisions in the export (30)")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES), help="modes to run")
    parser.add_argument("--rounds", type=int, default=1, help="runs per mode; the fastest counts (1)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument("--workdir", type=Path, help="where exports and stand-in databases go (a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (artifacts, logs)")
    args = parser.parse_args()
    if args.decisions < 1 or args.rounds < 1:
        parser.error("--decisions and --rounds must be at least 1")
    modes = list(dict.fromkeys(args.modes))
    for name in [name for name in os.environ if name.startswith(STAND_IN_RULES)]:
        say(f"ignoring {name}: the stand-in runs without faults or payment rules here")
        del os.environ[name]

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="splitpayout-bench-register-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        today = dt.date.today()
        export, payments = make_export(workdir, args.decisions, today)
        say(f"{args.decisions} decisions, {len(payments)} payments; work directory {workdir}")
        rounds: dict[str, list[Result]] = {mode: [] for mode in modes}
        for number in range(1, args.rounds + 1):
            shift = (number - 1) % len(modes)  # each round starts with another mode
            for mode in modes[shift:] + modes[:shift]:
                rundir = workdir / f"{mode}-{number}"
                if rundir.exists():
                    shutil.rmtree(rundir)
                result = run_mode(mode, export, payments, rundir)
                rounds[mode].append(result)
                say(
                    f"round {number} {mode}: {result.payments} payments in {result.seconds:.1f} s "
                    f"({result.rate:.2f}/s), {result.total_seconds:.1f} s in all"
                )
    except BenchmarkError as error:
        say(f"FAILED: {error}")
        say(f"work directory kept: {workdir}")
        return 1
    if not args.keep and args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)

    best = {mode: max(results, key=lambda r: r.rate) for mode, results in rounds.items()}
    if args.json:
        table = ratios(best)
        output = {
            "decisions": args.decisions,
            "payments": len(payments),
            "rounds": args.rounds,
            "cpus": os.cpu_count(),
            "modes": {
                mode: {
                    **asdict(result),
                    "payments_per_s": result.rate,
                    "total_payments_per_s": result.total_rate,
                    "ratio_vs_selenium": table[mode]["selenium"],
                    "ratio_vs_http": table[mode]["http"],
                    "all_rounds_s": [r.seconds for r in rounds[mode]],
                }
                for mode, result in best.items()
            },
        }
        print(json.dumps(output, indent=2))
    else:
        print_table(best, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
