"""The decisions of a period: every export read and planned as the robot plans it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from splitpayout.adapters.files import file_sha256
from splitpayout.adapters.narration import Say
from splitpayout.domain.errors import ExportFileError
from splitpayout.domain.models import DecisionPlan, PlannedPayment
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.domain.references import decision_key
from splitpayout.jobs.export_plan import plan_export
from splitpayout.jobs.reconcile.errors import ReconcileInputError
from splitpayout.jobs.registration.matching import reference_key


@dataclass(frozen=True)
class ExportSource:
    """One export read for the reconciliation (no personal data)."""

    file_name: str  # the path inside DECISIONS_FILE when that is a folder
    sha256: str
    rows: int
    modified_at: str
    same_content_as_earlier: bool = False  # read once already (another copy of the same export)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "sha256": self.sha256,
            "rows": self.rows,
            "modified_at": self.modified_at,
            "same_content_as_earlier": self.same_content_as_earlier,
        }


@dataclass
class Decisions:
    """The decisions of every export read, by decision number (``references.decision_key``)."""

    planning_date: dt.date
    sources: list[ExportSource] = field(default_factory=list)
    plans: dict[str, DecisionPlan] = field(default_factory=dict)
    superseded: int = 0  # decision numbers found in more than one export with other content


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith((".", "~$")) for part in path.relative_to(root).parts)


def export_files(path: Path | None) -> list[tuple[Path, str]]:
    """The export itself, or every ``*.xlsx`` in the folder and its subfolders (the console keeps an
    upload per folder, the inbox archive a folder per run), oldest modification first, each with
    the name the reports give it (its path inside the folder)."""
    if path is None:
        raise ReconcileInputError(
            "decisions", "DECISIONS_FILE is not set: name the export, or the folder of exports, of the period"
        )
    if path.is_file():
        return [(path, path.name)]
    if path.is_dir():
        files = [
            item
            for item in path.rglob("*")
            if item.suffix.lower() == ".xlsx" and item.is_file() and not _hidden(item, path)
        ]
        if not files:
            raise ReconcileInputError("decisions", f"the folder {path.name!r} holds no .xlsx export")
        ordered = sorted(files, key=lambda item: (item.stat().st_mtime, item.relative_to(path).as_posix()))
        return [(item, item.relative_to(path).as_posix()) for item in ordered]
    raise ReconcileInputError("decisions", f"the export or folder {path.name!r} does not exist")


def _payment_identity(payment: PlannedPayment) -> tuple[object, ...]:
    return (
        reference_key(payment.reference),
        payment.method,
        payment.personnummer,
        payment.clearing,
        payment.account,
        payment.bankgiro,
        payment.ocr,
        payment.amount_ore,
        payment.payout_date,
    )


def _same_plan(one: DecisionPlan, other: DecisionPlan) -> bool:
    return (
        one.outcome is other.outcome
        and one.protected == other.protected
        and [_payment_identity(p) for p in one.payments] == [_payment_identity(p) for p in other.payments]
    )


def read_decisions(path: Path | None, rules: PlanningRules, *, say: Say | None = None) -> Decisions:
    """Plan every decision of the export(s) as a run would, by the same ``rules`` (on their date).

    A file whose content (SHA-256) was already read is listed but not planned again. Raises
    ReconcileInputError when a file cannot be read (naming the file and what is wrong).
    """
    decisions = Decisions(planning_date=rules.today)
    read: set[str] = set()
    for file, name in export_files(path):
        try:
            sha256 = file_sha256(file)
            modified = dt.datetime.fromtimestamp(file.stat().st_mtime, dt.UTC).isoformat(timespec="seconds")
            if sha256 in read:
                decisions.sources.append(
                    ExportSource(name, sha256, 0, modified, same_content_as_earlier=True)
                )
                continue
            plans = list(plan_export(file, rules))
        except ExportFileError as error:
            raise ReconcileInputError("decisions", f"the export {name!r} cannot be read: {error}") from None
        except OSError as error:
            raise ReconcileInputError(
                "decisions", f"the export {name!r} cannot be read ({type(error).__name__})"
            ) from None
        read.add(sha256)
        decisions.sources.append(ExportSource(name, sha256, len(plans), modified))
        seen_here: set[str] = set()
        for plan in plans:
            if not plan.decision_id:
                continue  # a row without a decision number: nothing can be matched with it
            key = decision_key(plan.decision_id)
            earlier = decisions.plans.get(key)
            if earlier is not None and key not in seen_here and not _same_plan(earlier, plan):
                decisions.superseded += 1
            decisions.plans[key] = plan
            seen_here.add(key)
        if say is not None:
            say(f"Export {name} (SHA-256 {sha256[:12]}…): {len(plans)} rows")
    return decisions
