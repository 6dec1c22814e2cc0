"""The reconciliation's reports: reconciliation.json and the finance workbook avstamning.xlsx (Swedish)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from splitpayout.adapters.ledger import EntryState
from splitpayout.adapters.reports import LOCAL_ZONE, field_label, write_json_atomically
from splitpayout.adapters.workbook import DATE, INTEGER, KRONOR, BoldRow, Column, Sheet, local_time_text
from splitpayout.adapters.workbook import write_workbook as write_workbook_file
from splitpayout.domain.localtime import run_stamp
from splitpayout.jobs.reconcile.errors import ReconcileInputError
from splitpayout.jobs.reconcile.findings import Finding, FindingCode, Reconciliation

REPORT_FILE = "reconciliation.json"
WORKBOOK_FILE = "avstamning.xlsx"


# For finance, in Swedish: what the code means, and what to do about it. "Stoppa utbetalningen"
# is advised only where neither a run of the robot nor a decision explains the payment.
FINDING_TEXT: dict[FindingCode, tuple[str, str]] = {
    FindingCode.REGISTERED_WITHOUT_DECISION: (
        "Utbetalning utan beslut",
        "Ingen körning av roboten och inget beslut i de jämförda exporterna förklarar utbetalningen. "
        "Ta fram beslutet bakom den. Finns beslutet i en export som inte kom med: gör om avstämningen "
        "med den exporten. Saknas beslut: stoppa utbetalningen (eller kräv tillbaka den om den redan "
        "gått iväg) och anmäl avvikelsen.",
    ),
    FindingCode.REGISTERED_FOR_MANUAL_DECISION: (
        "Registrerad fast beslutet gick till manuell hantering",
        "Kontrollera att en handläggare har hanterat beslutet och registrerat utbetalningen med rätt "
        "belopp och mottagare. Avviker den från beslutet: rätta den enligt rutinen för felaktiga "
        "utbetalningar.",
    ),
    FindingCode.NOT_FULLY_REGISTERED: (
        "Beslutet är inte fullt registrerat",
        "Kör roboten igen på exporten: den registrerar det som saknas och aldrig något två gånger. "
        "Gick beslutet till manuell hantering: se till att handläggaren registrerar det som saknas.",
    ),
    FindingCode.AMOUNT_DIFFERS: (
        "Annat belopp än i beslutet",
        "Jämför utbetalningen med beslutet och rätta den i utbetalningssystemet innan den går iväg; "
        "är den redan utbetald: hantera felutbetalningen enligt rutinen.",
    ),
    FindingCode.RECIPIENT_DIFFERS: (
        "Annan mottagare eller annat konto än i beslutet",
        "Jämför mottagare, betalningssätt och konto med beslutet och rätta utbetalningen i "
        "utbetalningssystemet innan den går iväg; är den redan utbetald: hantera felutbetalningen "
        "enligt rutinen.",
    ),
    FindingCode.PAYOUT_DATE_DIFFERS: (
        "Annan utbetalningsdag än i beslutet",
        "Kontrollera om utbetalningsdagen ändrades avsiktligt; rätta den annars i utbetalningssystemet.",
    ),
    FindingCode.DUPLICATE_REFERENCE: (
        "Samma referens är registrerad flera gånger",
        "Risk för dubbel utbetalning: behåll en av utbetalningarna och makulera de övriga innan de går "
        "iväg; är de redan utbetalda: kräv tillbaka det som betalats för mycket.",
    ),
    FindingCode.LEDGER_DISAGREES: (
        "Robotens logg stämmer inte med utbetalningssystemet",
        "Meddela driften (IT): roboten har noterat ett utbetalningsnummer som utbetalningssystemet inte "
        "har för referensen. Kontrollera utbetalningen i utbetalningssystemet.",
    ),
}

# What to do when the robot's ledger says a run registered the payment (the finding's
# ``registered_by_robot``): the decision behind it existed when that run was made.
ROBOT_ADVICE: dict[FindingCode, str] = {
    FindingCode.REGISTERED_FOR_MANUAL_DECISION: (
        "Roboten registrerade utbetalningen i en tidigare körning, enligt beslutet som gällde då. I den "
        "senare exporten går beslutet till manuell hantering (till exempel ett ändrat beslut). "
        "Jämför de två versionerna av beslutet med handläggaren; är utbetalningen fel: rätta den enligt "
        "rutinen för felaktiga utbetalningar."
    ),
}

LEFT_OUT_TEXT = "Registrerat av roboten för beslut i exporter som inte ingick (inga avvikelser)"


def advice(finding: Finding) -> str:
    """What to do about one finding, in Swedish (it depends on whether a run registered it)."""
    if finding.registered_by_robot and finding.code in ROBOT_ADVICE:
        return ROBOT_ADVICE[finding.code]
    return FINDING_TEXT[finding.code][1]


def field_text(name: str) -> str:
    """A field a recipient comparison names (never its value), in Swedish, as in a sentence."""
    label = field_label(name)
    return label if label.isupper() or "-" in label else label.lower()


SOURCE_TEXT = {"payout_system": "utbetalningssystemet", "ledger": "robotens logg"}

LEDGER_STATE_TEXT = {
    EntryState.CLAIMED: "påbörjad",
    EntryState.SUBMITTING: "skickad, utfall okänt",
    EntryState.REGISTERED: "registrerad",
    EntryState.FAILED: "tekniskt fel",
    EntryState.REJECTED: "avvisad av utbetalningssystemet",
    EntryState.CONFLICT: "konflikt med befintlig utbetalning",
    EntryState.STORED_DIFFERENTLY: "sparad annorlunda än angiven",
}


def _kronor(ore: int | None) -> Decimal | None:
    return None if ore is None else Decimal(ore) / 100


SUMMARY_ROWS = (
    ("held", "Registrerat i utbetalningssystemet"),
    ("planned", "Planerat enligt besluten"),
    ("matched", "Stämmer med besluten"),
)

FINDING_COLUMNS = (
    Column("Avvikelse", 36),
    Column("Referens", 20),
    Column("Beslutsnummer", 17),
    Column("Utbetalningsnummer", 16),
    Column("Planerat belopp", 15, KRONOR),
    Column("Registrerat belopp", 15, KRONOR),
    Column("Planerad utbetalningsdag", 13, DATE),
    Column("Registrerad utbetalningsdag", 13, DATE),
    Column("Avvikande uppgifter", 20),
    Column("Källa", 18),
    Column("Robotens logg", 18),
    Column("Vad ska göras", 60),
    Column("Kod", 26),
)
SUMMARY_COLUMNS = (Column("", 52), Column("", 40, INTEGER), Column("", 40, KRONOR), Column("", 12, INTEGER))


def _created_text(iso: str) -> str:
    return local_time_text(dt.datetime.fromisoformat(iso), LOCAL_ZONE)


def _summary_rows(document: dict[str, Any], result: Reconciliation) -> Iterator[tuple[object, ...]]:
    period = result.period
    count = len(result.findings)
    yield ("Period (utbetalningsdagar)", f"{period.first.isoformat()} – {period.last.isoformat()}")
    yield (
        "Resultat",
        "Inga avvikelser"
        if count == 0
        else f"{count} {'avvikelse' if count == 1 else 'avvikelser'}, se fliken Avvikelser",
    )
    yield ("Avstämning", document["reconciliation_id"])
    yield ("Skapad", _created_text(document["created_at"]))
    yield ("Besluten planerade per", document["planning_date"])
    yield ()
    yield BoldRow(("Underlag", "Fil", "SHA-256", "Rader"))
    for source in document["sources"]["decisions"]:
        rows = "samma innehåll som en tidigare fil" if source["same_content_as_earlier"] else source["rows"]
        yield ("Beslutsexport", source["file_name"], source["sha256"], rows)
    ledger = document["sources"]["ledger"]
    yield ("Robotens logg", ledger["file_name"], "", ledger["entries"])
    yield ("Utbetalningssystemet", document["sources"]["payout_system"]["url"])
    yield ()
    yield BoldRow(("Utbetalningar i perioden", "Antal", "Belopp"))
    counts = {"held": result.held, "planned": result.planned, "matched": result.matched}
    for key, label in SUMMARY_ROWS:
        yield (label, counts[key].payments, _kronor(counts[key].amount_ore))
    left_out = result.registered_by_robot_outside_exports
    if left_out.payments:
        yield (LEFT_OUT_TEXT, left_out.payments, _kronor(left_out.amount_ore))
    yield ("Beslut med utbetalning i perioden", result.decisions_in_period)
    yield ("Varav fullt registrerade", result.decisions_fully_registered)
    if result.held_for_protected_decisions:
        yield (
            "Utbetalningar för beslut med skyddade personuppgifter (redovisas inte här)",
            result.held_for_protected_decisions,
        )
    yield ()
    yield BoldRow(("Avvikelser", "Antal"))
    grouped = result.by_code()
    for code in FindingCode:
        yield (FINDING_TEXT[code][0], len(grouped[code]))


def _finding_rows(findings: Iterable[Finding]) -> Iterator[tuple[object, ...]]:
    for finding in findings:
        text, todo = FINDING_TEXT[finding.code][0], advice(finding)
        ledger_text = ""
        if finding.ledger_state:
            ledger_text = LEDGER_STATE_TEXT.get(EntryState(finding.ledger_state), finding.ledger_state)
            if finding.ledger_payment_number:
                ledger_text += f" {finding.ledger_payment_number}"
        held_dates: object = ", ".join(day.isoformat() for day in finding.held_payout_dates)
        if len(finding.held_payout_dates) == 1:
            held_dates = finding.held_payout_dates[0]
        yield (
            text,
            finding.reference,
            finding.decision_id or "",
            ", ".join(finding.payment_numbers),
            _kronor(finding.planned_amount_ore),
            _kronor(finding.held_amount_ore),
            finding.planned_payout_date,
            held_dates,
            ", ".join(field_text(name) for name in finding.fields),
            ", ".join(SOURCE_TEXT.get(name, name) for name in finding.sources),
            ledger_text,
            todo,
            finding.code.value,
        )


def write_workbook(path: Path, document: dict[str, Any], result: Reconciliation) -> None:
    """The finance workbook, in Swedish: a summary sheet and a findings sheet (no personal data)."""
    title = (("Avstämning av utbetalningar mot beslut",),)
    summary = Sheet(
        "Sammanfattning",
        SUMMARY_COLUMNS,
        _summary_rows(document, result),
        title,
        landscape=False,
        header=False,
    )
    findings = Sheet("Avvikelser", FINDING_COLUMNS, _finding_rows(result.findings))
    write_workbook_file(path, [summary, findings])


def write_settings_error_report(artifacts: Path, error: ReconcileInputError, *, started_by: str) -> Path:
    """reconciliation.json for a reconciliation that could not start (its settings are wrong)."""
    now = dt.datetime.now(dt.UTC)
    document = {
        "reconciliation_id": new_reconciliation_id(now),
        "status": "input_error",
        "started_by": started_by,
        "created_at": now.isoformat(timespec="seconds"),
        "period": None,
        "sources": None,
        "totals": None,
        "finding_counts": None,
        "findings": None,
        "error": {"source": error.source, "message": error.message},
    }
    write_json_atomically(artifacts / REPORT_FILE, document)
    stale = artifacts / WORKBOOK_FILE
    if stale.exists():
        stale.unlink()
    return artifacts / REPORT_FILE


def new_reconciliation_id(now: dt.datetime) -> str:
    return f"{run_stamp(now)}-{secrets.token_hex(3)}"
