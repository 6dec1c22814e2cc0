"""The case worker's pages: upload an export, read its preview, run it for real, follow it, download
the workbook of decisions that need a human.

Every upload first gets a dry run (the preview). The real run can only be started by the
case worker who uploaded the file, after the preview finished and was shown to them, and
it uses exactly the previewed file (SHA-256 checked). Case workers see only their own
uploads; another user's upload answers 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from splitpayout.adapters.runs import Progress, read_progress
from splitpayout.config.names import LEDGER_FILE, MANUAL_WORKBOOK_FILE
from splitpayout.domain.stops import RunStop
from werkzeug.wrappers import Response

from console import store
from console.db import get_db
from console.facts import (
    Hit,
    PreviewFacts,
    handled_decisions,
    preview_facts,
    registered_references,
    waiting_for_payout_system,
    why_moved,
)
from console.history import INTERRUPTED, OK, RUNNING, RunView, read_summary
from console.launcher import PREVIEW_TIMEOUT, RunRefusedError, read_record
from console.lookup import lookup_page
from console.security import flash, launcher, role_required, runbook, settings, username
from console.settings import CASE_WORKER
from console.uploads import UPLOAD_ID, UploadRefusedError, discard, store_upload, upload_path
from console.workbook import ManualRow, read_manual_rows

bp = Blueprint("casework", __name__, template_folder="templates")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WORKBOOKS = {"forhandsgranskning": store.PREVIEW, "korning": store.REAL}

# Why a file cannot be used (summary.json's error code), and what to do, in Swedish.
FILE_ERRORS: dict[str, tuple[str, str]] = {
    "not_xlsx": (
        "Filen är inte en Excel-arbetsbok (.xlsx).",
        "Spara exporten som Excel-arbetsbok (.xlsx) och ladda upp den igen.",
    ),
    "encrypted": (
        "Filen är lösenordsskyddad.",
        "Spara exporten utan lösenord och ladda upp den igen.",
    ),
    "no_header": (
        "Filen saknar rubrikraden: ingen av de tio första raderna innehåller Beslutsnummer.",
        "Kontrollera att det är exporten av beviljade beslut och ladda upp den igen.",
    ),
    "missing_columns": (
        "Filen saknar kolumner som måste finnas.",
        "Gör om exporten från verksamhetssystemet med alla kolumner och ladda upp den igen.",
    ),
    "duplicate_columns": (
        "Några kolumner finns mer än en gång i filen.",
        "Ta bort de dubblerade kolumnerna eller gör om exporten, och ladda upp den igen.",
    ),
    "no_decisions": (
        "Filen innehåller inga beslut.",
        "Kontrollera att du valt rätt fil och ladda upp den igen.",
    ),
    "unreadable": (
        "Filen kunde inte läsas.",
        "Gör om exporten och ladda upp den igen. Kontakta driften om felet kvarstår.",
    ),
    "export_too_large": (
        "Filen är för stor: den har för många rader, eller blir för stor när den packas upp.",
        "Dela upp exporten i mindre filer (till exempel per utbetalningsdag) och ladda upp dem var för sig. "
        "Kontakta driften om exporten inte kan delas.",
    ),
}
# The console stopped the preview (run.json's stopped_by_console.code).
STOPPED_PREVIEW = (
    "Förhandsgranskningen avbröts: den tog för lång tid.",
    "Kontrollera att det är rätt export. En mycket stor export kan behöva delas upp i mindre filer; "
    "ladda upp den igen. Kontakta driften om felet kvarstår.",
)
UNKNOWN_ERROR = (
    "Förhandsgranskningen kunde inte slutföras.",
    "Försök igen med en ny uppladdning. Kontakta driften om felet kvarstår.",
)

STARTED = (
    "Filen är uppladdad och förhandsgranskas nu. Inget registreras i utbetalningssystemet "
    "förrän du har läst förhandsgranskningen och bekräftat."
)
TOO_MANY_PREVIEWS = "Många förhandsgranskningar pågår just nu. Vänta en liten stund och försök igen."
REAL_STARTED = "Körningen har startat. Du kan följa den här. Stänger du sidan fortsätter körningen ändå."
NOT_READY = (
    "Förhandsgranskningen är inte klar än. Vänta tills den är klar, läs igenom den och bekräfta sedan."
)
PREVIEW_FAILED = "Förhandsgranskningen visar att filen inte kan köras. Rätta exporten och ladda upp den igen."
ALREADY_RUNNING = "Filen körs redan. Följ körningen på den här sidan."
ALREADY_DONE = "Filen är redan körd och allt i den är klart. Ladda upp en ny export till nästa körning."
NOT_SEEN = (
    "Du behöver se förhandsgranskningen innan utbetalningarna registreras. "
    "Läs igenom den här nedan och tryck sedan på knappen igen."
)
STALE_CONFIRMATION = (
    "Bekräftelsen gällde inte den här förhandsgranskningen. Läs igenom den här nedan och bekräfta igen."
)
NOTHING_LEFT = (
    "Det finns inget för roboten att registrera: allt i filen är redan registrerat av en tidigare körning "
    "eller kräver manuell hantering."
)
WITHDRAWN = "Filen {name} är borttagen. Inget i den registrerades."
NOT_WITHDRAWABLE = (
    "Filen kan inte tas bort: den körs eller har körts. En körd fil finns kvar som underlag för "
    "uppföljningen."
)
SAME_FILE_RUNS_READ = 2000  # the newest runs searched for an earlier real run of the same file
FILE_CHANGED = "Filen har ändrats sedan förhandsgranskningen och körs därför inte. Ladda upp exporten igen."

# The upload page's states (the live-progress script reloads the page when it changes).
PREVIEW_MISSING = "preview-missing"
PREVIEW_RUNNING = "preview-running"
PREVIEW_FAILED_STATE = "preview-failed"
PREVIEW_DONE = "preview-done"
REAL_STATES = {
    RUNNING: "real-running",
    OK: "real-done",
    "failed": "real-failed",
    INTERRUPTED: "real-interrupted",
}
CONFIRMABLE = frozenset({PREVIEW_DONE, "real-failed", "real-interrupted"})
STATE_LABELS = {
    PREVIEW_MISSING: "Förhandsgranskningen kunde inte startas",
    PREVIEW_RUNNING: "Förhandsgranskas",
    PREVIEW_FAILED_STATE: "Kan inte köras",
    PREVIEW_DONE: "Väntar på din bekräftelse",
    "real-running": "Körs",
    "real-done": "Klar",
    "real-done-deviations": "Klar med avvikelser",
    "real-failed": "Klar med tekniska fel",
    "real-stopped": "Stoppad",
    "real-interrupted": "Avbruten",
}


@dataclass(frozen=True)
class UploadStatus:
    """An upload with its latest preview and real run."""

    upload: store.Upload
    preview: RunView | None
    real: RunView | None

    @property
    def state(self) -> str:
        if self.real is not None:
            return REAL_STATES[self.real.state]
        if self.preview is None:
            return PREVIEW_MISSING
        if self.preview.state == RUNNING:
            return PREVIEW_RUNNING
        if self.preview_ok:
            return PREVIEW_DONE
        return PREVIEW_FAILED_STATE

    @property
    def preview_ok(self) -> bool:
        """The preview finished and the file could be read (a dry run fails only on an unusable file)."""
        preview = self.preview
        return preview is not None and preview.state == OK and preview.record.status == "completed"

    @property
    def may_confirm(self) -> bool:
        return self.state in CONFIRMABLE

    @property
    def state_label(self) -> str:
        """The state in Swedish; a finished run whose decisions did not all get registered says so."""
        real = self.real
        if self.state == "real-done" and real is not None and real.record.outcomes.get("manual", 0):
            return STATE_LABELS["real-done-deviations"]
        if real is not None and real.finished and real.record.status == "stopped":
            return STATE_LABELS["real-stopped"]
        return STATE_LABELS[self.state]


def _status(upload: store.Upload) -> UploadStatus:
    conn = get_db()
    book = runbook()
    views: dict[str, RunView | None] = {}
    for kind in (store.PREVIEW, store.REAL):
        run = store.latest_run(conn, upload.upload_id, kind)
        views[kind] = book.view(run.run_name, run) if run is not None else None
    return UploadStatus(upload, views[store.PREVIEW], views[store.REAL])


def _own_upload(upload_id: str) -> store.Upload:
    """The current user's upload, else 404 (also for another user's upload)."""
    if not UPLOAD_ID.fullmatch(upload_id):
        abort(404)
    upload = store.get_upload(get_db(), upload_id)
    if upload is None or upload.uploaded_by != username():
        abort(404)
    return upload


def _own_status(upload_id: str) -> UploadStatus:
    """The current user's upload with its latest runs, else 404."""
    return _status(_own_upload(upload_id))


