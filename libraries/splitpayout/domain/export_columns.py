"""The export's columns, spelled as in docs/rules.md §1.1, and how many decisions one export may hold."""

from __future__ import annotations

from dataclasses import dataclass

# The columns of the export, spelled as in docs/rules.md §1.1.
DECISION = "Beslutsnummer"
PAYOUT_DATE = "Utbetalningsdatum"
AMOUNT = "Belopp"
DIRECT = "Varav direktbetalning"
DIRECT_BANKGIRO = "Direktbetalning bankgiro"
DIRECT_OCR = "Direktbetalning OCR"
SPLIT = "Delad utbetalning"
SHARE = "Andel sökande 1"
A1_ID = "Sökande 1 personnummer"
A1_NAME = "Sökande 1 namn"
A1_CLEARING = "Sökande 1 clearingnummer"
A1_ACCOUNT = "Sökande 1 kontonummer"
A2_ID = "Sökande 2 personnummer"
A2_NAME = "Sökande 2 namn"
A2_CLEARING = "Sökande 2 clearingnummer"
A2_ACCOUNT = "Sökande 2 kontonummer"
PROTECTED = "Skyddade personuppgifter"
CASE_WORKER = "Handläggare"


@dataclass(frozen=True)
class ApplicantColumns:
    """The four columns that describe one applicant."""

    id: str
    name: str
    clearing: str
    account: str

    @property
    def all(self) -> tuple[str, str, str, str]:
        return (self.id, self.name, self.clearing, self.account)


APPLICANT1 = ApplicantColumns(A1_ID, A1_NAME, A1_CLEARING, A1_ACCOUNT)
APPLICANT2 = ApplicantColumns(A2_ID, A2_NAME, A2_CLEARING, A2_ACCOUNT)
APPLICANTS = (APPLICANT1, APPLICANT2)

ALL_COLUMNS: tuple[str, ...] = (
    DECISION,
    PAYOUT_DATE,
    AMOUNT,
    DIRECT,
    DIRECT_BANKGIRO,
    DIRECT_OCR,
    SPLIT,
    SHARE,
    *APPLICANT1.all,
    *APPLICANT2.all,
    PROTECTED,
    CASE_WORKER,
)
REQUIRED_COLUMNS: tuple[str, ...] = (DECISION, PAYOUT_DATE, AMOUNT, SPLIT, A1_ID, A1_NAME)
ACCOUNT_COLUMNS: tuple[str, ...] = (A1_CLEARING, A1_ACCOUNT, A2_CLEARING, A2_ACCOUNT)
# Columns whose number cells mean something else under a percent format.
NUMBER_FORMAT_COLUMNS: frozenset[str] = frozenset({SHARE})
#: Data rows one run takes at most (``MAX_DECISIONS``): eight times a Malmö month.
DEFAULT_MAX_DECISIONS = 20_000


def number_format_key(column: str) -> str:
    """The key under which a raw row holds the number format of ``column``'s cell."""
    return f"{column}#number_format"
