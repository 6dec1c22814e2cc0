"""Generate a realistic decisions export (.xlsx) with fictitious households.

The file has the layout of docs/rules.md §1.1: a title row and an export-date row, then
the header row (row 3), then one decision per row. Cells are mixed like real
exports: amounts as numbers and as Swedish text, dates as real dates and as text,
shares as ``60``, ``'60 %'`` or a percent-formatted ``0.6``.

All personal data is made up. Identity numbers have valid check digits but birth
numbers 980-999 and are paired with random names; bank accounts and bankgiro
numbers are random numbers with correct check digits.

With ``scenario_mix=True`` (the demo) the file also holds one or more rows for every
rule and manual-handling reason that can arise from the file alone, plus an empty
row and an unknown extra column; ``generate`` returns which decision ids show which
scenario. With ``scenario_mix=False`` every row is a valid decision that a run can
pay (for benchmarks with 100,000 rows: openpyxl's write-only mode keeps memory flat).

Usage::

    python devdata/generate_export.py                      # the committed demo
    python devdata/generate_export.py --count 100000 --valid-only --output /tmp/big.xlsx

Payout dates are relative to ``--today`` (default: the current date): most fall in
the next month, so a freshly generated demo is always in the future.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from swedish_rules import format_amount, is_bank_day

DEFAULT_SEED = 20260101
DEFAULT_COUNT = 300
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "decisions-demo.xlsx"
TITLE = "Ekonomiskt bistånd – beviljade beslut för utbetalning"
SHEET = "Beslut"
HEADER_ROW = 3
EXTRA_COLUMN = "Intern anteckning"

COLUMNS: tuple[str, ...] = (
    "Beslutsnummer",
    "Utbetalningsdatum",
    "Belopp",
    "Varav direktbetalning",
    "Direktbetalning bankgiro",
    "Direktbetalning OCR",
    "Delad utbetalning",
    "Andel sökande 1",
    "Sökande 1 personnummer",
    "Sökande 1 namn",
    "Sökande 1 clearingnummer",
    "Sökande 1 kontonummer",
    "Sökande 2 personnummer",
    "Sökande 2 namn",
    "Sökande 2 clearingnummer",
    "Sökande 2 kontonummer",
    "Skyddade personuppgifter",
    "Handläggare",
)

# Every scenario the demo covers; ``generate`` maps each to the decision ids that show it.
SCENARIOS: tuple[str, ...] = (
    "single",
    "split_default_share",
    "split_explicit_share_number",
    "split_share_percent_text",
    "split_share_percent_format",
    "split_odd_ore",
    "split_share_with_decimals",
    "direct_payment",
    "direct_payment_only",
    "avi_single",
    "avi_partner",
    "samordningsnummer",
    "identity_as_number",
    "twelve_digit_identity",
    "ten_digit_identity",
    "amount_as_text",
    "amount_as_number",
    "date_as_text",
    "date_as_date",
    "account_type1_variant1",
    "account_type1_variant2",
    "account_handelsbanken",
    "account_type2_mod10",
    "account_swedbank_8xxxx",
    "account_nordea_personkonto",
    "protected_identity",
    "missing_partner",
    "invalid_identity",
    "invalid_account",
    "invalid_swedbank_clearing",
    "invalid_bankgiro",
    "amount_above_limit",
    "payout_date_passed",
    "payout_date_weekend",
    "payout_date_holiday",
    "duplicate_decision",
    "invalid_row_amount",
    "invalid_row_missing_cell",
    "invalid_row_split_value",
    "invalid_row_share",
    "empty_row",
    "extra_column",
)

FIRST_NAMES = (
    "Anna", "Eva", "Maria", "Karin", "Sara", "Lena", "Emma", "Kerstin", "Sofia", "Ingrid",
    "Elin", "Fatima", "Amira", "Linnea", "Hanna", "Lars", "Mikael", "Anders", "Johan", "Per",
    "Erik", "Karl", "Peter", "Thomas", "Daniel", "Ahmed", "Mohammed", "Ali", "Oskar", "Jonas",
)  # fmt: skip
LAST_NAMES = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
    "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson", "Bengtsson", "Lindberg",
    "Jakobsson", "Magnusson", "Lindström", "Olofsson", "Lindqvist", "Berglund", "Axelsson", "Berg",
    "Sandberg", "Hussein", "Mohamed", "Ali", "Forsberg", "Sjöberg",
)  # fmt: skip

Row = dict[str, Any]


# --- valid numbers --------------------------------------------------------------------------


_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_digit(body: str) -> str:
    """The Luhn (mod 10) check digit for ``body`` (fast path of ``stdnum.luhn.calc_check_digit``)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        total += _LUHN_DOUBLED[int(ch)] if i % 2 == 0 else int(ch)
    return str(-total % 10)


