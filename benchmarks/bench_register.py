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
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "libraries")]

from process_cpu import CpuMeter  # noqa: E402 - beside this script

SEED = 20261201
USERNAME = "robot"
PASSWORD = "robot-demo-password"  # noqa: S105 - the stand-in's development-mode demo account
PAGE_TIMEOUT_SECONDS = 30
BENCH_LEDGER_KEY = secrets.token_urlsafe(32)
ROBOT_TIMEOUT_SECONDS = 1800
MALMO_TIMEOUT_SECONDS = 7200  # a month that takes longer than this misses its target anyway
MODES = ("robot", "robot-typed", "selenium", "selenium-fast", "http")
BASELINES = ("selenium", "selenium-fast", "http")
# How the table names a mode where its command-line name says less.
LABELS = {"selenium": "selenium-typed", "robot-before": "robot (before)"}
BEFORE_MODE = "robot-before"
TARGET_READ_BACK_SHARE = 0.9  # the robot keeps at least this share of the rate of the code before
DEFAULT_WORKERS = (1, 2, 4)
# Environment variables that would make the stand-in inject faults or refuse payments.
STAND_IN_RULES = ("PAYOUT_FAULT_", "PAYOUT_MAX_PAYMENT_KR")

# The targets on a two-core machine.
TARGET_PER_WORKER = 3.0  # payments per second per worker, at every worker count
TARGET_FAST_FILL_FACTOR = 1.5  # the robot (one worker) at least the bare fast-fill rate / 1.5
MALMO_HOUSEHOLDS = 2400
MALMO_TARGET_SECONDS = 15 * 60

# A bare fast fill, written here and not imported from the robot: every field of the form gets
# its value in one script, with the events a person's typing would fire.
FAST_FILL_SCRIPT = """
const values = arguments[0];
for (const [name, value] of Object.entries(values)) {
  const element = document.getElementById(name);
  if (element === null) { return name; }
  element.value = value;
  element.dispatchEvent(new Event("input", {bubbles: true}));
  element.dispatchEvent(new Event("change", {bubbles: true}));
}
return null;
"""


class BenchmarkError(RuntimeError):
    """A mode did not register exactly the planned payments: its numbers would mean nothing."""


@dataclass
class Result:
    """One round of one mode (for the robot: of one worker count)."""

    mode: str
    payments: int
    seconds: float  # the registration phase
    total_seconds: float  # everything the mode costs (see the module docstring)
    details: dict[str, Any] = field(default_factory=dict)
    load: float = 0.0  # mean of the 1-minute load average before and after
    median_ms: float | None = None  # the median time of one payment (a burst of load moves it less)
    workers: int = 1  # browsers (robot workers) registering side by side
    cpu_seconds: float = 0.0  # processor time of the mode's own processes (see the docstring)
    server_cpu_seconds: float = 0.0  # processor time of the stand-in while the mode ran

    @property
    def label(self) -> str:
        return label(self.mode, self.workers)

    @property
    def rate(self) -> float:
        return self.payments / self.seconds

    @property
    def rate_per_worker(self) -> float:
        return self.rate / self.workers

    @property
    def total_rate(self) -> float:
        return self.payments / self.total_seconds

    @property
    def cpu_ms(self) -> float:
        """The mode's processor time per payment, in milliseconds."""
        return 1000 * self.cpu_seconds / self.payments

    @property
    def server_cpu_ms(self) -> float:
        """The stand-in's processor time per payment, in milliseconds."""
        return 1000 * self.server_cpu_seconds / self.payments

    @property
    def ceiling(self) -> float:
        """Payments per second this machine could reach at this cost, all its cores doing nothing else."""
        cost = (self.cpu_seconds + self.server_cpu_seconds) / self.payments
        return (os.cpu_count() or 1) / cost if cost > 0 else float("inf")


def label(mode: str, workers: int) -> str:
    """The name a mode's row has in the table: ``robot``, ``robot x2``, ``selenium-typed``."""
    name = LABELS.get(mode, mode)
    return name if workers == 1 else f"{name} x{workers}"


def count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the export and its plan -----------------------------------------------------------------


