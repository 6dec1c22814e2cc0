"""The reason codes and what they mean in Swedish: the one home of a code, and the one table the
workbook, the e-mails, the follow-up and the console read.

Each code (``ReasonCode``, docs/rules.md §3.2) has a short label (the workbook's "Orsak", the
console's pages, the e-mail's headings), an explanation of when the robot gives it, and what the
case worker should do about it. ``tests/unit/splitpayout/test_reasons.py`` checks that every code
has all three. A new reason is one member of ``ReasonCode`` and one entry of ``REASONS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReasonCode(StrEnum):
    """Stable, machine-readable reasons for manual handling (docs/rules.md §3.2)."""

    INVALID_ROW = "invalid_row"
    DUPLICATE_DECISION = "duplicate_decision"
    PROTECTED_IDENTITY = "protected_identity"
    MISSING_PARTNER = "missing_partner"
    INVALID_IDENTITY = "invalid_identity"
    INVALID_ACCOUNT = "invalid_account"
    INVALID_BANKGIRO = "invalid_bankgiro"
    AMOUNT_ABOVE_LIMIT = "amount_above_limit"
    PAYOUT_DATE_PASSED = "payout_date_passed"
    CONFLICT_EXISTING_PAYMENT = "conflict_existing_payment"
    REJECTED_BY_PAYOUT_SYSTEM = "rejected_by_payout_system"
    # The robot's ledger says the payment was registered (with its payment number), but the
    # payout system no longer shows it: a human must look; it is never entered again.
    REGISTERED_NOT_FOUND = "registered_not_found"
    # The payout system stored the payment, read back from its confirmation, differently from what
    # the robot entered (``fields`` names the fields, never the values): a human corrects or cancels
    # it before it is attested; the robot never enters it again.
    STORED_DIFFERENTLY = "stored_differently"


@dataclass(frozen=True)
class ReasonText:
    """What one reason code means to a case worker, in Swedish."""

    label: str
    explanation: str
    todo: str


REASONS: dict[ReasonCode, ReasonText] = {
    ReasonCode.INVALID_ROW: ReasonText(
        "Raden i exporten är ofullständig eller felaktig",
        "En cell i exporten går inte att läsa, beslutsnumret går inte att använda, direktbetalningen är "
        "större än beloppet eller en betalning skulle bryta mot en fältgräns i utbetalningssystemet.",
        "Rätta beslutet i verksamhetssystemet (se felaktiga fält) och registrera utbetalningen manuellt "
        "eller kör roboten på en ny export.",
    ),
    ReasonCode.DUPLICATE_DECISION: ReasonText(
        "Beslutsnumret förekommer på flera rader",
        "Samma beslutsnummer står på mer än en rad i exporten, så roboten kan inte veta vilken rad "
        "som är rätt.",
        "Kontrollera vilken rad som är rätt och registrera utbetalningen manuellt.",
    ),
    ReasonCode.PROTECTED_IDENTITY: ReasonText(
        "Skyddade personuppgifter",
        "Någon i hushållet har skyddade personuppgifter (eller cellen är varken Ja, Nej eller tom), "
        "så roboten hanterar aldrig beslutet.",
        "Hantera utbetalningen manuellt enligt rutinen för skyddade personuppgifter.",
    ),
    ReasonCode.MISSING_PARTNER: ReasonText(
        "Delad utbetalning utan uppgifter om sökande 2",
        "Beslutet gäller delad utbetalning men personnummer eller namn för sökande 2 saknas.",
        "Komplettera uppgifterna om sökande 2 eller ändra beslutet till odelad utbetalning.",
    ),
    ReasonCode.INVALID_IDENTITY: ReasonText(
        "Ogiltigt person- eller samordningsnummer",
        "Ett person- eller samordningsnummer har fel form, ett datum som inte finns eller fel "
        "kontrollsiffra.",
        "Kontrollera personnumret mot folkbokföringen och rätta det i verksamhetssystemet.",
    ),
    ReasonCode.INVALID_ACCOUNT: ReasonText(
        "Ogiltigt eller ofullständigt bankkonto",
        "Ett bankkonto är ofullständigt eller ogiltigt, är någon annans personkonto eller delas av "
        "de sökande vid delad utbetalning.",
        "Kontrollera clearing- och kontonummer med den sökande, eller betala via avi.",
    ),
    ReasonCode.INVALID_BANKGIRO: ReasonText(
        "Ogiltigt eller saknat bankgironummer för direktbetalningen",
        "Beslutet har en direktbetalning men inget giltigt bankgironummer.",
        "Kontrollera mottagarens bankgironummer och registrera direktbetalningen manuellt.",
    ),
    ReasonCode.AMOUNT_ABOVE_LIMIT: ReasonText(
        "Beloppet överstiger robotens beloppsgräns",
        "Beslutets belopp är större än den beloppsgräns per beslut som roboten får registrera.",
        "Granska beslutet och registrera utbetalningen manuellt.",
    ),
    ReasonCode.PAYOUT_DATE_PASSED: ReasonText(
        "Utbetalningsdagen har redan passerat",
        "Utbetalningsdagen, flyttad till en bankdag, har redan passerat.",
        "Bestäm ett nytt utbetalningsdatum och registrera utbetalningen manuellt.",
    ),
    ReasonCode.CONFLICT_EXISTING_PAYMENT: ReasonText(
        "Utbetalningssystemet har redan en utbetalning med samma referens men annat belopp eller mottagare",
        "Utbetalningssystemet har redan en av beslutets referenser, men med ett annat belopp eller en "
        "annan mottagare än beslutet anger.",
        "Jämför beslutet med den registrerade utbetalningen och rätta den som är fel. "
        "Roboten registrerar inget mer för beslutet.",
    ),
    ReasonCode.REJECTED_BY_PAYOUT_SYSTEM: ReasonText(
        "Utbetalningssystemet godtog inte uppgifterna",
        "Utbetalningssystemets egen kontroll godtog inte en betalning. Betalningar i beslutet som redan "
        "registrerats ligger kvar.",
        "Kontrollera de fält som nämns och registrera utbetalningen manuellt.",
    ),
    ReasonCode.REGISTERED_NOT_FOUND: ReasonText(
        "Roboten registrerade utbetalningen (U-nummer) men den syns inte längre i utbetalningssystemet",
        "Roboten har antecknat utbetalningen som registrerad, med sitt U-nummer, men utbetalningssystemet "
        "visar den inte längre.",
        "Kontrollera i utbetalningssystemet vad som hänt med utbetalningen med det U-nummer som står i "
        "raden (makulerad, ändrad eller flyttad). Roboten registrerar den aldrig igen: registrera den "
        "manuellt bara om den inte finns.",
    ),
    ReasonCode.STORED_DIFFERENTLY: ReasonText(
        "Utbetalningssystemet sparade utbetalningen annorlunda än roboten angav (se fälten)",
        "Utbetalningssystemets bekräftelse visar andra uppgifter i de nämnda fälten än dem roboten angav.",
        "Jämför utbetalningen (U-numret i raden) med beslutet och rätta eller makulera utbetalningen i "
        "utbetalningssystemet innan den attesteras. Roboten registrerar den aldrig igen.",
    ),
}

# What a code this version does not know means (a run of a newer version read back by an older one):
# the one fallback of the workbook, the e-mails, the follow-up and the console.
UNKNOWN_REASON = ReasonText(
    "Annan orsak",
    "Roboten angav en orsak som den här versionen av roboten inte känner till.",
    "Kontrollera beslutet och registrera utbetalningen manuellt.",
)


def reason_text(code: str) -> ReasonText:
    """What a reason code means to a case worker (``UNKNOWN_REASON`` for a code not in the table)."""
    try:
        return REASONS[ReasonCode(code)]
    except ValueError:
        return UNKNOWN_REASON
