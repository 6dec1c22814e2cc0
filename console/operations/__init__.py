"""The operator's pages: the history of every run (console, schedule, reconciliation), each run's
facts and Robot Framework log, and the button that starts a reconciliation.

These pages show no personal data: they read ``run.json`` and ``summary.json`` (decision
numbers, outcomes, reason codes, amounts) and serve only ``log.html`` and ``report.html``,
never the case workers' workbook.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_file, url_for
from splitpayout.runs import read_progress
from werkzeug.wrappers import Response

from console import notices, store
from console.db import get_db
from console.history import RUNNING, RunBook, read_summary
from console.launcher import RECONCILE_TASK, Launcher, RunRefusedError
from console.security import flash, role_required, settings, username
from console.settings import OPERATOR

bp = Blueprint("operations", __name__, template_folder="templates")

# The only files of a run folder that operators may open (free of personal data).
ARTIFACTS = frozenset({"log.html", "report.html"})
FAILED_FILTER = "misslyckade"
HISTORY_LIMIT = 200
# Robot Framework's log and report are self-contained pages with inline scripts and styles.
ARTIFACT_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data:; frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
)

RECONCILE_STARTED = "Avstämningen har startat. Den syns överst i listan."
RECONCILE_RUNNING = "En avstämning pågår redan. Vänta tills den är klar."
BAD_DATES = "Ange datumen som ÅÅÅÅ-MM-DD, och fråndatum före tilldatum."


def _launcher() -> Launcher:
    launcher: Launcher = current_app.extensions["console_launcher"]
    return launcher


def _runbook() -> RunBook:
    runbook: RunBook = current_app.extensions["console_runbook"]
    return runbook


@bp.get("/korningar")
@role_required(OPERATOR)
def history() -> str:
    """Every run, newest first; ``?visa=misslyckade`` shows the failed and interrupted ones only."""
    failed_only = request.args.get("visa") == FAILED_FILTER
    runs = _runbook().history(get_db(), failed_only=failed_only, limit=HISTORY_LIMIT)
    return render_template(
        "operations/history.html",
        runs=runs,
        failed_only=failed_only,
        limit=HISTORY_LIMIT,
        progress={view.name: read_progress(view.run_dir) for view in runs if view.state == RUNNING},
        artifacts={view.name: _artifacts(view.run_dir) for view in runs},
        notified={view.name: notices.notice_line(view.run_dir) for view in runs},
    )


def _artifacts(run_dir: Path) -> list[str]:
    """The log files of a run folder that operators may open."""
    return sorted(name for name in ARTIFACTS if (run_dir / name).is_file())


@bp.get("/korningar/<run_name>")
@role_required(OPERATOR)
def run(run_name: str) -> str:
    """One run: who started it, the file's name and hash, counts, amounts, reason codes, the logs."""
    view = _runbook().view(run_name, store.get_run(get_db(), run_name))
    if view is None:
        abort(404)
    summary = read_summary(view.run_dir)
    reasons: Counter[str] = Counter()
    for decision in summary.get("decisions") or ():
        for reason in decision.get("reasons") or ():
            reasons[str(reason.get("code", ""))] += 1
    error = summary.get("error") or {}
    artifacts = _artifacts(view.run_dir)
    return render_template(
        "operations/run.html",
        run=view,
        reasons=sorted(reasons.items()),
        error_code=error.get("code"),
        error_message=error.get("message"),
        artifacts=artifacts,
        stopped_reason=summary.get("stopped_reason"),
        notices=notices.notices(view.run_dir),
        removed=notices.removed_by_retention(view.run_dir),
        retention_counts=notices.retention_counts(view.run_dir) if view.kind == "retention" else [],
    )


@bp.get("/korningar/<run_name>/<artifact>")
@role_required(OPERATOR)
def artifact(run_name: str, artifact: str) -> Response:
    """A run's log.html or report.html; nothing else of a run folder is served."""
    if artifact not in ARTIFACTS:
        abort(404)
    run_dir = _runbook().run_dir(run_name)
    if run_dir is None:
        abort(404)
    path = run_dir / artifact
    if path.is_symlink() or not path.is_file() or path.resolve().parent != run_dir.resolve():
        abort(404)
    response = send_file(path, mimetype="text/html", max_age=0)
    response.headers["Content-Security-Policy"] = ARTIFACT_CSP
    return response


def _date(field: str) -> str | None:
    text = (request.form.get(field) or "").strip()
    if not text:
        return None
    return dt.date.fromisoformat(text).isoformat()


@bp.post("/avstamning")
@role_required(OPERATOR)
def reconcile() -> Response:
    """Start the Reconcile task in its own run folder: the payout system against the exports."""
    back = redirect(url_for(".history"), code=303)
    try:
        date_from, date_to = _date("from"), _date("to")
    except ValueError:
        flash("error", BAD_DATES)
        return back
    if date_from and date_to and date_from > date_to:
        flash("error", BAD_DATES)
        return back
    conn = get_db()
    launcher = _launcher()
    if launcher.going_count(conn, store.RECONCILE) > 0:
        flash("error", RECONCILE_RUNNING)
        return back
    config = settings()
    extra = {"DECISIONS_FILE": str(config.reconcile_source.resolve())}
    if config.payout_system_api_token:
        extra["PAYOUT_SYSTEM_API_TOKEN"] = config.payout_system_api_token
    if date_from:
        extra["RECONCILE_FROM"] = date_from
    if date_to:
        extra["RECONCILE_TO"] = date_to
    user = username()
    try:
        launcher.start(
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
    return back
