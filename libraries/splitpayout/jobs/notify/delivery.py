"""Queueing a run's messages and sending the outbox when a task has ended (see the package)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from splitpayout.adapters.files import file_sha256, read_json_object
from splitpayout.adapters.reader import iter_rows
from splitpayout.adapters.reports import write_json_atomically
from splitpayout.config.names import INBOX_SUMMARY_FILE, SUMMARY_FILE
from splitpayout.domain.export_columns import CASE_WORKER as CASE_WORKER_COLUMN
from splitpayout.domain.models import DecisionPlan, DecisionResult
from splitpayout.domain.stops import RunStop
from splitpayout.jobs.notify.config import NotifySettings, case_worker_address, smtp_credentials
from splitpayout.jobs.notify.messages import (
    FALLBACK_KEY,
    Draft,
    case_worker_message,
    group_by_case_worker,
    operator_message,
)
from splitpayout.jobs.notify.outbox import MERGED, PENDING, Message, Outbox, record_in_run
from splitpayout.jobs.notify.sender import DeliveryReport, build_email, deliver, open_connection

CASE_WORKER, OPERATORS = "case_worker", "operators"
# Consumers leave telling to the run that reports the whole export (the reporter, or the
# Split payouts run whose parallel workers they are): their failures are that run's.
SILENT_TASKS = frozenset({"consume_work_items"})
LOCK_FILE = ".send.lock"
LOCK_POLL_SECONDS = 0.2


def _warn(text: str) -> None:
    print(f"notifications: {text}", file=sys.stderr, flush=True)


def queue_run_messages(
    *,
    run_id: str,
    mode: str,
    artifacts_dir: Path,
    items: Iterable[tuple[DecisionPlan, DecisionResult]],
    export: tuple[Path | None, str] | None = None,
    settings: NotifySettings | None = None,
) -> list[Message]:
    """Put one message per Handläggare with decisions for manual handling into the outbox (real
    runs only, and only when a notifier is configured). ``export`` is the export and its SHA-256,
    read again only for the Handläggare of protected decisions. Returns what was queued; never
    raises."""
    try:
        settings = settings or NotifySettings.from_env()
        if settings.problem:
            _warn(f"nothing is sent: {settings.problem}")
        if not settings.enabled or mode != "real":
            return []
        return _queue_case_workers(settings, run_id, artifacts_dir, list(items), export)
    except Exception as error:  # a notification must never fail the run
        _warn(f"messages of run {run_id} not queued ({type(error).__name__})")
        return []


def _queue_case_workers(
    settings: NotifySettings,
    run_id: str,
    artifacts_dir: Path,
    items: list[tuple[DecisionPlan, DecisionResult]],
    export: tuple[Path | None, str] | None,
) -> list[Message]:
    owners = protected_owners(export, [plan for plan, result in items if plan.protected])
    ids = {plan.case_worker for plan, _ in items if plan.case_worker} | set(owners.values())
    addresses = {key: case_worker_address(settings.case_worker_template, key) for key in ids}
    valid = {key for key, address in addresses.items() if address}
    fallback = [settings.case_worker_fallback] if settings.case_worker_fallback else list(settings.operators)
    outbox = Outbox(settings.outbox_dir)
    queued: list[Message] = []
    for key, group in sorted(group_by_case_worker(items, valid, owners).items()):
        to = fallback if key == FALLBACK_KEY else [str(addresses[key])]
        if not to:
            _warn(f"{len(group)} decisions without a Handläggare address and no fallback: not sent")
            continue
        draft = case_worker_message(key, group, run_id=run_id, console_url=settings.console_url)
        message = _message(draft, run_id, artifacts_dir, CASE_WORKER, to)
        if outbox.add(message):
            queued.append(message)
    if queued:
        record_in_run(artifacts_dir, outbox.of_run(run_id))
    return queued


def protected_owners(export: tuple[Path | None, str] | None, plans: list[DecisionPlan]) -> dict[str, str]:
    """The Handläggare of each protected decision, read from the export's own column (the plan
    keeps nothing of a protected decision but its number): the case worker gets a count of them.
    Only from the very file the run read (its SHA-256); a decision whose rows name different
    case workers, or none, is left to the fallback."""
    path, sha256 = export or (None, "")
    if path is None or not plans or not sha256 or not path.is_file() or file_sha256(path) != sha256:
        return {}
    rows = {row: plan.decision_id for plan in plans for row in plan.row_numbers}
    found: dict[str, set[str]] = {}
    try:
        for row_number, raw in iter_rows(path, columns=(CASE_WORKER_COLUMN,)):
            if row_number in rows:
                value = raw.get(CASE_WORKER_COLUMN)
                text = value.strip() if isinstance(value, str) else ""
                found.setdefault(rows[row_number], set()).add(text)
    except Exception as error:  # the run read this file already; if it cannot now, use the fallback
        _warn(f"the case workers of protected decisions are unknown ({type(error).__name__})")
        return {}
    return {decision: next(iter(ids)) for decision, ids in found.items() if len(ids) == 1 and "" not in ids}


def _message(draft: Draft, run_id: str, artifacts_dir: Path, kind: str, to: list[str]) -> Message:
    return Message(
        message_id=Message.make_id(run_id, kind, draft.recipient_id),
        run_id=run_id,
        run_dir=str(artifacts_dir.resolve()),
        kind=kind,
        recipient_id=draft.recipient_id,
        to=to,
        subject=draft.subject,
        body=draft.body,
    )


def operator_reason(task: str, record: Mapping[str, Any], artifacts: Path) -> str | None:
    """Why operators must hear of this run (a code of ``messages.OPERATOR_TEXT``), or None."""
    if task == "process_inbox":
        inbox = read_json_object(artifacts / INBOX_SUMMARY_FILE)
        counts = inbox.get("counts") or {}
        if inbox.get("status") == "error" or (not inbox and record.get("exit_status") != 0):
            return "inbox_error"
        # Files that were run have told the operators themselves (a run that crashed as well, as
        # its runner ended); a duplicate was not run at all.
        if counts.get("rejected_duplicate"):
            return "inbox_needs_attention"
        return None
    if record.get("exit_status") == 0:
        return None
    summary = read_json_object(artifacts / SUMMARY_FILE)
    status = summary.get("status")
    code = (summary.get("error") or {}).get("code")
    if summary.get("mode") == "dry_run" and status == "file_error":
        return None  # a preview of a wrong file: the case worker who started it sees why
    if task in ("reconcile", "retention"):
        return task
    if code == "export_too_large":
        return "export_too_large"
    if status in ("file_error", "stopped", "incomplete"):
        return str(status)
    if (summary.get("totals") or {}).get("outcomes", {}).get("failed"):
        return "failed"
    return "crashed"


def _run_key(task: str, record: Mapping[str, Any], artifacts: Path) -> str:
    summary = read_json_object(artifacts / SUMMARY_FILE)
    if summary.get("run_id"):
        return str(summary["run_id"])
    started = str(record.get("started_at", "")).replace(":", "").replace("+0000", "Z")[:17]
    return f"{started}-{task}-{artifacts.resolve().name}"


def _operator_draft(
    settings: NotifySettings, task: str, record: Mapping[str, Any], artifacts: Path, what: str
) -> tuple[str, Draft]:
    """The run's key and the operators' message about it."""
    run_id = _run_key(task, record, artifacts)
    summary = read_json_object(artifacts / SUMMARY_FILE)
    outcomes = (summary.get("totals") or {}).get("outcomes") or {}
    folder = artifacts.resolve()
    run_url = ""
    if settings.console_url and folder.parent == settings.runs_dir.resolve():
        run_url = f"{settings.console_url}/korningar/{folder.name}"
    draft = operator_message(
        run_id=run_id,
        task=task,
        what=what,
        exit_status=record.get("exit_status"),
        outcomes={str(k): v for k, v in outcomes.items() if isinstance(v, int)},
        log_location=str(folder),
        run_url=run_url,
        stop=RunStop.from_dict(summary.get("stop")),
    )
    return run_id, draft


def queue_operator_message(
    settings: NotifySettings, task: str, record: Mapping[str, Any], artifacts: Path
) -> Message | None:
    """The operators' message for a run that failed, stopped or could not read its file."""
    what = operator_reason(task, record, artifacts)
    if what is None or not settings.operators:
        return None
    run_id, draft = _operator_draft(settings, task, record, artifacts, what)
    outbox = Outbox(settings.outbox_dir)
    if outbox.known(Message.make_id(run_id, OPERATORS, draft.recipient_id)):
        return None
    # Without a fallback address, the decisions without a Handläggare went to the operators too:
    # they get one message about the run, not two.
    fallback = outbox.get(Message.make_id(run_id, CASE_WORKER, FALLBACK_KEY))
    if fallback is not None and sorted(fallback.to) != sorted(settings.operators):
        fallback = None
    if fallback is not None:
        body = f"{draft.body}\n{'-' * 60}\n\n{fallback.subject}\n\n{fallback.body}"
        draft = Draft(draft.recipient_id, draft.subject, body)
    message = _message(draft, run_id, artifacts, OPERATORS, list(settings.operators))
    if not outbox.add(message):
        return None
    if fallback is not None:
        fallback.state = MERGED
        outbox.update(fallback)
    return message