def make_export(
    workdir: Path, decisions: int, today: dt.date, *, name: str = "decisions"
) -> tuple[Path, list[Any]]:
    """Write the export of ``decisions`` valid decisions; return it with its planned payments."""
    from splitpayout.domain.models import Outcome
    from splitpayout.domain.planning.rules import PlanningRules
    from splitpayout.jobs.export_plan import plan_export

    from devdata.generate_export import generate

    path = workdir / f"{name}-{decisions}.xlsx"
    generate(path, count=decisions, seed=SEED, today=today, scenario_mix=False)
    plans = list(plan_export(path, PlanningRules(today)))
    not_planned = [plan.decision_id for plan in plans if plan.outcome is not Outcome.PLANNED]
    if not_planned:
        raise BenchmarkError(f"expected only plannable decisions, {len(not_planned)} are not")
    payments = [payment for plan in plans for payment in plan.payments]
    if len(plans) != decisions or not payments:
        raise BenchmarkError(f"expected {decisions} planned decisions, got {len(plans)}")
    return path, payments


def composition(payments: list[Any]) -> dict[str, int]:
    """Households, split households (a ``/2`` payment) and direct payments (``/D``) of a plan."""
    kinds = Counter(str(payment.reference).rsplit("/", 1)[-1] for payment in payments)
    return {
        "households": kinds["1"],
        "split": kinds["2"],
        "direct_payments": kinds["D"],
        "payments": len(payments),
    }


def check_held(server: Any, payments: list[Any], mode: str) -> None:
    """The stand-in holds every planned payment exactly once, as planned, and nothing else."""
    held = server.api_payments()
    planned = {payment.reference: payment for payment in payments}
    references = Counter(record["reference"] for record in held)
    problems: list[str] = []
    if len(held) != len(payments):
        problems.append(f"{len(held)} payments held, {len(payments)} planned")
    twice = sorted(reference for reference, count in references.items() if count > 1)
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


# -- the robot ---------------------------------------------------------------------------------


def run_robot(
    server: Any,
    export: Path,
    payments: list[Any],
    rundir: Path,
    *,
    fast: bool,
    meter: CpuMeter,
    workers: int = 1,
    timeout: float = ROBOT_TIMEOUT_SECONDS,
    tree: Path | None = None,
) -> Result:
    """The ``Split payouts`` task as robot.yaml runs it, in its own process, with ``workers`` workers;
    from ``tree`` (another checkout) instead of this one when given."""
    artifacts = rundir / "artifacts"
    mode = BEFORE_MODE if tree is not None else "robot" if fast else "robot-typed"
    tree = tree or ROOT
    name = label(mode, workers)
    # Nothing of the caller's robot configuration leaks in: only what is set here is measured.
    robot_settings = ("ROBOT_", "PAYOUT_", "RPA_WORKITEMS", "LOOK_UP_EACH_PAYMENT", "MAX_", "RETRY_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(robot_settings)}
    env.update(
        DECISIONS_FILE=str(export),
        DRY_RUN="false",
        RUN_DATE=dt.date.today().isoformat(),
        PAYOUT_SYSTEM_URL=server.url,
        PAYOUT_SYSTEM_USERNAME=USERNAME,
        PAYOUT_SYSTEM_PASSWORD=PASSWORD,
        PAYOUT_SYSTEM_HEADLESS="true",
        PAYOUT_FAST_FILL="true" if fast else "false",
        WORKERS=str(workers),
        STATE_DIR=str(rundir / "state"),
        ROBOT_ARTIFACTS=str(artifacts),
        # A production installation's run (ROBOT_ENV defaults to production): the ledger's key is
        # the benchmark's own, made for this run.
        LEDGER_FINGERPRINT_KEY=BENCH_LEDGER_KEY,
        PYTHONPATH=os.pathsep.join([str(tree), str(tree / "libraries")]),
    )
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "splitpayout.runner", "split_payouts"],
        cwd=tree,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    meter.add(process.pid)  # the robot, its workers, their chromedrivers and browsers
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise BenchmarkError(f"{name}: the robot did not finish within {timeout:.0f} s") from None
    completed = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    total = time.perf_counter() - started
    if completed.returncode != 0:
        raise BenchmarkError(
            f"{name}: the robot exited with status {completed.returncode}; artifacts in {artifacts}\n"
            + completed.stdout[-3000:]
            + completed.stderr[-2000:]
        )
    summary = json.loads((artifacts / "summary.json").read_text(encoding="utf-8"))
    statuses = [p["status"] for d in summary["decisions"] for p in d["payments"]]
    registered = statuses.count("registered")
    if registered != len(payments) or len(statuses) != len(payments):
        raise BenchmarkError(
            f"{name}: summary.json reports {registered} of {len(statuses)} payments registered, "
            f"{len(payments)} planned"
        )
    check_held(server, payments, name)
    events = read_events(artifacts / "run.jsonl")
    worker_logs = sorted((artifacts / "workers").glob("w*/run.jsonl"))
    worker_events = {path.parent.name: read_events(path) for path in worker_logs}
    check_workers(events, worker_events, workers, name)
    seconds, details = registration_phase(events, worker_events, name)
    # What an operator opens afterwards: the run's log.html, and the largest worker's.
    details["log_html_mb"] = round((artifacts / "log.html").stat().st_size / 1e6, 2)
    worker_htmls = [path.stat().st_size for path in (artifacts / "workers").glob("w*/log.html")]
    details["largest_worker_log_html_mb"] = round(max(worker_htmls) / 1e6, 2) if worker_htmls else None
    if details["payments_registered_events"] != len(payments):
        raise BenchmarkError(
            f"{name}: the run logs hold {details['payments_registered_events']} payment_registered "
            f"events, {len(payments)} planned"
        )
    return Result(
        mode, len(payments), seconds, total, details, median_ms=details["median_payment_ms"], workers=workers
    )


