"""Server-side validation of the "Ny utbetalning" form, with Swedish messages per field."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from payout_system.release import FIELDS as FIELDS
from payout_system.store import NewPayment
from swedish_rules import (
    InvalidAccount,
    InvalidAmount,
    InvalidBankgiro,
    InvalidIdentity,
    format_amount,
    is_bank_day,
    normalize_account,
    normalize_bankgiro,
    normalize_identity,
    parse_amount_ore,
)

METHODS = ("KONTO", "AVI", "BANKGIRO")
MAX_REFERENCE = 40
MAX_NAME = 100
MAX_MESSAGE = 200
MAX_OCR = 25
MAX_AMOUNT_ORE = 100_000_000_00  # 100 million kronor: anything above is a typing error
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def ceiling_message(max_amount_ore: int) -> str:
    """The refusal beside the amount field when a payment exceeds the configured ceiling."""
    kronor = format_amount(max_amount_ore)
    if kronor.endswith(",00"):
        kronor = kronor[:-3]
    return f"Beloppet överstiger gränsen för en enskild utbetalning ({kronor} kr)."


def validate_payment(
    form: Mapping[str, str], today: dt.date, *, max_amount_ore: int | None = None
) -> tuple[NewPayment | None, dict[str, str], dict[str, str]]:
    """Check the form. Returns (payment or None, errors by field, the values as entered).

    ``max_amount_ore`` is the optional per-payment ceiling (``--max-payment-kr``); None = no ceiling.
    Each field has a named check below; the errors come in the form's order.
    """
    values = {name: (form.get(name) or "").strip() for name in FIELDS}
    errors: dict[str, str] = {}
    personnummer, error = check_identity(values["personnummer"], today)
    _put(errors, "personnummer", error)
    _put(errors, "name", check_name(values["name"]))
    method = values["method"].upper()
    clearing, account, bankgiro, method_errors = check_method(method, values)
    errors.update(method_errors)
    ocr, error = check_ocr(values["ocr"])
    _put(errors, "ocr", error)
    amount_ore, error = check_amount(values["amount"], max_amount_ore)
    _put(errors, "amount", error)
    payout_date, error = check_payout_date(values["payout_date"], today)
    _put(errors, "payout_date", error)
    _put(errors, "reference", check_reference(values["reference"]))
    _put(errors, "message", check_message(values["message"]))
    if errors:
        return None, errors, values
    payment = NewPayment(
        reference=values["reference"],
        personnummer=personnummer,
        name=values["name"],
        method=method,
        clearing=clearing,
        account=account,
        bankgiro=bankgiro,
        ocr=ocr or None,
        amount_ore=amount_ore,
        payout_date=payout_date,
        message=values["message"],
    )
    return payment, errors, values


def _put(errors: dict[str, str], name: str, error: str | None) -> None:
    if error is not None:
        errors[name] = error


def check_identity(text: str, today: dt.date) -> tuple[str, str | None]:
    """(the normalised identity number, the error)."""
    if not text:
        return "", "Ange personnummer eller samordningsnummer."
    try:
        return normalize_identity(text, today=today), None
    except InvalidIdentity:
        return "", "Ogiltigt personnummer eller samordningsnummer (kontrollsiffran stämmer inte)."


def _check_text(text: str, *, missing: str | None, subject: str, limit: int) -> str | None:
    """A free-text field's error: ``missing`` when it is empty (None: it may be), that ``subject``
    may be at most ``limit`` characters, or that it may hold no control character."""
    if not text:
        return missing
    if len(text) > limit:
        return f"{subject} får vara högst {limit} tecken."
    if not text.isprintable():  # CR, LF, NUL, tab and other control characters, as a real system refuses
        return f"{subject} får inte innehålla radbrytningar, tabbar eller andra styrtecken."
    return None


def check_name(text: str) -> str | None:
    return _check_text(text, missing="Ange mottagarens namn.", subject="Namnet", limit=MAX_NAME)


def check_method(
    method: str, values: Mapping[str, str]
) -> tuple[str | None, str | None, str | None, dict[str, str]]:
    """(clearing, account, bankgiro, errors by field) for the payment method ``method``."""
    if method not in METHODS:
        return None, None, None, {"method": "Välj betalningssätt: KONTO, AVI eller BANKGIRO."}
    if method == "KONTO":
        return check_account(values["clearing"], values["account"])
    if method == "BANKGIRO":
        bankgiro, error = check_bankgiro(values["bankgiro"])
        return None, None, bankgiro, {} if error is None else {"bankgiro": error}
    return None, None, None, {}


def check_account(
    clearing_text: str, account_text: str
) -> tuple[str | None, str | None, None, dict[str, str]]:
    errors: dict[str, str] = {}
    if not clearing_text:
        errors["clearing"] = "Ange clearingnummer."
    if not account_text:
        errors["account"] = "Ange kontonummer."
    if errors:
        return None, None, None, errors
    try:
        clearing, account = normalize_account(clearing_text, account_text)
    except InvalidAccount:
        return None, None, None, {"account": "Ogiltigt clearing- eller kontonummer."}
    return clearing, account, None, {}


def check_bankgiro(text: str) -> tuple[str | None, str | None]:
    if not text:
        return None, "Ange bankgironummer."
    try:
        return normalize_bankgiro(text), None
    except InvalidBankgiro:
        return None, "Ogiltigt bankgironummer."


def check_ocr(text: str) -> tuple[str, str | None]:
    ocr = text.replace(" ", "")
    if ocr and (not ocr.isdigit() or len(ocr) > MAX_OCR):
        return ocr, f"OCR-numret får bara innehålla siffror (högst {MAX_OCR})."
    return ocr, None


def check_amount(text: str, max_amount_ore: int | None) -> tuple[int, str | None]:
    if not text:
        return 0, "Ange belopp."
    try:
        amount_ore = parse_amount_ore(text)
    except InvalidAmount:
        return 0, "Ogiltigt belopp. Skriv till exempel 12 345,50."
    if amount_ore <= 0:
        return amount_ore, "Beloppet måste vara större än 0."
    if max_amount_ore is not None and amount_ore > max_amount_ore:
        return amount_ore, ceiling_message(max_amount_ore)
    if amount_ore > MAX_AMOUNT_ORE:
        return amount_ore, "Beloppet är för stort."
    return amount_ore, None


def check_payout_date(text: str, today: dt.date) -> tuple[dt.date, str | None]:
    if not text:
        return today, "Ange utbetalningsdag (ÅÅÅÅ-MM-DD)."
    if not _ISO_DATE.match(text):
        return today, "Ogiltigt datum. Skriv ÅÅÅÅ-MM-DD."
    try:
        payout_date = dt.date.fromisoformat(text)
    except ValueError:
        return today, "Ogiltigt datum. Skriv ÅÅÅÅ-MM-DD."
    if payout_date < today:
        return payout_date, "Utbetalningsdagen har redan passerat."
    if not is_bank_day(payout_date):
        return payout_date, "Utbetalningsdagen måste vara en bankdag."
    return payout_date, None


def check_reference(text: str) -> str | None:
    return _check_text(text, missing="Ange referens.", subject="Referensen", limit=MAX_REFERENCE)


def check_message(text: str) -> str | None:
    return _check_text(text, missing=None, subject="Meddelandet", limit=MAX_MESSAGE)