def _mod11_digit(prefix: str) -> str | None:
    """The digit that makes ``prefix + digit`` pass mod 11 (weights 1..10 from the right), if any."""
    total = sum(int(d) * ((i + 1) % 10 + 1) for i, d in enumerate(reversed(prefix)))
    check = -total % 11
    return None if check == 10 else str(check)


def _digits(rng: random.Random, n: int) -> str:
    return f"{rng.randrange(10**n):0{n}d}"


def make_identity(rng: random.Random, *, coordination: bool = False) -> str:
    """A fictitious identity number as 12 digits (birth year 1940-2004, birth number 980-999)."""
    birth = dt.date(1940, 1, 1) + dt.timedelta(
        days=rng.randrange((dt.date(2004, 12, 31) - dt.date(1940, 1, 1)).days)
    )
    day = birth.day + (60 if coordination else 0)
    body = f"{birth:%Y%m}{day:02d}{rng.randint(980, 999)}"
    return body + luhn_digit(body[2:])


def make_bankgiro(rng: random.Random) -> str:
    body = str(rng.randint(1, 9)) + _digits(rng, rng.choice((5, 6)))
    return body + luhn_digit(body)


def make_ocr(rng: random.Random) -> str:
    body = str(rng.randint(1, 9)) + _digits(rng, rng.randint(8, 13))
    return body + luhn_digit(body)


# kind -> (clearing ranges, label)
ACCOUNT_KINDS: dict[str, tuple[tuple[int, int], ...]] = {
    "type1_variant1": ((5000, 5999), (7000, 7999), (1100, 1199), (9270, 9279), (3000, 3299)),
    "type1_variant2": ((9660, 9669), (9020, 9029), (4000, 4999), (9550, 9569)),
    "handelsbanken": ((6000, 6999),),
    "type2_mod10": ((9180, 9189), (9300, 9349), (9570, 9579)),
    "swedbank_8xxxx": ((8000, 8999),),
    "nordea_personkonto": ((3300, 3300), (3782, 3782)),
}
ACCOUNT_WEIGHTS = {
    "type1_variant1": 40,
    "type1_variant2": 12,
    "handelsbanken": 15,
    "type2_mod10": 5,
    "swedbank_8xxxx": 20,
    "nordea_personkonto": 8,
}


def make_account(rng: random.Random, kind: str, holder: str) -> tuple[str, str]:
    """A valid (clearing, account) pair of ``kind``, written the way customers write them."""
    first, last = rng.choice(ACCOUNT_KINDS[kind])
    clearing = str(rng.randint(first, last))
    if kind == "nordea_personkonto":
        account = holder[2:]
        return clearing, rng.choice((account, f"{account[:6]}-{account[6:]}"))
    if kind == "swedbank_8xxxx":
        clearing += luhn_digit(clearing)
        body = str(rng.randint(1, 9)) + _digits(rng, rng.choice((7, 8)))
        account = body + luhn_digit(body)
        written = f"{account[:-7]} {account[-7:-4]} {account[-4:-1]}-{account[-1]}"
        return rng.choice((clearing, f"{clearing[:4]}-{clearing[4]}")), rng.choice((account, written))
    if kind == "type2_mod10":
        body = _digits(rng, 9)
        account = body + luhn_digit(body)
        return clearing, rng.choice((account, f"{account[:3]} {account[3:6]} {account[6:]}"))
    while True:
        if kind == "handelsbanken":
            body = _digits(rng, 8)
            check = _mod11_digit(body)
        else:
            body = _digits(rng, 6)
            check = _mod11_digit((clearing[1:] if kind == "type1_variant1" else clearing) + body)
        if check is not None and (body + check).strip("0"):
            break
    account = body + check
    if kind == "handelsbanken":
        return clearing, rng.choice((account, f"{account[:3]} {account[3:6]} {account[6:]}"))
    return clearing, rng.choice(
        (account, f"{account[:2]} {account[2:5]} {account[5:]}", f"{account[:-1]}-{account[-1]}")
    )


