"""Server-side validation of the "Ny utbetalning" form, with Swedish messages per field."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

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

FIELDS = (
    "personnummer",
    "name",
    "method",
    "clearing",
    "account",
    "bankgiro",
    "ocr",
    "amount",
    "payout_date",
    "reference",
    "message",
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
    """
    values = {name: (form.get(name) or "").strip() for name in FIELDS}
    errors: dict[str, str] = {}

    personnummer = ""
    if not values["personnummer"]:
        errors["personnummer"] = "Ange personnummer eller samordningsnummer."
    else:
        try:
            personnummer = normalize_identity(values["personnummer"], today=today)
        except InvalidIdentity:
            errors["personnummer"] = (
                "Ogiltigt personnummer eller samordningsnummer (kontrollsiffran stämmer inte)."
            )

    if not values["name"]:
        errors["name"] = "Ange mottagarens namn."
    elif len(values["name"]) > MAX_NAME:
        errors["name"] = f"Namnet får vara högst {MAX_NAME} tecken."

    method = values["method"].upper()
    clearing = account = bankgiro = None
    if method not in METHODS:
        errors["method"] = "Välj betalningssätt: KONTO, AVI eller BANKGIRO."
    elif method == "KONTO":
        if not values["clearing"]:
            errors["clearing"] = "Ange clearingnummer."
        if not values["account"]:
            errors["account"] = "Ange kontonummer."
        if values["clearing"] and values["account"]:
            try:
                clearing, account = normalize_account(values["clearing"], values["account"])
            except InvalidAccount:
                errors["account"] = "Ogiltigt clearing- eller kontonummer."
    elif method == "BANKGIRO":
        if not values["bankgiro"]:
            errors["bankgiro"] = "Ange bankgironummer."
        else:
            try:
                bankgiro = normalize_bankgiro(values["bankgiro"])
            except InvalidBankgiro:
                errors["bankgiro"] = "Ogiltigt bankgironummer."

    ocr = values["ocr"].replace(" ", "")
    if ocr and (not ocr.isdigit() or len(ocr) > MAX_OCR):
        errors["ocr"] = f"OCR-numret får bara innehålla siffror (högst {MAX_OCR})."

    amount_ore = 0
    if not values["amount"]:
        errors["amount"] = "Ange belopp."
    else:
        try:
            amount_ore = parse_amount_ore(values["amount"])
        except InvalidAmount:
            errors["amount"] = "Ogiltigt belopp. Skriv till exempel 12 345,50."
        else:
            if amount_ore <= 0:
                errors["amount"] = "Beloppet måste vara större än 0."
            elif max_amount_ore is not None and amount_ore > max_amount_ore:
                errors["amount"] = ceiling_message(max_amount_ore)
            elif amount_ore > MAX_AMOUNT_ORE:
                errors["amount"] = "Beloppet är för stort."

    payout_date = today
    if not values["payout_date"]:
        errors["payout_date"] = "Ange utbetalningsdag (ÅÅÅÅ-MM-DD)."
    else:
        try:
            if not _ISO_DATE.match(values["payout_date"]):
                raise ValueError(values["payout_date"])
            payout_date = dt.date.fromisoformat(values["payout_date"])
        except ValueError:
            errors["payout_date"] = "Ogiltigt datum. Skriv ÅÅÅÅ-MM-DD."
        else:
            if payout_date < today:
                errors["payout_date"] = "Utbetalningsdagen har redan passerat."
            elif not is_bank_day(payout_date):
                errors["payout_date"] = "Utbetalningsdagen måste vara en bankdag."

    if not values["reference"]:
        errors["reference"] = "Ange referens."
    elif len(values["reference"]) > MAX_REFERENCE:
        errors["reference"] = f"Referensen får vara högst {MAX_REFERENCE} tecken."

    if len(values["message"]) > MAX_MESSAGE:
        errors["message"] = f"Meddelandet får vara högst {MAX_MESSAGE} tecken."

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
