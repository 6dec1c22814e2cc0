"""One raw row of the export -> a ``Decision``, or a ``manual`` plan naming every column that
cannot be read (docs/rules.md §1)."""

from __future__ import annotations

import datetime as dt

from splitpayout.domain.cells import (
    is_blank,
    parse_amount,
    parse_date,
    parse_share_bp,
    parse_text,
    parse_yes_no,
)
from splitpayout.domain.errors import CellError
from splitpayout.domain.export_columns import (
    AMOUNT,
    APPLICANT1,
    APPLICANT2,
    CASE_WORKER,
    DECISION,
    DIRECT,
    DIRECT_BANKGIRO,
    DIRECT_OCR,
    PAYOUT_DATE,
    PROTECTED,
    SHARE,
    SPLIT,
    ApplicantColumns,
    number_format_key,
)
from splitpayout.domain.models import Applicant, Contact, Decision, DecisionPlan, Outcome, Reason
from splitpayout.domain.reasons import ReasonCode
from splitpayout.domain.references import decision_number_problem, shown

DEFAULT_SHARE_BP = 5000
_EMPTY_CONTACT = Contact()


def is_protected(value: object) -> tuple[bool, bool]:
    """(protected, readable) for a ``Skyddade personuppgifter`` cell; unreadable counts as protected."""
    if is_blank(value):
        return False, True
    try:
        return parse_yes_no(value), True
    except CellError:
        return True, False


def _text_or_none(value: object) -> str | None:
    try:
        return parse_text(value)
    except CellError:
        return None


def _contact_from_raw(raw: dict[str, object]) -> Contact:
    return Contact.model_construct(
        applicant1_name=_text_or_none(raw.get(APPLICANT1.name)) or "",
        applicant1_personnummer=_text_or_none(raw.get(APPLICANT1.id)) or "",
        applicant2_name=_text_or_none(raw.get(APPLICANT2.name)) or "",
        applicant2_personnummer=_text_or_none(raw.get(APPLICANT2.id)) or "",
    )


def protected_plan(
    decision_id: str,
    row_numbers: tuple[int, ...],
    extra: tuple[Reason, ...] = (),
    case_worker: str | None = None,
) -> DecisionPlan:
    """A protected decision: its number and, so that it reaches its own case worker (their sheet of
    the workbook, their filter), the export's Handläggare id; nothing of the household."""
    reasons = (Reason(code=ReasonCode.PROTECTED_IDENTITY), *extra)
    return DecisionPlan.model_construct(
        decision_id=decision_id,
        row_numbers=row_numbers,
        amount_ore=0,
        outcome=Outcome.MANUAL,
        reasons=reasons,
        payments=(),
        case_worker=case_worker,
        protected=True,
        contact=_EMPTY_CONTACT,
    )


def invalid_row(fields: list[str], detail: str) -> Reason:
    return Reason(code=ReasonCode.INVALID_ROW, fields=tuple(dict.fromkeys(fields)), detail=detail)


