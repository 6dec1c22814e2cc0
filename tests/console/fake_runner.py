"""A quick stand-in for ``python -m splitpayout.runner`` in the console's Flask tests.

The console starts it exactly as it starts the robot (``python -m tests.console.fake_runner
<task>`` with the same environment). It writes ``run.json`` as the runner does, then, for
``split_payouts``, copies the artifacts of a real dry run (``FAKE_RUN_TEMPLATE``), with the
source file's name and SHA-256, the mode (``DRY_RUN``) and the starter put right; a real run
turns every planned decision into paid. Controls, from the environment:

- ``FAKE_RUN_HOLD=1``: wait (at most a minute) until a file ``release`` appears in the run folder;
- ``FAKE_RUN_FILE_ERROR=<code>``: end as a run whose file could not be read (exit status 1);
- ``FAKE_RUN_EXIT=<n>``: end with exit status n;
- ``FAKE_RUN_LEDGER=1``: a real run records what it registered in the robot's ledger
  (``$STATE_DIR/ledger.sqlite3``, made by ``splitpayout.adapters.ledger.Ledger``), as the robot does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _write_json(path: Path, document: dict[str, Any]) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)


def _as_real(event: dict[str, Any]) -> dict[str, Any]:
    if event.get("mode") == "dry_run":
        event["mode"] = "real"
    if event.get("outcome") == "planned":
        event["outcome"] = "paid"
        for payment in event.get("payments") or ():
            payment["status"] = "registered"
            payment["payment_number"] = "U-100001"
    return event


def _copy_run(template: Path, artifacts: Path, decisions_file: Path, dry_run: bool, started_by: str) -> int:
    for name in ("log.html", "report.html", "output.xml", "manuell-hantering.xlsx"):
        if (template / name).is_file():
            shutil.copyfile(template / name, artifacts / name)
    summary = json.loads((template / "summary.json").read_text(encoding="utf-8"))
    summary["started_by"] = started_by
    summary["source"] = {
        "file_name": decisions_file.name,
        "sha256": hashlib.sha256(decisions_file.read_bytes()).hexdigest(),
    }
    if not dry_run:
        summary["mode"] = "real"
        totals = summary["totals"]
        totals["outcomes"]["paid"] += totals["outcomes"]["planned"]
        totals["outcomes"]["planned"] = 0
        totals["amounts_ore"]["registered"] += totals["amounts_ore"]["planned"]
        totals["amounts_ore"]["planned"] = 0
        summary["decisions"] = [_as_real(decision) for decision in summary["decisions"]]
    lines = []
    for line in (template / "run.jsonl").read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        lines.append(json.dumps(event if dry_run else _as_real(event), ensure_ascii=False))
    (artifacts / "run.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _write_json(artifacts / "summary.json", summary)
    return 1 if summary["totals"]["outcomes"].get("failed") else 0


def _record_in_ledger(state_dir: Path, summary: dict[str, Any]) -> None:
    """Every registered payment of a real run's summary, as the robot's ledger holds it."""
    from splitpayout.adapters.ledger import Ledger
    from splitpayout.config.names import LEDGER_FILE

    path = state_dir / LEDGER_FILE
    Ledger(path).close()  # the ledger's own schema
    with sqlite3.connect(path) as conn:
        for decision in summary.get("decisions") or ():
            for payment in decision.get("payments") or ():
                if payment.get("status") == "registered":
                    conn.execute(
                        "INSERT OR REPLACE INTO payments (reference, decision_id, fingerprint, "
                        "amount_ore, state, payment_number, run_id, updated_at) "
                        "VALUES (?, ?, '', ?, 'registered', ?, ?, ?)",
                        (
                            payment["reference"],
                            decision["decision_id"],
                            payment["amount_ore"],
                            payment.get("payment_number"),
                            summary.get("run_id"),
                            _now(),
                        ),
                    )


def _file_error(artifacts: Path, decisions_file: Path, code: str, dry_run: bool) -> int:
    summary = {
        "run_id": artifacts.name,
        "mode": "dry_run" if dry_run else "real",
        "status": "file_error",
        "source": {
            "file_name": decisions_file.name,
            "sha256": hashlib.sha256(decisions_file.read_bytes()).hexdigest(),
        },
        "error": {
            "code": code,
            "message": f"The export file {decisions_file.name} lacks required columns.",
            "columns": ["Utbetalningsdatum", "Delad utbetalning"],
        },
        "totals": {"decisions": 0, "outcomes": {}, "amounts_ore": {}, "payments": {}},
        "decisions": [],
    }
    _write_json(artifacts / "summary.json", summary)
    (artifacts / "log.html").write_text("<html><title>log</title></html>", encoding="utf-8")
    return 1


def run(task: str, artifacts: Path, env: Mapping[str, str]) -> int:
    """Do what the runner does for ``task`` in ``artifacts`` (see the module's docstring)."""
    artifacts.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "task": task,
        "started_by": env.get("RUN_STARTED_BY", "schedule"),
        "pid": os.getpid(),
        "started_at": _now(),
        "finished_at": None,
        "exit_status": None,
    }
    _write_json(artifacts / "run.json", record)
    if env.get("FAKE_RUN_HOLD"):
        deadline = time.monotonic() + 60
        while not (artifacts / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    status = 0
    dry_run = env.get("DRY_RUN", "false") == "true"
    if task == "split_payouts":
        decisions_file = Path(env["DECISIONS_FILE"])
        error = env.get("FAKE_RUN_FILE_ERROR")
        if error:
            status = _file_error(artifacts, decisions_file, error, dry_run)
        else:
            template = Path(env["FAKE_RUN_TEMPLATE"])
            status = _copy_run(template, artifacts, decisions_file, dry_run, record["started_by"])
            if not dry_run and env.get("FAKE_RUN_LEDGER") and env.get("STATE_DIR"):
                summary = json.loads((artifacts / "summary.json").read_text(encoding="utf-8"))
                _record_in_ledger(Path(env["STATE_DIR"]), summary)
    elif task == "reconcile":
        _write_json(artifacts / "reconciliation.json", _reconciliation(env))
        (artifacts / "report.html").write_text("<html><title>report</title></html>", encoding="utf-8")
    status = int(env.get("FAKE_RUN_EXIT", status))
    record.update(finished_at=_now(), exit_status=status)
    _write_json(artifacts / "run.json", record)
    return status


def _reconciliation(env: Mapping[str, str]) -> dict[str, Any]:
    """A report with no findings over the exports named by DECISIONS_FILE (what the console shows)."""
    source = Path(env.get("DECISIONS_FILE", ""))
    files = sorted(source.rglob("*.xlsx")) if source.is_dir() else [source]
    zero = {"payments": 0, "amount_ore": 0}
    return {
        "status": "reconciled",
        "period": {
            "from": env.get("RECONCILE_FROM", "2026-11-01"),
            "to": env.get("RECONCILE_TO", "2026-11-30"),
        },
        "sources": {
            "decisions": [{"file_name": f.name, "rows": 6, "same_content_as_earlier": False} for f in files]
        },
        "totals": {"held": zero, "planned": zero, "matched": zero},
        "finding_counts": {"registered_without_decision": 0},
        "error": None,
    }


def main(argv: list[str]) -> int:
    return run(argv[0] if argv else "split_payouts", Path(os.environ["ROBOT_ARTIFACTS"]), os.environ)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
