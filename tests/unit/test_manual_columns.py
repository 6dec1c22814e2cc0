"""The case workers' workbook has one declaration of its columns: the robot writes the workbook from
it, the console reads it back by heading (whatever the order), and the README lists the same columns."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from splitpayout.adapters.manual_columns import (
    MANUAL_COLUMNS,
    MANUAL_KEYS,
    manual_rows,
    read_manual_workbook,
)
from splitpayout.adapters.reports import write_manual_workbook
from splitpayout.adapters.workbook import DATE_FORMAT, KRONOR, KRONOR_FORMAT, Column, Sheet, write_workbook
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

from console.workbook import read_manual_rows

README = Path(__file__).resolve().parents[2] / "README.md"
CREATED = dt.datetime(2026, 11, 23, 20, 25, tzinfo=dt.UTC)


def decision(
    decision_id: str = "2026-0001", worker: str = "hl1", text: str = "Anna Andersson"
) -> tuple[DecisionPlan, DecisionResult]:
    reasons = (
        Reason(code=ReasonCode.REJECTED_BY_PAYOUT_SYSTEM, fields=("amount",)),
        Reason(code=ReasonCode.INVALID_ACCOUNT, fields=("Sökande 2 kontonummer",)),
    )
    plan = DecisionPlan(
        decision_id=decision_id,
        row_numbers=(5,),
        amount_ore=1234550,
        outcome=Outcome.MANUAL,
        reasons=reasons,
        case_worker=worker,
        contact=Contact(
            applicant1_name=text,
            applicant1_personnummer="198112189876",
            applicant2_name="Bo Berg",
            applicant2_personnummer="198112189876",
        ),
        requested_payout_date=dt.date(2026, 12, 24),
    )
    payment = PaymentResult(
        reference=f"{decision_id}/1",
        method=Method.KONTO,
        amount_ore=400,
        payout_date=dt.date(2026, 12, 23),
        payment_number="U-100003",
        status=PaymentStatus.REGISTERED,
    )
    return plan, DecisionResult(
        decision_id=decision_id,
        outcome=Outcome.MANUAL,
        amount_ore=1234550,
        reasons=reasons,
        payments=(payment,),
    )


def written(tmp_path: Path, items: list[tuple[DecisionPlan, DecisionResult]]) -> Path:
    path = tmp_path / "manuell-hantering.xlsx"
    write_manual_workbook(path, items, source_name="export.xlsx", run_id="r1", created=CREATED)
    return path


def test_the_workbook_has_the_declared_headings_widths_and_formats_in_order(tmp_path: Path) -> None:
    sheet = load_workbook(written(tmp_path, [decision()])).worksheets[0]
    rows = list(sheet.iter_rows())
    header = next(i for i, row in enumerate(rows) if row[0].value == MANUAL_COLUMNS[0].title)
    assert [cell.value for cell in rows[header]] == [column.title for column in MANUAL_COLUMNS]
    for index, (column, cell) in enumerate(zip(MANUAL_COLUMNS, rows[header + 1], strict=True), start=1):
        assert sheet.column_dimensions[get_column_letter(index)].width == column.width
        if column.key == "amount":
            assert (cell.value, cell.number_format) == (Decimal("12345.50"), KRONOR_FORMAT)
        if column.key == "payout_date":
            assert (cell.value, cell.number_format) == (dt.datetime(2026, 12, 23), DATE_FORMAT)
        if column.key == "export_rows":
            assert cell.value == 5 and cell.data_type == "n"
    assert [column.key for column in MANUAL_COLUMNS if column.kind == KRONOR] == ["amount"]
    assert len(set(MANUAL_KEYS)) == len(MANUAL_KEYS)
    assert len({column.title for column in MANUAL_COLUMNS}) == len(MANUAL_COLUMNS)


def test_the_console_reads_each_column_back_by_its_key(tmp_path: Path) -> None:
    plan, result = decision()
    rows, total = read_manual_workbook(written(tmp_path, [(plan, result)]), limit=10)
    assert total == 2 and [list(row) for row in rows] == [list(MANUAL_KEYS)] * 2
    expected = [dict(zip(MANUAL_KEYS, values, strict=True)) for values in manual_rows(plan, result)]
    expected[0]["payout_date"] = dt.datetime(2026, 12, 23)  # a date comes back as a spreadsheet date
    expected[1]["payout_date"] = dt.datetime(2026, 12, 23)
    assert rows == expected

    shown, count = read_manual_rows(tmp_path / "manuell-hantering.xlsx")
    assert count == 2
    first = shown[0]
    assert (first.decision_id, first.handlaggare, first.applicant1) == ("2026-0001", "hl1", "Anna Andersson")
    assert (first.amount, first.payout_date, first.payment_numbers) == (
        "12 345,50 kr",
        "2026-12-23",
        "U-100003",
    )
    assert first.reason == "Utbetalningssystemet godtog inte uppgifterna" and first.fields == "Belopp"
    assert "2026-0001/1 (U-100003)" in first.todo
    assert shown[1].reason == "Ogiltigt eller ofullständigt bankkonto"
    with pytest.raises(AttributeError):
        _ = first.not_a_column


def test_a_workbook_with_its_columns_in_another_order_and_an_earlier_heading_reads_the_same(
    tmp_path: Path,
) -> None:
    plan, result = decision()
    values = manual_rows(plan, result)
    order = list(reversed(range(len(MANUAL_COLUMNS))))
    columns = [
        Column("Belopp (kr)", 15) if MANUAL_COLUMNS[i].key == "amount" else MANUAL_COLUMNS[i] for i in order
    ]
    rows = [[row[i] for i in order] for row in values]
    earlier = tmp_path / "earlier.xlsx"
    write_workbook(earlier, [Sheet("Manuell hantering", columns, rows, (("Beslut",), ()))])
    now = written(tmp_path, [(plan, result)])
    assert read_manual_rows(earlier) == read_manual_rows(now)
    assert read_manual_rows(earlier)[0][0].amount == "12 345,50 kr"


def test_a_protected_decision_is_read_back_by_number_only(tmp_path: Path) -> None:
    plan, result = decision()
    plan = plan.model_copy(update={"protected": True})
    (row,), total = read_manual_rows(written(tmp_path, [(plan, result)]))
    assert total == 1
    filled = {key for key in MANUAL_KEYS if getattr(row, key)}
    assert filled == {"handlaggare", "decision_id", "status", "reason", "todo"}
    assert row.reason == "Skyddade personuppgifter"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=1, max_size=40).filter(lambda t: t.strip() == t and t.isprintable()))
def test_any_text_of_an_export_reads_back_as_written(tmp_path: Path, text: str) -> None:
    rows, total = read_manual_rows(written(tmp_path, [decision(text=text), decision("2026-0002")]))
    assert total == 4 and rows[0].applicant1 == rows[1].applicant1 == text


def test_the_readme_lists_the_workbooks_columns_in_order() -> None:
    section = README.read_text(encoding="utf-8").split("## Reading a run's output", 1)[1].split("\n## ", 1)[0]
    listed = section.split("reads it back by; in order:", 1)[1].split("\n- ", 1)[0]
    assert re.findall(r"`([^`]+)`", listed) == [column.title for column in MANUAL_COLUMNS]


def test_no_workbook_or_one_without_a_header_row_reads_as_nothing(tmp_path: Path) -> None:
    assert read_manual_rows(tmp_path / "missing.xlsx") == ([], 0)
    other = tmp_path / "other.xlsx"
    write_workbook(other, [Sheet("Blad", [Column("Något", 10)], [["x"]])])
    assert read_manual_rows(other) == ([], 0)
