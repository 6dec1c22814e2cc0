"""The follow-up page's chart: a server-rendered SVG of the shares per month (no script, no request).

Three bars per month, in percent of 0-100: the money to women, the money to men (of what reached
the partners themselves) and the households with a split payout. A withheld share has no bar
and reads "färre än 5". The table under the chart holds the same figures: it is the chart's text
alternative.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from splitpayout.jobs.followup.files import SHARES, value_at
from splitpayout.jobs.followup.report import WITHHELD_TEXT

# Drawing units of the SVG's viewBox (it scales to the page's width).
LEFT, TOP, PLOT_HEIGHT, BAR, GAP, BOTTOM = 44, 16, 200, 16, 22, 24
# Colours with at least 3:1 against white (WCAG non-text contrast), told apart by pattern too.
SERIES = (
    ("Till kvinnor", "#8a2a6b", "solid"),
    ("Till män", "#1f5f8b", "striped"),
    ("Delad utbetalning", "#2e6b30", "dotted"),
)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    colour: str
    pattern: str
    label: str  # "52,3 %" or "färre än 5"
    withheld: bool


@dataclass(frozen=True)
class MonthGroup:
    month: str
    x: float  # the centre of the group
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    groups: tuple[MonthGroup, ...]
    ticks: tuple[tuple[float, str], ...]  # (y, "50 %")
    series: tuple[tuple[str, str, str], ...] = SERIES
    left: float = LEFT
    top: float = TOP
    plot_bottom: float = TOP + PLOT_HEIGHT


def percent_text(value: float | None) -> str:
    """'52,3 %' (Swedish decimal comma), or "färre än 5" for a withheld share."""
    return WITHHELD_TEXT if value is None else f"{value:.1f} %".replace(".", ",")


def shares_chart(document: dict[str, Any]) -> Chart:
    """The chart of ``uppfoljning.json``'s months."""
    group_width = len(SHARES) * BAR + GAP
    groups = []
    for index, month in enumerate(document["months"]):
        start = LEFT + GAP / 2 + index * group_width
        bars = []
        for number, (figure, (_, colour, pattern)) in enumerate(zip(SHARES, SERIES, strict=True)):
            value = value_at(month, figure.path)
            height = 0.0 if value is None else PLOT_HEIGHT * float(value) / 100
            bars.append(
                Bar(
                    x=start + number * BAR,
                    y=TOP + PLOT_HEIGHT - height,
                    height=height,
                    colour=colour,
                    pattern=pattern,
                    label=percent_text(value),
                    withheld=value is None,
                )
            )
        groups.append(MonthGroup(month["month"], start + len(SHARES) * BAR / 2, tuple(bars)))
    ticks = tuple((TOP + PLOT_HEIGHT * (1 - p / 100), f"{p} %") for p in (0, 25, 50, 75, 100))
    width = LEFT + max(1, len(groups)) * group_width + GAP
    return Chart(width=width, height=TOP + PLOT_HEIGHT + BOTTOM, groups=tuple(groups), ticks=ticks)
