"""A run's state in Swedish, with the reason when it did not simply finish (history, run page, CSV).

"Klar" means every decision was registered or already was; "Klar med avvikelser" that some need a
case worker (or a reconciliation found discrepancies); "Misslyckad" and "Stoppad" say why, from the
run's own records: the file error, the stop's sentence (``splitpayout.domain.stops``), the technical
failures, or a reconciliation that could not be made. No personal data is read.
"""

from __future__ import annotations

from splitpayout.domain.stops import RunStop
from splitpayout.jobs.retention import RETENTION_FILE

from console.display import FILE_ERROR_LABELS, STATE_LABELS, TASK_LABELS
from console.history import FAILED, INTERRUPTED, OK, RUNNING, RunView, read_summary
from webcommon.files import read_json_object

RECONCILE_REPORT = "reconciliation.json"


def _reconcile_text(view: RunView) -> str | None:
    status = read_json_object(view.run_dir / RECONCILE_REPORT).get("status")
    if status == "reconciled":
        return STATE_LABELS[OK]
    if status == "discrepancies":
        return "Klar med avvikelser: avstämningen hittade avvikelser"
    if status in ("input_error", "incomplete"):
        return "Misslyckad: avstämningen kunde inte göras"
    return None


def _failure_reason(view: RunView) -> str:
    record = view.record
    if record.error_code:
        return FILE_ERROR_LABELS.get(record.error_code, "filen kunde inte läsas")
    failed = int(record.outcomes.get("failed", 0) or 0)
    if failed:
        return f"{failed} beslut fick tekniskt fel (kör igen)"
    if view.kind == "retention":
        return "gallringen kunde inte slutföras"
    return "körningen slutade med ett fel (se log.html)"


def state_text(view: RunView) -> str:
    """The run's state as the operators read it, with why when it is not plainly done."""
    if view.state == RUNNING:
        return STATE_LABELS[RUNNING]
    if view.state == INTERRUPTED:
        return "Avbruten: körningen slutade innan den var klar (kör igen)"
    if view.kind == "reconcile":
        text = _reconcile_text(view)
        if text is not None:
            return text
    if view.record.status == "stopped":
        stop = RunStop.from_dict(read_summary(view.run_dir).get("stop"))
        return "Stoppad: " + (stop.sentence if stop is not None else "utbetalningssystemet svarade inte")
    if view.state == FAILED:
        return f"{STATE_LABELS[FAILED]}: {_failure_reason(view)}"
    if view.kind != "preview" and int(view.record.outcomes.get("manual", 0) or 0):
        return "Klar med avvikelser: beslut kräver manuell hantering"
    return STATE_LABELS[OK]


TRIAL_RETENTION = "Gallring (provkörning: inget togs bort)"


def kind_text(view: RunView) -> str:
    """What kind of run it is, in Swedish; a retention dry run is told apart from a real one."""
    if view.kind == "retention" and read_json_object(view.run_dir / RETENTION_FILE).get("dry_run") is True:
        return TRIAL_RETENTION
    return TASK_LABELS.get(view.kind, view.kind)
