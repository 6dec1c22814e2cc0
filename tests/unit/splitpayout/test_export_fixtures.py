"""Reader and planner on exports not written by openpyxl: LibreOffice fixtures and the demo generator."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from splitpayout.adapters.reader import iter_rows, read_header
from splitpayout.domain.errors import ExportFileError
from splitpayout.domain.models import DecisionPlan, Method, Outcome
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.domain.reasons import ReasonCode
from splitpayout.jobs.export_plan import plan_export

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
BEFORE_2030 = dt.date(2029, 12, 20)


def test_libreoffice_export_rows_and_types() -> None:
    path = FIXTURES / "libreoffice-export.xlsx"
    assert read_header(path).row_number == 3
    rows = list(iter_rows(path))
    assert [number for number, _ in rows] == [4, 5, 7, 8, 9]
    first = rows[0][1]
    assert first["Utbetalningsdatum"] == dt.datetime(2030, 1, 25)
    assert first["Belopp"] == 12345.5
    assert first["Andel sökande 1"] == 0.6
    assert "%" in str(first["Andel sökande 1#number_format"])


def test_libreoffice_export_plans_as_documented() -> None:
    plans = {
        p.decision_id: p
        for p in plan_export(FIXTURES / "libreoffice-export.xlsx", PlanningRules(BEFORE_2030))
    }

    def payments(decision_id: str) -> dict[str, tuple[Method, int]]:
        return {p.reference: (p.method, p.amount_ore) for p in plans[decision_id].payments}

    assert payments("EB-2030-0001") == {
        "EB-2030-0001/1": (Method.KONTO, 740_730),
        "EB-2030-0001/2": (Method.KONTO, 493_820),
    }
    assert payments("EB-2030-0002") == {"EB-2030-0002/1": (Method.KONTO, 1_234_550)}
    assert payments("EB-2030-0003") == {
        "EB-2030-0003/D": (Method.BANKGIRO, 450_000),
        "EB-2030-0003/1": (Method.KONTO, 270_000),
        "EB-2030-0003/2": (Method.AVI, 180_000),
    }
    protected = plans["EB-2030-0004"]
    assert protected.outcome is Outcome.MANUAL
    assert [r.code for r in protected.reasons] == [ReasonCode.PROTECTED_IDENTITY]
    assert payments("EB-2030-0005") == {"EB-2030-0005/1": (Method.AVI, 1_234_550)}
    assert [p.outcome for p in plans.values()].count(Outcome.PLANNED) == 4


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("no-header.xlsx", "no_header"),
        ("header-too-low.xlsx", "no_header"),
        ("missing-columns.xlsx", "missing_columns"),
        ("header-only.xlsx", "no_decisions"),
        ("csv-renamed.xlsx", "not_xlsx"),
        ("truncated.xlsx", "not_xlsx"),
        ("encrypted.xlsx", "encrypted"),
    ],
)
def test_libreoffice_fixtures_with_file_errors(name: str, code: str) -> None:
    with pytest.raises(ExportFileError) as error:
        list(plan_export(FIXTURES / name, PlanningRules(BEFORE_2030)))
    assert error.value.code == code


def test_missing_columns_fixture_names_every_missing_column() -> None:
    with pytest.raises(ExportFileError) as error:
        read_header(FIXTURES / "missing-columns.xlsx")
    assert error.value.columns == ("Utbetalningsdatum", "Delad utbetalning", "Sökande 1 personnummer")


EXPECTED_REASONS = {
    "protected_identity": ReasonCode.PROTECTED_IDENTITY,
    "missing_partner": ReasonCode.MISSING_PARTNER,
    "invalid_identity": ReasonCode.INVALID_IDENTITY,
    "invalid_account": ReasonCode.INVALID_ACCOUNT,
    "invalid_swedbank_clearing": ReasonCode.INVALID_ACCOUNT,
    "invalid_bankgiro": ReasonCode.INVALID_BANKGIRO,
    "amount_above_limit": ReasonCode.AMOUNT_ABOVE_LIMIT,
    "payout_date_passed": ReasonCode.PAYOUT_DATE_PASSED,
    "duplicate_decision": ReasonCode.DUPLICATE_DECISION,
    "invalid_row_amount": ReasonCode.INVALID_ROW,
    "invalid_row_missing_cell": ReasonCode.INVALID_ROW,
    "invalid_row_split_value": ReasonCode.INVALID_ROW,
    "invalid_row_share": ReasonCode.INVALID_ROW,
}


def test_demo_export_every_scenario_ends_as_intended(tmp_path: Path) -> None:
    generate_export = pytest.importorskip("devdata.generate_export")
    today = dt.date(2026, 11, 20)
    scenarios = generate_export.generate(tmp_path / "demo.xlsx", count=120, seed=7, today=today)
    plans: dict[str, list[DecisionPlan]] = {}
    for plan in plan_export(tmp_path / "demo.xlsx", PlanningRules(today)):
        plans.setdefault(plan.decision_id, []).append(plan)
    for scenario, ids in scenarios.items():
        for decision_id in ids:
            for plan in plans[decision_id]:
                codes = {r.code for r in plan.reasons}
                if scenario in EXPECTED_REASONS:
                    assert EXPECTED_REASONS[scenario] in codes, (scenario, decision_id, codes)
                    assert plan.payments == ()
                else:
                    assert plan.outcome is Outcome.PLANNED, (scenario, decision_id, codes)