def read_events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def check_workers(
    events: list[dict[str, Any]], worker_events: dict[str, list[dict[str, Any]]], workers: int, name: str
) -> None:
    """The robot ran as many workers as asked: a row named ``x4`` must have had four."""
    if workers > 1 and not worker_events:
        raise BenchmarkError(
            f"{name}: no worker logs (artifacts/workers/w<K>/run.jsonl) after a run with WORKERS={workers}: "
            "does the robot read WORKERS?"
        )
    if worker_events and len(worker_events) != workers:
        raise BenchmarkError(
            f"{name}: {len(worker_events)} worker logs ({', '.join(worker_events)}), {workers} workers asked"
        )
    announced = [e["workers"] for e in events if e.get("event") == "registration_started" and "workers" in e]
    if announced and any(int(count) != workers for count in announced):
        raise BenchmarkError(f"{name}: registration_started names {announced[0]} workers, {workers} asked")


def registration_phase(
    events: list[dict[str, Any]], worker_events: dict[str, list[dict[str, Any]]], name: str
) -> tuple[float, dict[str, Any]]:
    """Seconds of the robot's registration phase (see the module docstring), and where the time went.

    ``events`` are the run's own ``run.jsonl``; ``worker_events`` each worker's, when it ran workers.
    Per-payment events are taken from the workers' logs when there are any, else from the run's.
    """

    def stamp(event: dict[str, Any]) -> dt.datetime:
        return dt.datetime.fromisoformat(event["timestamp"])

    def named(source: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
        return [e for e in source if e.get("event") == event]

    from_workers = [e for source in worker_events.values() for e in source]
    everything = events + from_workers
    per_payment = from_workers if worker_events else events
    logged_in = sorted(stamp(e) for e in named(everything, "logged_in"))
    started = named(events, "registration_started")
    finished = named(events, "registration_finished")
    if started and finished:
        start, end = stamp(started[0]), stamp(finished[-1])
        measured = "registration_started to registration_finished"
        note = None
    else:
        done = [stamp(e) for e in named(everything, "decision_done")]
        if not logged_in or not done:
            raise BenchmarkError(
                f"{name}: no registration_started/registration_finished in run.jsonl, and "
                f"{len(logged_in)} logged_in and {len(done)} decision_done events to measure by instead"
            )
        start, end = logged_in[0], max(done)
        measured = "logged_in to the last decision_done (fallback)"
        note = (
            f"{name}: run.jsonl holds no registration_started/registration_finished events, so reg s "
            "runs from the log-in to the last finished decision: without starting the browser and "
            "logging in"
        )
    seconds = (end - start).total_seconds()
    if seconds <= 0:
        raise BenchmarkError(f"{name}: the registration phase in the run logs lasted {seconds} s")
    registered = named(per_payment, "payment_registered")
    first_payment_at = min((stamp(e) for e in registered), default=start)
    durations = [e["duration_ms"] for e in registered if "duration_ms" in e]
    prefetched = [e.get("duration_ms", 0) for e in named(everything, "prefetched")]
    run_started = [stamp(e) for e in named(events, "run_started")]
    details = {
        "measured": measured,
        "note": note,
        "worker_logs": len(worker_events),
        "payments_registered_events": len(registered),
        "prefetch_s": round(sum(prefetched) / 1000, 3),
        "searches": len(prefetched) + len(named(everything, "looked_up")),
        "failed_attempts": len(named(everything, "attempt_failed")),
        "median_payment_ms": statistics.median(durations) if durations else None,
        "run_started_to_registration_s": round((start - run_started[0]).total_seconds(), 3)
        if run_started
        else None,
        # With registration events: how long starting the browser(s) and logging in took (first and
        # last worker); in the fallback both are 0 or later, the start being the first log-in.
        "first_login_after_start_s": round((logged_in[0] - start).total_seconds(), 3) if logged_in else None,
        "last_login_after_start_s": round((logged_in[-1] - start).total_seconds(), 3) if logged_in else None,
        "first_payment_after_start_s": round((first_payment_at - start).total_seconds(), 3),
    }
    return seconds, details


# -- the baselines ------------------------------------------------------------------------------


def run_selenium(server: Any, payments: list[Any], rundir: Path, *, fast: bool, meter: CpuMeter) -> Result:
    """A bare Selenium loop over the same form: typing every field, or (``fast``) one script for all."""
    from robotglue.browser import chromedriver_path, get_chromium_options, payment_form_values
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    mode = "selenium-fast" if fast else "selenium"
    base = server.url.rstrip("/")
    started = time.perf_counter()
    thread_cpu = time.thread_time()
    # The robot's own Chromium flags and local chromedriver, so only the driving code differs.
    service = Service(executable_path=chromedriver_path())
    driver = webdriver.Chrome(options=get_chromium_options(headless=True), service=service)
    meter.add(service.process.pid)  # chromedriver and the browser it started
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
            if fast:
                missing = driver.execute_script(FAST_FILL_SCRIPT, dict(values))
                if missing:
                    raise BenchmarkError(f"{mode}: the form has no field {missing!r}")
            else:
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
                raise BenchmarkError(f"{mode}: no answer to {payment.reference}") from None
            found = driver.find_elements(By.ID, "payment-number")
            if not found:
                raise BenchmarkError(f"{mode}: the payout system refused {payment.reference}")
            numbers.append(found[0].text)
            durations.append(time.perf_counter() - payment_started)
        finished = time.perf_counter()
        meter.sample()  # the browser's last figures, before it exits
    finally:
        driver.quit()
    loop_cpu = time.thread_time() - thread_cpu
    if len(set(numbers)) != len(payments) or not all(n.startswith("U-") for n in numbers):
        raise BenchmarkError(f"{mode}: expected {len(payments)} distinct payment numbers")
    check_held(server, payments, mode)
    details = {"browser_and_login_s": round(logged_in - started, 3)}
    return Result(
        mode,
        len(payments),
        finished - logged_in,
        finished - started,
        details,
        median_ms=median_ms(durations),
        cpu_seconds=loop_cpu,  # the meter's browser and chromedriver are added by run_mode
    )


def run_http(server: Any, payments: list[Any], rundir: Path) -> Result:
    """The same form posted over HTTP, one payment after the other."""
    from tests.support.http_gateway import HttpGateway

    started = time.perf_counter()
    thread_cpu = time.thread_time()
    gateway = HttpGateway(server.url, USERNAME, PASSWORD, timeout=PAGE_TIMEOUT_SECONDS)
    gateway.log_in()
    logged_in = time.perf_counter()
    numbers: list[str] = []
    durations: list[float] = []
    for payment in payments:
        payment_started = time.perf_counter()
        numbers.append(gateway.register(payment).payment_number)
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
        cpu_seconds=time.thread_time() - thread_cpu,
    )


