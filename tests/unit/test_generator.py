"""The demo-data generator: reproducible, valid where it says so, every scenario present."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import bankkonto
import pytest
from openpyxl import load_workbook

from devdata import generate_export as gen
from swedish_rules import (
    is_bank_day,
    is_coordination_number,
    is_valid_account,
    is_valid_identity,
    normalize_bankgiro,
    parse_amount_ore,
)

# One worker runs this module's tests: its module-scoped fixtures are built once.
pytestmark = pytest.mark.xdist_group("test_generator")

TODAY = dt.date(2026, 11, 23)
REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "devdata" / "decisions-demo.xlsx"


def values(path: Path) -> list[tuple[Any, ...]]:
    workbook = load_workbook(path, read_only=True)
    try:
        return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def records(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """Header and data rows (as dicts, empty rows kept as empty dicts) of a generated export."""
    rows = values(path)
    header = [str(h) for h in rows[gen.HEADER_ROW - 1]]
    data = [
        {h: v for h, v in zip(header, row, strict=False) if v is not None} for row in rows[gen.HEADER_ROW :]
    ]
    return header, data


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[str]]]:
    path = tmp_path_factory.mktemp("demo") / "demo.xlsx"
    return path, gen.generate(path, count=300, seed=7, today=TODAY)


@pytest.fixture(scope="module")
def demo_rows(demo: tuple[Path, dict[str, list[str]]]) -> dict[str, list[dict[str, Any]]]:
    _, data = records(demo[0])
    by_id: dict[str, list[dict[str, Any]]] = {}
    for row in data:
        if row:
            by_id.setdefault(str(row["Beslutsnummer"]), []).append(row)
    return by_id


def rows_of(
    scenario: str, demo: tuple[Path, dict[str, list[str]]], demo_rows: dict[str, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    ids = demo[1][scenario]
    assert ids, scenario
    return [row for decision_id in dict.fromkeys(ids) for row in demo_rows[decision_id]]


def test_same_seed_gives_the_same_cells_and_another_seed_does_not(tmp_path: Path) -> None:
    gen.generate(tmp_path / "a.xlsx", count=80, seed=1, today=TODAY)
    gen.generate(tmp_path / "b.xlsx", count=80, seed=1, today=TODAY)
    gen.generate(tmp_path / "c.xlsx", count=80, seed=2, today=TODAY)
    assert values(tmp_path / "a.xlsx") == values(tmp_path / "b.xlsx")
    assert values(tmp_path / "a.xlsx") != values(tmp_path / "c.xlsx")


def test_layout_title_export_date_then_header_on_row_3(demo: tuple[Path, dict[str, list[str]]]) -> None:
    rows = values(demo[0])
    assert "bistånd" in str(rows[0][0])
    assert rows[1][0] == "Exportdatum"
    assert rows[1][1].date() == TODAY
    assert list(rows[2][: len(gen.COLUMNS)]) == list(gen.COLUMNS)
    assert len([row for row in rows[3:] if any(v is not None for v in row)]) == 300


def test_valid_only_file_holds_only_valid_numbers(tmp_path: Path) -> None:
    path = tmp_path / "valid.xlsx"
    assert gen.generate(path, count=400, seed=3, today=TODAY, scenario_mix=False) == {}
    header, data = records(path)
    assert gen.EXTRA_COLUMN not in header
    assert len(data) == 400
    seen_kinds: Counter[str] = Counter()
    for row in data:
        for n in ("1", "2"):
            if f"Sökande {n} personnummer" not in row:
                continue
            assert is_valid_identity(str(row[f"Sökande {n} personnummer"]), TODAY)
            clearing, account = row.get(f"Sökande {n} clearingnummer"), row.get(f"Sökande {n} kontonummer")
            if clearing is not None:
                assert is_valid_account(str(clearing), str(account)), (clearing, account)
                seen_kinds[str(clearing)[0]] += 1
        if "Direktbetalning bankgiro" in row:
            normalize_bankgiro(str(row["Direktbetalning bankgiro"]))
            assert parse_amount_ore(row["Varav direktbetalning"]) < parse_amount_ore(row["Belopp"])
        assert parse_amount_ore(row["Belopp"]) <= 5_000_000
        assert str(row.get("Skyddade personuppgifter", "Nej")).casefold() == "nej"
        payout = row["Utbetalningsdatum"]
        payout = payout.date() if isinstance(payout, dt.datetime) else dt.date.fromisoformat(payout)
        assert payout > TODAY
    assert {"3", "5", "6", "7", "8", "9"} <= set(seen_kinds)


@pytest.mark.parametrize("seed", range(40))
def test_generated_accounts_pass_our_rules_and_bankkonto_where_it_is_current(seed: int) -> None:
    import random

    rng = random.Random(seed)
    holder = gen.make_identity(rng)
    for kind in gen.ACCOUNT_KINDS:
        clearing, account = gen.make_account(rng, kind, holder)
        assert is_valid_account(clearing, account), kind
        if kind not in ("swedbank_8xxxx", "nordea_personkonto"):
            assert bankkonto.validate(clearing, account)
    assert is_coordination_number(gen.make_identity(rng, coordination=True), TODAY)
    assert 1940 <= int(holder[:4]) <= 2004 and 980 <= int(holder[8:11]) <= 999


def test_every_scenario_is_listed(demo: tuple[Path, dict[str, list[str]]]) -> None:
    assert set(demo[1]) == set(gen.SCENARIOS)
    header, data = records(demo[0])
    assert gen.EXTRA_COLUMN in header
    assert {} in data[1:-1]  # a fully empty row between decisions


def test_valid_scenarios_hold_valid_numbers(
    demo: tuple[Path, dict[str, list[str]]], demo_rows: dict[str, list[dict[str, Any]]]
) -> None:
    broken = {"invalid_identity", "invalid_account", "invalid_swedbank_clearing", "invalid_bankgiro"}
    for scenario, ids in demo[1].items():
        if scenario in broken or not ids:
            continue
        for row in rows_of(scenario, demo, demo_rows):
            for n in ("1", "2"):
                if f"Sökande {n} personnummer" in row:
                    assert is_valid_identity(str(row[f"Sökande {n} personnummer"]), TODAY), scenario
                if f"Sökande {n} clearingnummer" in row:
                    clearing, account = row[f"Sökande {n} clearingnummer"], row[f"Sökande {n} kontonummer"]
                    assert is_valid_account(str(clearing), str(account)), scenario


def test_broken_numbers_are_broken(
    demo: tuple[Path, dict[str, list[str]]], demo_rows: dict[str, list[dict[str, Any]]]
) -> None:
    (row,) = rows_of("invalid_identity", demo, demo_rows)
    assert not is_valid_identity(str(row["Sökande 1 personnummer"]), TODAY)
    (row,) = rows_of("invalid_account", demo, demo_rows)
    assert not is_valid_account(str(row["Sökande 1 clearingnummer"]), str(row["Sökande 1 kontonummer"]))
    (row,) = rows_of("invalid_swedbank_clearing", demo, demo_rows)
    clearing = str(row["Sökande 1 clearingnummer"]).replace("-", "")
    assert clearing.startswith("8") and len(clearing) == 5
    assert not is_valid_account(clearing, str(row["Sökande 1 kontonummer"]))
    fixed = clearing[:4] + gen.luhn_digit(clearing[:4])
    assert is_valid_account(fixed, str(row["Sökande 1 kontonummer"]))  # only the fifth digit is wrong
    (row,) = rows_of("invalid_bankgiro", demo, demo_rows)
    assert parse_amount_ore(row["Varav direktbetalning"]) > 0
    with pytest.raises(ValueError):
        normalize_bankgiro(str(row["Direktbetalning bankgiro"]))


def _date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else dt.date.fromisoformat(str(value))


def test_rule_scenarios_hold_what_their_rule_needs(
    demo: tuple[Path, dict[str, list[str]]], demo_rows: dict[str, list[dict[str, Any]]]
) -> None:
    def one(scenario: str) -> dict[str, Any]:
        (row,) = rows_of(scenario, demo, demo_rows)
        return row

    assert str(one("protected_identity")["Skyddade personuppgifter"]) == "Ja"
    partnerless = one("missing_partner")
    assert partnerless["Delad utbetalning"] == "Ja" and "Sökande 2 personnummer" not in partnerless
    assert parse_amount_ore(one("amount_above_limit")["Belopp"]) > 5_000_000
    assert _date(one("payout_date_passed")["Utbetalningsdatum"]) < TODAY
    assert _date(one("payout_date_weekend")["Utbetalningsdatum"]).weekday() >= 5
    holiday = _date(one("payout_date_holiday")["Utbetalningsdatum"])
    assert holiday > TODAY and holiday.weekday() < 5 and not is_bank_day(holiday)
    direct_only = one("direct_payment_only")
    assert parse_amount_ore(direct_only["Varav direktbetalning"]) == parse_amount_ore(direct_only["Belopp"])
    direct = one("direct_payment")
    assert 0 < parse_amount_ore(direct["Varav direktbetalning"]) < parse_amount_ore(direct["Belopp"])
    assert "Sökande 1 kontonummer" not in one("avi_single")
    assert "Sökande 2 kontonummer" not in one("avi_partner")
    assert parse_amount_ore(one("split_odd_ore")["Belopp"]) % 2 == 1
    assert "Andel sökande 1" not in one("split_default_share")
    assert one("split_explicit_share_number")["Andel sökande 1"] == 60
    assert one("split_share_percent_text")["Andel sökande 1"] == "60 %"
    assert one("split_share_with_decimals")["Andel sökande 1"] == "33,33"
    assert isinstance(one("identity_as_number")["Sökande 1 personnummer"], int)
    assert isinstance(one("amount_as_text")["Belopp"], str)
    assert isinstance(one("amount_as_number")["Belopp"], float)
    assert isinstance(one("date_as_text")["Utbetalningsdatum"], str)
    assert isinstance(one("date_as_date")["Utbetalningsdatum"], dt.datetime)
    assert one("invalid_row_amount")["Belopp"] == "tolv tusen"
    assert "Utbetalningsdatum" not in one("invalid_row_missing_cell")
    assert one("invalid_row_split_value")["Delad utbetalning"] == "Kanske"
    assert one("invalid_row_share")["Andel sökande 1"] == 150
    assert str(one("account_swedbank_8xxxx")["Sökande 1 clearingnummer"]).startswith("8")
    personkonto = one("account_nordea_personkonto")
    assert str(personkonto["Sökande 1 clearingnummer"]) in ("3300", "3782")
    assert (
        str(personkonto["Sökande 1 kontonummer"]).replace("-", "")
        == str(personkonto["Sökande 1 personnummer"]).replace("-", "")[-10:]
    )
    duplicates = rows_of("duplicate_decision", demo, demo_rows)
    assert len(duplicates) == 2 and duplicates[0]["Beslutsnummer"] == duplicates[1]["Beslutsnummer"]


def test_percent_formatted_share_cell(demo: tuple[Path, dict[str, list[str]]]) -> None:
    (decision_id,) = demo[1]["split_share_percent_format"]
    workbook = load_workbook(demo[0], read_only=True)
    sheet = workbook.worksheets[0]
    column = gen.COLUMNS.index("Andel sökande 1")
    cells = [
        row for row in sheet.iter_rows(min_row=gen.HEADER_ROW + 1) if row and row[0].value == decision_id
    ]
    workbook.close()
    assert cells[0][column].value == 0.6
    assert "%" in cells[0][column].number_format


def test_a_demo_too_small_for_every_scenario_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least"):
        gen.generate(tmp_path / "x.xlsx", count=10, today=TODAY)


def test_committed_demo_is_what_the_generator_makes(tmp_path: Path) -> None:
    export_date = values(DEMO)[1][1].date()
    scenarios = gen.generate(tmp_path / "again.xlsx", today=export_date)
    assert values(tmp_path / "again.xlsx") == values(DEMO)
    manifest = json.loads((DEMO.with_suffix(".scenarios.json")).read_text(encoding="utf-8"))
    assert manifest == scenarios


def test_command_line_writes_the_file_and_the_manifest(tmp_path: Path) -> None:
    out = tmp_path / "cli.xlsx"
    assert gen.main(["--seed", "5", "--count", "60", "--output", str(out), "--today", "2026-01-10"]) == 0
    manifest = json.loads(out.with_suffix(".scenarios.json").read_text(encoding="utf-8"))
    assert set(manifest) == set(gen.SCENARIOS)
    assert values(out)[1][1].date() == dt.date(2026, 1, 10)
