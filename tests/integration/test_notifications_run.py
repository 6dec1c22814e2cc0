"""The Split payouts task run for real, as robot.yaml runs it, with a local SMTP server: a
payout system that is down stops the run, the operators get one message, each case worker
with decisions for manual handling one, and no message holds personal data."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook
from splitpayout.domain.models import Outcome
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.jobs.export_plan import plan_export

from devdata.generate_export import generate
from swedish_rules import format_amount
from tests.support.robot_env import REPO_ROOT, clean_robot_env
from tests.support.smtp_server import closed_port, local_smtp_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PERSONAL_COLUMNS = ("namn", "personnummer", "clearingnummer", "kontonummer", "belopp", "direktbetalning")


def personal_values(export: Path) -> set[str]:
    """The export's names, identity, clearing and account numbers and amounts, as text."""
    workbook = load_workbook(export, read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    header_index = next(i for i, row in enumerate(rows) if "Beslutsnummer" in row)
    header = [str(cell or "").lower() for cell in rows[header_index]]
    wanted = [i for i, name in enumerate(header) if any(word in name for word in PERSONAL_COLUMNS)]
    values: set[str] = set()
    for row in rows[header_index + 1 :]:
        for index in wanted:
            if index < len(row) and row[index] not in (None, ""):
                cell = row[index]
                values.add(format_amount(round(cell * 100)) if isinstance(cell, float) else str(cell))
    return {value for value in values if len(value) >= 5}


def case_workers_by_row(export: Path) -> dict[int, str]:
    """The export's Handläggare cell of every sheet row."""
    workbook = load_workbook(export, read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    header_index = next(i for i, row in enumerate(rows) if "Beslutsnummer" in row)
    column = list(rows[header_index]).index("Handläggare")
    return {n: str(row[column] or "").strip() for n, row in enumerate(rows, start=1) if len(row) > column}


def expected_case_workers(export: Path) -> Counter[str]:
    """Manual decisions per Handläggare of their rows (those without one under 'fallback')."""
    by_row = case_workers_by_row(export)
    counts: Counter[str] = Counter()
    for plan in plan_export(export, PlanningRules(dt.date.today())):
        if plan.outcome is Outcome.MANUAL:
            owners = {by_row.get(n, "") for n in plan.row_numbers}
            owner = owners.pop() if len(owners) == 1 else ""
            counts[owner or "fallback"] += 1
    return counts


def run_split_payouts(tmp_path: Path, export: Path, smtp_port: int) -> subprocess.CompletedProcess[str]:
    env = clean_robot_env("SMTP_HOST", "NOTIFY_OPERATORS", "RUNS_DIR")
    env.update(
        DECISIONS_FILE=str(export),
        DRY_RUN="false",
        PAYOUT_SYSTEM_URL=f"http://127.0.0.1:{closed_port()}",
        PAYOUT_SYSTEM_USERNAME="robot",
        PAYOUT_SYSTEM_PASSWORD="robot-password",
        PAYOUT_SYSTEM_TIMEOUT="5",
        MAX_ATTEMPTS="2",
        RETRY_BACKOFF_SECONDS="0.1",
        STATE_DIR=str(tmp_path / "state"),
        RUNS_DIR=str(tmp_path / "runs"),
        ROBOT_ARTIFACTS=str(tmp_path / "runs" / "2026-12-01T020005Z-schedule-abcdef"),
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        SMTP_TIMEOUT_SECONDS="30",
        NOTIFY_FROM="robot@kommun.example",
        NOTIFY_CASEWORKER_ADDRESS="{handlaggare}@kommun.example",
        NOTIFY_CASEWORKER_FALLBACK="bistand@kommun.example",
        NOTIFY_OPERATORS="drift@kommun.example",
        CONSOLE_URL="https://robot.kommun.example",
    )
    return subprocess.run(
        [sys.executable, "-m", "splitpayout.runner", "split_payouts"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_a_run_against_a_payout_system_that_is_down_tells_operators_and_case_workers(tmp_path: Path) -> None:
    export = tmp_path / "beslut.xlsx"
    generate(export, count=60, seed=11, today=dt.date.today(), scenario_mix=True)
    expected = expected_case_workers(export)

    with local_smtp_server() as (port, server):
        completed = run_split_payouts(tmp_path, export, port)
        run_dir = tmp_path / "runs" / "2026-12-01T020005Z-schedule-abcdef"
        summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))

        assert completed.returncode != 0, completed.stdout  # stopped: the exit status is the run's own
        assert summary["status"] == "stopped"
        operators = [r for r in server.received if r.recipients == ["drift@kommun.example"]]
        case_workers = Counter(
            r.recipients[0].split("@")[0] for r in server.received if r.recipients != ["drift@kommun.example"]
        )
        assert len(operators) == 1 and "(stopped)" in operators[0].message["Subject"]
        # Why, in one Swedish sentence with the technical detail, in the summary and the e-mail alike.
        assert summary["stop"]["code"] == "payout_system_down"
        assert summary["stop"]["message_sv"].startswith("Utbetalningssystemet svarade inte.")
        assert summary["stop"]["detail"] == summary["stopped_reason"]
        assert summary["stop"]["message_sv"] in operators[0].text
        assert "Teknisk detalj (payout_system_down)" in operators[0].text
        assert "korningar/2026-12-01T020005Z-schedule-abcdef" in operators[0].text
        wanted = {("bistand" if key == "fallback" else key): 1 for key in expected}
        assert dict(case_workers) == wanted
        protected = [r for r in server.received if "beslut med skyddade personuppgifter" in r.text]
        assert protected and all(r.recipients[0].startswith("hl") for r in protected)  # their own case worker
        secrets = personal_values(export)
        assert len(secrets) > 100  # names, identity and account numbers, amounts of 60 decisions
        for received in server.received:
            leaked = sorted(value for value in secrets if value in received.text)
            assert leaked == [], leaked
        assert summary["notifications"]["this_run"]["sent"] == len(server.received)

        # The same export again: a new run, its own messages; nothing of the first run is sent again.
        before = len(server.received)
        run_split_payouts(tmp_path, export, port)
        assert len(server.received) == 2 * before
        subjects = [(r.message["Subject"], tuple(r.recipients)) for r in server.received]
        assert len(set(subjects)) == len(subjects)