def median_ms(seconds: list[float]) -> float | None:
    return round(statistics.median(seconds) * 1000, 1) if seconds else None


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


# -- the report --------------------------------------------------------------------------------


def ratios(best: dict[str, Result]) -> dict[str, dict[str, float | None]]:
    """Each row's registration rate divided by each baseline's, where the baseline ran."""
    rows = {baseline: best.get(label(baseline, 1)) for baseline in BASELINES}
    return {
        name: {baseline: None if row is None else result.rate / row.rate for baseline, row in rows.items()}
        for name, result in best.items()
    }


def targets(best: dict[str, Result], malmo: tuple[Result, dict[str, int]] | None) -> list[dict[str, Any]]:
    """Each target of the issue with the measured figure and whether it was met (None: not measured)."""
    checks: list[dict[str, Any]] = []
    robots = sorted((r for r in best.values() if r.mode == "robot"), key=lambda r: r.workers)
    for result in robots:
        checks.append(
            {
                "target": f"{result.label}: at least {TARGET_PER_WORKER:.0f} payments/s per worker",
                "measured": f"{result.rate_per_worker:.2f} payments/s per worker "
                f"({result.rate:.2f}/s with {count(result.workers, 'worker')}); at its measured "
                f"{result.cpu_ms + result.server_cpu_ms:.0f} ms of processor time per payment "
                f"(stand-in included) this machine's {os.cpu_count()} cores allow at most "
                f"{result.ceiling:.1f}/s in all, {result.ceiling / result.workers:.2f}/s per worker",
                "ok": result.rate_per_worker >= TARGET_PER_WORKER,
            }
        )
    if not robots:
        checks.append(
            {
                "target": f"robot: at least {TARGET_PER_WORKER:.0f} payments/s per worker",
                "measured": "not measured (--modes robot)",
                "ok": None,
            }
        )
    robot, fast = best.get("robot"), best.get("selenium-fast")
    within = f"robot (1 worker) within {TARGET_FAST_FILL_FACTOR}x of selenium-fast"
    if robot is not None and fast is not None:
        needed = fast.rate / TARGET_FAST_FILL_FACTOR
        checks.append(
            {
                "target": within,
                "measured": f"{robot.rate:.2f}/s against {fast.rate:.2f}/s: selenium-fast is "
                f"{fast.rate / robot.rate:.2f}x the robot (needs at least {needed:.2f}/s)",
                "ok": robot.rate >= needed,
            }
        )
    else:
        checks.append(
            {
                "target": within,
                "measured": "not measured (--modes robot selenium-fast --workers 1 ...)",
                "ok": None,
            }
        )
    month = f"Malmö month under {MALMO_TARGET_SECONDS // 60} minutes"
    if malmo is not None:
        result, mix = malmo
        full = mix["households"] == MALMO_HOUSEHOLDS  # a smaller trial month is not judged
        checks.append(
            {
                "target": month,
                "measured": f"{result.total_seconds / 60:.1f} min for {mix['payments']} payments "
                f"({mix['households']} households) with {count(result.workers, 'worker')}"
                + ("" if full else f"; not a Malmö month ({MALMO_HOUSEHOLDS} households), not judged"),
                "ok": result.total_seconds < MALMO_TARGET_SECONDS if full else None,
            }
        )
    else:
        checks.append({"target": month, "measured": "not measured (--malmo)", "ok": None})
    checks.append(read_back_check(best))
    return checks


