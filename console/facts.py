"""Facts the pages compute from a run's ``summary.json`` (no personal data): what a preview will
register, per payout date and per method, and where one decision number was handled."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from splitpayout.adapters.runs import SUMMARY_FILE, parse_date
from splitpayout.jobs.registration.matching import reference_key

from console.history import RunView, read_summary
from swedish_rules import is_bank_day

MAX_DECISION_ID = 64
MAX_RUNS_SEARCHED = 2000  # the newest runs a look-up reads


@dataclass
class DateLine:
    """Payments of one payout date; ``moved_from`` are the export's dates that were not bank days."""

    day: dt.date
    payments: int = 0
    amount_ore: int = 0
    moved_from: set[dt.date] = field(default_factory=set)


@dataclass
class MethodLine:
    method: str
    payments: int = 0
    amount_ore: int = 0


@dataclass
class PreviewFacts:
    """What a preview says the real run will register (what is already registered left out)."""

    dates: list[DateLine]
    methods: list[MethodLine]
    payments: int
    amount_ore: int
    decisions: int
    limit_ore: int | None
    already_decisions: int = 0  # every payment already registered by an earlier run
    already_payments: int = 0
    already_amount_ore: int = 0
    conflicts: int = 0  # decisions with a reference registered with another amount: manual handling


# The robot's ledger as the preview needs it: reference_key -> amount in öre, of every reference a
# run registered (no personal data).
Registered = dict[str, int]


def registered_references(ledger_path: Path) -> Registered:
    """Every reference the robot's ledger says is registered, read-only ({} without a ledger)."""
    if not ledger_path.is_file():
        return {}
    try:
        conn = sqlite3.connect(f"{ledger_path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return {}
    try:
        query = "SELECT reference, amount_ore FROM payments WHERE state = 'registered'"
        rows = conn.execute(query).fetchall()
    except sqlite3.Error:
        return {}
    finally:
        conn.close()
    return {reference_key(str(reference)): int(amount) for reference, amount in rows}


def _split_registered(
    payments: list[dict[str, Any]], registered: Registered
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], bool]:
    """(still to enter, already registered with this amount, a reference registered otherwise)."""
    left: list[dict[str, Any]] = []
    done: list[dict[str, Any]] = []
    conflict = False
    for payment in payments:
        amount = registered.get(reference_key(str(payment.get("reference") or "")))
        if amount is None:
            left.append(payment)
        elif amount == int(payment.get("amount_ore") or 0):
            done.append(payment)
        else:
            conflict = True
    return left, done, conflict


def _to_register(decision: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """The payments of a decision that a real run would still enter."""
    if decision.get("outcome") not in ("planned", "failed"):
        return ()
    return [
        p for p in decision.get("payments") or () if p.get("status") in ("planned", "failed", "not_entered")
    ]


def preview_facts(summary: dict[str, Any], registered: Registered | None = None) -> PreviewFacts:
    """Per payout date (moves to a bank day marked) and per method: payments and amounts to register.

    ``registered`` (the robot's ledger) takes out what an earlier run already registered: such
    payments are counted apart, and a decision with a reference registered with another amount
    goes to manual handling in a real run (``conflict_existing_payment``), so it registers nothing.
    """
    facts = PreviewFacts([], [], 0, 0, 0, None)
    dates: dict[dt.date, DateLine] = {}
    methods: dict[str, MethodLine] = {}
    for decision in summary.get("decisions") or ():
        chosen, done, conflict = _split_registered(list(_to_register(decision)), registered or {})
        if conflict:
            facts.conflicts += 1
            continue
        facts.already_payments += len(done)
        facts.already_amount_ore += sum(int(p.get("amount_ore") or 0) for p in done)
        if done and not chosen:
            facts.already_decisions += 1
        if not chosen:
            continue
        facts.decisions += 1
        requested = parse_date(decision.get("requested_payout_date"))
        for payment in chosen:
            day = parse_date(payment.get("payout_date"))
            ore = int(payment.get("amount_ore") or 0)
            facts.payments += 1
            facts.amount_ore += ore
            if day is not None:
                line = dates.setdefault(day, DateLine(day))
                line.payments += 1
                line.amount_ore += ore
                if requested is not None and requested != day:
                    line.moved_from.add(requested)
            method = str(payment.get("method") or "")
            by_method = methods.setdefault(method, MethodLine(method))
            by_method.payments += 1
            by_method.amount_ore += ore
    order = {"KONTO": 0, "AVI": 1, "BANKGIRO": 2}
    limit = summary.get("amount_limit_ore")
    facts.dates = [dates[day] for day in sorted(dates)]
    facts.methods = sorted(methods.values(), key=lambda line: order.get(line.method, 9))
    facts.limit_ore = limit if isinstance(limit, int) else None
    return facts


# The robot's events (run.jsonl) that say the payout system did not answer and the robot will try
# again, and those that say it answers again.
TROUBLE_EVENTS = frozenset({"attempt_failed", "log_in_failed", "second_pass"})
ANSWERING_EVENTS = frozenset(
    {"logged_in", "decision", "registration_finished", "run_finished", "run_stopped"}
)
TAIL_BYTES = 64 * 1024


def waiting_for_payout_system(run_dir: Path) -> bool:
    """Whether the robot's latest word is that the payout system did not answer (it waits and tries
    again): read from the end of run.jsonl, which a run writes as it goes."""
    try:
        with (run_dir / "run.jsonl").open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - TAIL_BYTES))
            lines = handle.read().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return False
    for line in reversed(lines):
        try:
            event = json.loads(line).get("event")
        except (ValueError, AttributeError):
            continue
        if event in TROUBLE_EVENTS:
            return True
        if event in ANSWERING_EVENTS:
            return False
    return False


