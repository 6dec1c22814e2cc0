"""What every mode of ``bench_register.py`` shares: its settings, its result, the export and its check."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import statistics
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import robot_task  # noqa: F401 - puts the repository root and libraries/ on sys.path

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


def median_ms(seconds: list[float]) -> float | None:
    return round(statistics.median(seconds) * 1000, 1) if seconds else None