def _shown_preview(current: UploadStatus) -> UploadStatus:
    """Note that the user is about to read the finished preview: from then on they may confirm it."""
    user = username()
    preview = current.preview
    if preview is None or not current.preview_ok or current.upload.preview_seen_by == user:
        return current
    conn = get_db()
    upload_id = current.upload.upload_id
    store.mark_preview_seen(conn, upload_id, user)
    store.add_event(conn, user, "preview_seen", upload_id=upload_id, run_name=preview.name)
    return UploadStatus(_own_upload(upload_id), preview, current.real)


def _progress(view: RunView | None) -> Progress | None:
    return read_progress(view.run_dir) if view is not None else None


def _manual_rows(view: RunView | None) -> tuple[list[ManualRow], int]:
    if view is None or not view.finished:
        return [], 0
    return read_manual_rows(view.run_dir / MANUAL_WORKBOOK_FILE)


def _file_error(view: RunView | None) -> dict[str, Any] | None:
    """What is wrong with the file, in Swedish, when its preview failed."""
    if view is None or view.state == RUNNING:
        return None
    stopped = read_record(view.run_dir).get("stopped_by_console")
    if isinstance(stopped, dict) and stopped.get("code") == PREVIEW_TIMEOUT:
        text, todo = STOPPED_PREVIEW
        return {"code": PREVIEW_TIMEOUT, "text": text, "todo": todo, "columns": []}
    summary = read_summary(view.run_dir)
    error = summary.get("error") or {}
    text, todo = FILE_ERRORS.get(str(error.get("code")), UNKNOWN_ERROR)
    columns = [str(column) for column in error.get("columns") or ()]
    return {"code": error.get("code"), "text": text, "todo": todo, "columns": columns}