def handled_decisions(outcomes: dict[str, int]) -> int:
    """Decisions a finished run is done with: registered, already registered or for a case worker
    (not those with a technical failure, nor those a stopped run never reached)."""
    return sum(int(outcomes.get(name, 0) or 0) for name in ("paid", "already_paid", "manual"))


def why_moved(day: dt.date) -> str:
    """Why a requested payout date is not a bank day, in Swedish."""
    if day.weekday() >= 5:
        return "lördag" if day.weekday() == 5 else "söndag"
    return "helgdag" if not is_bank_day(day) else ""


@dataclass(frozen=True)
class Hit:
    """One run that handled a decision: its outcome, reasons and payments (no personal data)."""

    run: RunView
    decision_id: str
    outcome: str
    reasons: list[str]
    payments: list[dict[str, Any]]
    handlaggare: str | None


def clean_decision_id(text: str | None) -> str:
    """A searched decision number: trimmed, bounded; '' when there is nothing to look for."""
    return (text or "").strip()[:MAX_DECISION_ID]


def _mentions(run_dir: Path, wanted: str) -> bool:
    """Whether summary.json holds the text at all (a cheap test before parsing a large file)."""
    try:
        text = (run_dir / SUMMARY_FILE).read_text(encoding="utf-8")
    except OSError:
        return False
    return wanted in text.casefold()


def find_decision(runs: Iterable[RunView], decision_id: str, limit: int = MAX_RUNS_SEARCHED) -> list[Hit]:
    """Every run (newest first, as given; at most ``limit`` read) whose summary.json holds
    ``decision_id`` (any letter case)."""
    wanted = decision_id.casefold()
    hits: list[Hit] = []
    for view in itertools.islice(runs, limit):
        if not _mentions(view.run_dir, wanted):
            continue
        for decision in read_summary(view.run_dir).get("decisions") or ():
            found = str(decision.get("decision_id", ""))
            if found.casefold() != wanted:
                continue
            hits.append(
                Hit(
                    run=view,
                    decision_id=found,
                    outcome=str(decision.get("outcome", "")),
                    reasons=[str(r.get("code", "")) for r in decision.get("reasons") or ()],
                    payments=list(decision.get("payments") or ()),
                    handlaggare=decision.get("handlaggare"),
                )
            )
    return hits


def manual_by_worker(summary: dict[str, Any]) -> list[tuple[str, int]]:
    """How many decisions need manual handling (or failed) per handläggare id ('' for none), by id."""
    counts: Counter[str] = Counter()
    for decision in summary.get("decisions") or ():
        if decision.get("outcome") in ("manual", "failed"):
            counts[str(decision.get("handlaggare") or "")] += 1
    return sorted(counts.items(), key=lambda item: (item[0] == "", item[0].casefold()))


def reason_counts(summary: dict[str, Any]) -> list[tuple[str, int]]:
    """How many decisions name each reason code, by code."""
    reasons: Counter[str] = Counter()
    for decision in summary.get("decisions") or ():
        for reason in decision.get("reasons") or ():
            reasons[str(reason.get("code", ""))] += 1
    return sorted(reasons.items())
