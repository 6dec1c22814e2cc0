"""The operator's pages: the history of every run (console, schedule, reconciliation), each run's
facts and Robot Framework log, and the button that starts a reconciliation.

These pages show no personal data: they read ``run.json`` and ``summary.json`` (decision
numbers, outcomes, reason codes, amounts) and serve only ``log.html`` and ``report.html``,
never the case workers' workbook.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from splitpayout.adapters.runs import read_progress
from splitpayout.domain.stops import RunStop
from werkzeug.wrappers import Response

from console import notices, reconciling, store
from console.db import get_db
from console.facts import MAX_RUNS_SEARCHED, manual_by_worker, reason_counts
from console.history import RUNNING, RunView, read_summary
from console.launcher import RECONCILE_TASK, RunRefusedError
from console.lookup import lookup_page
from console.runfilter import PAGE_SIZE, RunFilter, csv_document
from console.security import flash, launcher, role_required, runbook, settings, username
from console.settings import OPERATOR
from console.uploads import UploadRefusedError, store_upload

bp = Blueprint("operations", __name__, template_folder="templates")

# The only files of a run folder that operators may open (free of personal data); a reconciliation's
# workbook holds references, numbers and amounts only.
ARTIFACTS = frozenset({"log.html", "report.html"})
RECONCILE_WORKBOOK = reconciling.WORKBOOK_FILE
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FAILED_FILTER = "misslyckade"
HISTORY_LIMIT = 20000  # run folders read for the history (newest first)
# Robot Framework's log and report are self-contained pages with inline scripts and styles.
ARTIFACT_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data:; frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
)

RECONCILE_STARTED = "Avstämningen har startat. Den syns överst i listan."
NOTHING_TO_RECONCILE = (
    "Det finns ingen körd export att stämma av mot. En avstämning jämför utbetalningssystemet med "
    "exporter som har körts på riktigt (och inkorgens arkiv). Välj en export eller ladda upp en."
)
RECONCILE_RUNNING = "En avstämning pågår redan. Vänta tills den är klar."
BAD_DATES = "Ange datumen som ÅÅÅÅ-MM-DD, och fråndatum före tilldatum."


def _matching(chosen: RunFilter) -> list[RunView]:
    """The runs the filter asks for, newest first."""
    conn = get_db()
    names = store.upload_names(conn) if chosen.file else {}
    return [view for view in runbook().history(conn, limit=HISTORY_LIMIT) if chosen.matches(view, names)]


@bp.get("/korningar")
@role_required(OPERATOR)
def history() -> str:
    """Every run, newest first, filtered (period, kind, file, started by, state) and paged."""
    chosen = RunFilter.from_args(request.args)
    matching = _matching(chosen)
    pages = max(1, -(-len(matching) // PAGE_SIZE))
    page = min(chosen.page, pages)
    runs = matching[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return render_template(
        "operations/history.html",
        runs=runs,
        filter=chosen,
        failed_only=chosen.failed_only,
        matching=len(matching),
        page=page,
        pages=pages,
        limit=HISTORY_LIMIT,
        progress={view.name: read_progress(view.run_dir) for view in runs if view.state == RUNNING},
        artifacts={view.name: _artifacts(view.run_dir) for view in runs},
        notified={view.name: notices.notice_line(view.run_dir) for view in runs},
    )


@bp.get("/korningar.csv")
@role_required(OPERATOR)
def history_csv() -> Response:
    """The filtered history as CSV (UTF-8 with BOM, semicolons: opens as columns in a Swedish Excel)."""
    chosen = RunFilter.from_args(request.args)
    matching = _matching(chosen)
    response = Response(csv_document(matching), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="korningar.csv"'
    return response


@bp.get("/korningar/beslut")
@role_required(OPERATOR)
def lookup() -> str:
    """Every run that handled a decision number: outcome, reason codes, references, payment numbers."""

    def finished_runs() -> Iterator[RunView]:
        return (view for view in runbook().history(get_db(), limit=HISTORY_LIMIT) if view.finished)

    return lookup_page(
        "operations/lookup.html",
        finished_runs,
        run_link=lambda hit: url_for(".run", run_name=hit.run.name),
        show_codes=True,
        searched_runs=MAX_RUNS_SEARCHED,
    )


def _artifacts(run_dir: Path) -> list[str]:
    """The log files of a run folder that operators may open."""
    return sorted(name for name in ARTIFACTS if (run_dir / name).is_file())


@bp.get("/korningar/<run_name>")
@role_required(OPERATOR)
def run(run_name: str) -> str:
    """One run: who started it, the file's name and hash, counts, amounts, reason codes, the logs."""
    view = runbook().view(run_name, store.get_run(get_db(), run_name))
    if view is None:
        abort(404)
    summary = read_summary(view.run_dir)
    error = summary.get("error") or {}
    artifacts = _artifacts(view.run_dir)
    report = reconciling.read_report(view.run_dir) if view.kind == "reconcile" else {}
    return render_template(
        "operations/run.html",
        run=view,
        report=report,
        findings=reconciling.finding_lines(report) if report.get("finding_counts") else [],
        reconcile_status=reconciling.STATUS_TEXT,
        reconcile_error=reconciling.ERROR_SOURCE_TEXT,
        total_labels=reconciling.TOTAL_LABELS,
        has_reconcile_workbook=view.kind == "reconcile" and _served(view.run_dir, RECONCILE_WORKBOOK),
        reasons=reason_counts(summary),
        by_worker=manual_by_worker(summary),
        error_code=error.get("code"),
        error_message=error.get("message"),
        artifacts=artifacts,
        stop=RunStop.from_dict(summary.get("stop")),
        stopped_reason=summary.get("stopped_reason"),
        notices=notices.notices(view.run_dir),
        removed=notices.removed_by_retention(view.run_dir),
        retention_counts=notices.retention_counts(view.run_dir) if view.kind == "retention" else [],
    )