@bp.get("/filer")
@role_required(CASE_WORKER)
def home() -> str:
    """The upload form and the user's own uploads."""
    return _home_page()


def _home_page(upload_error: str = "", refused_name: str | None = "") -> str:
    uploads = store.uploads_of(get_db(), username())
    return render_template(
        "casework/home.html",
        uploads=[_status(upload) for upload in uploads],
        max_upload_mb=settings().max_upload_bytes / (1024 * 1024),
        upload_error=upload_error,
        refused_name=(refused_name or "")[:200],
    )


@bp.post("/filer")
@role_required(CASE_WORKER)
def upload() -> Response | tuple[str, int]:
    """Keep the uploaded export and start its preview (a dry run)."""
    user = username()
    conn = get_db()
    runs = launcher()
    if runs.going_count(conn, store.PREVIEW) >= settings().max_previews:
        flash("error", TOO_MANY_PREVIEWS)
        return _home_page(), 429
    file = request.files.get("export")
    try:
        if file is None:
            raise UploadRefusedError("Välj exportfilen (.xlsx) som du vill ladda upp.")
        new = store_upload(file.stream, file.filename or "", settings(), user)
    except UploadRefusedError as refused:
        # The error-summary pattern: the page names the refused file and ties the message to the field.
        return _home_page(upload_error=str(refused), refused_name=file.filename if file else ""), 422
    store.insert_upload(conn, new)
    store.add_event(conn, user, "upload", upload_id=new.upload_id)
    try:
        runs.start_preview(conn, upload=new, console_user=user, file_path=upload_path(settings(), new))
    except RunRefusedError as refused:
        flash("error", str(refused))
    else:
        flash("info", STARTED)
    return redirect(url_for(".upload_page", upload_id=new.upload_id), code=303)