# --- cell values ------------------------------------------------------------------------------


def _identity_cell(rng: random.Random, twelve: str) -> str:
    return rng.choice((f"{twelve[:8]}-{twelve[8:]}", twelve, f"{twelve[2:8]}-{twelve[8:]}"))


def _amount_cell(rng: random.Random, ore: int) -> object:
    roll = rng.random()
    if roll < 0.55:
        return ore // 100 if ore % 100 == 0 else ore / 100  # what a spreadsheet stores
    if roll < 0.8:
        return format_amount(ore)
    if roll < 0.9:
        return format_amount(ore).replace(" ", "\u00a0")
    return f"{ore // 100}.{ore % 100:02d}"


def _date_cell(rng: random.Random, day: dt.date) -> object:
    return day if rng.random() < 0.7 else day.isoformat()


def next_month_day(rng: random.Random, today: dt.date) -> dt.date:
    """A bank day in the month after ``today``."""
    first = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    while True:
        candidate = first.replace(day=rng.randint(1, 28))
        if is_bank_day(candidate):
            return candidate


def _next_weekday_closure(today: dt.date) -> dt.date:
    """The first Monday-Friday after ``today`` that is not a bank day (a holiday or an eve)."""
    day = today + dt.timedelta(days=2)
    while day.weekday() >= 5 or is_bank_day(day):
        day += dt.timedelta(days=1)
    return day


def _next_weekend(rng: random.Random, today: dt.date) -> dt.date:
    day = next_month_day(rng, today)
    return day + dt.timedelta(days=5 - day.weekday())  # that week's Saturday


# --- rows --------------------------------------------------------------------------------------


