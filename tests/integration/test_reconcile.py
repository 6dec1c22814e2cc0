"""Reconciliation against the real payout-system stand-in: each kind of discrepancy is planted
and found, and a clean period finds nothing.

One world is built once for the module: a demo-like export (every scenario, manual and
protected decisions included), planned and registered by the registration engine into the
stand-in, with a real ledger. A few "reserved" decisions are left out of it. Each test
starts the stand-in on a copy of that world, registers the reserved decisions itself
through the payout system's own form (changed where a discrepancy is planted), and
reconciles the next calendar month.

Two tests run the real task (``python -m splitpayout.runner reconcile``) as robot.yaml
does and check its exit status, its reports, and that no personal data of the export
reaches reconciliation.json, avstamning.xlsx, log.html, report.html or output.xml.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from splitpayout.adapters.ledger import Ledger
from splitpayout.adapters.reader import iter_rows
from splitpayout.domain.models import DecisionPlan, Method, Outcome, PlannedPayment
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.jobs.export_plan import plan_export
from splitpayout.jobs.reconcile.errors import ReconcileInputError
from splitpayout.jobs.reconcile.findings import FindingCode, Reconciliation
from splitpayout.jobs.reconcile.job import ReconciliationJob
from splitpayout.jobs.reconcile.report import REPORT_FILE, WORKBOOK_FILE
from splitpayout.jobs.reconcile.settings import Period, ReconcileSettings
from splitpayout.jobs.registration.engine import RegistrationEngine

from devdata.generate_export import generate
from swedish_rules import format_identity, is_bank_day
from tests.support.http_gateway import HttpGateway
from tests.support.payout_server import DEV_API_TOKEN, PayoutServer, running_payout_system
from tests.support.robot_logs import readable_text

# One worker runs this module's tests: its module-scoped fixtures are built once.
pytestmark = pytest.mark.xdist_group("test_reconcile")

ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "robot", "robot-demo-password"
TODAY = dt.date.today()
PERIOD = Period.month_of((TODAY.replace(day=1) + dt.timedelta(days=32)).replace(day=1))
RESERVED = 4  # decisions left out of the world, registered by each test itself


@dataclass
class World:
    """The module's export, its plans, and a payout system + ledger holding all but the reserved."""

    folder: Path
    export: Path
    plans: list[DecisionPlan]
    scenarios: dict[str, list[str]]
    reserved: list[DecisionPlan]
    db_files: list[Path] = field(default_factory=list)
    ledger: Path = Path()

    def planned(self) -> dict[str, PlannedPayment]:
        return {
            p.reference: p for plan in self.plans if plan.outcome is Outcome.PLANNED for p in plan.payments
        }

    def in_period(self) -> list[PlannedPayment]:
        return [p for p in self.planned().values() if p.payout_date in PERIOD]

    def reserved_payment(self, index: int) -> PlannedPayment:
        return self.reserved[index].payments[0]


def _planned_in_period(plan: DecisionPlan) -> bool:
    return plan.outcome is Outcome.PLANNED and all(p.payout_date in PERIOD for p in plan.payments)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    folder = tmp_path_factory.mktemp("reconcile-world")
    export = folder / "exports" / "beslut.xlsx"
    export.parent.mkdir()
    scenarios = generate(export, count=50, seed=20261123, today=TODAY, scenario_mix=True)
    plans = list(plan_export(export, PlanningRules(TODAY)))
    # Reserved: single-payment decisions by account, whose recipient can be changed for a test.
    candidates = sorted(
        (
            plan
            for plan in plans
            if _planned_in_period(plan)
            and len(plan.payments) == 1
            and plan.payments[0].method is Method.KONTO
            and plan.payments[0].clearing not in ("3300", "3782")
        ),
        key=lambda plan: plan.decision_id,
    )
    reserved = candidates[:RESERVED]
    assert len(reserved) == RESERVED, "the export has too few single-payment decisions to reserve"
    reserved_ids = {plan.decision_id for plan in reserved}
    built = World(folder, export, plans, scenarios, reserved)
    database = folder / "world" / "payout.db"
    database.parent.mkdir()
    built.ledger = folder / "world" / "ledger.sqlite3"
    with running_payout_system(database) as server, Ledger(built.ledger) as ledger:
        engine = RegistrationEngine(
            HttpGateway(server.url, USER, PASSWORD, timeout=10),
            ledger,
            run_id="world",
            max_attempts=3,
            max_consecutive_failures=5,
            backoff_seconds=0.01,
            unknown_outcome_settle_seconds=0.1,
        )
        rest = [plan for plan in plans if plan.decision_id not in reserved_ids]
        engine.prefetch(rest)
        results = [engine.process(plan) for plan in rest]
        assert not [r.decision_id for r in results if r.outcome is Outcome.FAILED]
    built.db_files = [path for path in database.parent.iterdir() if path.name.startswith("payout.db")]
    return built


