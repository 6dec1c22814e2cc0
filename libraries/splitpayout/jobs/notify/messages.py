"""The messages, in Swedish, composed from a run's results: never a name, identity number,
account number or amount.

A case worker's message lists their decision numbers with the reason and what to do (the
reason table's texts, splitpayout.domain.reasons, the same as in the workbook). Decisions with
protected identity are counted, never named. A decision number or field name that is not plain letters,
digits and ``-_.`` (an export cell nobody expected) is not quoted: its row is named instead.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from splitpayout.adapters.reports import MANUAL_WORKBOOK_FILE
from splitpayout.domain.models import DecisionPlan, DecisionResult, Outcome, PaymentStatus
from splitpayout.domain.reasons import ReasonCode, reason_text
from splitpayout.domain.stops import RunStop

SAFE_DECISION_ID = re.compile(r"[0-9A-Za-zÅÄÖåäöÉéÜü._-]{1,37}")
SAFE_FIELD = re.compile(r"[0-9A-Za-zÅÄÖåäö ._-]{1,60}")
FALLBACK_KEY = "ingen-handlaggare"
MAX_LISTED = 200  # decision numbers per reason in one message; the workbook has them all
_REGISTERED = (PaymentStatus.REGISTERED, PaymentStatus.ALREADY_REGISTERED)
FOOTER = (
    "Meddelandet är skickat automatiskt av roboten för delad utbetalning. E-post är ingen säker kanal:"
    " meddelandet innehåller därför inga namn, personnummer, kontonummer eller belopp."
)

# What operators read about a run that did not end well (run status or error code -> text).
OPERATOR_TEXT: Mapping[str, str] = {
    "stopped": "Körningen stoppades: utbetalningssystemet gick inte att nå eller inloggningen nekades.",
    "file_error": "Körningen kunde inte läsa exportfilen; inget registrerades.",
    "export_too_large": "Exportfilen är för stor och togs inte emot; inget registrerades.",
    "incomplete": "Resultat saknas för några beslut (arbetsobjekt som inte rapporterats).",
    "failed": "Beslut fick tekniskt fel och slutfördes inte; kör roboten igen.",
    "crashed": "Körningen avslutades utan resultat (avbruten eller fel i roboten).",
    "reconcile": "Avstämningen hittade avvikelser eller kunde inte göras; se reconciliation.json.",
    "retention": "Gallringen kunde inte ta bort allt som skulle bort; se retention.json.",
    "inbox_error": "Inkorgen kunde inte behandlas; se inbox-summary.json.",
    "inbox_needs_attention": "Inkorgen har filer som inte kördes eftersom samma innehåll redan har"
    " behandlats; se inbox-summary.json och anteckningarna i mappen för avvisade filer.",
}


@dataclass(frozen=True)
class Draft:
    """A message before it goes to the outbox: who (an id the console may show), subject, text."""

    recipient_id: str  # a Handläggare id, FALLBACK_KEY or "operators"
    subject: str
    body: str
    decisions: int = 0


def _one_line(text: str, limit: int = 300) -> str:
    """Text on one line (no control characters), at most ``limit`` characters."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())[:limit]


def _decision_label(plan: DecisionPlan) -> str:
    if SAFE_DECISION_ID.fullmatch(plan.decision_id):
        return plan.decision_id
    rows = ", ".join(str(n) for n in plan.row_numbers)
    return f"(beslutet på rad {rows} i exporten)"


def group_by_case_worker(
    items: Iterable[tuple[DecisionPlan, DecisionResult]],
    valid_ids: set[str] | None = None,
    protected_owners: Mapping[str, str] | None = None,
) -> dict[str, list[tuple[DecisionPlan, DecisionResult]]]:
    """Decisions needing manual handling per Handläggare id; those without one (or with an id that
    cannot make an address: not in ``valid_ids`` when given) under FALLBACK_KEY. A protected
    decision's plan has no Handläggare: ``protected_owners`` (decision id -> id) gives it."""
    owners = protected_owners or {}
    groups: dict[str, list[tuple[DecisionPlan, DecisionResult]]] = defaultdict(list)
    spelling: dict[str, str] = {}  # 'HL01' and 'hl01' are one case worker: the first spelling names them
    for plan, result in items:
        if result.outcome is not Outcome.MANUAL:
            continue
        owner = owners.get(plan.decision_id) if plan.protected else plan.case_worker
        key = owner or FALLBACK_KEY
        if valid_ids is not None and key not in valid_ids:
            key = FALLBACK_KEY
        key = spelling.setdefault(key.casefold(), key) if key != FALLBACK_KEY else key
        groups[key].append((plan, result))
    return dict(groups)