def read_back_check(best: dict[str, Result]) -> dict[str, Any]:
    """The robot (one worker) keeps at least ``TARGET_READ_BACK_SHARE`` of the rate of ``--before``'s."""
    target = f"robot at least {TARGET_READ_BACK_SHARE:.0%} of the rate of the robot before (--before)"
    robot, before = best.get(label("robot", 1)), best.get(label(BEFORE_MODE, 1))
    if robot is None or before is None:
        return {"target": target, "measured": "not measured (--before TREE --workers 1)", "ok": None}
    share = robot.rate / before.rate
    medians = ""
    if robot.median_ms is not None and before.median_ms is not None:
        medians = f"; median payment {robot.median_ms:.0f} ms against {before.median_ms:.0f} ms"
    return {
        "target": target,
        "measured": f"{robot.rate:.2f}/s against {before.rate:.2f}/s before ({share:.1%}{medians})",
        "ok": share >= TARGET_READ_BACK_SHARE,
    }


def print_table(best: dict[str, Result], rounds: int) -> None:
    table = ratios(best)

    def ratio(value: float | None) -> str:
        return f"{value:.2f}" if value is not None else "-"

    print(
        f"{'mode':<15} {'payments':>8} {'reg s':>7} {'pay/s':>7} {'pay/s/w':>7} {'x selenium':>10} "
        f"{'x sel-fast':>10} {'x http':>7} {'total s':>8} {'total pay/s':>11} {'med ms':>7} "
        f"{'cpu ms':>6} {'srv ms':>6} {'load':>5}"
    )
    for name, result in best.items():
        print(
            f"{name:<15} {result.payments:>8} {result.seconds:>7.1f} {result.rate:>7.2f} "
            f"{result.rate_per_worker:>7.2f} {ratio(table[name]['selenium']):>10} "
            f"{ratio(table[name]['selenium-fast']):>10} {ratio(table[name]['http']):>7} "
            f"{result.total_seconds:>8.1f} {result.total_rate:>11.2f} "
            f"{'-' if result.median_ms is None else f'{result.median_ms:.0f}':>7} "
            f"{result.cpu_ms:>6.0f} {result.server_cpu_ms:>6.0f} {result.load:>5.1f}"
        )
    if rounds > 1:
        print(f"(fastest of {rounds} rounds per mode)")
    cores = os.cpu_count() or 1
    # A browser mode keeps about one core busy per browser: load above the cores plus that is other work.
    disturbed = [r for r in best.values() if r.load > cores + r.workers]
    if disturbed:
        busiest = max(disturbed, key=lambda r: r.load)
        print(
            f"note: the load average reached {busiest.load:.1f} on {cores} cores ({busiest.label}): other "
            "work competed for the machine, so the rates and ratios are noisy"
            + ("" if rounds > 1 else "; --rounds 3 takes the fastest of three runs per mode")
        )
    for result in best.values():
        if result.mode.startswith("robot"):
            print_robot_details(result)


