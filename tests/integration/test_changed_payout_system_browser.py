"""A new release of the payout system under the unchanged robot, through the real browser.

The ``Split payouts`` task runs as robot.yaml runs it, in headless Chromium, on an ordinary export
of valid decisions, against the stand-in playing one change of a release (``payout_system/
release.py``), with a local mail server. Each change must stop the run with a non-zero exit, name
what changed in ``summary.json`` and in the operators' e-mail, store at most one payment other than
entered and report no decision with such a payment ``paid``, send nothing to the case workers for
a changed form, and not retry a missing element. The stand-in is then started without the change
on the same database, and the next run completes every other decision exactly once. A control
run with no change stays green.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from splitpayout.domain.models import Outcome
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.jobs.export_plan import plan_export

from devdata.generate_export import generate
from tests.support.payout_server import PayoutServer, running_payout_system
from tests.support.robot_env import REPO_ROOT, clean_robot_env
from tests.support.smtp_server import local_smtp_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OPERATORS = "drift@kommun.example"
DECISIONS = 12


def split_payouts(
    tmp_path: Path, name: str, export: Path, url: str, smtp_port: int
) -> tuple[int, dict[str, Any]]:
    """Run the task; its exit status and its summary.json."""
    artifacts = tmp_path / name
    env = clean_robot_env("SMTP_HOST", "NOTIFY_OPERATORS", "RUNS_DIR")
    env.update(
        DECISIONS_FILE=str(export),
        DRY_RUN="false",
        PAYOUT_SYSTEM_URL=url.rstrip("/"),
        PAYOUT_SYSTEM_USERNAME="robot",
        PAYOUT_SYSTEM_PASSWORD="robot-demo-password",
        PAYOUT_SYSTEM_TIMEOUT="10",
        RETRY_BACKOFF_SECONDS="0.2",
        UNKNOWN_OUTCOME_SETTLE_SECONDS="0.5",
        STATE_DIR=str(tmp_path / "state"),
        RUNS_DIR=str(tmp_path / "runs"),
        ROBOT_ARTIFACTS=str(artifacts),
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        NOTIFY_FROM="robot@kommun.example",
        NOTIFY_CASEWORKER_ADDRESS="{handlaggare}@kommun.example",
        NOTIFY_CASEWORKER_FALLBACK="bistand@kommun.example",
        NOTIFY_OPERATORS=OPERATORS,
    )
    completed = subprocess.run(
        [sys.executable, "-m", "splitpayout.runner", "split_payouts"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    summary = json.loads((artifacts / "summary.json").read_text(encoding="utf-8"))
    return completed.returncode, summary


def run_events(tmp_path: Path, name: str) -> list[str]:
    lines = (tmp_path / name / "run.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line).get("event", "") for line in lines if line.strip()]


def stored_other_than_planned(server: PayoutServer, export: Path) -> list[str]:
    """The references the payout system holds other than planned (amount, date, recipient, name)."""
    planned = {
        p.reference: p
        for plan in plan_export(export, PlanningRules(dt.date.today()))
        if plan.outcome is Outcome.PLANNED
        for p in plan.payments
    }
    other = []
    for row in server.api_payments():
        p = planned[row["reference"]]
        held = (row["amount_ore"], row["payout_date"], row["personnummer"], row["name"], row["method"])
        if held != (p.amount_ore, p.payout_date.isoformat(), p.personnummer, p.name, p.method.value):
            other.append(row["reference"])
    return other


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export") / "beslut.xlsx"
    generate(path, count=DECISIONS, seed=19, today=dt.date.today(), scenario_mix=False)
    return path


CHANGES = {
    "stored_differently": (
        ("--store-differently", "payout_date"),
        "payout_system_stored_differently",
        "payout_date",
    ),
    "required_field": (
        ("--required-field", "kostnadsstalle"),
        "payout_system_unknown_field",
        "kostnadsstalle",
    ),
    "renamed_field": (("--renamed-field", "amount"), "payout_system_element_missing", "amount"),
    "extra_step": (("--extra-step",), "payout_system_page_flow_changed", "confirm-payment"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_release_stops_the_robot_and_the_fixed_system_completes_the_rest(
    tmp_path: Path, export: Path, change: str
) -> None:
    options, code, subject = CHANGES[change]
    db = tmp_path / "payout.db"
    with local_smtp_server() as (port, mail):
        with running_payout_system(db, extra_args=options) as server:
            status, summary = split_payouts(tmp_path, "changed", export, server.url, port)
            wrong = stored_other_than_planned(server, export)
        assert status != 0
        assert summary["status"] == "stopped"
        stop = summary["stop"]
        assert stop["code"] == code and subject in stop["detail"] and subject in stop["message_sv"]
        assert stop["message_sv"].startswith("Utbetalningssystemet har ändrats")
        assert len(wrong) <= 1, f"at most one payment stored other than entered: {wrong}"
        outcomes = Counter(d["outcome"] for d in summary["decisions"])
        for decision in summary["decisions"]:
            references = {p["reference"] for p in decision["payments"]}
            if references & set(wrong):
                assert decision["outcome"] == "manual"
                assert [r["code"] for r in decision["reasons"]] == ["stored_differently"]
        if change != "stored_differently":
            assert wrong == [] and outcomes == {"failed": DECISIONS}, outcomes
        else:
            assert len(wrong) == 1 and outcomes["manual"] == 1 and outcomes["paid"] == 0
        events = run_events(tmp_path, "changed")
        assert "attempt_failed" not in events, "a changed payout system is never retried"
        operators = [m for m in mail.received if m.recipients == [OPERATORS]]
        assert len(operators) == 1 and stop["message_sv"] in operators[0].text
        case_workers = [m for m in mail.received if m.recipients != [OPERATORS]]
        if change != "stored_differently":
            assert case_workers == [], "a changed form sends nothing to the case workers"

        with running_payout_system(db) as fixed:
            status, summary = split_payouts(tmp_path, "fixed", export, fixed.url, port)
            held = Counter(row["reference"] for row in fixed.api_payments())
        assert summary["stop"] is None
        assert max(held.values()) == 1, "every reference exactly once"
        outcomes = Counter(d["outcome"] for d in summary["decisions"])
        assert outcomes["failed"] == 0 and status == 0
        assert outcomes["manual"] == len(wrong)
        assert outcomes["paid"] + outcomes["already_paid"] == DECISIONS - len(wrong)


def test_a_payout_system_the_robot_knows_is_a_green_run(tmp_path: Path, export: Path) -> None:
    with local_smtp_server() as (port, mail):
        with running_payout_system(tmp_path / "payout.db") as server:
            status, summary = split_payouts(tmp_path, "control", export, server.url, port)
            assert stored_other_than_planned(server, export) == []
        assert status == 0 and summary["stop"] is None
        assert Counter(d["outcome"] for d in summary["decisions"]) == {"paid": DECISIONS}
        assert mail.received == []
