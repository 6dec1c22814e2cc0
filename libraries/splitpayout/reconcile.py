"""Reconciliation of a payout period: the payout system against the decisions and the ledger.

For every payout date of a period (``RECONCILE_FROM`` to ``RECONCILE_TO``, inclusive;
default the current calendar month) this compares three sources:

* what the payout system holds (its read-only JSON API, ``GET /api/payments``);
* what the decisions say should be paid (the export or exports, planned exactly as
  the ``Split payouts`` task plans them);
* what the robot's ledger says it registered (reference, payment number, and a
  fingerprint of recipient, amount and payout date).

It reports every discrepancy as a finding with a stable code (:class:`FindingCode`).
Findings and reports carry references, decision numbers, payment numbers, amounts and
dates only: never names, identity, account, bankgiro or OCR numbers.

Decisions taken here (the brief leaves them open):

* **Planning date.** Decisions are planned with the first day of the period as "today".
  Every run that registered a payment of the period ran on or before its payout date,
  so no payout date of the period counts as passed, and the plan is the one that run
  made. The only other use of the date (the century of a 10-digit identity number
  without ``+``) differs from the run's only for someone born within days of a
  hundred years before the period, and would then show as ``recipient_differs``.
  Decisions whose payout date lies before the period come out ``payout_date_passed``;
  they are outside the period anyway.
* **The API** filters by one ``payout_date`` and does not page, so the period is read
  with one request per calendar day (weekends and holidays included: a payment entered
  by hand may carry any date). A planned payment of the period that is not held in it
  is then looked up by its reference alone, to tell "held on another date" from
  "missing"; at most :data:`MAX_REFERENCE_LOOKUPS` such look-ups are made.
* **Several exports** (``DECISIONS_FILE`` names a folder): every ``*.xlsx`` in it and its
  subfolders is read, oldest modification time first (a copy with the same SHA-256 as
  one already read is listed, not planned again); a decision number found in more than
  one export is taken from the most recently modified one (a corrected export
  supersedes the earlier one, as a re-run of the robot on it would).
* **Protected identities.** Payments of a decision with protected identity are handled
  by case workers under their own routine, and nothing of such a decision but its
  number may appear in the robot's reports: they are counted (how many payments) and
  never listed or compared.
* **Manual decisions.** A decision the robot sends to manual handling has no planned
  payments; a payment held with one of its references is reported
  ``registered_for_manual_decision`` so that finance can check it was entered by a case
  worker who handled the decision.
* **Matching** of references is case-insensitive, as the payout system's and the
  registration engine's; account-like fields are compared by their digits.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import os
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import requests

from splitpayout.errors import ExportFileError
from splitpayout.ledger import EntryState, Ledger, LedgerEntry
from splitpayout.models import DecisionPlan, Outcome, PlannedPayment, ReasonCode
from splitpayout.planner import decision_key, plan_export
from splitpayout.registration import reference_key
from splitpayout.reports import LOCAL_ZONE, write_json_atomically
from splitpayout.settings import Settings, SettingsError
from splitpayout.workbook import DATE, INTEGER, KRONOR, BoldRow, Column, Sheet, local_time_text
from splitpayout.workbook import write_workbook as write_workbook_file
from swedish_rules import format_amount

REPORT_FILE = "reconciliation.json"
WORKBOOK_FILE = "avstamning.xlsx"
MAX_PERIOD_DAYS = 366
MAX_REFERENCE_LOOKUPS = 1000

Say = Callable[[str], None]


class FindingCode(StrEnum):
    """The kinds of discrepancy, stable and machine-readable (in report order)."""

    REGISTERED_WITHOUT_DECISION = "registered_without_decision"
    REGISTERED_FOR_MANUAL_DECISION = "registered_for_manual_decision"
    NOT_FULLY_REGISTERED = "not_fully_registered"
    AMOUNT_DIFFERS = "amount_differs"
    RECIPIENT_DIFFERS = "recipient_differs"
    PAYOUT_DATE_DIFFERS = "payout_date_differs"
    DUPLICATE_REFERENCE = "duplicate_reference"
    LEDGER_DISAGREES = "ledger_disagrees"


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


class ReconcileInputError(Exception):
    """An input cannot be read: the settings, the decisions, the payout system or the ledger.

    ``source`` is one of ``settings``, ``decisions``, ``payout_system``, ``ledger``; the
    message is a clear English sentence that never holds personal data or secrets.
    """

    def __init__(self, source: str, message: str) -> None:
        super().__init__(message)
        self.source = source
        self.message = message

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


# --- settings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Payout dates from ``first`` to ``last``, inclusive."""

    first: dt.date
    last: dt.date

    @classmethod
    def month_of(cls, day: dt.date) -> Period:
        last_day = calendar.monthrange(day.year, day.month)[1]
        return cls(day.replace(day=1), day.replace(day=last_day))

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.first <= day <= self.last

    def text(self) -> str:
        return f"{self.first.isoformat()} to {self.last.isoformat()}"