class _RowParser:
    """Collects every unreadable column of one row instead of stopping at the first."""

    def __init__(self, raw: dict[str, object]) -> None:
        self.raw = raw
        self.bad: list[str] = []

    def required_text(self, column: str) -> str:
        value = self.optional_text(column)
        if value is None:
            self.bad.append(column)
            return ""
        return value

    def optional_text(self, column: str) -> str | None:
        try:
            return parse_text(self.raw.get(column))
        except CellError:
            self.bad.append(column)
            return None

    def decision_number(self) -> str:
        """The decision number as written, or (shown with visible escapes) a bad column when it
        cannot be a payment reference's first part."""
        text = self.required_text(DECISION)
        if text and decision_number_problem(text) is not None:
            self.bad.append(DECISION)
        return shown(text)

    def amount(self, column: str, *, required: bool) -> int:
        value = self.raw.get(column)
        if is_blank(value):
            if required:
                self.bad.append(column)
            return 0
        try:
            return parse_amount(value)
        except CellError:
            self.bad.append(column)
            return 0

    def date(self, column: str) -> dt.date:
        try:
            return parse_date(self.raw.get(column))
        except CellError:
            self.bad.append(column)
            return dt.date.min

    def yes_no(self, column: str) -> bool:
        try:
            return parse_yes_no(self.raw.get(column))
        except CellError:
            self.bad.append(column)
            return False

    def share(self, column: str) -> int:
        value = self.raw.get(column)
        if is_blank(value):
            return DEFAULT_SHARE_BP
        number_format = self.raw.get(number_format_key(column))
        try:
            return parse_share_bp(value, number_format if isinstance(number_format, str) else None)
        except CellError:
            self.bad.append(column)
            return DEFAULT_SHARE_BP

    def _bank_details(self, columns: ApplicantColumns) -> tuple[str | None, str | None]:
        """An applicant's clearing and account numbers, each optional."""
        return self.optional_text(columns.clearing), self.optional_text(columns.account)

    def applicant1(self) -> Applicant:
        """Sökande 1: identity number and name required, bank details optional."""
        personnummer = self.required_text(APPLICANT1.id)
        name = self.required_text(APPLICANT1.name)
        clearing, account = self._bank_details(APPLICANT1)
        return Applicant.model_construct(
            personnummer=personnummer, name=name, clearing=clearing, account=account
        )

    def applicant2(self) -> Applicant | None:
        """Sökande 2 when any of the partner's columns is filled in."""
        personnummer = self.optional_text(APPLICANT2.id)
        name = self.optional_text(APPLICANT2.name)
        clearing, account = self._bank_details(APPLICANT2)
        if all(value is None for value in (personnummer, name, clearing, account)):
            return None
        return Applicant.model_construct(
            personnummer=personnummer or "", name=name or "", clearing=clearing, account=account
        )


def _unreadable_plan(
    parser: _RowParser,
    row_number: int,
    decision_id: str,
    amount_ore: int,
    payout_date: dt.date,
    case_worker: str | None,
) -> DecisionPlan:
    """The ``manual`` plan of a row with unreadable columns: one ``invalid_row`` naming them all."""
    return DecisionPlan.model_construct(
        decision_id=decision_id,
        row_numbers=(row_number,),
        amount_ore=0 if AMOUNT in parser.bad else amount_ore,
        outcome=Outcome.MANUAL,
        reasons=(invalid_row(parser.bad, "these columns cannot be read"),),
        payments=(),
        case_worker=case_worker,
        protected=False,
        contact=_contact_from_raw(parser.raw),
        requested_payout_date=None if PAYOUT_DATE in parser.bad else payout_date,
    )


def parse_row(row_number: int, raw: dict[str, object]) -> Decision | DecisionPlan:
    """One raw row of the export as a ``Decision``, or a ``manual`` plan when it cannot be read.

    Unreadable cells give one ``invalid_row`` reason naming every offending column. Values
    are kept as written (trimmed); identity numbers, accounts and the bankgiro are checked
    by ``plan_decision``. A protected row comes back as a protected plan right away.
    """
    parser = _RowParser(raw)
    decision_id = parser.decision_number()
    protected, readable = is_protected(raw.get(PROTECTED))
    if protected:
        extra = () if readable else (invalid_row([PROTECTED], "Skyddade personuppgifter is not Ja or Nej"),)
        return protected_plan(decision_id, (row_number,), extra, parser.optional_text(CASE_WORKER))

    payout_date = parser.date(PAYOUT_DATE)
    amount_ore = parser.amount(AMOUNT, required=True)
    if AMOUNT not in parser.bad and amount_ore <= 0:
        parser.bad.append(AMOUNT)
    direct_ore = parser.amount(DIRECT, required=False)
    split = parser.yes_no(SPLIT)
    share1_bp = parser.share(SHARE) if split else DEFAULT_SHARE_BP
    applicant1 = parser.applicant1()
    applicant2 = parser.applicant2()
    bankgiro = parser.optional_text(DIRECT_BANKGIRO)
    ocr = parser.optional_text(DIRECT_OCR)
    case_worker = parser.optional_text(CASE_WORKER)

    if parser.bad:
        return _unreadable_plan(parser, row_number, decision_id, amount_ore, payout_date, case_worker)
    return Decision.model_construct(
        row_number=row_number,
        decision_id=decision_id,
        payout_date=payout_date,
        amount_ore=amount_ore,
        direct_ore=direct_ore,
        direct_bankgiro=bankgiro,
        direct_ocr=ocr,
        split=split,
        share1_bp=share1_bp,
        applicant1=applicant1,
        applicant2=applicant2,
        protected=False,
        case_worker=case_worker,
    )