class _RowFactory:
    """Builds decision rows; every method returns a row dict keyed by column name."""

    def __init__(self, rng: random.Random, today: dt.date) -> None:
        self.rng = rng
        self.today = today
        self.serial = 0
        self.year = today.year

    def decision_id(self) -> str:
        self.serial += 1
        return f"EB-{self.year}-{self.serial:06d}"

    def person(self, *, coordination: bool = False) -> tuple[str, str]:
        rng = self.rng
        return make_identity(
            rng, coordination=coordination
        ), f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"

    def account_kind(self) -> str:
        kinds = list(ACCOUNT_WEIGHTS)
        return self.rng.choices(kinds, weights=[ACCOUNT_WEIGHTS[k] for k in kinds])[0]

    def base(self, *, split: bool, account_kind: str | None = None, ore: int | None = None) -> Row:
        rng = self.rng
        ore = (
            ore
            if ore is not None
            else rng.randint(3_000_00, 24_000_00) + rng.choice((0, 0, rng.randint(0, 99)))
        )
        pnr1, name1 = self.person()
        clearing1, account1 = make_account(rng, account_kind or self.account_kind(), pnr1)
        row: Row = {
            "Beslutsnummer": self.decision_id(),
            "Utbetalningsdatum": _date_cell(rng, next_month_day(rng, self.today)),
            "Belopp": _amount_cell(rng, ore),
            "Delad utbetalning": rng.choice(("Ja", "Ja", "ja", "JA"))
            if split
            else rng.choice(("Nej", "Nej", "nej")),
            "Sökande 1 personnummer": _identity_cell(rng, pnr1),
            "Sökande 1 namn": name1,
            "Sökande 1 clearingnummer": clearing1,
            "Sökande 1 kontonummer": account1,
            "Skyddade personuppgifter": rng.choice(("Nej", "Nej", None, "nej")),
            "Handläggare": f"hl{rng.randint(1000, 1099)}",
        }
        if split:
            pnr2, name2 = self.person()
            clearing2, account2 = make_account(rng, self.account_kind(), pnr2)
            row |= {
                "Sökande 2 personnummer": _identity_cell(rng, pnr2),
                "Sökande 2 namn": name2,
                "Sökande 2 clearingnummer": clearing2,
                "Sökande 2 kontonummer": account2,
            }
            row["Andel sökande 1"] = rng.choice((None, None, None, 60, "40 %", ("percent", 0.7), "55"))
        return row

    def valid(self) -> Row:
        """A random valid decision that a run can pay."""
        rng = self.rng
        row = self.base(split=rng.random() < 0.5)
        if rng.random() < 0.08:
            row["Sökande 1 clearingnummer"] = row["Sökande 1 kontonummer"] = None  # AVI
        if rng.random() < 0.15:
            direct = rng.randint(2_000_00, 3_000_00) // 100 * 100
            total = direct + rng.randint(1_000_00, 15_000_00)
            row["Belopp"] = _amount_cell(rng, total)
            row["Varav direktbetalning"] = _amount_cell(rng, direct)
            row["Direktbetalning bankgiro"] = _bankgiro_cell(rng, make_bankgiro(rng))
            row["Direktbetalning OCR"] = make_ocr(rng) if rng.random() < 0.8 else None
        return row


def _bankgiro_cell(rng: random.Random, digits: str) -> str:
    return rng.choice((digits, f"{digits[:-4]}-{digits[-4:]}"))


def _wrong_last_digit(text: str) -> str:
    return text[:-1] + str((int(text[-1]) + 1) % 10)


def _scenario_rows(f: _RowFactory) -> Iterator[tuple[str, Row]]:
    """One or more rows per scenario (a row may show several scenarios; listed by its main one)."""
    yield from _payable_scenarios(f)
    yield from _cell_format_scenarios(f)
    yield from _refused_scenarios(f)


def _payable_scenarios(f: _RowFactory) -> Iterator[tuple[str, Row]]:
    """Splits, shares, direct payments and payment by avi: rows the robot pays."""
    rng = f.rng
    yield "single", f.base(split=False)
    yield "split_default_share", f.base(split=True) | {"Andel sökande 1": None}
    yield "split_explicit_share_number", f.base(split=True) | {"Andel sökande 1": 60}
    yield "split_share_percent_text", f.base(split=True) | {"Andel sökande 1": "60 %"}
    yield "split_share_percent_format", f.base(split=True) | {"Andel sökande 1": ("percent", 0.6)}
    # 12 345,67 kr split 50/50: 6 172,84 to sökande 2 and the odd öre to sökande 1 (6 172,83 + 0,01).
    yield (
        "split_odd_ore",
        f.base(split=True, ore=1_234_567) | {"Andel sökande 1": None, "Belopp": "12 345,67"},
    )
    yield "split_share_with_decimals", f.base(split=True, ore=1_000_000) | {"Andel sökande 1": "33,33"}
    bankgiro = make_bankgiro(rng)
    yield (
        "direct_payment",
        f.base(split=True)
        | {
            "Belopp": 14_500,
            "Varav direktbetalning": "6 200,00",
            "Direktbetalning bankgiro": _bankgiro_cell(rng, bankgiro),
            "Direktbetalning OCR": make_ocr(rng),
        },
    )
    yield (
        "direct_payment_only",
        f.base(split=False)
        | {
            "Belopp": 7_300.5,
            "Varav direktbetalning": "7 300,50",
            "Direktbetalning bankgiro": make_bankgiro(rng),
            "Direktbetalning OCR": make_ocr(rng),
        },
    )
    yield (
        "avi_single",
        f.base(split=False) | {"Sökande 1 clearingnummer": None, "Sökande 1 kontonummer": None},
    )
    yield (
        "avi_partner",
        f.base(split=True) | {"Sökande 2 clearingnummer": None, "Sökande 2 kontonummer": None},
    )


