"""``Split payouts`` with parallel browser workers (``WORKERS`` > 1), run for real.

The task runs as robot.yaml runs it (``python -m splitpayout.runner split_payouts``) against
the stand-in payout system run as a server; each worker is a ``Consume work items`` run
with a headless Chromium of its own, sharing the run's ledger. What the payout system holds
is read from its JSON API.

One small export of valid decisions serves the module. The first two tests share one
stand-in and state: a run with two workers registers everything, a second with three finds
everything registered. The last test starts two runs at once on a fresh stand-in and state.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from splitpayout.adapters.reader import iter_rows
from splitpayout.domain.models import DecisionPlan, Outcome
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.jobs.export_plan import plan_export

from devdata.generate_export import generate
from swedish_rules import format_identity
from tests.support.payout_server import PayoutServer, running_payout_system
from tests.support.processes import MARKER_VARIABLE, new_marker, processes_left
from tests.support.robot_env import clean_robot_env
from tests.support.robot_logs import readable_text

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("test_parallel_workers")]

ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "robot", "robot-demo-password"
TODAY = dt.date.today()
DECISIONS = 16


@dataclass
class Run:
    """One finished ``Split payouts`` run."""

    artifacts: Path
    returncode: int
    console: str
    # Processes the run started (its workers, chromedrivers and browsers) still alive after it.
    left_running: list[str]

    def summary(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads((self.artifacts / "summary.json").read_text(encoding="utf-8"))
        return document

    def outcomes(self) -> dict[str, str]:
        return {d["decision_id"]: d["outcome"] for d in self.summary()["decisions"]}

    def explain(self) -> str:
        return f"exit status {self.returncode} (see {self.artifacts / 'log.html'}):\n{self.console[-4000:]}"


def start_run(
    *, export: Path, server: PayoutServer, state: Path, artifacts: Path, workers: int, cwd: Path = ROOT
) -> tuple[subprocess.Popen[str], Path, str]:
    """Start ``Split payouts`` as robot.yaml does; paths may be relative to ``cwd``. Returns the
    process, its artifacts folder and the marker its descendants carry in their environment."""
    env = clean_robot_env()
    env.update(
        {MARKER_VARIABLE: new_marker()},
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "libraries")]),
        DECISIONS_FILE=str(export),
        PAYOUT_SYSTEM_URL=server.url,
        PAYOUT_SYSTEM_USERNAME=USER,
        PAYOUT_SYSTEM_PASSWORD=PASSWORD,
        STATE_DIR=str(state),
        ROBOT_ARTIFACTS=str(artifacts),
        WORKERS=str(workers),
        RUN_DATE=TODAY.isoformat(),
        RETRY_BACKOFF_SECONDS="0.2",
        UNKNOWN_OUTCOME_SETTLE_SECONDS="1",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "splitpayout.runner", "split_payouts"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, cwd / artifacts, env[MARKER_VARIABLE]


def finish(started: tuple[subprocess.Popen[str], Path, str], timeout: float = 300) -> Run:
    process, artifacts, marker = started
    try:
        console, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        console, _ = process.communicate()
        raise AssertionError(f"the run did not finish within {timeout:g} s:\n{console[-4000:]}") from None
    return Run(artifacts, process.returncode, console, processes_left(marker))


def run(**options: Any) -> Run:
    return finish(start_run(**options))


def references(payments: list[dict[str, Any]]) -> list[str]:
    return sorted(p["reference"] for p in payments)


def personal_data(export: Path, plans: list[DecisionPlan]) -> set[str]:
    """Names, identity numbers (as written and normalised), accounts, bankgiro and OCR numbers."""
    values: set[str] = set()
    for plan in plans:
        contact = plan.contact
        values.update(
            (
                contact.applicant1_name,
                contact.applicant1_personnummer,
                contact.applicant2_name,
                contact.applicant2_personnummer,
            )
        )
        for p in plan.payments:
            values.update(v or "" for v in (p.name, p.personnummer, p.account, p.bankgiro, p.ocr))
            values.add(format_identity(p.personnummer))
            if p.clearing and p.account:
                values.add(p.clearing + p.account)
    for _, row in iter_rows(export):
        for column, value in row.items():
            sensitive = any(
                word in column for word in ("namn", "personnummer", "kontonummer", "bankgiro", "OCR")
            )
            if sensitive and value is not None:
                values.add(str(value).strip())
    return {value for value in values if len(value) >= 6}


def assert_no_personal_data(artifacts: Path, secrets: set[str]) -> list[str]:
    """No value of ``secrets`` in any artifact of the run (its workers' included) except the case
    workers' workbook; returns the relative names of the files checked."""
    assert len(secrets) > 50
    checked = []
    for path in sorted(artifacts.rglob("*")):
        if not path.is_file() or path.name == "manuell-hantering.xlsx":
            continue
        text = readable_text(path)
        leaked = sorted(value for value in secrets if value in text)
        name = str(path.relative_to(artifacts))
        assert leaked == [], f"{name} holds personal data of the export ({len(leaked)} values)"
        checked.append(name)
    return checked


def assert_no_worker_inputs_left(state: Path) -> None:
    """The workers' input files (the plans: personal data) are gone; the ledger stays."""
    workers = state / "workers"
    left = sorted(str(p.relative_to(state)) for p in workers.rglob("*")) if workers.exists() else []
    assert left == [], f"the run left worker files in the state directory: {left}"
    assert {p.name for p in state.iterdir() if p.is_file()} <= {
        "ledger.sqlite3",
        "ledger.sqlite3-wal",
        "ledger.sqlite3-shm",
    }


# == one stand-in and state: a first run with two workers, a second with three ================
@dataclass
class World:
    folder: Path
    export: Path
    plans: list[DecisionPlan]
    server: PayoutServer
    state: Path

    def planned_references(self) -> list[str]:
        return sorted(
            p.reference for plan in self.plans if plan.outcome is Outcome.PLANNED for p in plan.payments
        )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("parallel")
    export = folder / "beslut-december.xlsx"
    generate(export, count=DECISIONS, seed=20261201, today=TODAY, scenario_mix=False)
    plans = list(plan_export(export, PlanningRules(TODAY)))
    assert len(plans) == DECISIONS
    with running_payout_system(folder / "payout.db") as server:
        yield World(folder, export, plans, server, folder / "state")


@dataclass
class FirstRun:
    run: Run
    held: list[dict[str, Any]]


@pytest.fixture(scope="module")
def first_run(world: World) -> FirstRun:
    finished = run(
        export=world.export,
        server=world.server,
        state=world.state,
        artifacts=world.folder / "run1",
        workers=2,
    )
    return FirstRun(finished, world.server.api_payments())


def test_two_workers_register_every_planned_payment_once(world: World, first_run: FirstRun) -> None:
    finished = first_run.run
    assert finished.returncode == 0, finished.explain()
    assert "with 2 browser workers" in finished.console

    held = references(first_run.held)
    assert held == world.planned_references(), "every planned reference, each once, and nothing else"
    summary = finished.summary()
    assert summary["status"] == "completed"
    assert summary["totals"]["outcomes"] == {
        "paid": DECISIONS,
        "already_paid": 0,
        "manual": 0,
        "failed": 0,
        "planned": 0,
    }
    assert [d["decision_id"] for d in summary["decisions"]] == [plan.decision_id for plan in world.plans]
    numbers = {
        p["reference"]: (p["status"], p["payment_number"])
        for d in summary["decisions"]
        for p in d["payments"]
    }
    assert numbers == {p["reference"]: ("registered", p["payment_number"]) for p in first_run.held}

    artifacts = finished.artifacts
    # The follow-up's statistics through the same hook as a single run: every household, every payment.
    statistics = json.loads((artifacts / "statistics.json").read_text(encoding="utf-8"))
    days = statistics["by_payout_date"]
    assert sum(day["households"]["paid"] for day in days) == DECISIONS
    assert sum(day["payments_registered"] for day in days) == len(first_run.held)
    assert sorted(p.name for p in (artifacts / "workers").iterdir()) == ["w1", "w2"]
    for worker in ("w1", "w2"):
        assert (artifacts / "workers" / worker / "log.html").is_file()
    log = readable_text(artifacts / "log.html")
    for plan in world.plans:
        assert f"Decision {plan.decision_id}: paid" in log, "the run's own log has an entry per decision"
    checked = assert_no_personal_data(artifacts, personal_data(world.export, world.plans))
    assert {"log.html", "summary.json", "run.jsonl", "workers/w1/log.html", "workers/w2/log.html"} <= set(
        checked
    )
    assert_no_worker_inputs_left(world.state)


def test_a_run_leaves_no_worker_or_browser_running(first_run: FirstRun) -> None:
    # Each worker starts a chromedriver and a browser of several processes: an unattended robot
    # that left them behind would fill the machine within a month of runs.
    assert first_run.run.returncode == 0, first_run.run.explain()
    assert first_run.run.left_running == []


def test_a_second_run_with_three_workers_finds_everything_paid(
    world: World, first_run: FirstRun, tmp_path: Path
) -> None:
    # Started from another directory, with the export, state and artifacts named relative to it
    # (as an operator running it from a data folder would): the same export and state.
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    finished = run(
        export=Path(os.path.relpath(world.export, cwd)),
        server=world.server,
        state=Path(os.path.relpath(world.state, cwd)),
        artifacts=Path("run2"),
        workers=3,
        cwd=cwd,
    )

    assert finished.returncode == 0, finished.explain()
    assert finished.outcomes() == {plan.decision_id: "already_paid" for plan in world.plans}
    summary = finished.summary()
    assert summary["totals"]["outcomes"]["already_paid"] == DECISIONS
    statuses = {
        p["reference"]: (p["status"], p["payment_number"])
        for d in summary["decisions"]
        for p in d["payments"]
    }
    assert statuses == {p["reference"]: ("already_registered", p["payment_number"]) for p in first_run.held}
    assert world.server.api_payments() == first_run.held, "nothing new in the payout system"
    assert sorted(p.name for p in (finished.artifacts / "workers").iterdir()) == ["w1", "w2", "w3"]
    assert_no_worker_inputs_left(world.state)


# == two runs at once on the same export and state ==============================================
def test_two_runs_at_once_with_two_workers_each_enter_every_payment_once(
    world: World, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    with running_payout_system(tmp_path / "payout.db") as server:
        started = [
            start_run(export=world.export, server=server, state=state, artifacts=tmp_path / name, workers=2)
            for name in ("run-a", "run-b")
        ]
        runs = [finish(one) for one in started]
        held = server.api_payments()

    assert references(held) == world.planned_references(), "each planned reference exactly once"
    registered_by: dict[str, list[int]] = {}
    for number, finished in enumerate(runs):
        summary = finished.summary()
        assert summary["totals"]["outcomes"]["failed"] == 0, finished.explain()
        # A decision the other run was working on is waited for, then found registered.
        assert finished.returncode == 0, finished.explain()
        for decision in summary["decisions"]:
            for payment in decision["payments"]:
                if payment["status"] == "registered":
                    registered_by.setdefault(payment["reference"], []).append(number)
    assert {reference: len(by) for reference, by in registered_by.items()} == dict.fromkeys(
        world.planned_references(), 1
    ), "each payment entered by exactly one of the runs"
    outcomes = [finished.outcomes() for finished in runs]
    for plan in world.plans:
        ends = {outcome[plan.decision_id] for outcome in outcomes}
        assert ends <= {"paid", "already_paid"}, f"{plan.decision_id} ended {ends}"
    numbers = {p["reference"]: p["payment_number"] for p in held}
    for finished in runs:
        for decision in finished.summary()["decisions"]:
            for payment in decision["payments"]:
                if payment["status"] in ("registered", "already_registered"):
                    assert payment["payment_number"] == numbers[payment["reference"]]
    assert_no_worker_inputs_left(state)
