"""summary.json and the case workers' workbook, as their readers see them."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from splitpayout.adapters.reports import (
    Totals,
    public_result,
    write_manual_workbook,
    write_summary,
)
from splitpayout.domain.models import (
    Contact,
    DecisionPlan,
    DecisionResult,
    Method,
    Outcome,
    PaymentResult,
    PaymentStatus,
    Reason,
)
from splitpayout.domain.reasons import ReasonCode

PAYOUT = dt.date(2026, 12, 23)


def payment(reference: str, ore: int, status: PaymentStatus, number: str | None = None) -> PaymentResult:
    return PaymentResult(
        reference=reference,
        method=Method.KONTO,
        amount_ore=ore,
        payout_date=PAYOUT,
        payment_number=number,
        status=status,
    )


def test_totals_add_up_per_outcome_to_the_ore() -> None:
    totals = Totals()
    totals.add(
        DecisionResult(
            decision_id="A",
            outcome=Outcome.PAID,
            amount_ore=1001,
            payments=(
                payment("A/1", 501, PaymentStatus.REGISTERED, "U-1"),
                payment("A/2", 500, PaymentStatus.REGISTERED, "U-2"),
            ),
        )
    )
    totals.add(
        DecisionResult(
            decision_id="B",
            outcome=Outcome.ALREADY_PAID,
            amount_ore=2000,
            payments=(payment("B/1", 2000, PaymentStatus.ALREADY_REGISTERED, "U-0"),),
        )
    )
    totals.add(DecisionResult(decision_id="C", outcome=Outcome.MANUAL, amount_ore=300))
    # refused half-way: /1 is in the payout system, /D was refused
    totals.add(
        DecisionResult(
            decision_id="E",
            outcome=Outcome.MANUAL,
            amount_ore=700,
            payments=(
                payment("E/1", 200, PaymentStatus.REGISTERED, "U-3"),
                payment("E/D", 500, PaymentStatus.NOT_ENTERED),
            ),
        )
    )
    # failed half-way: /1 is in, /2 is left for the next run
    totals.add(
        DecisionResult(
            decision_id="D",
            outcome=Outcome.FAILED,
            amount_ore=45,
            payments=(
                payment("D/1", 23, PaymentStatus.REGISTERED, "U-4"),
                payment("D/2", 22, PaymentStatus.FAILED),
            ),
        )
    )
    data = totals.as_dict()
    assert data["amounts_ore"] == {
        "in_file": 4046,
        "registered": 1001 + 2000 + 200 + 23,
        "planned": 0,
        "manual": 300 + 500,
        "failed": 22,
    }
    assert data["outcomes"]["paid"] == 1
    assert data["outcomes"]["manual"] == 2
    assert data["outcomes"]["planned"] == 0
    assert data["payments"] == {
        "already_registered": 1,
        "failed": 1,
        "not_entered": 1,
        "registered": 4,
    }
    totals.check()


def test_a_totals_mismatch_is_refused() -> None:
    totals = Totals()
    totals.add(
        DecisionResult(
            decision_id="A",
            outcome=Outcome.PAID,
            amount_ore=100,
            payments=(payment("A/1", 100, PaymentStatus.REGISTERED, "U-1"),),
        )
    )
    totals.check()
    totals.amount_in_file_ore += 1
    with pytest.raises(AssertionError, match="expected 101 öre, got 100"):
        totals.check()


def test_a_paid_decision_with_money_left_unregistered_is_refused() -> None:
    totals = Totals()
    totals.add(
        DecisionResult(
            decision_id="A",
            outcome=Outcome.PAID,
            amount_ore=100,
            payments=(payment("A/1", 60, PaymentStatus.REGISTERED, "U-1"),),
        )
    )
    with pytest.raises(AssertionError, match="40 öre of paid decisions not registered"):
        totals.check()


def test_a_protected_decision_shows_only_its_number() -> None:
    result = DecisionResult(
        decision_id="P-1",
        outcome=Outcome.MANUAL,
        amount_ore=5000,
        reasons=(Reason(code=ReasonCode.PROTECTED_IDENTITY),),
    )
    shown = public_result(result, protected=True, case_worker="hl7", requested_payout_date=PAYOUT)
    assert shown == {
        "decision_id": "P-1",
        "outcome": "manual",
        "reasons": [{"code": "protected_identity"}],
        "payments": [],
    }


def test_a_decision_names_its_handlaggare_and_requested_payout_date() -> None:
    result = DecisionResult(decision_id="A-1", outcome=Outcome.MANUAL, amount_ore=5000)
    shown = public_result(
        result, protected=False, case_worker="hl7", requested_payout_date=dt.date(2026, 12, 26)
    )
    assert (shown["handlaggare"], shown["requested_payout_date"]) == ("hl7", "2026-12-26")
    assert public_result(result, protected=False)["handlaggare"] is None


def test_summary_json_holds_run_totals_and_decisions(tmp_path: Path) -> None:
    totals = Totals()
    result = DecisionResult(
        decision_id="A",
        outcome=Outcome.PLANNED,
        amount_ore=700,
        payments=(payment("A/1", 700, PaymentStatus.PLANNED),),
    )
    totals.add(result)
    path = tmp_path / "summary.json"
    write_summary(
        path,
        run={"run_id": "r1", "mode": "dry_run"},
        totals=totals,
        decisions=[public_result(result, protected=False)],
    )
    summary = json.loads(path.read_text(encoding="utf-8"))
    assert summary["run_id"] == "r1"
    assert summary["totals"]["amounts_ore"]["planned"] == 700
    assert summary["decisions"][0]["payments"][0] == {
        "reference": "A/1",
        "method": "KONTO",
        "amount_ore": 700,
        "payout_date": "2026-12-23",
        "payment_number": None,
        "status": "planned",
    }


def test_the_workbook_tells_case_workers_in_swedish_what_to_do(tmp_path: Path) -> None:
    manual = DecisionPlan(
        decision_id="2026-0001",
        row_numbers=(5,),
        amount_ore=1234550,
        outcome=Outcome.MANUAL,
        reasons=(
            Reason(code=ReasonCode.INVALID_ACCOUNT, fields=("Sökande 2 kontonummer",)),
            Reason(code=ReasonCode.PAYOUT_DATE_PASSED),
        ),
        case_worker="hl123",
        contact=Contact(applicant1_name="Anna Andersson", applicant1_personnummer="19811218-9876"),
    )
    protected = DecisionPlan(
        decision_id="2026-0002",
        row_numbers=(6,),
        amount_ore=1000,
        outcome=Outcome.MANUAL,
        reasons=(Reason(code=ReasonCode.PROTECTED_IDENTITY),),
        protected=True,
    )
    failed_plan = DecisionPlan(
        decision_id="2026-0003", row_numbers=(7,), amount_ore=500, outcome=Outcome.PLANNED
    )
    refused_plan = DecisionPlan(
        decision_id="2026-0004", row_numbers=(8,), amount_ore=900, outcome=Outcome.PLANNED
    )
    items = [
        (manual, DecisionResult(decision_id="2026-0001", outcome=Outcome.MANUAL, reasons=manual.reasons)),
        (
            protected,
            DecisionResult(decision_id="2026-0002", outcome=Outcome.MANUAL, reasons=protected.reasons),
        ),
        (failed_plan, DecisionResult(decision_id="2026-0003", outcome=Outcome.FAILED)),
        (
            refused_plan,
            DecisionResult(
                decision_id="2026-0004",
                outcome=Outcome.MANUAL,
                amount_ore=900,
                reasons=(Reason(code=ReasonCode.REJECTED_BY_PAYOUT_SYSTEM, fields=("amount",)),),
                payments=(
                    payment("2026-0004/1", 400, PaymentStatus.REGISTERED, "U-100003"),
                    payment("2026-0004/D", 500, PaymentStatus.NOT_ENTERED),
                ),
            ),
        ),
    ]
    path = tmp_path / "manuell-hantering.xlsx"
    write_manual_workbook(
        path, items, source_name="export.xlsx", run_id="r1", created=dt.datetime(2026, 11, 23)
    )

    sheet = load_workbook(path).active
    assert sheet is not None
    rows = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    header_index = next(i for i, row in enumerate(rows) if "Beslutsnummer" in row)
    header = rows[header_index]
    body = [dict(zip(header, row, strict=False)) for row in rows[header_index + 1 :]]
    # A technical failure is not the case workers' to handle: the next run completes it.
    assert [row["Beslutsnummer"] for row in body] == ["2026-0001", "2026-0001", "2026-0002", "2026-0004"]
    assert sheet.freeze_panes == f"A{header_index + 2}"  # the header stays in view
    assert body[0]["Rad i exporten"] == 5 and isinstance(body[0]["Rad i exporten"], int)
    first = body[0]
    assert first["Orsak"] == "Ogiltigt eller ofullständigt bankkonto"
    assert first["Felaktiga fält"] == "Sökande 2 kontonummer"
    assert first["Belopp"] == Decimal("12345.50")
    assert first["Sökande 1"] == "Anna Andersson"
    assert first["Handläggare"] == "hl123"
    assert "passerat" in body[1]["Orsak"]
    assert body[2]["Orsak"] == "Skyddade personuppgifter"
    assert all(body[2][k] == "" for k in ("Sökande 1", "Personnummer sökande 1", "Belopp", "Handläggare"))
    assert all(row["Status"] != "Tekniskt fel" for row in body)
    refused = body[3]
    assert refused["Orsak"] == "Utbetalningssystemet godtog inte uppgifterna"
    assert refused["Felaktiga fält"] == "Belopp"  # the payout system's field, in Swedish
    assert "2026-0004/1 (U-100003)" in refused["Vad du behöver göra"]
    assert "registrera inte dessa igen" in refused["Vad du behöver göra"]


def test_a_protected_decision_is_in_its_case_workers_sheet_by_number_only(tmp_path: Path) -> None:
    from splitpayout.domain.planning.parsing import protected_plan

    protected = protected_plan("2026-0009", (4,), (), "hl7")
    other = protected_plan("2026-0010", (5,), (), "hl8")
    items = [
        (plan, DecisionResult(decision_id=plan.decision_id, outcome=Outcome.MANUAL, reasons=plan.reasons))
        for plan in (protected, other)
    ]
    path = tmp_path / "manuell-hantering.xlsx"
    write_manual_workbook(
        path, items, source_name="export.xlsx", run_id="r1", created=dt.datetime(2026, 11, 23)
    )
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Manuell hantering", "hl7", "hl8"]
    rows = [[c for c in row] for row in workbook["hl7"].iter_rows(values_only=True)]
    header_index = next(i for i, row in enumerate(rows) if "Beslutsnummer" in row)
    (row,) = [dict(zip(rows[header_index], r, strict=False)) for r in rows[header_index + 1 :]]
    assert (row["Handläggare"], row["Beslutsnummer"], row["Orsak"]) == (
        "hl7",
        "2026-0009",
        "Skyddade personuppgifter",
    )
    shown = {key for key, value in row.items() if value not in (None, "")}
    assert shown == {"Handläggare", "Beslutsnummer", "Status", "Orsak", "Vad du behöver göra"}
