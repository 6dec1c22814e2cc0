"""The reconciliation's reports: reconciliation.json and the finance workbook avstamning.xlsx (Swedish)."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from splitpayout.ledger import EntryState
from splitpayout.reconcile.errors import ReconcileInputError
from splitpayout.reconcile.findings import FindingCode, Reconciliation
from splitpayout.reports import write_json_atomically

REPORT_FILE = "reconciliation.json"
WORKBOOK_FILE = "avstamning.xlsx"


# For finance, in Swedish: what the code means, and what to do about it.
FINDING_TEXT: dict[FindingCode, tuple[str, str]] = {
    FindingCode.REGISTERED_WITHOUT_DECISION: (
        "Utbetalning utan beslut",
        "Ta fram beslutet bakom utbetalningen. Saknas beslut: stoppa utbetalningen (eller kräv tillbaka "
        "den om den redan gått iväg) och anmäl avvikelsen. Finns beslutet i en export som inte kom med: "
        "gör om avstämningen med den exporten.",
    ),
    FindingCode.REGISTERED_FOR_MANUAL_DECISION: (
        "Registrerad fast beslutet gick till manuell hantering",
        "Kontrollera att en handläggare har hanterat beslutet och registrerat utbetalningen med rätt "
        "belopp och mottagare. Är den inte avsiktlig: stoppa den.",
    ),
    FindingCode.NOT_FULLY_REGISTERED: (
        "Beslutet är inte fullt registrerat",
        "Kör roboten igen på exporten: den registrerar det som saknas och aldrig något två gånger. "
        "Gick beslutet till manuell hantering: se till att handläggaren registrerar det som saknas.",
    ),
    FindingCode.AMOUNT_DIFFERS: (
        "Annat belopp än i beslutet",
        "Jämför utbetalningen med beslutet. Rätta eller stoppa utbetalningen innan den går iväg; "
        "är den redan utbetald: hantera felutbetalningen enligt rutinen.",
    ),
    FindingCode.RECIPIENT_DIFFERS: (
        "Annan mottagare eller annat konto än i beslutet",
        "Jämför mottagare, betalningssätt och konto med beslutet. Rätta eller stoppa utbetalningen "
        "innan den går iväg; är den redan utbetald: hantera felutbetalningen enligt rutinen.",
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

# The fields a recipient comparison names (never their values), in English and Swedish.
FIELD_TEXT = {
    "method": "betalningssätt",
    "personnummer": "personnummer",
    "clearing": "clearingnummer",
    "account": "kontonummer",
    "bankgiro": "bankgironummer",
    "ocr": "OCR-nummer",
}

SOURCE_TEXT = {"payout_system": "utbetalningssystemet", "ledger": "robotens logg"}

LEDGER_STATE_TEXT = {
    EntryState.CLAIMED: "påbörjad",
    EntryState.SUBMITTING: "skickad, utfall okänt",
    EntryState.REGISTERED: "registrerad",
    EntryState.FAILED: "tekniskt fel",
    EntryState.REJECTED: "avvisad av utbetalningssystemet",
    EntryState.CONFLICT: "konflikt med befintlig utbetalning",
}


def _kronor(ore: int | None) -> Decimal | None:
    return None if ore is None else Decimal(ore) / 100


SUMMARY_ROWS = (
    ("held", "Registrerat i utbetalningssystemet"),
    ("planned", "Planerat enligt besluten"),
    ("matched", "Stämmer med besluten"),
)

FINDING_COLUMNS = (
    ("Avvikelse", 44),
    ("Referens", 20),
    ("Beslutsnummer", 18),
    ("Utbetalningsnummer", 20),
    ("Planerat belopp (kr)", 16),
    ("Registrerat belopp (kr)", 16),
    ("Planerad utbetalningsdag", 14),
    ("Registrerad utbetalningsdag", 16),
    ("Avvikande uppgifter", 26),
    ("Källa", 22),
    ("Robotens logg", 22),
    ("Vad ska göras", 80),
    ("Kod", 30),
)
AMOUNT_FORMAT = "#,##0.00"


def _bold_row(sheet: Any, columns: int) -> None:
    for column in range(1, columns + 1):
        sheet.cell(row=sheet.max_row, column=column).font = Font(bold=True)


def _created_text(iso: str) -> str:
    return dt.datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")


def write_workbook(path: Path, document: dict[str, Any], result: Reconciliation) -> None:
    """The finance workbook, in Swedish: a summary sheet and a findings sheet (no personal data)."""
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = "Sammanfattning"
    period = result.period
    count = len(result.findings)
    summary.append(["Avstämning av utbetalningar mot beslut"])
    summary["A1"].font = Font(bold=True, size=13)
    summary.append(["Period (utbetalningsdagar)", f"{period.first.isoformat()} – {period.last.isoformat()}"])
    summary.append(
        [
            "Resultat",
            "Inga avvikelser"
            if count == 0
            else f"{count} {'avvikelse' if count == 1 else 'avvikelser'}, se fliken Avvikelser",
        ]
    )
    summary.append(["Avstämning", document["reconciliation_id"]])
    summary.append(["Skapad", _created_text(document["created_at"])])
    summary.append(["Besluten planerade per", document["planning_date"]])
    summary.append([])
    summary.append(["Underlag", "Fil", "SHA-256", "Rader"])
    _bold_row(summary, 4)
    for source in document["sources"]["decisions"]:
        rows = "samma innehåll som en tidigare fil" if source["same_content_as_earlier"] else source["rows"]
        summary.append(["Beslutsexport", source["file_name"], source["sha256"], rows])
    ledger = document["sources"]["ledger"]
    summary.append(["Robotens logg", ledger["file_name"], "", ledger["entries"]])
    summary.append(["Utbetalningssystemet", document["sources"]["payout_system"]["url"]])
    summary.append([])
    summary.append(["Utbetalningar i perioden", "Antal", "Belopp (kr)"])
    _bold_row(summary, 3)
    counts = {"held": result.held, "planned": result.planned, "matched": result.matched}
    for key, label in SUMMARY_ROWS:
        summary.append([label, counts[key].payments, _kronor(counts[key].amount_ore)])
        summary.cell(row=summary.max_row, column=3).number_format = AMOUNT_FORMAT
    summary.append(["Beslut med utbetalning i perioden", result.decisions_in_period])
    summary.append(["Varav fullt registrerade", result.decisions_fully_registered])
    if result.held_for_protected_decisions:
        summary.append(
            [
                "Utbetalningar för beslut med skyddade personuppgifter (redovisas inte här)",
                result.held_for_protected_decisions,
            ]
        )
    summary.append([])
    summary.append(["Avvikelser", "Antal"])
    _bold_row(summary, 2)
    grouped = result.by_code()
    for code in FindingCode:
        summary.append([FINDING_TEXT[code][0], len(grouped[code])])
    summary.column_dimensions["A"].width = 52
    summary.column_dimensions["B"].width = 40
    summary.column_dimensions["C"].width = 66

    sheet = workbook.create_sheet("Avvikelser")
    sheet.append([name for name, _ in FINDING_COLUMNS])
    _bold_row(sheet, len(FINDING_COLUMNS))
    for column, (_, width) in enumerate(FINDING_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    for finding in result.findings:
        text, todo = FINDING_TEXT[finding.code]
        ledger_text = ""
        if finding.ledger_state:
            ledger_text = LEDGER_STATE_TEXT.get(EntryState(finding.ledger_state), finding.ledger_state)
            if finding.ledger_payment_number:
                ledger_text += f" {finding.ledger_payment_number}"
        held_dates: object = ", ".join(day.isoformat() for day in finding.held_payout_dates)
        if len(finding.held_payout_dates) == 1:
            held_dates = finding.held_payout_dates[0]
        sheet.append(
            [
                text,
                finding.reference,
                finding.decision_id or "",
                ", ".join(finding.payment_numbers),
                _kronor(finding.planned_amount_ore),
                _kronor(finding.held_amount_ore),
                finding.planned_payout_date,
                held_dates,
                ", ".join(FIELD_TEXT.get(name, name) for name in finding.fields),
                ", ".join(SOURCE_TEXT.get(name, name) for name in finding.sources),
                ledger_text,
                todo,
                finding.code.value,
            ]
        )
        row = sheet.max_row
        for column in (5, 6):
            sheet.cell(row=row, column=column).number_format = AMOUNT_FORMAT
        for column in (7, 8):
            sheet.cell(row=row, column=column).number_format = "yyyy-mm-dd"
        sheet.cell(row=row, column=12).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    workbook.save(str(temporary))
    temporary.replace(path)


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
    return f"{now:%Y-%m-%dT%H%M%SZ}-{secrets.token_hex(3)}"