@contextmanager
def stand_in(world: World, tmp_path: Path) -> Iterator[tuple[PayoutServer, Path]]:
    """The stand-in on a copy of the world's database, and a copy of its ledger (state folder)."""
    for path in world.db_files:
        if not path.name.endswith(".log"):
            shutil.copy2(path, tmp_path / path.name)
    state = tmp_path / "state"
    state.mkdir()
    shutil.copy2(world.ledger, state / "ledger.sqlite3")
    with running_payout_system(tmp_path / "payout.db") as server:
        yield server, state


def gateway(server: PayoutServer) -> HttpGateway:
    entered = HttpGateway(server.url, USER, PASSWORD, timeout=10)
    entered.log_in()
    return entered


def register_reserved(world: World, server: PayoutServer, *, skip: tuple[int, ...] = ()) -> HttpGateway:
    """Enter the reserved decisions' payments as planned, through the form (no ledger entries)."""
    form = gateway(server)
    for index, plan in enumerate(world.reserved):
        if index not in skip:
            for payment in plan.payments:
                form.register(payment)
    return form


def settings_for(
    server: PayoutServer, world: World, state: Path, artifacts: Path, **extra: str
) -> ReconcileSettings:
    env = {
        "RECONCILE_FROM": PERIOD.first.isoformat(),
        "RECONCILE_TO": PERIOD.last.isoformat(),
        "DECISIONS_FILE": str(world.export.parent),
        "PAYOUT_SYSTEM_URL": server.url,
        "STATE_DIR": str(state),
        "ROBOT_ARTIFACTS": str(artifacts),
        "RETRY_BACKOFF_SECONDS": "0.05",
        "PAYOUT_SYSTEM_TIMEOUT": "10",
    }
    env.update(extra)
    return ReconcileSettings.from_env(env)


def reconcile(
    server: PayoutServer, world: World, state: Path, tmp_path: Path, token: str = DEV_API_TOKEN
) -> tuple[Reconciliation, dict[str, Any]]:
    """The task's steps in-process; returns the comparison and reconciliation.json."""
    artifacts = tmp_path / "artifacts"
    job = ReconciliationJob(settings_for(server, world, state, artifacts), say=lambda _: None)
    try:
        job.read_decisions()
        job.read_payout_system(token)
        job.read_ledger()
        result = job.compare()
        job.write_reports()
    finally:
        job.close()
    document = json.loads((artifacts / REPORT_FILE).read_text(encoding="utf-8"))
    return result, document


def found(result: Reconciliation) -> set[tuple[str, str]]:
    return {(finding.code.value, finding.reference) for finding in result.findings}


def other_bank_day(day: dt.date) -> dt.date:
    """Another bank day in the period, near ``day``."""
    for delta in (1, -1, 2, -2, 3, -3, 4, -4, 5, -5):
        candidate = day + dt.timedelta(days=delta)
        if candidate in PERIOD and is_bank_day(candidate):
            return candidate
    raise AssertionError("no other bank day near the payout date")


# --- a clean period ---------------------------------------------------------------------------


