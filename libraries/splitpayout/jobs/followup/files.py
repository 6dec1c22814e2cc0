"""The follow-up's files: ``uppfoljning.json``, ``uppfoljning.csv`` and ``uppfoljning.xlsx``.

The CSV and the workbook have one row per month and one for the whole period, under Swedish
headings declared once (``FIGURES``), which the console's table uses too. A withheld figure
reads "färre än 5". The workbook's first sheet has a native Excel chart of the shares per
month; its second says what each figure means.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef

from splitpayout.adapters.reports import write_json_atomically
from splitpayout.adapters.workbook import INTEGER, KRONOR, Column, Sheet, write_workbook
from splitpayout.domain.reasons import reason_text
from splitpayout.jobs.followup.report import WITHHELD_TEXT

JSON_FILE = "uppfoljning.json"
CSV_FILE = "uppfoljning.csv"
WORKBOOK_FILE = "uppfoljning.xlsx"
SHEET = "Uppföljning"
PERIOD_LABEL = "Hela perioden"
COUNT, ORE, PERCENT = "count", "ore", "percent"


@dataclass(frozen=True)
class Figure:
    """One figure of a month: its Swedish heading, its key path in the JSON and its kind."""

    heading: str
    path: str
    kind: str = COUNT
    width: float = 14


SHARES = (
    Figure("Andel av pengarna till kvinnor (%)", "share_percent.to_women", PERCENT),
    Figure("Andel av pengarna till män (%)", "share_percent.to_men", PERCENT),
    Figure("Andel hushåll med delad utbetalning (%)", "share_percent.split_households", PERCENT),
)
FIGURES = (
    *SHARES,
    Figure("Hushåll med utbetalning", "households.paid"),
    Figure("Hushåll med delad utbetalning", "households.split"),
    Figure("Hushåll utan delad utbetalning", "households.not_split"),
    Figure("Delad lika (50/50)", "households.equal_split"),
    Figure("Delad med annan andel", "households.other_split"),
    Figure("Belopp totalt (kr)", "amount_ore.total", ORE, 16),
    Figure("Direktbetalningar (kr)", "amount_ore.direct", ORE, 16),
    Figure("Till kvinnor (kr)", "amount_ore.to_women", ORE, 16),
    Figure("Till män (kr)", "amount_ore.to_men", ORE, 16),
    Figure("Delade hushåll: till kvinnor (kr)", "amount_ore.split_to_women", ORE, 16),
    Figure("Delade hushåll: till män (kr)", "amount_ore.split_to_men", ORE, 16),
    Figure("Betalningar registrerade av roboten", "payments_registered"),
    Figure("Beslut till manuell hantering", "manual_decisions"),
    Figure("Beslut ej slutförda (tekniskt fel)", "not_completed"),
    Figure("Skyddade personuppgifter (ej medräknade)", "protected_left_out"),
)

EXPLANATIONS = (
    (
        "Hushåll med utbetalning",
        "Beslut som roboten betalade i sin helhet, räknade i den körning som slutförde dem.",
    ),
    ("Delad utbetalning", "Beslutet anger delad utbetalning; 50/50 är lika delning, annars annan andel."),
    (
        "Till kvinnor, till män",
        "Belopp till sökande vars person- eller samordningsnummer har jämn (kvinna) "
        "eller udda (man) näst sista siffra. Direktbetalningar går till hyresvärd eller leverantör.",
    ),
    (
        "Betalningar registrerade av roboten",
        "Betalningar som roboten själv registrerade i utbetalningssystemet.",
    ),
    (
        "Manuell hantering",
        "Beslut vars senaste utfall är manuell hantering, per orsak (ett beslut kan ha flera).",
    ),
    ("Skyddade personuppgifter", "Beslut med skyddade personuppgifter räknas inte in i någon uppdelning."),
    (
        "Färre än 5",
        "Siffror som gäller färre än 5 hushåll, och belopp summerade över färre än 5 hushåll, visas inte.",
    ),
    ("Månad", "Månaden för utbetalningsdagen."),
)


def figures_of(document: dict[str, Any]) -> tuple[Figure, ...]:
    """Every figure of ``document``: the fixed ones, then one per reason code that occurs."""
    codes = sorted(
        {code for part in (*document["months"], document["total"]) for code in part["manual_by_reason"]}
    )
    reasons = tuple(
        Figure(f"Manuell hantering: {reason_text(code).label}", f"manual_by_reason.{code}", COUNT, 18)
        for code in codes
    )
    return (*FIGURES, *reasons)


def value_at(part: dict[str, Any], path: str) -> Any:
    """The value at a key path such as ``amount_ore.to_women`` (None when withheld or absent)."""
    value: Any = part
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def cell_value(part: dict[str, Any], figure: Figure) -> object:
    """A figure as the workbook holds it: kronor for öre, "färre än 5" when withheld."""
    value = value_at(part, figure.path)
    if value is None:
        return WITHHELD_TEXT if figure.path in part["withheld"] else ""
    if figure.kind == ORE:
        return Decimal(value) / 100
    return value


def rows(document: dict[str, Any], figures: tuple[Figure, ...]) -> Iterator[list[object]]:
    """One row per month, then the whole period's."""
    for month in document["months"]:
        yield [month["month"], *(cell_value(month, figure) for figure in figures)]
    yield [PERIOD_LABEL, *(cell_value(document["total"], figure) for figure in figures)]