def print_robot_details(result: Result) -> None:
    d = result.details
    if d["note"]:
        print(
            f"{result.label}: {d['run_started_to_registration_s']} s from run start to log-in (read, plan, "
            f"browser), {d['prefetch_s']} s searching, {d['failed_attempts']} failed attempts"
        )
        print(f"note: {d['note']}")
    else:
        logins = (
            f"{d['first_login_after_start_s']} s"
            if d["first_login_after_start_s"] == d["last_login_after_start_s"]
            else f"{d['first_login_after_start_s']}-{d['last_login_after_start_s']} s"
        )
        searching = f" (summed over {d['worker_logs']} workers)" if d["worker_logs"] > 1 else ""
        print(
            f"{result.label}: {d['run_started_to_registration_s']} s from run start to registration start "
            f"(read, plan), logged in {logins} into it, "
            f"first payment after {d['first_payment_after_start_s']} s, "
            f"{d['prefetch_s']} s searching{searching}, {d['failed_attempts']} failed attempts"
        )
    worker_log = d.get("largest_worker_log_html_mb")
    print(
        f"{result.label}: log.html {d.get('log_html_mb')} MB"
        + (f", largest worker log.html {worker_log} MB" if worker_log is not None else "")
    )


def print_malmo(result: Result, mix: dict[str, int]) -> None:
    share = mix["split"] / mix["households"] if mix["households"] else 0.0
    print(
        f"Malmö month: {mix['households']} households, {mix['split']} split ({share:.1%}), "
        f"{mix['direct_payments']} direct payments: {mix['payments']} payments, "
        f"robot with {count(result.workers, 'worker')}, load {result.load:.1f}"
    )
    print(
        f"  whole robot process  {result.total_seconds:>7.1f} s ({result.total_seconds / 60:.1f} min)  "
        f"{result.total_rate:.2f} payments/s"
    )
    print(
        f"  registration phase   {result.seconds:>7.1f} s ({result.seconds / 60:.1f} min)  "
        f"{result.rate:.2f} payments/s ({result.rate_per_worker:.2f}/s per worker)"
    )
    print(
        f"  processor time       {result.cpu_ms:>7.0f} ms per payment for the robot, its workers and "
        f"browsers, {result.server_cpu_ms:.0f} ms for the stand-in: at most {result.ceiling:.1f} "
        f"payments/s on {os.cpu_count()} cores"
    )
    verdict = "yes" if result.total_seconds < MALMO_TARGET_SECONDS else "no"
    trial = "" if mix["households"] == MALMO_HOUSEHOLDS else f" (a trial of {mix['households']} households)"
    print(f"  under {MALMO_TARGET_SECONDS // 60} minutes: {verdict}{trial}")
    print_robot_details(result)