def _date_setting(env: Mapping[str, str], name: str) -> dt.date | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a date YYYY-MM-DD, got {raw!r}") from None


def period_from_env(env: Mapping[str, str], today: dt.date) -> Period:
    """``RECONCILE_FROM``/``RECONCILE_TO``; a missing start is the first of ``today``'s month, a
    missing end the last day of the start's month."""
    first = _date_setting(env, "RECONCILE_FROM")
    last = _date_setting(env, "RECONCILE_TO")
    if first is None:
        first = Period.month_of(last or today).first
    if last is None:
        last = Period.month_of(first).last
    if last < first:
        raise SettingsError(f"RECONCILE_TO ({last}) is before RECONCILE_FROM ({first})")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise SettingsError(f"the period may be at most {MAX_PERIOD_DAYS} days, got {first} to {last}")
    return Period(first, last)


@dataclass(frozen=True)
class ReconcileSettings:
    """What a reconciliation is configured by (environment variables, see docs/reconciliation.md)."""

    period: Period
    decisions_path: Path | None
    ledger_path: Path
    artifacts_dir: Path
    amount_limit_ore: int
    payout_system_url: str
    vault_secret_name: str
    timeout_seconds: float
    max_attempts: int
    backoff_seconds: float

    @property
    def planning_date(self) -> dt.date:
        """The date the decisions are planned with: the first day of the period (module docstring)."""
        return self.period.first

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReconcileSettings:
        """Raises ReconcileInputError (source ``settings``) on a missing or malformed value."""
        env = os.environ if env is None else env
        try:
            base = Settings.from_env(env)
            period = period_from_env(env, base.run_date)
        except SettingsError as error:
            raise ReconcileInputError("settings", str(error)) from None
        return cls(
            period=period,
            decisions_path=base.decisions_file,
            ledger_path=base.ledger_path,
            artifacts_dir=base.artifacts_dir,
            amount_limit_ore=base.amount_limit_ore,
            payout_system_url=base.payout_system_url,
            vault_secret_name=base.vault_secret_name,
            timeout_seconds=base.page_timeout_seconds,
            max_attempts=base.max_attempts,
            backoff_seconds=base.backoff_seconds,
        )


# --- the decisions ------------------------------------------------------------------------------


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
    """The decisions of every export read, by decision number (``planner.decision_key``)."""

    planning_date: dt.date
    sources: list[ExportSource] = field(default_factory=list)
    plans: dict[str, DecisionPlan] = field(default_factory=dict)
    superseded: int = 0  # decision numbers found in more than one export with other content


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def read_decisions(
    path: Path | None, *, planning_date: dt.date, amount_limit_ore: int, say: Say | None = None
) -> Decisions:
    """Plan every decision of the export(s) as the robot would on ``planning_date``.

    A file whose content (SHA-256) was already read is listed but not planned again. Raises
    ReconcileInputError when a file cannot be read (naming the file and what is wrong).
    """
    decisions = Decisions(planning_date=planning_date)
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
            plans = list(plan_export(file, today=planning_date, amount_limit_ore=amount_limit_ore))
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


# --- the payout system --------------------------------------------------------------------------


