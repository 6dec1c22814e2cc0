"""How the pages show values: Swedish labels, amounts, local times and durations (Jinja filters)."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from swedish_rules import format_amount

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    LOCAL_ZONE: dt.tzinfo = ZoneInfo("Europe/Stockholm")
except (ImportError, ZoneInfoNotFoundError):  # pragma: no cover - a system without time-zone data
    LOCAL_ZONE = dt.UTC

# Outcomes of a decision (docs/rules.md §3.1), in the order the pages list them.
OUTCOME_LABELS = {
    "planned": "Planeras",
    "paid": "Betalda",
    "already_paid": "Redan betalda",
    "manual": "Till handläggare",
    "failed": "Tekniskt fel",
}
# Amounts of summary.json's totals.
AMOUNT_LABELS = {
    "in_file": "Belopp i filen",
    "registered": "Registrerat i utbetalningssystemet",
    "planned": "Planeras att betalas",
    "manual": "Till handläggare",
    "failed": "Tekniskt fel",
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
    "stopped": "Stoppad: utbetalningssystemet svarade inte",
    "file_error": "Filen kunde inte läsas",
    "running": "Pågår",
}
REASON_LABELS = {
    "invalid_row": "Ofullständig eller felaktig rad",
    "duplicate_decision": "Beslutsnumret förekommer flera gånger",
    "protected_identity": "Skyddade personuppgifter",
    "missing_partner": "Uppgifter om sökande 2 saknas",
    "invalid_identity": "Ogiltigt person- eller samordningsnummer",
    "invalid_account": "Ogiltigt bankkonto",
    "invalid_bankgiro": "Ogiltigt bankgironummer",
    "amount_above_limit": "Beloppet överstiger gränsen",
    "payout_date_passed": "Utbetalningsdagen har passerat",
    "conflict_existing_payment": "Krockar med en registrerad utbetalning",
    "rejected_by_payout_system": "Utbetalningssystemet godtog inte uppgifterna",
}


def amount(ore: int | None) -> str:
    """'12 345,50 kr'."""
    return "" if ore is None else f"{format_amount(int(ore))} kr"


def local_time(moment: dt.datetime) -> dt.datetime:
    """A moment in Swedish local time (naive moments count as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(LOCAL_ZONE)


def when(moment: dt.datetime | str | None) -> str:
    """'2026-11-23 11:42' in Swedish local time."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        try:
            parsed = dt.datetime.fromisoformat(moment)
        except ValueError:
            return moment
    else:
        parsed = moment
    return f"{local_time(parsed):%Y-%m-%d %H:%M}"


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


def init_app(app: Flask) -> None:
    """Register the filters and the label tables."""
    app.add_template_filter(amount, "amount")
    app.add_template_filter(when, "when")
    app.add_template_filter(duration, "duration")
    app.add_template_filter(started_by, "started_by")
    app.jinja_env.globals.update(
        OUTCOME_LABELS=OUTCOME_LABELS,
        AMOUNT_LABELS=AMOUNT_LABELS,
        TASK_LABELS=TASK_LABELS,
        STATE_LABELS=STATE_LABELS,
        STATUS_LABELS=STATUS_LABELS,
        REASON_LABELS=REASON_LABELS,
    )
