"""The follow-up page ("Uppföljning"): the board's figures of split payouts by legal sex.

Operators and the read-only role ``uppfoljning`` (the unit's management and analysts) see it;
that role sees nothing else. The page, the workbook and the CSV are counted from the run
folders' ``summary.json`` and ``statistics.json`` (``splitpayout.jobs.followup``): counts and sums,
small groups withheld, no personal data.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, render_template, request
from splitpayout.config import FollowUpConfig, SettingsError
from splitpayout.jobs.followup.collect import Period, count, read_runs, run_folders
from splitpayout.jobs.followup.files import (
    CSV_FILE,
    WORKBOOK_FILE,
    csv_text,
    figures_of,
    rows,
    write_follow_up_workbook,
)
from splitpayout.jobs.followup.job import period_of
from splitpayout.jobs.followup.report import WITHHELD_TEXT, follow_up_document
from werkzeug.wrappers import Response

from console.followup.chart import SERIES, percent_text, shares_chart
from console.security import flash, role_required, settings
from console.settings import FOLLOW_UP, OPERATOR

bp = Blueprint("followup", __name__, template_folder="templates")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BAD_PERIOD = "Ange datumen som ÅÅÅÅ-MM-DD, och fråndatum före tilldatum. Sidan visar standardperioden."
MONTHS_SHOWN = 12  # by default: the last twelve months and the next one


def default_period(today: dt.date) -> Period:
    """From the first of the month eleven months back to the end of next month."""
    year, month = divmod(today.year * 12 + today.month - 1 - (MONTHS_SHOWN - 1), 12)
    first = dt.date(year, month + 1, 1)
    after_next = divmod(today.year * 12 + today.month + 1, 12)
    last = dt.date(after_next[0], after_next[1] + 1, 1) - dt.timedelta(days=1)
    return Period(first, last)


def chosen_period(today: dt.date) -> tuple[Period, bool]:
    """The period of the query (``fran``, ``till``), or the default; and whether the query was wrong."""
    given = {
        name: request.args.get(arg, "").strip()
        for name, arg in (("FOLLOW_UP_FROM", "fran"), ("FOLLOW_UP_TO", "till"))
    }
    if not any(given.values()):
        return default_period(today), False
    try:
        return period_of(FollowUpConfig.from_env({k: v for k, v in given.items() if v}), today), False
    except (SettingsError, ValueError):
        return default_period(today), True


def document_of(period: Period) -> dict[str, Any]:
    """``uppfoljning.json`` of the console's run folders for ``period``."""
    runs = read_runs(run_folders(settings().runs_dir))
    return follow_up_document(count(runs, period), created=dt.datetime.now(dt.UTC))


def _document() -> dict[str, Any]:
    period, wrong = chosen_period(dt.date.today())
    if wrong:
        flash("error", BAD_PERIOD)
    return document_of(period)


@bp.get("/uppfoljning")
@role_required(OPERATOR, FOLLOW_UP)
def page() -> str:
    """The shares per month as a chart and a table, every figure in a second table, and downloads."""
    document = _document()
    figures = figures_of(document)
    return render_template(
        "followup/page.html",
        document=document,
        chart=shares_chart(document),
        series=SERIES,
        figures=figures,
        rows=list(rows(document, figures)),
        percent_text=percent_text,
        withheld_text=WITHHELD_TEXT,
        period_query={"fran": document["from"], "till": document["to"]},
    )


@bp.get("/uppfoljning/uppfoljning.csv")
@role_required(OPERATOR, FOLLOW_UP)
def csv_file() -> Response:
    """The figures as CSV (UTF-8 with BOM, semicolons: opens as columns in a Swedish Excel)."""
    response = Response(csv_text(_document()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{CSV_FILE}"'
    return response


@bp.get("/uppfoljning/uppfoljning.xlsx")
@role_required(OPERATOR, FOLLOW_UP)
def workbook() -> Response:
    """The figures as a workbook with a native chart and Swedish headings."""
    document = _document()
    with tempfile.TemporaryDirectory(dir=settings().data_dir) as folder:
        path = Path(folder) / WORKBOOK_FILE
        write_follow_up_workbook(path, document)
        data = path.read_bytes()
    response = Response(data, mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{WORKBOOK_FILE}"'
    return response
