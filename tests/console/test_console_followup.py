"""The follow-up page ("Uppföljning"): what operators and the ``uppfoljning`` role see and download.

The run folders are written here (``summary.json`` and ``statistics.json`` as a real run leaves
them) with known figures; how a real run produces them is tested in
tests/integration/test_follow_up.py.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from openpyxl import load_workbook

from console.settings import Settings

WOMEN_ORE, MEN_ORE = 6_000_000, 4_000_000  # 60 % and 40 % of the money of December


def day_figures(payout_date: str, paid: int, split: int, women_ore: int, men_ore: int) -> dict[str, Any]:
    return {
        "payout_date": payout_date,
        "households": {
            "paid": paid,
            "split": split,
            "not_split": paid - split,
            "equal_split": split,
            "other_split": 0,
        },
        "amount_ore": {
            "total": women_ore + men_ore,
            "direct": 0,
            "to_women": women_ore,
            "to_men": men_ore,
            "split_to_women": 0,
            "split_to_men": 0,
        },
        "households_with": {
            "total": paid,
            "direct": 0,
            "to_women": paid,
            "to_men": paid,
            "split_to_women": 0,
            "split_to_men": 0,
        },
        "payments_registered": paid + split,
        "households_registered": paid,
    }


def write_run(runs: Path, name: str, days: list[dict[str, Any]]) -> None:
    folder = runs / name
    folder.mkdir(parents=True)
    summary = {
        "run_id": name,
        "mode": "real",
        "started_at": f"2026-11-{name[-2:]}T10:00:00+00:00",
        "run_date": "2026-11-20",
        "decisions": [],
    }
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    statistics = {
        "version": 1,
        "run_id": name,
        "mode": "real",
        "run_date": "2026-11-20",
        "first_payout_date": days[0]["payout_date"],
        "protected_left_out": 0,
        "by_payout_date": days,
    }
    (folder / "statistics.json").write_text(json.dumps(statistics), encoding="utf-8")


def follow_up_world(settings: Settings) -> None:
    """December 2026: 10 households, 6 split, 60 % of the money to women. January 2027: 3 households."""
    write_run(settings.runs_dir, "run-01", [day_figures("2026-12-18", 10, 6, WOMEN_ORE, MEN_ORE)])
    write_run(settings.runs_dir, "run-02", [day_figures("2027-01-19", 3, 1, 300_000, 200_000)])


PERIOD = "fran=2026-12-01&till=2027-01-31"


def test_an_operator_sees_the_shares_per_month_as_a_chart_and_a_table(
    settings: Settings, as_user: Callable[[str], FlaskClient]
) -> None:
    follow_up_world(settings)
    page = as_user("olle").get(f"/uppfoljning?{PERIOD}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<svg id="shares-chart" role="img"' in html
    assert html.count('class="month"') == 2
    december = re.search(r"<th scope=\"row\">2026-12</th>(.*?)</tr>", html, re.S)
    assert december is not None
    assert re.findall(r'<td class="number">([^<]*)</td>', december.group(1)) == [
        "60,0 %",
        "40,0 %",
        "60,0 %",
        "10",
    ]
    january = re.search(r"<th scope=\"row\">2027-01</th>(.*?)</tr>", html, re.S)
    assert january is not None and "färre än 5" in january.group(1)
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert 'id="nav-followup"' in html and 'id="nav-history"' in html


def test_the_uppfoljning_role_sees_the_page_and_no_other_link(
    settings: Settings, as_user: Callable[[str], FlaskClient]
) -> None:
    follow_up_world(settings)
    analyst = as_user("ulla")
    start = analyst.get("/")
    assert start.status_code == 303 and start.headers["Location"].endswith("/uppfoljning")
    html = analyst.get(f"/uppfoljning?{PERIOD}").get_data(as_text=True)
    nav = re.search(r'<nav id="nav".*?</nav>', html, re.S)
    assert nav is not None and re.findall(r'id="(nav-[a-z-]+)"', nav.group(0)) == ["nav-followup"]
    for path in ("/korningar", "/filer", "/korningar/beslut", "/filer/beslut"):
        assert analyst.get(path).status_code == 403, path


def test_the_downloads_hold_the_same_figures_with_withheld_small_groups(
    settings: Settings, as_user: Callable[[str], FlaskClient]
) -> None:
    follow_up_world(settings)
    analyst = as_user("ulla")
    csv_text = analyst.get(f"/uppfoljning/uppfoljning.csv?{PERIOD}").get_data(as_text=True)
    lines = csv_text.lstrip("\ufeff").splitlines()
    assert lines[0].split(";")[:4] == [
        "Månad",
        "Andel av pengarna till kvinnor (%)",
        "Andel av pengarna till män (%)",
        "Andel hushåll med delad utbetalning (%)",
    ]
    assert lines[1].split(";")[:5] == ["2026-12", "60,0", "40,0", "60,0", "10"]
    assert lines[2].split(";")[1:5] == ["färre än 5"] * 4
    response = analyst.get(f"/uppfoljning/uppfoljning.xlsx?{PERIOD}")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook["Uppföljning"]
    assert len(sheet._charts) == 1
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4, max_row=6)]
    assert values[0][:2] == ["Månad", "Andel av pengarna till kvinnor (%)"]
    assert values[1][:5] == ["2026-12", 60.0, 40.0, 60.0, 10]
    assert values[2][1] == "färre än 5"
    assert workbook.sheetnames == ["Uppföljning", "Om siffrorna"]


def test_a_wrong_period_says_so_and_shows_the_default(
    settings: Settings, as_user: Callable[[str], FlaskClient]
) -> None:
    html = as_user("olle").get("/uppfoljning?fran=2027-02-01&till=2027-01-01").get_data(as_text=True)
    assert 'id="flash-error"' in html and "ÅÅÅÅ-MM-DD" in html
    assert html.count('class="month"') == 13