def after_run(
    task: str, record: Mapping[str, Any], artifacts: Path, env: Mapping[str, str] | None = None
) -> None:
    """After a task: queue the operators' message if needed, send the outbox, record the result.
    Never raises; the run's exit status is already decided."""
    try:
        settings = NotifySettings.from_env(env)
        if settings.problem:
            _warn(f"nothing is sent: {settings.problem}")
        if settings.warning:
            _warn(settings.warning)
        if not settings.enabled or task in SILENT_TASKS:
            return
        try:
            queue_operator_message(settings, task, record, artifacts)
        except OSError:  # the outbox (in STATE_DIR) cannot be written, full say: tell the operators now
            _send_without_outbox(
                settings, task, record, artifacts, smtp_credentials(settings.secret_name, env)
            )
            return
        outbox = Outbox(settings.outbox_dir)
        with _sending_lock(settings) as acquired:
            if not acquired:
                _warn("another run kept sending the outbox; what is left is sent by the next run")
                return
            report = deliver(settings, outbox, smtp_credentials(settings.secret_name, env))
        _record(outbox, report, _run_key(task, record, artifacts), artifacts)
    except Exception as error:  # a notification must never fail the run
        _warn(f"sending failed ({type(error).__name__}); the outbox keeps the messages")


def _send_without_outbox(
    settings: NotifySettings,
    task: str,
    record: Mapping[str, Any],
    artifacts: Path,
    credentials: tuple[str, str] | None,
) -> None:
    """The operators' message sent at once, once, when the outbox cannot keep it (a full or read-only
    state folder, the very thing they must hear of); nothing is recorded of it but the log line."""
    what = operator_reason(task, record, artifacts)
    if what is None or not settings.operators:
        return
    run_id, draft = _operator_draft(settings, task, record, artifacts, what)
    message = _message(draft, run_id, artifacts, OPERATORS, list(settings.operators))
    smtp = open_connection(settings, credentials)
    try:
        smtp.send_message(build_email(message, settings.sender))
    finally:
        smtp.quit()
    _warn("the outbox in STATE_DIR cannot be written: the operators' message was sent without it")