def test_a_clean_period_has_no_findings(world: World, tmp_path: Path) -> None:
    with stand_in(world, tmp_path) as (server, state):
        register_reserved(world, server)
        result, document = reconcile(server, world, state, tmp_path)
    expected = world.in_period()
    assert result.findings == []
    assert document["status"] == "reconciled"
    totals = document["totals"]
    planned_ore = sum(p.amount_ore for p in expected)
    assert totals["planned"] == {"payments": len(expected), "amount_ore": planned_ore}
    assert totals["matched"] == totals["planned"]
    assert totals["held"] == totals["planned"]
    assert totals["decisions"]["fully_registered"] == totals["decisions"]["with_payments_in_period"]
    assert document["finding_counts"] == {code.value: 0 for code in FindingCode}
    assert document["sources"]["decisions"][0]["file_name"] == "beslut.xlsx"
    assert len(document["sources"]["decisions"][0]["sha256"]) == 64
    assert document["sources"]["payout_system"]["days_queried"] == len(PERIOD.days())
    assert (tmp_path / "artifacts" / WORKBOOK_FILE).exists()


# --- each kind of discrepancy, planted --------------------------------------------------------


def test_a_payment_with_an_unknown_reference_is_registered_without_decision(
    world: World, tmp_path: Path
) -> None:
    with stand_in(world, tmp_path) as (server, state):
        form = register_reserved(world, server)
        stray = world.reserved_payment(0).model_copy(update={"reference": "EB-1999-000001/1"})
        number = form.register(stray).payment_number
        result, document = reconcile(server, world, state, tmp_path)
    assert found(result) == {("registered_without_decision", "EB-1999-000001/1")}
    [finding] = document["findings"]["registered_without_decision"]
    assert finding["payment_numbers"] == [number]
    assert finding["held_amount_ore"] == stray.amount_ore
    assert finding["decision_id"] is None
    assert document["status"] == "discrepancies"
    assert document["totals"]["held"]["payments"] == document["totals"]["planned"]["payments"] + 1


def test_a_payment_missing_from_the_payout_system_is_not_fully_registered(
    world: World, tmp_path: Path
) -> None:
    missing = world.reserved_payment(1)
    with stand_in(world, tmp_path) as (server, state):
        register_reserved(world, server, skip=(1,))
        result, document = reconcile(server, world, state, tmp_path)
    assert found(result) == {("not_fully_registered", missing.reference)}
    [finding] = document["findings"]["not_fully_registered"]
    assert finding["decision_id"] == missing.decision_id
    assert finding["planned_amount_ore"] == missing.amount_ore
    assert finding["held_amount_ore"] == 0
    assert finding["planned_payout_date"] == missing.payout_date.isoformat()
    assert document["sources"]["payout_system"]["references_looked_up"] == 1
    totals = document["totals"]
    assert totals["planned"]["amount_ore"] - totals["matched"]["amount_ore"] == missing.amount_ore


def test_a_payment_registered_with_another_amount_differs(world: World, tmp_path: Path) -> None:
    planned = world.reserved_payment(2)
    with stand_in(world, tmp_path) as (server, state):
        form = register_reserved(world, server, skip=(2,))
        number = form.register(
            planned.model_copy(update={"amount_ore": planned.amount_ore + 10_000})
        ).payment_number
        result, document = reconcile(server, world, state, tmp_path)
    assert found(result) == {("amount_differs", planned.reference)}
    [finding] = document["findings"]["amount_differs"]
    assert finding["payment_numbers"] == [number]
    assert finding["planned_amount_ore"] == planned.amount_ore
    assert finding["held_amount_ore"] == planned.amount_ore + 10_000
    assert finding["sources"] == ["payout_system"]


