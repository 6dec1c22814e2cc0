"""The whole export, streamed: every row one plan, bad rows isolated, duplicates caught."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from export_builder import TODAY, raw_row, write_export
from splitpayout.domain.errors import ExportFileError
from splitpayout.domain.export_columns import SHARE
from splitpayout.domain.models import Contact, Outcome
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.domain.reasons import ReasonCode
from splitpayout.jobs.export_plan import plan_export


def test_every_row_gets_one_plan_and_a_bad_row_does_not_stop_the_others(tmp_path: Path) -> None:
    rows = [
        raw_row(Beslutsnummer="B-1"),
        raw_row(Beslutsnummer="B-2", Belopp="inte ett belopp"),
        {},
        raw_row(Beslutsnummer="B-3", Delad_utbetalning="Nej"),
    ]
    path = write_export(tmp_path / "e.xlsx", rows, leading_rows=[["Export"], []])
    plans = list(plan_export(path, PlanningRules(TODAY)))
    assert [(p.decision_id, p.row_numbers, p.outcome) for p in plans] == [
        ("B-1", (4,), Outcome.PLANNED),
        ("B-2", (5,), Outcome.MANUAL),
        ("B-3", (7,), Outcome.PLANNED),
    ]


def test_real_excel_numbers_dates_and_percent_cells_are_planned_exactly(tmp_path: Path) -> None:
    import datetime as dt

    row = raw_row(Belopp=1234.57, Utbetalningsdatum=dt.date(2026, 12, 24), Andel_sökande_1=0.6)
    row["Sökande 1 personnummer"] = 198112189876
    row["Sökande 1 clearingnummer"] = 6000
    row["Sökande 1 kontonummer"] = 100000002
    path = write_export(tmp_path / "e.xlsx", [row], number_formats={SHARE: "0%"})
    (plan,) = plan_export(path, PlanningRules(TODAY))
    assert plan.outcome is Outcome.PLANNED
    # rest 123457 öre, p2 = floor(123457 * 0.4) = 49382
    assert [(p.reference, p.amount_ore, str(p.payout_date)) for p in plan.payments] == [
        ("B-1/1", 74_075, "2026-12-23"),
        ("B-1/2", 49_382, "2026-12-23"),
    ]


def test_every_row_of_a_repeated_decision_number_goes_to_manual(tmp_path: Path) -> None:
    rows = [
        raw_row(Beslutsnummer="B-1"),
        raw_row(Beslutsnummer="B-2"),
        raw_row(Beslutsnummer=" b-1 ", Belopp="abc"),
        raw_row(Beslutsnummer="B-3"),
    ]
    path = write_export(tmp_path / "e.xlsx", rows)
    plans = list(plan_export(path, PlanningRules(TODAY)))
    by_row = {p.row_numbers: p for p in plans}
    assert len(plans) == 4
    for row in (2, 4):
        assert by_row[(row,)].outcome is Outcome.MANUAL
        assert by_row[(row,)].payments == ()
        assert by_row[(row,)].reasons[0].code is ReasonCode.DUPLICATE_DECISION
    assert [r.code for r in by_row[(4,)].reasons] == [ReasonCode.DUPLICATE_DECISION, ReasonCode.INVALID_ROW]
    assert by_row[(2,)].contact.applicant1_name == "Anna Andersson"
    assert by_row[(3,)].outcome is Outcome.PLANNED
    assert by_row[(5,)].outcome is Outcome.PLANNED


def test_a_protected_row_protects_every_row_with_its_decision_number(tmp_path: Path) -> None:
    rows = [
        raw_row(Beslutsnummer="B-1"),
        raw_row(Beslutsnummer="B-1", Skyddade_personuppgifter="Ja"),
    ]
    path = write_export(tmp_path / "e.xlsx", rows)
    plans = list(plan_export(path, PlanningRules(TODAY)))
    for plan in plans:
        assert plan.protected
        assert {r.code for r in plan.reasons} == {
            ReasonCode.PROTECTED_IDENTITY,
            ReasonCode.DUPLICATE_DECISION,
        }
        assert (plan.amount_ore, plan.contact, plan.payments) == (0, Contact(), ())
    assert [p.row_numbers for p in plans] == [(2,), (3,)]


def test_rows_without_a_decision_number_are_not_duplicates_of_each_other(tmp_path: Path) -> None:
    rows = [raw_row(Beslutsnummer=None), raw_row(Beslutsnummer=None)]
    path = write_export(tmp_path / "e.xlsx", rows)
    plans = list(plan_export(path, PlanningRules(TODAY)))
    assert [[r.code for r in p.reasons] for p in plans] == [[ReasonCode.INVALID_ROW]] * 2


def test_a_damaged_file_yields_no_plan_at_all(tmp_path: Path) -> None:
    import zipfile

    good = write_export(tmp_path / "good.xlsx", [raw_row(Beslutsnummer=f"B-{i}") for i in range(60)])
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) * 3 // 4]
            target.writestr(item, data)
    plans = plan_export(path, PlanningRules(TODAY))
    with pytest.raises(ExportFileError) as error:
        next(plans)
    assert error.value.code == "unreadable"


def test_totals_over_a_file_add_up(tmp_path: Path) -> None:
    rows = [raw_row(Beslutsnummer=f"B-{i}", Belopp=f"{1000 + i},{i:02d}") for i in range(20)]
    rows.append(raw_row(Beslutsnummer="B-X", Belopp="99 999,99"))
    path = write_export(tmp_path / "e.xlsx", rows)
    ore_by_outcome: Counter[Outcome] = Counter()
    payment_ore = 0
    for plan in plan_export(path, PlanningRules(TODAY)):
        ore_by_outcome[plan.outcome] += plan.amount_ore
        payment_ore += sum(payment.amount_ore for payment in plan.payments)
    expected_planned = sum((1000 + i) * 100 + i for i in range(20))
    assert ore_by_outcome == {Outcome.PLANNED: expected_planned, Outcome.MANUAL: 9_999_999}
    assert payment_ore == expected_planned


# --- columns that belong together (docs/rules.md §1.1) -------------------------------------------

ACCOUNTS = (
    "Sökande 1 clearingnummer",
    "Sökande 1 kontonummer",
    "Sökande 2 clearingnummer",
    "Sökande 2 kontonummer",
)


def _without(*dropped: str) -> list[str]:
    from splitpayout.domain.export_columns import ALL_COLUMNS

    return [name for name in ALL_COLUMNS if name not in dropped]


def _refusal(path: Path) -> ExportFileError:
    with pytest.raises(ExportFileError) as error:
        list(plan_export(path, PlanningRules(TODAY)))
    return error.value


@pytest.mark.parametrize(
    "dropped",
    [
        ("Sökande 1 kontonummer", "Sökande 2 kontonummer"),  # the account numbers without their clearing
        ("Sökande 2 clearingnummer",),
        ("Sökande 2 clearingnummer", "Sökande 2 kontonummer"),  # one partner's account columns
        ("Sökande 2 namn",),
    ],
)
def test_a_column_group_with_a_part_missing_is_a_file_error_naming_the_columns(
    tmp_path: Path, dropped: tuple[str, ...]
) -> None:
    rows = [raw_row(Beslutsnummer=f"B-{n}", Delad_utbetalning="Nej") for n in range(1, 4)]
    path = write_export(tmp_path / "e.xlsx", rows, header=_without(*dropped))
    error = _refusal(path)
    assert error.code == "missing_columns" and set(error.columns) == set(dropped)
    assert all(name in error.message for name in dropped)


def test_no_account_columns_with_split_decisions_is_a_file_error_before_any_plan(tmp_path: Path) -> None:
    rows = [raw_row(Beslutsnummer=f"B-{n}", Delad_utbetalning="Nej") for n in range(1, 300)]
    rows.append(raw_row(Beslutsnummer="B-300"))  # one split decision, on the last row
    path = write_export(tmp_path / "e.xlsx", rows, header=_without(*ACCOUNTS))
    error = _refusal(path)
    assert error.code == "missing_columns" and error.columns == ACCOUNTS
    assert "split decisions" in error.message


def test_no_account_columns_without_split_decisions_pays_by_payment_notice(tmp_path: Path) -> None:
    rows = [raw_row(Beslutsnummer=f"B-{n}", Delad_utbetalning="Nej") for n in range(1, 4)]
    path = write_export(tmp_path / "e.xlsx", rows, header=_without(*ACCOUNTS))
    plans = list(plan_export(path, PlanningRules(TODAY)))
    assert [p.outcome for p in plans] == [Outcome.PLANNED] * 3
    assert {payment.method.value for plan in plans for payment in plan.payments} == {"AVI"}


def test_no_second_applicant_columns_with_split_decisions_is_a_file_error(tmp_path: Path) -> None:
    dropped = (
        "Sökande 2 personnummer",
        "Sökande 2 namn",
        "Sökande 2 clearingnummer",
        "Sökande 2 kontonummer",
    )
    path = write_export(tmp_path / "e.xlsx", [raw_row()], header=_without(*dropped))
    error = _refusal(path)
    assert error.code == "missing_columns" and error.columns[:2] == (
        "Sökande 2 personnummer",
        "Sökande 2 namn",
    )