def case_worker_message(
    recipient_id: str,
    items: list[tuple[DecisionPlan, DecisionResult]],
    *,
    run_id: str,
    console_url: str,
) -> Draft:
    """One message for one Handläggare (or the fallback) about one run."""
    protected = sum(1 for plan, _ in items if plan.protected)
    by_reason: dict[ReasonCode, list[str]] = defaultdict(list)
    for plan, result in items:
        if plan.protected:
            continue
        held = any(p.status in _REGISTERED for p in result.payments)
        for reason in result.reasons:
            label = _decision_label(plan) + (" (delvis registrerat, se arbetsboken)" if held else "")
            fields = [name for name in reason.fields if SAFE_FIELD.fullmatch(name)]
            by_reason[reason.code].append(label + (f" (fält: {', '.join(fields)})" if fields else ""))
    total = len(items)
    whose = "dina beslut" if recipient_id != FALLBACK_KEY else "beslut utan angiven handläggare"
    lines = [
        "Hej!",
        "",
        f"Roboten för delad utbetalning har gjort körningen {run_id}. {total} av {whose}"
        f" kunde inte betalas ut automatiskt och behöver hanteras manuellt.",
    ]
    for code, labels in by_reason.items():
        text = reason_text(code)
        lines += ["", f"{text.label} ({len(labels)} beslut):"]
        lines += [f"  - {label}" for label in labels[:MAX_LISTED]]
        if len(labels) > MAX_LISTED:
            lines.append(f"  ... och {len(labels) - MAX_LISTED} till: se arbetsboken")
        lines.append(f"Vad du behöver göra: {text.todo}")
    if protected:
        todo = reason_text(ReasonCode.PROTECTED_IDENTITY).todo
        lines += [
            "",
            f"{protected} beslut med skyddade personuppgifter behöver hanteras manuellt. De nämns inte i"
            f" e-post. Vad du behöver göra: {todo}",
        ]
    lines += ["", f"Alla uppgifter finns i arbetsboken {MANUAL_WORKBOOK_FILE} för körningen {run_id}."]
    if console_url:
        lines.append(f"Öppna konsolen: {console_url}/")
    lines += ["", FOOTER]
    subject = f"Delad utbetalning: {total} beslut behöver manuell hantering (körning {run_id})"
    return Draft(recipient_id, subject, "\n".join(lines) + "\n", decisions=total)


def operator_message(
    *,
    run_id: str,
    task: str,
    what: str,
    exit_status: int | None,
    outcomes: Mapping[str, int],
    log_location: str,
    run_url: str,
    stop: RunStop | None = None,
) -> Draft:
    """The operators' message about a run that failed, stopped or could not read its file.
    A run that stopped says why in its stop's own sentence, with the technical detail."""
    happened = (
        stop.sentence
        if stop is not None
        else OPERATOR_TEXT.get(what, f"Körningen slutade med felkoden {what}.")
    )
    lines = [
        f"Körningen {run_id} (uppgift {task}) behöver tillsyn.",
        "",
        happened,
        f"Slutstatus: {exit_status if exit_status is not None else 'okänd'}; orsak: {what}.",
    ]
    if stop is not None:
        lines.append(f"Teknisk detalj ({stop.code.value}): {_one_line(stop.detail)}")
    counted = ", ".join(f"{name} {count}" for name, count in outcomes.items() if count)
    if counted:
        lines.append(f"Beslut per utfall: {counted}.")
    lines += ["", f"Loggar (log.html, summary.json, run.jsonl): {log_location}"]
    if run_url:
        lines.append(f"Körningen i konsolen: {run_url}")
    lines += ["", FOOTER]
    subject = f"Delad utbetalning: körningen {run_id} behöver tillsyn ({what})"
    return Draft("operators", subject, "\n".join(lines) + "\n")