def test_a_payment_registered_to_another_account_differs(world: World, tmp_path: Path) -> None:
    planned = world.reserved_payment(3)
    donor = next(
        p
        for p in world.planned().values()
        if p.method is Method.KONTO
        and p.clearing not in ("3300", "3782")
        and (p.clearing, p.account) != (planned.clearing, planned.account)
    )
    with stand_in(world, tmp_path) as (server, state):
        form = register_reserved(world, server, skip=(3,))
        form.register(planned.model_copy(update={"clearing": donor.clearing, "account": donor.account}))
        result, document = reconcile(server, world, state, tmp_path)
    assert found(result) == {("recipient_differs", planned.reference)}
    [finding] = document["findings"]["recipient_differs"]
    assert "account" in finding["fields"]
    assert finding["planned_amount_ore"] == finding["held_amount_ore"] == planned.amount_ore


def test_the_same_reference_registered_twice_is_a_duplicate(world: World, tmp_path: Path) -> None:
    twice = world.reserved_payment(0)
    with stand_in(world, tmp_path) as (server, state):
        form = register_reserved(world, server)
        second = form.register(twice).payment_number
        result, document = reconcile(server, world, state, tmp_path)
    assert found(result) == {("duplicate_reference", twice.reference)}
    [finding] = document["findings"]["duplicate_reference"]
    assert second in finding["payment_numbers"]
    assert len(finding["payment_numbers"]) == 2
    assert finding["held_amount_ore"] == 2 * twice.amount_ore
    assert finding["planned_amount_ore"] == twice.amount_ore
    assert document["totals"]["matched"]["payments"] == document["totals"]["planned"]["payments"] - 1


def test_a_ledger_entry_whose_payment_number_is_not_held_disagrees(world: World, tmp_path: Path) -> None:
    reference = next(p.reference for p in world.in_period() if p.decision_id not in reserved_ids(world))
    with stand_in(world, tmp_path) as (server, state):
        register_reserved(world, server)
        with Ledger(state / "ledger.sqlite3") as ledger:
            ledger.mark_registered(reference, "U-999999")
        result, document = reconcile(server, world, state, tmp_path)
    assert found(result) == {("ledger_disagrees", reference)}
    [finding] = document["findings"]["ledger_disagrees"]
    assert finding["ledger_payment_number"] == "U-999999"
    assert finding["ledger_state"] == "registered"
    assert len(finding["payment_numbers"]) == 1  # what the payout system does hold
    assert document["sources"]["payout_system"]["references_looked_up"] == 1


def test_a_ledger_fingerprint_other_than_the_plan_is_a_recipient_difference(
    world: World, tmp_path: Path
) -> None:
    planned = next(
        p for p in world.in_period() if p.decision_id not in reserved_ids(world) and p.method is Method.KONTO
    )
    with stand_in(world, tmp_path) as (server, state):
        register_reserved(world, server)
        key = os.environ["LEDGER_FINGERPRINT_KEY"].encode()  # the runs' key (tests/conftest.py)
        with Ledger(state / "ledger.sqlite3", fingerprint_key=key) as ledger:
            number = ledger.get(planned.reference).payment_number  # type: ignore[union-attr]
            other = planned.model_copy(update={"account": "1" + (planned.account or "")[1:]})
            assert ledger.claim(other, "test:1", "test", 60) is not None
            ledger.mark_registered(planned.reference, str(number))
        result, document = reconcile(server, world, state, tmp_path)
    assert found(result) == {("recipient_differs", planned.reference)}
    [finding] = document["findings"]["recipient_differs"]
    assert finding["sources"] == ["ledger"]
    assert finding["payment_numbers"] == [number]


def test_a_payment_on_another_day_than_the_decision_is_found(world: World, tmp_path: Path) -> None:
    inside, outside = world.reserved_payment(0), world.reserved_payment(1)
    next_period = PERIOD.last + dt.timedelta(days=1)
    while not is_bank_day(next_period):
        next_period += dt.timedelta(days=1)
    with stand_in(world, tmp_path) as (server, state):
        form = register_reserved(world, server, skip=(0, 1))
        form.register(inside.model_copy(update={"payout_date": other_bank_day(inside.payout_date)}))
        form.register(outside.model_copy(update={"payout_date": next_period}))
        result, document = reconcile(server, world, state, tmp_path)
    assert found(result) == {
        ("payout_date_differs", inside.reference),
        ("payout_date_differs", outside.reference),
    }
    by_reference = {f["reference"]: f for f in document["findings"]["payout_date_differs"]}
    assert by_reference[outside.reference]["held_payout_dates"] == [next_period.isoformat()]
    assert "outside the period" in by_reference[outside.reference]["detail"]