def print_verdict(checks: list[dict[str, Any]]) -> None:
    print(f"targets (for a 2-core machine; this one has {os.cpu_count()} cores):")
    width = max(len(check["target"]) for check in checks)
    for check in checks:
        status = {True: "OK", False: "MISSED", None: "-"}[check["ok"]]
        print(f"  {check['target']:<{width}}  {status:<6}  {check['measured']}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--decisions", type=int, default=30, help="valid decisions in the export (30)")
    parser.add_argument(
        "--modes",
        nargs="*",
        choices=MODES,
        default=list(MODES),
        help="modes to run (all; none: --malmo alone)",
    )
    parser.add_argument(
        "--workers",
        nargs="+",
        type=int,
        default=list(DEFAULT_WORKERS),
        help="worker counts the robot mode runs with, one row each (1 2 4)",
    )
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
    args = parser.parse_args()
    if args.decisions < 1 or args.rounds < 1:
        parser.error("--decisions and --rounds must be at least 1")
    if min(args.workers) < 1 or args.malmo_workers < 1 or args.malmo_households < 1:
        parser.error("--workers, --malmo-workers and --malmo-households must be at least 1")
    modes = list(dict.fromkeys(args.modes))
    if not modes and not args.malmo:
        parser.error("no mode to run: name one with --modes, or add --malmo")
    # (mode, workers) of every row: the robot once per worker count, everything else with one.
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

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="splitpayout-bench-register-"))
    workdir.mkdir(parents=True, exist_ok=True)
    rounds: dict[str, list[Result]] = {label(mode, workers): [] for mode, workers in entries}
    payments: list[Any] = []
    malmo: tuple[Result, dict[str, int]] | None = None
    try:
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
        if args.malmo:
            malmo = run_malmo(workdir, args.malmo_households, args.malmo_workers, today)
            say(
                f"Malmö month: {malmo[0].payments} payments in {malmo[0].total_seconds:.1f} s in all, "
                f"{malmo[0].seconds:.1f} s registering ({malmo[0].rate:.2f}/s)"
            )
    except BenchmarkError as error:
        say(f"FAILED: {error}")
        say(f"work directory kept: {workdir}")
        return 1
    if not args.keep and args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)

    best = {name: max(results, key=lambda r: r.rate) for name, results in rounds.items()}
    checks = targets(best, malmo)
    if args.json:
        table = ratios(best)
        output: dict[str, Any] = {
            "decisions": args.decisions if entries else None,
            "payments": len(payments) if entries else None,
            "rounds": args.rounds,
            "cpus": os.cpu_count(),
            "modes": {
                name: {
                    **asdict(result),
                    "payments_per_s": result.rate,
                    "payments_per_s_per_worker": result.rate_per_worker,
                    "total_payments_per_s": result.total_rate,
                    **{
                        f"ratio_vs_{baseline.replace('-', '_')}": table[name][baseline]
                        for baseline in BASELINES
                    },
                    "all_rounds_s": [r.seconds for r in rounds[name]],
                }
                for name, result in best.items()
            },
            "malmo": None
            if malmo is None
            else {
                **malmo[1],
                **asdict(malmo[0]),
                "payments_per_s": malmo[0].rate,
                "payments_per_s_per_worker": malmo[0].rate_per_worker,
                "total_payments_per_s": malmo[0].total_rate,
                "under_target": malmo[0].total_seconds < MALMO_TARGET_SECONDS,
                "full_month": malmo[1]["households"] == MALMO_HOUSEHOLDS,
            },
            "targets": checks,
        }
        print(json.dumps(output, indent=2, ensure_ascii=False))
    else:
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