def _cell_format_scenarios(f: _RowFactory) -> Iterator[tuple[str, Row]]:
    """Identity numbers, amounts, dates and accounts in every form an export writes them."""
    rng, today = f.rng, f.today
    pnr, name = f.person(coordination=True)
    yield (
        "samordningsnummer",
        f.base(split=False, account_kind="swedbank_8xxxx")
        | {
            "Sökande 1 personnummer": f"{pnr[:8]}-{pnr[8:]}",
            "Sökande 1 namn": name,
        },
    )
    pnr, _ = f.person()
    yield (
        "identity_as_number",
        f.base(split=False, account_kind="type1_variant1") | {"Sökande 1 personnummer": int(pnr)},
    )
    pnr, _ = f.person()
    yield "twelve_digit_identity", f.base(split=False) | {"Sökande 1 personnummer": pnr}
    pnr, _ = f.person()
    yield "ten_digit_identity", f.base(split=False) | {"Sökande 1 personnummer": f"{pnr[2:8]}-{pnr[8:]}"}
    yield "amount_as_text", f.base(split=False) | {"Belopp": "9 876,50"}
    yield "amount_as_number", f.base(split=False) | {"Belopp": 9_876.5}
    yield "date_as_text", f.base(split=False) | {"Utbetalningsdatum": next_month_day(rng, today).isoformat()}
    yield "date_as_date", f.base(split=False) | {"Utbetalningsdatum": next_month_day(rng, today)}
    for kind in ACCOUNT_KINDS:
        yield f"account_{kind}", f.base(split=False, account_kind=kind)


def _refused_scenarios(f: _RowFactory) -> Iterator[tuple[str, Row]]:
    """Every rule and manual-handling reason that can arise from the file alone."""
    rng, today = f.rng, f.today
    yield "protected_identity", f.base(split=True) | {"Skyddade personuppgifter": "Ja"}
    yield "missing_partner", f.base(split=False) | {"Delad utbetalning": "Ja"}
    row = f.base(split=False)
    identity = str(row["Sökande 1 personnummer"])
    yield "invalid_identity", row | {"Sökande 1 personnummer": _wrong_last_digit(identity)}
    row = f.base(split=False, account_kind="type1_variant1")
    yield (
        "invalid_account",
        row | {"Sökande 1 kontonummer": _wrong_last_digit(str(row["Sökande 1 kontonummer"]))},
    )
    row = f.base(split=False, account_kind="swedbank_8xxxx")
    clearing = str(row["Sökande 1 clearingnummer"])
    yield "invalid_swedbank_clearing", row | {"Sökande 1 clearingnummer": _wrong_last_digit(clearing)}
    yield (
        "invalid_bankgiro",
        f.base(split=False)
        | {
            "Belopp": 12_000,
            "Varav direktbetalning": 5_000,
            "Direktbetalning bankgiro": _wrong_last_digit(make_bankgiro(rng)),
        },
    )
    yield "amount_above_limit", f.base(split=True, ore=5_200_000) | {"Belopp": "52 000,00"}
    yield "payout_date_passed", f.base(split=False) | {"Utbetalningsdatum": today - dt.timedelta(days=3)}
    yield "payout_date_weekend", f.base(split=True) | {"Utbetalningsdatum": _next_weekend(rng, today)}
    yield "payout_date_holiday", f.base(split=False) | {"Utbetalningsdatum": _next_weekday_closure(today)}
    first = f.base(split=False)
    yield "duplicate_decision", first
    yield "duplicate_decision", f.base(split=True) | {"Beslutsnummer": first["Beslutsnummer"]}
    yield "invalid_row_amount", f.base(split=False) | {"Belopp": "tolv tusen"}
    yield "invalid_row_missing_cell", f.base(split=False) | {"Utbetalningsdatum": None}
    yield "invalid_row_split_value", f.base(split=True) | {"Delad utbetalning": "Kanske"}
    yield "invalid_row_share", f.base(split=True) | {"Andel sökande 1": 150}