def test_payments_of_manual_and_protected_decisions(world: World, tmp_path: Path) -> None:
    """A manual decision's reference held is a finding; a protected one's is only counted."""
    manual_id = world.scenarios["amount_above_limit"][0]
    protected_id = world.scenarios["protected_identity"][0]
    template = world.reserved_payment(0)
    with stand_in(world, tmp_path) as (server, state):
        form = register_reserved(world, server)
        number = form.register(template.model_copy(update={"reference": f"{manual_id}/1"})).payment_number
        form.register(template.model_copy(update={"reference": f"{protected_id}/1"}))
        result, document = reconcile(server, world, state, tmp_path)
    assert found(result) == {("registered_for_manual_decision", f"{manual_id}/1")}
    [finding] = document["findings"]["registered_for_manual_decision"]
    assert finding["payment_numbers"] == [number]
    assert finding["decision_id"] == manual_id
    assert "amount_above_limit" in finding["detail"]
    assert document["totals"]["held_for_protected_decisions"] == 1
    assert protected_id not in json.dumps(document["findings"])


def test_a_refused_api_token_is_an_input_error(world: World, tmp_path: Path) -> None:
    with stand_in(world, tmp_path) as (server, state):
        job = ReconciliationJob(settings_for(server, world, state, tmp_path), say=lambda _: None)
        job.read_decisions()
        with pytest.raises(ReconcileInputError, match="refused the API token"):
            job.read_payout_system("not-the-token")
        job.write_reports()
        job.close()
    document = json.loads((tmp_path / REPORT_FILE).read_text(encoding="utf-8"))
    assert document["status"] == "input_error"
    assert document["error"]["source"] == "payout_system"
    assert "not-the-token" not in json.dumps(document)
    assert not (tmp_path / WORKBOOK_FILE).exists()


def reserved_ids(world: World) -> set[str]:
    return {plan.decision_id for plan in world.reserved}


# --- the real task, as robot.yaml runs it -----------------------------------------------------