def csv_text(document: dict[str, Any]) -> str:
    """``uppfoljning.csv``: semicolons and a byte-order mark, as a Swedish Excel opens it."""
    figures = figures_of(document)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Månad", *(figure.heading for figure in figures)])
    for row in rows(document, figures):
        writer.writerow(_csv_cell(value) for value in row)
    return out.getvalue()


def _csv_cell(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def write_files(artifacts: Path, document: dict[str, Any]) -> None:
    """The three files of a follow-up, in ``artifacts``."""
    write_json_atomically(artifacts / JSON_FILE, document)
    (artifacts / CSV_FILE).write_text(csv_text(document), encoding="utf-8")
    write_follow_up_workbook(artifacts / WORKBOOK_FILE, document)


def write_follow_up_workbook(path: Path, document: dict[str, Any]) -> None:
    """``uppfoljning.xlsx``: the figures per month with a chart of the shares, and what they mean."""
    figures = figures_of(document)
    columns = [Column("Månad", 14), *(Column(f.heading, f.width, _kind(f)) for f in figures)]
    preamble = (
        ("Uppföljning av delad utbetalning",),
        (
            f"Utbetalningsdagar {document['from']} – {document['to']}. Siffror för färre än "
            f"{document['suppression_threshold']} hushåll visas inte.",
        ),
        (),
    )
    months = len(document["months"])
    chart = _shares_chart(header_row=len(preamble) + 1, months=months)
    sheet = Sheet(SHEET, columns, rows(document, figures), preamble, charts=((chart, f"B{months + 7}"),))
    about = Sheet(
        "Om siffrorna", (Column("Siffra", 32), Column("Betydelse", 90)), EXPLANATIONS, landscape=False
    )
    write_workbook(path, [sheet, about])


def _kind(figure: Figure) -> str:
    return KRONOR if figure.kind == ORE else INTEGER


def _shares_chart(*, header_row: int, months: int) -> BarChart:
    """A clustered bar chart of the three shares (the first columns after the month), per month."""
    chart = BarChart()
    chart.type = "col"
    chart.title = "Andel av pengarna till kvinnor och män, och andel delade hushåll, per månad"
    chart.y_axis.title = "Procent"
    chart.x_axis.title = "Månad"
    chart.height, chart.width = 9, 22
    # The sheet's title, as the writer names it (a reference to it needs quotes: it has a letter å/ö).
    data = Reference(
        _SheetName(SHEET), min_col=2, max_col=1 + len(SHARES), min_row=header_row, max_row=header_row + months
    )
    labels = Reference(_SheetName(SHEET), min_col=1, min_row=header_row + 1, max_row=header_row + months)
    chart.add_data(data, titles_from_data=True)
    for series in chart.series:  # the months are text: a reference to strings, not numbers
        series.cat = AxDataSource(strRef=StrRef(f=str(labels)))
    chart.x_axis.delete = chart.y_axis.delete = False  # openpyxl hides both axes by default
    return chart


class _SheetName:
    """What openpyxl's ``Reference`` needs of a worksheet: its title (the sheet is written later)."""

    def __init__(self, title: str) -> None:
        self.title = title