# --- writing -------------------------------------------------------------------------------------


def _cells(sheet: WriteOnlyWorksheet, row: Row, columns: tuple[str, ...]) -> list[object]:
    out: list[object] = []
    for column in columns:
        value = row.get(column)
        if isinstance(value, tuple):  # ("percent", 0.6): a percent-formatted number cell
            cell = WriteOnlyCell(sheet, value=value[1])
            cell.number_format = "0%"
            out.append(cell)
        elif isinstance(value, dt.date):
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = "yyyy-mm-dd"
            out.append(cell)
        else:
            out.append(value)
    return out


def generate(
    path: str | Path,
    *,
    count: int = DEFAULT_COUNT,
    seed: int = DEFAULT_SEED,
    today: dt.date | None = None,
    scenario_mix: bool = True,
) -> dict[str, list[str]]:
    """Write an export with ``count`` decision rows to ``path``.

    Returns, for the demo (``scenario_mix=True``), each scenario's decision ids
    (``empty_row`` and ``extra_column`` map to an empty list when present). Same
    ``seed`` and ``today`` give the same cell values.
    """
    today = today or dt.date.today()
    rng = random.Random(seed)
    factory = _RowFactory(rng, today)
    scenarios: dict[str, list[str]] = {}
    rows: list[Row] = []
    if scenario_mix:
        special = list(_scenario_rows(factory))
        if count < len(special) + 1:
            raise ValueError(
                f"a demo with every scenario needs at least {len(special) + 1} rows, asked for {count}"
            )
        for name, row in special:
            scenarios.setdefault(name, []).append(str(row["Beslutsnummer"]))
        rows = [row for _, row in special] + [factory.valid() for _ in range(count - len(special))]
        rng.shuffle(rows)
        rows.insert(rng.randint(len(rows) // 3, 2 * len(rows) // 3), {})  # a fully empty row
        scenarios["empty_row"] = []
        scenarios["extra_column"] = []
    columns = (*COLUMNS, EXTRA_COLUMN) if scenario_mix else COLUMNS

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
    sheet.append([TITLE])
    export_date = WriteOnlyCell(sheet, value=today)
    export_date.number_format = "yyyy-mm-dd"
    sheet.append(["Exportdatum", export_date])
    sheet.append(list(columns))
    notes = ("ring före utbetalning", "ny adress", "", "kontrollerad")
    if scenario_mix:
        for row in rows:
            if row and rng.random() < 0.1:
                row[EXTRA_COLUMN] = rng.choice(notes)
            sheet.append(_cells(sheet, row, columns))
    else:
        for _ in range(count):
            sheet.append(_cells(sheet, factory.valid(), columns))
    workbook.save(str(path))
    return scenarios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--count", type=int, default=DEFAULT_COUNT, help=f"decision rows (default {DEFAULT_COUNT})"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the .xlsx to write")
    parser.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        default=None,
        help="reference date YYYY-MM-DD for payout dates (default: the current date)",
    )
    parser.add_argument("--valid-only", action="store_true", help="only valid decisions (benchmarks)")
    parser.add_argument(
        "--manifest",
        type=Path,
        default=None,
        help="also write scenario -> decision ids as JSON (default for the demo: next to the output)",
    )
    args = parser.parse_args(argv)
    scenarios = generate(
        args.output, count=args.count, seed=args.seed, today=args.today, scenario_mix=not args.valid_only
    )
    manifest = args.manifest
    if manifest is None and not args.valid_only:
        manifest = args.output.with_suffix(".scenarios.json")
    if manifest is not None:
        manifest.write_text(json.dumps(scenarios, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.count} decisions to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