def run_task(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("ROBOT_", "PAYOUT_SYSTEM_", "RPA_"))}
    full.pop("RECONCILE_FROM", None)
    full.pop("RECONCILE_TO", None)
    full.update(env)
    full["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "libraries")])
    return subprocess.run(
        [sys.executable, "-m", "splitpayout.runner", "reconcile"],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def task_env(server: PayoutServer, world: World, state: Path, artifacts: Path) -> dict[str, str]:
    return {
        "RECONCILE_FROM": PERIOD.first.isoformat(),
        "RECONCILE_TO": PERIOD.last.isoformat(),
        "DECISIONS_FILE": str(world.export.parent),
        "PAYOUT_SYSTEM_URL": server.url,
        "STATE_DIR": str(state),
        "ROBOT_ARTIFACTS": str(artifacts),
        "RUN_STARTED_BY": "console:test",
    }


def personal_data(world: World) -> set[str]:
    """Every name, identity, account, bankgiro and OCR number of the export, as written and as planned."""
    values: set[str] = set()
    for _, raw in iter_rows(world.export):
        for column, value in raw.items():
            if value is None or column in ("Beslutsnummer", "Belopp", "Handläggare"):
                continue
            text = str(value).strip()
            sensitive = any(
                word in column for word in ("namn", "personnummer", "kontonummer", "bankgiro", "OCR")
            )
            if sensitive and len(text) >= 6:
                values.add(text)
    for plan in world.plans:
        contact = plan.contact
        values.update(
            v
            for v in (
                contact.applicant1_name,
                contact.applicant1_personnummer,
                contact.applicant2_name,
                contact.applicant2_personnummer,
            )
            if v
        )
        for p in plan.payments:
            values.update(
                v for v in (p.name, p.personnummer, p.account, p.bankgiro, p.ocr) if v and len(v) >= 6
            )
            values.add(format_identity(p.personnummer))
            if p.clearing and p.account:
                values.add(p.clearing + p.account)
    return values


def workbook_text(path: Path) -> str:
    workbook = load_workbook(path, read_only=True)
    return "\n".join(
        " ".join("" if cell is None else str(cell) for cell in row)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
    )


def assert_no_personal_data(world: World, artifacts: Path) -> None:
    texts = {name: readable_text(artifacts / name) for name in ("log.html", "report.html", "output.xml")}
    texts[REPORT_FILE] = (artifacts / REPORT_FILE).read_text(encoding="utf-8")
    if (artifacts / WORKBOOK_FILE).exists():
        texts[WORKBOOK_FILE] = workbook_text(artifacts / WORKBOOK_FILE)
    secrets = personal_data(world)
    assert len(secrets) > 100
    for name, text in texts.items():
        leaked = sorted(value for value in secrets if value in text)
        assert leaked == [], f"{name} holds personal data of the export ({len(leaked)} values)"


def test_the_task_reconciles_a_clean_period_with_the_token_from_the_vault(
    world: World, tmp_path: Path
) -> None:
    vault = tmp_path / "vault.json"
    vault.write_text(json.dumps({"payout_system": {"api_token": DEV_API_TOKEN}}), encoding="utf-8")
    artifacts = tmp_path / "artifacts"
    with stand_in(world, tmp_path) as (server, state):
        register_reserved(world, server)
        env = task_env(server, world, state, artifacts)
        env.update(RPA_SECRET_MANAGER="RPA.Robocorp.Vault.FileSecrets", RPA_SECRET_FILE=str(vault))
        completed = run_task(env)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
    document = json.loads((artifacts / REPORT_FILE).read_text(encoding="utf-8"))
    assert document["status"] == "reconciled"
    assert document["started_by"] == "console:test"
    assert document["totals"]["matched"] == document["totals"]["planned"] == document["totals"]["held"]
    assert json.loads((artifacts / "run.json").read_text(encoding="utf-8"))["exit_status"] == 0
    assert_no_personal_data(world, artifacts)


def test_the_task_fails_with_one_log_line_per_finding(world: World, tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    amount = world.reserved_payment(2)
    with stand_in(world, tmp_path) as (server, state):
        form = register_reserved(world, server, skip=(1, 2))
        form.register(amount.model_copy(update={"amount_ore": amount.amount_ore - 1}))
        form.register(world.reserved_payment(0))
        form.register(amount.model_copy(update={"reference": f"EB-1999-{uuid.uuid4().hex[:6]}/1"}))
        env = task_env(server, world, state, artifacts)
        env["PAYOUT_SYSTEM_API_TOKEN"] = DEV_API_TOKEN
        completed = run_task(env)
    assert completed.returncode != 0
    document = json.loads((artifacts / REPORT_FILE).read_text(encoding="utf-8"))
    assert document["status"] == "discrepancies"
    counts = {code: n for code, n in document["finding_counts"].items() if n}
    assert counts == {
        "registered_without_decision": 1,
        "not_fully_registered": 1,
        "amount_differs": 1,
        "duplicate_reference": 1,
    }
    log = readable_text(artifacts / "log.html")
    for findings in document["findings"].values():
        for finding in findings:
            assert f"{finding['code']}  {finding['reference']}" in log
    assert "4 discrepancies" in log
    sheet = load_workbook(artifacts / WORKBOOK_FILE, read_only=True)["Avvikelser"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 4
    assert {row[-1] for row in rows} == set(counts)
    assert all(row[11] for row in rows)  # what to do
    assert_no_personal_data(world, artifacts)