@bp.get("/korningar/<run_name>/<artifact>")
@role_required(OPERATOR)
def artifact(run_name: str, artifact: str) -> Response:
    """A run's log.html or report.html, or a reconciliation's avstamning.xlsx; nothing else is served."""
    view = runbook().view(run_name, store.get_run(get_db(), run_name))
    if view is None:
        abort(404)
    if artifact == RECONCILE_WORKBOOK and view.kind == "reconcile" and _served(view.run_dir, artifact):
        return send_file(
            view.run_dir / artifact,
            mimetype=XLSX_MIMETYPE,
            as_attachment=True,
            download_name=f"avstamning-{run_name}.xlsx",
            max_age=0,
        )
    if artifact not in ARTIFACTS or not _served(view.run_dir, artifact):
        abort(404)
    response = send_file(view.run_dir / artifact, mimetype="text/html", max_age=0)
    response.headers["Content-Security-Policy"] = ARTIFACT_CSP
    return response


def _served(run_dir: Path, name: str) -> bool:
    """A regular file right inside the run folder (no symbolic links)."""
    path = run_dir / name
    return not path.is_symlink() and path.is_file() and path.resolve().parent == run_dir.resolve()


def _date(field: str) -> str | None:
    text = (request.form.get(field) or "").strip()
    if not text:
        return None
    return dt.date.fromisoformat(text).isoformat()


def _sources() -> reconciling.Sources | None:
    """What the page offers to compare with (None when CONSOLE_RECONCILE_DECISIONS names it)."""
    config = settings()
    if config.reconcile_decisions is not None:
        return None
    return reconciling.run_sources(get_db(), runbook(), config.runs_dir)


@bp.get("/avstamning")
@role_required(OPERATOR)
def reconcile_page() -> str:
    """The reconciliation's own page: which exports are compared (what was run), to add or upload one."""
    return render_template("operations/reconcile.html", sources=_sources())


def _chosen_exports(sources: reconciling.Sources) -> tuple[list[store.Upload], bool]:
    """The uploads and whether the inbox archive are chosen on the form (a form with no choice at
    all, as from an older page, means the default: what was run)."""
    form = request.form
    if "valt" not in form:
        return list(sources.uploads), bool(sources.archive)
    wanted = set(form.getlist("underlag"))
    chosen = [upload for upload in [*sources.uploads, *sources.others] if upload.upload_id in wanted]
    return chosen, bool(sources.archive) and form.get("inkorg") == "ja"


def _added_upload(conn: sqlite3.Connection) -> store.Upload | None:
    """An export the operator uploaded on the form, kept as an upload of theirs (never previewed)."""
    stream = request.files.get("export")
    if stream is None or not stream.filename:
        return None
    upload = store_upload(stream.stream, stream.filename, settings(), username())
    store.insert_upload(conn, upload)
    store.add_event(conn, username(), "upload_for_reconcile", upload_id=upload.upload_id)
    return upload


@bp.post("/avstamning")
@role_required(OPERATOR)
def reconcile() -> Response:
    """Start the Reconcile task in its own run folder: the payout system against the exports."""
    back = redirect(url_for(".reconcile_page"), code=303)
    try:
        date_from, date_to = _date("from"), _date("to")
    except ValueError:
        flash("error", BAD_DATES)
        return back
    if date_from and date_to and date_from > date_to:
        flash("error", BAD_DATES)
        return back
    conn = get_db()
    runs = launcher()
    if runs.going_count(conn, store.RECONCILE) > 0:
        flash("error", RECONCILE_RUNNING)
        return back
    config = settings()
    sources = _sources()
    if sources is None:
        source = config.reconcile_decisions
        assert source is not None
    else:
        chosen, archive = _chosen_exports(sources)
        try:
            added = _added_upload(conn)
        except UploadRefusedError as refused:
            flash("error", f"Exporten kunde inte läggas till: {refused}")
            return back
        if added is not None:
            chosen.append(added)
        if not chosen and not archive:
            flash("error", NOTHING_TO_RECONCILE)
            return back
        source = reconciling.link_sources(config, chosen, archive=archive)
        period = sources.default_period()
        if period is not None and not date_from and not date_to:
            date_from, date_to = period[0].isoformat(), period[1].isoformat()
    extra = {"DECISIONS_FILE": str(source.resolve())}
    if config.payout_system_api_token:
        extra["PAYOUT_SYSTEM_API_TOKEN"] = config.payout_system_api_token
    if date_from:
        extra["RECONCILE_FROM"] = date_from
    if date_to:
        extra["RECONCILE_TO"] = date_to
    user = username()
    try:
        runs.start(
            conn,
            kind=store.RECONCILE,
            task=RECONCILE_TASK,
            console_user=user,
            started_by=f"{OPERATOR} {user}",
            label=f"avstamning-{user}",
            extra_env=extra,
        )
    except RunRefusedError as refused:
        flash("error", str(refused))
        return back
    flash("info", RECONCILE_STARTED)
    return redirect(url_for(".history"), code=303)