@bp.get("/filer/<upload_id>")
@role_required(CASE_WORKER)
def upload_page(upload_id: str) -> str:
    """The preview, the confirmation, the real run's progress and its result."""
    current = _shown_preview(_own_status(upload_id))
    preview_rows, preview_total = _manual_rows(current.preview) if current.preview_ok else ([], 0)
    real_rows, real_total = _manual_rows(current.real)
    blocking = launcher().blocking_run(get_db()) if current.may_confirm else None
    facts = _facts(current)
    workers = sorted(
        {row.handlaggare for row in (*preview_rows, *real_rows) if row.handlaggare}, key=str.casefold
    )
    chosen = request.args.get("handlaggare", "")
    if chosen not in workers:
        chosen = ""
    return render_template(
        "casework/upload.html",
        facts=facts,
        same_file_runs=_same_file_runs(current),
        why_moved=why_moved,
        workers=workers,
        chosen_worker=chosen,
        preview_rows_shown=_only(preview_rows, chosen),
        real_rows_shown=_only(real_rows, chosen),
        status=current,
        polling=current.state in (PREVIEW_RUNNING, "real-running"),
        upload=current.upload,
        preview=current.preview,
        real=current.real,
        preview_progress=_progress(current.preview),
        real_progress=_progress(current.real),
        preview_rows=preview_rows,
        preview_total=preview_total,
        real_rows=real_rows,
        real_total=real_total,
        file_error=_file_error(current.preview) if current.state == PREVIEW_FAILED_STATE else None,
        blocking=blocking,
        has_real_workbook=_has_workbook(current.real),
        waiting=current.real is not None
        and current.real.state == RUNNING
        and waiting_for_payout_system(current.real.run_dir),
        handled=handled_decisions(current.real.record.outcomes) if current.real is not None else 0,
        stop=RunStop.from_dict(read_summary(current.real.run_dir).get("stop")) if current.real else None,
        has_preview_workbook=current.preview_ok and _has_workbook(current.preview),
    )


def _only(rows: list[ManualRow], worker: str) -> list[tuple[str, list[ManualRow]]]:
    """The rows (of one handläggare, or all) grouped by handläggare in the workbook's order."""
    groups: dict[str, list[ManualRow]] = {}
    for row in rows:
        if not worker or row.handlaggare == worker:
            groups.setdefault(row.handlaggare, []).append(row)
    return list(groups.items())


def _facts(current: UploadStatus) -> PreviewFacts | None:
    """What the real run will register (or, after one, what is left), from the latest summary, with
    what the robot's ledger says an earlier run already registered left out."""
    if not current.preview_ok or current.preview is None:
        return None
    source = current.real if current.real is not None and current.real.finished else current.preview
    registered = registered_references(settings().state_dir / LEDGER_FILE)
    return preview_facts(read_summary(source.run_dir), registered)


def _same_file_runs(current: UploadStatus) -> list[RunView]:
    """Real runs of a file with this upload's SHA-256 other than its own (another upload, the inbox)."""
    if current.real is not None or not current.preview_ok:
        return []
    sha256 = current.upload.sha256
    return [
        view
        for view in runbook().history(get_db(), limit=SAME_FILE_RUNS_READ)
        if view.kind in ("real", "inbox") and view.record.source_sha256 == sha256
    ]


def _has_workbook(view: RunView | None) -> bool:
    return view is not None and view.finished and (view.run_dir / MANUAL_WORKBOOK_FILE).is_file()


@bp.get("/filer/<upload_id>/status")
@role_required(CASE_WORKER)
def status(upload_id: str) -> Response:
    """The upload's state and its runs' progress, as JSON, for the live progress on the page."""
    current = _own_status(upload_id)

    def run(view: RunView | None) -> dict[str, Any] | None:
        progress = _progress(view)
        if view is None or progress is None:
            return None
        return {
            "state": view.state,
            "waiting": view.state == RUNNING and waiting_for_payout_system(view.run_dir),
            "decisions_done": progress.decisions_done,
            "decisions_total": progress.decisions_total,
            "payments_done": progress.payments_done,
            "payments_total": progress.payments_total,
        }

    return jsonify({"state": current.state, "preview": run(current.preview), "real": run(current.real)})


@bp.post("/filer/<upload_id>/kor")
@role_required(CASE_WORKER)
def confirm(upload_id: str) -> Response:
    """Start the real run of a previewed upload."""
    current = _own_status(upload_id)
    upload = current.upload
    user = username()
    back = redirect(url_for(".upload_page", upload_id=upload.upload_id), code=303)
    if _own_run_going(current, user):
        return back  # a second click: the same request, answered by the run that is going
    refusal = _refusal(current, user)
    if refusal is not None:
        flash("error", refusal)
        return back
    conn = get_db()
    try:
        launcher().start_real_run(
            conn, upload=upload, console_user=user, file_path=upload_path(settings(), upload)
        )
    except (RunRefusedError, UploadRefusedError) as refused:
        if _own_run_going(_own_status(upload_id), user):
            return back  # two clicks at once: the other one started this upload's run
        store.add_event(conn, user, "confirm_refused", upload_id=upload.upload_id)
        flash("error", str(refused))
        return back
    store.add_event(conn, user, "confirm", upload_id=upload.upload_id)
    flash("info", REAL_STARTED)
    return back