@contextlib.contextmanager
def _sending_lock(settings: NotifySettings) -> Iterator[bool]:
    """One sender at a time (two runs ending together would both send a pending message): waits
    a bounded time for the other sender, then yields whether this one may send."""
    folder = settings.outbox_dir
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + 3 * settings.timeout_seconds + 10
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    yield False
                    return
                time.sleep(LOCK_POLL_SECONDS)
        yield True
    finally:
        os.close(descriptor)  # closing releases the lock


def _record(outbox: Outbox, report: DeliveryReport, run_id: str, artifacts: Path) -> None:
    """notifications.json of every run whose messages were tried; summary.json of this run."""
    runs = {(m.run_id, m.run_dir) for m in report.touched}
    for other_id, run_dir in runs:
        record_in_run(Path(run_dir), outbox.of_run(other_id))
    mine = outbox.of_run(run_id)
    if mine:
        record_in_run(artifacts, mine)
    earlier = [m for m in report.touched if m.run_id != run_id]
    section = {
        "this_run": _counts(mine),
        "earlier_runs": _counts(earlier),
        "still_unsent": len(outbox.messages(PENDING)),
        "server_error": report.server_error or None,
    }
    if report.server_error or report.failed or report.given_up:
        _warn(f"not everything was sent ({report.server_error or 'refused'}); see notifications.json")
    for name in (SUMMARY_FILE, INBOX_SUMMARY_FILE):
        summary_path = artifacts / name
        summary = read_json_object(summary_path)
        if summary:
            summary["notifications"] = section
            write_json_atomically(summary_path, summary)
            break


def _counts(messages: list[Message]) -> dict[str, Any]:
    return {
        "sent": sum(1 for m in messages if m.state == "sent"),
        "merged": sum(1 for m in messages if m.state == MERGED),
        "unsent": sum(1 for m in messages if m.state == PENDING),
        "given_up": sum(1 for m in messages if m.state == "given_up"),
        "recipients": sorted({m.recipient_id for m in messages}),
    }
