"""How the pages show values: Swedish labels, amounts, local times and durations (Jinja filters)."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from splitpayout.adapters.reports import field_label
from splitpayout.domain.localtime import LOCAL_ZONE as LOCAL_ZONE
from splitpayout.domain.reasons import reason_text

from swedish_rules import format_amount

# Outcomes of a decision (docs/rules.md §3.1), in the order the pages list them. A payment the robot enters is
# registered in the payout system (attested and paid later there), so the pages say "registrerad".
OUTCOME_LABELS = {
    "planned": "Registreras av roboten",
    "paid": "Registrerad",
    "already_paid": "Redan registrerad",
    "manual": "Kräver manuell hantering",
    "failed": "Tekniskt fel",
}
# Amounts of summary.json's totals.
AMOUNT_LABELS = {
    "in_file": "Belopp i filen",
    "registered": "Registrerat i utbetalningssystemet",
    "planned": "Registreras av roboten",
    "manual": "Kräver manuell hantering",
    "failed": "Tekniskt fel",
}
METHOD_LABELS = {
    "KONTO": "Till bankkonto (KONTO)",
    "AVI": "Utbetalningsavi (AVI)",
    "BANKGIRO": "Direktbetalning till bankgiro",
}
PAYMENT_STATUS_LABELS = {
    "planned": "Registreras vid körning",
    "registered": "Registrerad",
    "already_registered": "Redan registrerad",
    "not_entered": "Inte registrerad",
    "failed": "Tekniskt fel",
}
# Why a whole file could not be used (summary.json's error code), short, for the operators' pages.
FILE_ERROR_LABELS = {
    "not_xlsx": "Filen är inte en Excel-arbetsbok",
    "encrypted": "Filen är lösenordsskyddad",
    "no_header": "Rubrikraden saknas",
    "missing_columns": "Kolumner saknas",
    "duplicate_columns": "Dubblerade kolumner",
    "no_decisions": "Inga beslut i filen",
    "unreadable": "Filen kunde inte läsas",
    "export_too_large": "Filen är för stor",
    "input_error": "Underlaget kunde inte läsas",
}
TASK_LABELS = {
    "preview": "Förhandsgranskning",
    "real": "Utbetalning",
    "inbox": "Inkorg",
    "reconcile": "Avstämning",
    "retention": "Gallring",
}
STATE_LABELS = {
    "running": "Pågår",
    "ok": "Klar",
    "failed": "Misslyckad",
    "interrupted": "Avbruten",
}
STATUS_LABELS = {
    "completed": "Genomförd",
    "stopped": "Stoppad innan den var klar (se orsaken)",
    "failed": "Avbruten av ett fel (se orsaken)",
    "incomplete": "Ofullständig: resultat saknas",
    "file_error": "Filen kunde inte läsas",
    "running": "Pågår",
}


def reason_label(code: str) -> str:
    """Why a decision needs manual handling, in Swedish: the robot's own reason table
    (splitpayout.domain.reasons, the one the workbook and the e-mails read, with its one fallback)."""
    return reason_text(code).label


def field_labels(names: str | list[str] | tuple[str, ...] | None) -> str:
    """Fields a reason names, in Swedish (splitpayout.adapters.reports.FIELD_LABELS), comma-separated."""
    if isinstance(names, str):
        names = [part.strip() for part in names.split(",") if part.strip()]
    return ", ".join(field_label(str(name)) for name in names or ())


def amount(ore: int | None) -> str:
    """'12 345,50 kr'."""
    return "" if ore is None else f"{format_amount(int(ore))} kr"


def local_time(moment: dt.datetime) -> dt.datetime:
    """A moment in Swedish local time (naive moments count as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(LOCAL_ZONE)


def when(moment: dt.datetime | str | None) -> str:
    """'2026-11-23 11:42 CET' in Swedish local time (Europe/Stockholm), with the zone's name."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        try:
            parsed = dt.datetime.fromisoformat(moment)
        except ValueError:
            return moment
    else:
        parsed = moment
    local = local_time(parsed)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def duration(seconds: float | None) -> str:
    """'45 s', '3 min 05 s', '1 h 02 min'."""
    if seconds is None:
        return ""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def started_by(text: str | None) -> str:
    """Who started a run: 'Schema' for scheduled runs, else as recorded (e.g. 'handläggare anna')."""
    if not text or text == "schedule":
        return "Schema"
    return text


def kronor(ore: int | None) -> str:
    """'50 000 kr' for whole kronor, else as ``amount``."""
    if ore is None:
        return ""
    if ore % 100 == 0:
        return f"{format_amount(ore)[:-3]} kr"
    return amount(ore)


def file_error(code: str | None) -> str:
    """A file error code in Swedish (the code itself when unknown)."""
    if not code:
        return ""
    return FILE_ERROR_LABELS.get(code, code)


FILTERS = {
    "amount": amount,
    "when": when,
    "duration": duration,
    "started_by": started_by,
    "kronor": kronor,
    "file_error": file_error,
    "reason": reason_label,
    "fields": field_labels,
}


def init_app(app: Flask) -> None:
    """Register the filters and the label tables."""
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(
        OUTCOME_LABELS=OUTCOME_LABELS,
        AMOUNT_LABELS=AMOUNT_LABELS,
        TASK_LABELS=TASK_LABELS,
        STATE_LABELS=STATE_LABELS,
        STATUS_LABELS=STATUS_LABELS,
        METHOD_LABELS=METHOD_LABELS,
        PAYMENT_STATUS_LABELS=PAYMENT_STATUS_LABELS,
        FILE_ERROR_LABELS=FILE_ERROR_LABELS,
        ZONE_NAME="Europe/Stockholm",
    )