def _own_run_going(current: UploadStatus, user: str) -> bool:
    """This upload's real run is going, started by this user (a repeated confirmation is hers)."""
    real = current.real
    return (
        real is not None
        and real.state == RUNNING
        and real.console_run is not None
        and real.console_run.started_by == user
    )


def _refusal(current: UploadStatus, user: str) -> str | None:
    """Why the real run may not start now, or None."""
    state = current.state
    if state in (PREVIEW_MISSING, PREVIEW_RUNNING):
        return NOT_READY
    if state == PREVIEW_FAILED_STATE:
        return PREVIEW_FAILED
    if state == "real-running":
        return ALREADY_RUNNING
    if state == "real-done":
        return ALREADY_DONE
    preview = current.preview
    assert preview is not None  # a confirmable state has a finished preview
    if current.upload.preview_seen_by != user:
        return NOT_SEEN
    if request.form.get("preview_run") != preview.name or request.form.get("sha256") != current.upload.sha256:
        return STALE_CONFIRMATION
    if preview.record.source_sha256 != current.upload.sha256:
        return FILE_CHANGED
    facts = _facts(current)
    if state == PREVIEW_DONE and facts is not None and facts.payments == 0:
        return NOTHING_LEFT
    return None


WITHDRAWABLE = frozenset({PREVIEW_MISSING, PREVIEW_FAILED_STATE, PREVIEW_DONE})


@bp.post("/filer/<upload_id>/dra-tillbaka")
@role_required(CASE_WORKER)
def withdraw(upload_id: str) -> Response:
    """Remove an upload that never ran: its file, its preview's workbook and its place in the list."""
    current = _own_status(upload_id)
    upload = current.upload
    if current.state not in WITHDRAWABLE:
        flash("error", NOT_WITHDRAWABLE)
        return redirect(url_for(".upload_page", upload_id=upload.upload_id), code=303)
    conn = get_db()
    if current.preview is not None:
        (current.preview.run_dir / MANUAL_WORKBOOK_FILE).unlink(missing_ok=True)  # personal data
    discard(settings(), upload.upload_id)
    store.delete_upload(conn, upload.upload_id)
    store.add_event(conn, username(), "withdraw", upload_id=upload.upload_id)
    flash("info", WITHDRAWN.format(name=upload.file_name))
    return redirect(url_for(".home"), code=303)


@bp.get("/filer/<upload_id>/arbetsbok/<which>")
@role_required(CASE_WORKER)
def workbook(upload_id: str, which: str) -> Response:
    """Download the workbook of decisions that need a human, of the preview or of the real run."""
    kind = WORKBOOKS.get(which)
    if kind is None:
        abort(404)
    current = _own_status(upload_id)
    upload = current.upload
    view = current.preview if kind == store.PREVIEW else current.real
    if kind == store.PREVIEW and not current.preview_ok:
        abort(404)
    if not _has_workbook(view):
        abort(404)
    assert view is not None
    path: Path = view.run_dir / MANUAL_WORKBOOK_FILE
    stem = upload.file_name[: -len(".xlsx")]
    suffix = "-forhandsgranskning" if kind == store.PREVIEW else ""
    store.add_event(get_db(), username(), f"download_{kind}", upload_id=upload.upload_id, run_name=view.name)
    return send_file(
        path,
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"manuell-hantering-{stem}{suffix}.xlsx",
        max_age=0,
    )


@bp.get("/filer/beslut")
@role_required(CASE_WORKER)
def lookup() -> str:
    """Where a decision number was handled in the user's own uploads: runs, outcomes, payment numbers."""
    return lookup_page(
        "casework/lookup.html",
        _own_finished_runs,
        run_link=_upload_link,
        show_amounts=True,
        file_name=_own_file_name,
    )


def _own_file_name(hit: Hit) -> str:
    """The name the case worker gave her upload (she may see it; operators see the label only)."""
    console_run = hit.run.console_run
    upload = (
        store.get_upload(get_db(), console_run.upload_id) if console_run and console_run.upload_id else None
    )
    return upload.file_name if upload is not None else hit.run.record.source_name


def _own_finished_runs() -> Iterator[RunView]:
    book = runbook()
    views = [book.view(run.run_name, run) for run in store.runs_of_uploads_by(get_db(), username())]
    return (view for view in views if view is not None and view.finished)


def _upload_link(hit: Hit) -> str:
    console_run = hit.run.console_run
    if console_run is None or not console_run.upload_id:
        return ""
    return url_for(".upload_page", upload_id=console_run.upload_id)