class PayoutSystemApi:
    """The payout system's read-only JSON API (``GET /api/payments``), with a bearer token.

    Connection failures, timeouts and 5xx answers are retried ``attempts`` times with
    doubling backoff; a refused token or any other answer stops at once. The token and
    the answers' contents never reach a message.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        attempts: int = 3,
        backoff_seconds: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff_seconds = backoff_seconds
        self._sleep = sleep
        self._http = requests.Session()
        self.requests_made = 0

    def __repr__(self) -> str:
        return f"PayoutSystemApi({self.base_url!r}, token=***)"

    def close(self) -> None:
        self._http.close()

    def payments(
        self, *, payout_date: dt.date | None = None, reference: str | None = None
    ) -> list[HeldPayment]:
        """The payments the payout system holds for one payout date and/or one reference."""
        params: dict[str, str] = {}
        if payout_date is not None:
            params["payout_date"] = payout_date.isoformat()
        if reference is not None:
            params["reference"] = reference
        what = f"payout date {payout_date}" if payout_date is not None else "a reference"
        answer = self._get(params, what)
        if not isinstance(answer, list):
            raise ReconcileInputError(
                "payout_system", f"the API's answer for {what} is not a list of payments"
            )
        try:
            return [HeldPayment.from_api(item) for item in answer]
        except ValueError as error:
            raise ReconcileInputError("payout_system", f"the API's answer for {what} holds {error}") from None

    def _get(self, params: dict[str, str], what: str) -> object:
        url = f"{self.base_url}/api/payments"
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        problem = ""
        for attempt in range(1, self.attempts + 1):
            self.requests_made += 1
            try:
                response = self._http.get(url, params=params, headers=headers, timeout=self.timeout)
            except requests.Timeout:
                problem = "no answer in time"
            except requests.RequestException as error:
                problem = f"cannot connect ({type(error).__name__})"
            else:
                if response.status_code in (401, 403):
                    raise ReconcileInputError(
                        "payout_system",
                        f"the payout system refused the API token (HTTP {response.status_code}): check "
                        "PAYOUT_SYSTEM_API_TOKEN or the vault secret's 'api_token'",
                    )
                if response.status_code >= 500:
                    problem = f"HTTP {response.status_code}"
                elif response.status_code != 200:
                    raise ReconcileInputError(
                        "payout_system", f"the API answered HTTP {response.status_code} for {what}"
                    )
                else:
                    try:
                        return response.json()
                    except ValueError:
                        raise ReconcileInputError(
                            "payout_system", f"the API's answer for {what} is not JSON"
                        ) from None
            if attempt < self.attempts:
                self._sleep(self.backoff_seconds * 2 ** (attempt - 1))
        raise ReconcileInputError(
            "payout_system",
            f"the payout system's API at {self.base_url} did not answer for {what} after "
            f"{self.attempts} tries ({problem})",
        )


@dataclass(frozen=True)
class HeldPayment:
    """A payment as the payout system's API lists it (personal fields: never logged or reported).

    Read leniently: a method or status this robot does not know is kept as text (and then
    differs from any plan), so one unusual payment cannot stop the whole reconciliation.
    """

    payment_number: str
    reference: str
    amount_ore: int
    payout_date: dt.date
    method: str
    status: str
    personnummer: str = field(default="", repr=False)
    clearing: str | None = field(default=None, repr=False)
    account: str | None = field(default=None, repr=False)
    bankgiro: str | None = field(default=None, repr=False)
    ocr: str | None = field(default=None, repr=False)

    @classmethod
    def from_api(cls, item: object) -> HeldPayment:
        """Raises ValueError (never quoting a value) when a required field is missing or malformed."""
        if not isinstance(item, dict):
            raise ValueError("a payment is not a JSON object")
        number, reference, amount = item.get("payment_number"), item.get("reference"), item.get("amount_ore")
        if not isinstance(number, str) or not number or not isinstance(reference, str):
            raise ValueError("a payment without payment_number or reference")
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise ValueError("a payment whose amount_ore is not a whole number")
        try:
            payout_date = dt.date.fromisoformat(str(item.get("payout_date")))
        except ValueError:
            raise ValueError("a payment whose payout_date is not a date") from None
        return cls(
            payment_number=number,
            reference=reference,
            amount_ore=amount,
            payout_date=payout_date,
            method=_text(item.get("method")) or "",
            status=_text(item.get("status")) or "",
            personnummer=_text(item.get("personnummer")) or "",
            clearing=_text(item.get("clearing")),
            account=_text(item.get("account")),
            bankgiro=_text(item.get("bankgiro")),
            ocr=_text(item.get("ocr")),
        )


def _text(value: object) -> str | None:
    if value is None:
        return None
    return str(value)


@dataclass
class Holdings:
    """What the payout system holds: every payment of the period, and references looked up elsewhere."""

    in_period: list[HeldPayment] = field(default_factory=list)
    elsewhere: dict[str, list[HeldPayment]] = field(default_factory=dict)  # by reference_key
    days_queried: int = 0
    references_looked_up: int = 0
    look_ups_skipped: int = 0
    looked_up: set[str] = field(default_factory=set)  # reference_key of every reference looked up


def read_period(api: PayoutSystemApi, period: Period) -> Holdings:
    """One request per calendar day of the period (the API filters one payout date, no paging)."""
    holdings = Holdings()
    seen: set[str] = set()
    for day in period.days():
        for payment in api.payments(payout_date=day):
            if payment.payout_date in period and payment.payment_number not in seen:
                seen.add(payment.payment_number)
                holdings.in_period.append(payment)
        holdings.days_queried += 1
    return holdings


def look_up_elsewhere(
    api: PayoutSystemApi, holdings: Holdings, references: Sequence[str], period: Period
) -> None:
    """Look references up on any date; keep what is held outside the period."""
    for reference in references[:MAX_REFERENCE_LOOKUPS]:
        found = [p for p in api.payments(reference=reference) if p.payout_date not in period]
        holdings.references_looked_up += 1
        holdings.looked_up.add(reference_key(reference))
        if found:
            holdings.elsewhere[reference_key(reference)] = found
    holdings.look_ups_skipped = max(0, len(references) - MAX_REFERENCE_LOOKUPS)


# --- the comparison -----------------------------------------------------------------------------


@dataclass
class Finding:
    """One discrepancy: references, numbers, amounts and dates only (no personal data)."""

    code: FindingCode
    reference: str
    decision_id: str | None = None
    payment_numbers: list[str] = field(default_factory=list)
    planned_amount_ore: int | None = None
    held_amount_ore: int | None = None
    planned_payout_date: dt.date | None = None
    held_payout_dates: list[dt.date] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)  # names of the fields that differ, never values
    sources: list[str] = field(default_factory=list)  # payout_system, ledger
    ledger_state: str | None = None
    ledger_payment_number: str | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "reference": self.reference,
            "decision_id": self.decision_id,
            "payment_numbers": list(self.payment_numbers),
            "planned_amount_ore": self.planned_amount_ore,
            "held_amount_ore": self.held_amount_ore,
            "planned_payout_date": None
            if self.planned_payout_date is None
            else self.planned_payout_date.isoformat(),
            "held_payout_dates": [day.isoformat() for day in self.held_payout_dates],
            "fields": list(self.fields),
            "sources": list(self.sources),
            "ledger_state": self.ledger_state,
            "ledger_payment_number": self.ledger_payment_number,
            "detail": self.detail,
        }

    def line(self) -> str:
        """One line for the log: code, reference, payment numbers, amounts, dates, fields."""
        parts = [self.code.value, self.reference]
        if self.payment_numbers:
            parts.append(", ".join(self.payment_numbers))
        if self.planned_amount_ore is not None:
            parts.append(f"planned {format_amount(self.planned_amount_ore)} kr")
        if self.held_amount_ore is not None:
            parts.append(f"held {format_amount(self.held_amount_ore)} kr")
        if self.planned_payout_date is not None:
            parts.append(f"planned for {self.planned_payout_date.isoformat()}")
        if self.held_payout_dates:
            parts.append("held for " + ", ".join(day.isoformat() for day in self.held_payout_dates))
        if self.fields:
            parts.append("differs: " + ", ".join(self.fields))
        if self.ledger_state:
            number = f" {self.ledger_payment_number}" if self.ledger_payment_number else ""
            parts.append(f"ledger: {self.ledger_state}{number}")
        return "  ".join(parts) + (f"  ({self.detail})" if self.detail else "")


@dataclass
class Count:
    payments: int = 0
    amount_ore: int = 0

    def add(self, amount_ore: int) -> None:
        self.payments += 1
        self.amount_ore += amount_ore

    def as_dict(self) -> dict[str, int]:
        return {"payments": self.payments, "amount_ore": self.amount_ore}


@dataclass
class Reconciliation:
    """The outcome of a comparison: totals and findings."""

    period: Period
    findings: list[Finding] = field(default_factory=list)
    held: Count = field(default_factory=Count)
    planned: Count = field(default_factory=Count)
    matched: Count = field(default_factory=Count)
    decisions_read: int = 0
    decisions_planned: int = 0
    decisions_manual: int = 0
    decisions_protected: int = 0
    decisions_in_period: int = 0
    decisions_fully_registered: int = 0
    held_for_protected_decisions: int = 0
    ledger_entries_compared: int = 0

    def by_code(self) -> dict[FindingCode, list[Finding]]:
        grouped: dict[FindingCode, list[Finding]] = {code: [] for code in FindingCode}
        for finding in self.findings:
            grouped[finding.code].append(finding)
        return grouped

    def counts(self) -> dict[str, int]:
        counter = Counter(finding.code for finding in self.findings)
        return {code.value: counter[code] for code in FindingCode}

    def totals(self) -> dict[str, Any]:
        return {
            "held": self.held.as_dict(),
            "planned": self.planned.as_dict(),
            "matched": self.matched.as_dict(),
            "decisions": {
                "decision_numbers": self.decisions_read,
                "planned": self.decisions_planned,
                "manual": self.decisions_manual,
                "protected": self.decisions_protected,
                "with_payments_in_period": self.decisions_in_period,
                "fully_registered": self.decisions_fully_registered,
            },
            "held_for_protected_decisions": self.held_for_protected_decisions,
            "ledger_entries_compared": self.ledger_entries_compared,
        }


def _digits(value: str | None) -> str:
    return "".join(ch for ch in (value or "") if ch.isdigit())


def _compact(value: str | None) -> str:
    return "".join((value or "").split()).casefold()


def differing_fields(planned: PlannedPayment, held: HeldPayment) -> list[str]:
    """The names of the recipient fields that differ (method, identity, account, bankgiro, OCR)."""
    fields: list[str] = []
    if planned.method != held.method:
        fields.append("method")
    if _digits(planned.personnummer) != _digits(held.personnummer):
        fields.append("personnummer")
    if _digits(planned.clearing) != _digits(held.clearing):
        fields.append("clearing")
    if _digits(planned.account) != _digits(held.account):
        fields.append("account")
    if _digits(planned.bankgiro) != _digits(held.bankgiro):
        fields.append("bankgiro")
    if _compact(planned.ocr) != _compact(held.ocr):
        fields.append("ocr")
    return fields


def _decision_part(reference: str) -> str:
    text = reference.strip()
    return decision_key(text.rsplit("/", 1)[0] if "/" in text else text)


class _Comparison:
    """Builds the findings of one reconciliation (see :func:`reconcile`)."""

    def __init__(
        self,
        period: Period,
        plans: Mapping[str, DecisionPlan],
        holdings: Holdings,
        ledger: Mapping[str, LedgerEntry] | None,
        fingerprint: Callable[[PlannedPayment], str] | None,
    ) -> None:
        self.period = period
        self.plans = plans
        self.holdings = holdings
        self.ledger = ledger or {}
        self.fingerprint = fingerprint
        self.result = Reconciliation(period)
        self._findings: dict[tuple[FindingCode, str, str], Finding] = {}
        self.planned: dict[str, PlannedPayment] = {}
        for plan in plans.values():
            if plan.outcome is Outcome.PLANNED:
                for payment in plan.payments:
                    self.planned[reference_key(payment.reference)] = payment
        self.held: dict[str, list[HeldPayment]] = {}
        for record in holdings.in_period:
            self.held.setdefault(reference_key(record.reference), []).append(record)

    def _add(self, finding: Finding, *, key: str = "") -> Finding:
        """Record a finding once per (code, reference, key); a second source is merged in."""
        index = (finding.code, reference_key(finding.reference), key)
        known = self._findings.get(index)
        if known is None:
            self._findings[index] = finding
            return finding
        for source in finding.sources:
            if source not in known.sources:
                known.sources.append(source)
        for name in finding.fields:
            if name not in known.fields:
                known.fields.append(name)
        return known

    def _protected(self, ref_key: str) -> bool:
        plan = self.plans.get(_decision_part(ref_key))
        return plan is not None and plan.protected

    def run(self) -> Reconciliation:
        result = self.result
        result.decisions_read = len(self.plans)
        for plan in self.plans.values():
            if plan.protected:
                result.decisions_protected += 1
            elif plan.outcome is Outcome.PLANNED:
                result.decisions_planned += 1
            else:
                result.decisions_manual += 1
        for payment in self.holdings.in_period:
            result.held.add(payment.amount_ore)
        for ref_key, group in self.held.items():
            self._held_reference(ref_key, group)
        self._planned_payments()
        self._ledger()
        for finding in self._findings.values():
            entry = self.ledger.get(reference_key(finding.reference))
            if entry is not None:
                finding.ledger_state = entry.state.value
                finding.ledger_payment_number = entry.payment_number
        order = {code: n for n, code in enumerate(FindingCode)}
        result.findings = sorted(
            self._findings.values(),
            key=lambda f: (order[f.code], reference_key(f.reference), f.payment_numbers),
        )
        return result

    def _held_reference(self, ref_key: str, group: list[HeldPayment]) -> None:
        if self._protected(ref_key):
            self.result.held_for_protected_decisions += len(group)
            return
        planned = self.planned.get(ref_key)
        reference = planned.reference if planned is not None else group[0].reference
        decision = self.plans.get(_decision_part(ref_key))
        decision_id = (
            planned.decision_id if planned is not None else (decision.decision_id if decision else None)
        )
        if len(group) > 1:
            self._add(
                Finding(
                    FindingCode.DUPLICATE_REFERENCE,
                    reference,
                    decision_id,
                    payment_numbers=[p.payment_number for p in group],
                    planned_amount_ore=None if planned is None else planned.amount_ore,
                    held_amount_ore=sum(p.amount_ore for p in group),
                    planned_payout_date=None if planned is None else planned.payout_date,
                    held_payout_dates=sorted({p.payout_date for p in group}),
                    sources=["payout_system"],
                    detail=f"the payout system holds the reference {len(group)} times",
                )
            )
        if planned is not None:
            for held in group:
                self._compare(planned, held)
            return
        for held in group:
            reasons = [] if decision is None else [reason.code for reason in decision.reasons]
            if reasons == [ReasonCode.PAYOUT_DATE_PASSED]:
                # Planned as on the period's first day, a decision dated before the period is "passed".
                code = FindingCode.PAYOUT_DATE_DIFFERS
                detail = "the decision's payout date lies before the period"
            elif decision is not None and decision.outcome is not Outcome.PLANNED:
                code = FindingCode.REGISTERED_FOR_MANUAL_DECISION
                detail = f"the decision went to manual handling ({', '.join(r.value for r in reasons)})"
            else:
                code = FindingCode.REGISTERED_WITHOUT_DECISION
                detail = (
                    "no decision in the exports has this reference"
                    if decision is None
                    else "the decision plans no payment with this reference"
                )
            self._add(
                Finding(
                    code,
                    held.reference,
                    decision_id,
                    payment_numbers=[held.payment_number],
                    held_amount_ore=held.amount_ore,
                    held_payout_dates=[held.payout_date],
                    sources=["payout_system"],
                    detail=detail,
                ),
                key=held.payment_number,
            )

    def _compare(self, planned: PlannedPayment, held: HeldPayment, *, outside: bool = False) -> bool:
        """Findings for one held payment of a planned reference; True when it is exactly as planned."""
        common: dict[str, Any] = {
            "decision_id": planned.decision_id,
            "payment_numbers": [held.payment_number],
            "planned_amount_ore": planned.amount_ore,
            "held_amount_ore": held.amount_ore,
            "planned_payout_date": planned.payout_date,
            "held_payout_dates": [held.payout_date],
            "sources": ["payout_system"],
        }
        same = True
        if held.amount_ore != planned.amount_ore:
            same = False
            self._add(
                Finding(FindingCode.AMOUNT_DIFFERS, planned.reference, **common), key=held.payment_number
            )
        fields = differing_fields(planned, held)
        if fields:
            same = False
            self._add(
                Finding(FindingCode.RECIPIENT_DIFFERS, planned.reference, fields=fields, **common),
                key=held.payment_number,
            )
        if held.payout_date != planned.payout_date:
            same = False
            detail = "held on a date outside the period" if outside else ""
            self._add(
                Finding(FindingCode.PAYOUT_DATE_DIFFERS, planned.reference, detail=detail, **common),
                key=held.payment_number,
            )
        return same

    def _planned_payments(self) -> None:
        result = self.result
        in_period: dict[str, list[PlannedPayment]] = {}
        for plan in self.plans.values():
            if plan.outcome is not Outcome.PLANNED:
                continue
            payments = [p for p in plan.payments if p.payout_date in self.period]
            if payments:
                in_period[plan.decision_id] = payments
        result.decisions_in_period = len(in_period)
        for payments in in_period.values():
            complete = True
            for planned in payments:
                result.planned.add(planned.amount_ore)
                ref_key = reference_key(planned.reference)
                group = self.held.get(ref_key, [])
                if len(group) == 1 and self._same(planned, group[0]):
                    result.matched.add(planned.amount_ore)
                    continue
                complete = False
                if group:
                    continue  # the differences were found with the payout system's payments
                elsewhere = self.holdings.elsewhere.get(ref_key, [])
                for held in elsewhere:
                    self._compare(planned, held, outside=True)
                if not elsewhere:
                    self._add(
                        Finding(
                            FindingCode.NOT_FULLY_REGISTERED,
                            planned.reference,
                            planned.decision_id,
                            planned_amount_ore=planned.amount_ore,
                            held_amount_ore=0,
                            planned_payout_date=planned.payout_date,
                            sources=["payout_system"],
                            detail="not held in the period"
                            + (
                                " nor on any other date"
                                if ref_key in self.holdings.looked_up
                                else " (not looked up on other dates)"
                            ),
                        )
                    )
            if complete:
                result.decisions_fully_registered += 1

    @staticmethod
    def _same(planned: PlannedPayment, held: HeldPayment) -> bool:
        return (
            held.amount_ore == planned.amount_ore
            and held.payout_date == planned.payout_date
            and not differing_fields(planned, held)
        )

    def _ledger(self) -> None:
        """The ledger against the payout system and the plan, for the references in scope."""
        scope = set(self.held) | {
            key for key, payment in self.planned.items() if payment.payout_date in self.period
        }
        for ref_key in sorted(scope):
            entry = self.ledger.get(ref_key)
            if entry is None or self._protected(ref_key):
                continue
            self.result.ledger_entries_compared += 1
            if entry.state is not EntryState.REGISTERED:
                continue
            held = self.held.get(ref_key, []) + self.holdings.elsewhere.get(ref_key, [])
            numbers = [p.payment_number for p in held]
            planned = self.planned.get(ref_key)
            if entry.payment_number not in numbers:
                self._add(
                    Finding(
                        FindingCode.LEDGER_DISAGREES,
                        planned.reference if planned is not None else entry.reference,
                        entry.decision_id,
                        payment_numbers=numbers,
                        planned_amount_ore=None if planned is None else planned.amount_ore,
                        held_amount_ore=sum(p.amount_ore for p in held),
                        planned_payout_date=None if planned is None else planned.payout_date,
                        held_payout_dates=sorted({p.payout_date for p in held}),
                        sources=["ledger"],
                        detail=(
                            f"the ledger says registered as {entry.payment_number or 'an unknown number'}; "
                            "the payout system holds no such payment for this reference"
                        ),
                    )
                )
            if planned is None or self.fingerprint is None or entry.fingerprint == self.fingerprint(planned):
                continue
            number = entry.payment_number or ""
            same_payment = [p for p in held if p.payment_number == number]
            code, what = FindingCode.RECIPIENT_DIFFERS, "another recipient"
            if entry.amount_ore != planned.amount_ore:
                code, what = FindingCode.AMOUNT_DIFFERS, "another amount"
            elif same_payment and entry.fingerprint == self.fingerprint(
                planned.model_copy(update={"payout_date": same_payment[0].payout_date})
            ):
                code, what = FindingCode.PAYOUT_DATE_DIFFERS, "another payout date"
            self._add(
                Finding(
                    code,
                    planned.reference,
                    planned.decision_id,
                    payment_numbers=[number] if number else [],
                    planned_amount_ore=planned.amount_ore,
                    held_amount_ore=same_payment[0].amount_ore if same_payment else None,
                    planned_payout_date=planned.payout_date,
                    held_payout_dates=[p.payout_date for p in same_payment],
                    sources=["ledger"],
                    detail=f"the ledger says the robot registered {what} than the decision says",
                ),
                key=number,
            )


def references_to_look_up(
    period: Period,
    plans: Mapping[str, DecisionPlan],
    holdings: Holdings,
    ledger: Mapping[str, LedgerEntry] | None = None,
) -> list[str]:
    """References to look up on any date: planned in the period but not held in it, and those the
    ledger says were registered with a payment number the period does not hold."""
    held_numbers: dict[str, set[str]] = {}
    for record in holdings.in_period:
        held_numbers.setdefault(reference_key(record.reference), set()).add(record.payment_number)
    wanted: dict[str, str] = {}
    for plan in plans.values():
        if plan.outcome is not Outcome.PLANNED:
            continue
        for payment in plan.payments:
            key = reference_key(payment.reference)
            if payment.payout_date in period and key not in held_numbers:
                wanted[key] = payment.reference
    for key, entry in (ledger or {}).items():
        numbers = held_numbers.get(key)
        if (
            numbers is not None
            and entry.state is EntryState.REGISTERED
            and entry.payment_number not in numbers
            and key not in wanted
        ):
            wanted[key] = entry.reference
    return [wanted[key] for key in sorted(wanted)]


def reconcile(
    period: Period,
    plans: Mapping[str, DecisionPlan],
    holdings: Holdings,
    ledger: Mapping[str, LedgerEntry] | None = None,
    fingerprint: Callable[[PlannedPayment], str] | None = None,
) -> Reconciliation:
    """Compare the payout system's payments with the plans and the ledger (pure: no I/O).

    ``plans`` are by ``planner.decision_key``; ``ledger`` by ``registration.reference_key``;
    ``fingerprint`` is the ledger's (``Ledger.fingerprint``), to find where the robot
    registered something other than what the decision says now.
    """
    return _Comparison(period, plans, holdings, ledger, fingerprint).run()


def ledger_by_reference(entries: Iterable[LedgerEntry]) -> dict[str, LedgerEntry]:
    return {reference_key(entry.reference): entry for entry in entries}


# --- reports ------------------------------------------------------------------------------------


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
        text, todo = FINDING_TEXT[finding.code]
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
            ", ".join(FIELD_TEXT.get(name, name) for name in finding.fields),
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


# --- the job ------------------------------------------------------------------------------------


def discrepancies(count: int) -> str:
    return f"{count} discrepancy" if count == 1 else f"{count} discrepancies"


def new_reconciliation_id(now: dt.datetime) -> str:
    return f"{now:%Y-%m-%dT%H%M%SZ}-{secrets.token_hex(3)}"


class ReconciliationJob:
    """One reconciliation, step by step; the ``Reconcile`` keyword library is a thin layer over it.

    Steps: ``read_decisions``, ``read_ledger`` and ``read_payout_system`` (in any order), then
    ``compare`` and ``write_reports``. An input that cannot be read raises ReconcileInputError; the reports
    then say so (``status: input_error``).
    """

    def __init__(
        self,
        settings: ReconcileSettings,
        *,
        say: Say = print,
        announce: Say | None = None,
        started_by: str = "schedule",
    ) -> None:
        self.settings = settings
        self.say = say
        self.announce = announce or say
        self.started_by = started_by
        self.started_at = dt.datetime.now(dt.UTC)
        self.reconciliation_id = new_reconciliation_id(self.started_at)
        self.decisions: Decisions | None = None
        self.holdings: Holdings | None = None
        self.ledger_entries: dict[str, LedgerEntry] | None = None
        self.fingerprint: Callable[[PlannedPayment], str] | None = None
        self.result: Reconciliation | None = None
        self.error: ReconcileInputError | None = None
        self.reports_written = False
        self._api: PayoutSystemApi | None = None
        self._ledger: Ledger | None = None

    @property
    def period(self) -> Period:
        return self.settings.period

    def _failed(self, error: ReconcileInputError) -> ReconcileInputError:
        self.error = error
        return error

    def read_decisions(self) -> Decisions:
        settings = self.settings
        self.say(
            f"Period {self.period.text()}; decisions planned as on {settings.planning_date.isoformat()} "
            "(the first day of the period)"
        )
        try:
            self.decisions = read_decisions(
                settings.decisions_path,
                planning_date=settings.planning_date,
                amount_limit_ore=settings.amount_limit_ore,
                say=self.say,
            )
        except ReconcileInputError as error:
            raise self._failed(error) from None
        plans = self.decisions.plans.values()
        in_period = sum(
            1
            for plan in plans
            if plan.outcome is Outcome.PLANNED and any(p.payout_date in self.period for p in plan.payments)
        )
        self.announce(
            f"Decisions: {len(self.decisions.plans)} in {len(self.decisions.sources)} export(s), "
            f"{in_period} with payments in the period"
        )
        return self.decisions

    def read_payout_system(self, token: str) -> Holdings:
        settings = self.settings
        self._api = PayoutSystemApi(
            settings.payout_system_url,
            token,
            timeout=settings.timeout_seconds,
            attempts=settings.max_attempts,
            backoff_seconds=settings.backoff_seconds,
        )
        try:
            self.holdings = read_period(self._api, self.period)
        except ReconcileInputError as error:
            raise self._failed(error) from None
        held = sum(p.amount_ore for p in self.holdings.in_period)
        self.announce(
            f"The payout system holds {len(self.holdings.in_period)} payments, {format_amount(held)} kr, "
            f"for the period ({self.holdings.days_queried} payout dates asked)"
        )
        return self.holdings

    def read_ledger(self) -> dict[str, LedgerEntry]:
        path = self.settings.ledger_path
        if not path.is_file():
            raise self._failed(
                ReconcileInputError(
                    "ledger",
                    f"the ledger {path.name!r} does not exist in STATE_DIR: set STATE_DIR to the robot's "
                    "state folder",
                )
            )
        try:
            self._ledger = Ledger(path)
            self.ledger_entries = ledger_by_reference(self._ledger.entries())
        except Exception as error:  # sqlite3 raises several kinds for a damaged or locked file
            raise self._failed(
                ReconcileInputError(
                    "ledger", f"the ledger {path.name!r} cannot be read ({type(error).__name__})"
                )
            ) from None
        self.fingerprint = self._ledger.fingerprint
        self.say(f"Ledger {path.name}: {len(self.ledger_entries)} payment references")
        return self.ledger_entries

    def compare(self) -> Reconciliation:
        assert self.decisions is not None and self.holdings is not None and self.ledger_entries is not None
        plans = self.decisions.plans
        if self._api is not None:
            wanted = references_to_look_up(self.period, plans, self.holdings, self.ledger_entries)
            if wanted:
                self.say(
                    f"Looking up {len(wanted)} reference(s) on any payout date: planned in the period but "
                    "not held in it, or held with another payment number than the ledger's"
                    + (f" (the first {MAX_REFERENCE_LOOKUPS})" if len(wanted) > MAX_REFERENCE_LOOKUPS else "")
                )
            try:
                look_up_elsewhere(self._api, self.holdings, wanted, self.period)
            except ReconcileInputError as error:
                raise self._failed(error) from None
        self.result = reconcile(self.period, plans, self.holdings, self.ledger_entries, self.fingerprint)
        for finding in self.result.findings:
            self.say(finding.line())
        result = self.result
        self.announce(
            f"Held {result.held.payments} payments ({format_amount(result.held.amount_ore)} kr), "
            f"planned {result.planned.payments} ({format_amount(result.planned.amount_ore)} kr), "
            f"matched {result.matched.payments} ({format_amount(result.matched.amount_ore)} kr); "
            + (
                "no discrepancies"
                if not result.findings
                else f"{discrepancies(len(result.findings))}: "
                + ", ".join(f"{n} {code}" for code, n in result.counts().items() if n)
            )
        )
        return result

    @property
    def status(self) -> str:
        if self.error is not None:
            return "input_error"
        if self.result is None:
            return "incomplete"
        return "discrepancies" if self.result.findings else "reconciled"

    def document(self) -> dict[str, Any]:
        """reconciliation.json: period, sources, totals and findings by code (no personal data)."""
        settings = self.settings
        decisions = self.decisions
        holdings = self.holdings
        result = self.result
        document: dict[str, Any] = {
            "reconciliation_id": self.reconciliation_id,
            "status": self.status,
            "started_by": self.started_by,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "period": {"from": self.period.first.isoformat(), "to": self.period.last.isoformat()},
            "planning_date": settings.planning_date.isoformat(),
            "amount_limit_ore": settings.amount_limit_ore,
            "sources": {
                "decisions": [] if decisions is None else [s.as_dict() for s in decisions.sources],
                "decisions_superseded": None if decisions is None else decisions.superseded,
                "ledger": {
                    "file_name": settings.ledger_path.name,
                    "entries": None if self.ledger_entries is None else len(self.ledger_entries),
                },
                "payout_system": {
                    "url": settings.payout_system_url,
                    "days_queried": None if holdings is None else holdings.days_queried,
                    "references_looked_up": None if holdings is None else holdings.references_looked_up,
                    "look_ups_skipped": None if holdings is None else holdings.look_ups_skipped,
                },
            },
            "totals": None if result is None else result.totals(),
            "finding_counts": None if result is None else result.counts(),
            "findings": None
            if result is None
            else {code.value: [f.as_dict() for f in items] for code, items in result.by_code().items()},
            "error": None
            if self.error is None
            else {"source": self.error.source, "message": self.error.message},
        }
        return document

    def write_reports(self) -> Path:
        """reconciliation.json always; avstamning.xlsx when the comparison was made."""
        artifacts = self.settings.artifacts_dir
        document = self.document()
        write_json_atomically(artifacts / REPORT_FILE, document)
        workbook = artifacts / WORKBOOK_FILE
        if self.result is not None:
            write_workbook(workbook, document, self.result)
        elif workbook.exists():
            workbook.unlink()  # an earlier reconciliation's workbook must not be taken for this one's
        self.reports_written = True
        self.say(f"Reports: {REPORT_FILE}" + (f", {WORKBOOK_FILE}" if self.result is not None else ""))
        return artifacts / REPORT_FILE

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
            self._api = None
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None
