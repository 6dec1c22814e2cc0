"""Planning every payment of the export: the split and the rules of docs/rules.md §2 and §3.

Three layers, each plain Python without Robot Framework:

* ``parse_row``: one raw row -> a ``Decision``, or a ``manual`` plan with ``invalid_row``
  naming every column that cannot be read;
* ``plan_decision``: one decision -> its payments, or ``manual`` with every reason that
  applies (pure: the same decision, day and limit always give the same plan);
* ``plan_export``: the whole file, streamed, with duplicate decision numbers found. It
  reads the file twice: the decision numbers first (memory holds only that set, and a file
  damaged anywhere is refused before any plan is yielded), then plans row by row.

Each choice made here (passed dates, protected identity, shares, accounts, duplicates,
the message) is a rule of docs/rules.md and is stated there.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from splitpayout import reader
from splitpayout.cells import is_blank, parse_amount, parse_date, parse_share_bp, parse_text, parse_yes_no
from splitpayout.contract import LIMITS
from splitpayout.errors import CellError
from splitpayout.models import (
    Applicant,
    Contact,
    Decision,
    DecisionPlan,
    Method,
    Outcome,
    PlannedPayment,
    Reason,
    ReasonCode,
)
from splitpayout.reader import (
    A1_ACCOUNT,
    A1_CLEARING,
    A1_ID,
    A1_NAME,
    A2_ACCOUNT,
    A2_CLEARING,
    A2_ID,
    A2_NAME,
    AMOUNT,
    CASE_WORKER,
    DECISION,
    DEFAULT_MAX_DECISIONS,
    DIRECT,
    DIRECT_BANKGIRO,
    DIRECT_OCR,
    PAYOUT_DATE,
    PROTECTED,
    SHARE,
    SPLIT,
    StrPath,
    number_format_key,
    read_header,
)
from splitpayout.references import decision_key, decision_number_problem, payment_reference, shown
from swedish_rules import (
    InvalidAccount,
    InvalidBankgiro,
    InvalidIdentity,
    normalize_account,
    normalize_bankgiro,
    normalize_identity,
    previous_bank_day,
)

__all__ = [
    "DEFAULT_AMOUNT_LIMIT_ORE",
    "DecisionIndex",
    "decision_key",
    "index_decisions",
    "parse_row",
    "payment_message",
    "plan_decision",
    "plan_export",
    "plan_row",
    "read_header",
    "split_amount",
]

DEFAULT_AMOUNT_LIMIT_ORE = 5_000_000  # 50 000 kr per decision
DEFAULT_SHARE_BP = 5000
FULL_SHARE_BP = 10_000
PERSONKONTO_CLEARINGS = frozenset({"3300", "3782"})
_EMPTY_CONTACT = Contact()
# Characters a single-line text field cannot hold: controls (line breaks, tabs), line and
# paragraph separators, lone surrogates.
_NOT_IN_A_LINE = frozenset({"Cc", "Zl", "Zp", "Cs"})


def payment_message(payout_date: dt.date) -> str:
    """The message on every payment: short, Swedish, without personal data."""
    return f"Ekonomiskt bistånd {payout_date:%Y-%m}"


def split_amount(rest_ore: int, share1_bp: int) -> tuple[int, int]:
    """Split ``rest_ore`` between the partners, sökande 1 getting ``share1_bp`` hundredths of a percent.

    ``p2 = floor(rest × (10000 − share) / 10000)`` and ``p1 = rest − p2``: exact integers, the
    odd öre goes to sökande 1 and ``p1 + p2 == rest`` always.
    """
    if rest_ore < 0:
        raise ValueError(f"expected a remaining amount of at least 0 öre, got {rest_ore}")
    if not 0 < share1_bp < FULL_SHARE_BP:
        raise ValueError(f"expected a share between 1 and 9999 hundredths of a percent, got {share1_bp}")
    p2 = rest_ore * (FULL_SHARE_BP - share1_bp) // FULL_SHARE_BP
    return rest_ore - p2, p2


# --- parse_row --------------------------------------------------------------------------------


def _is_protected(value: object) -> tuple[bool, bool]:
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
        applicant1_name=_text_or_none(raw.get(A1_NAME)) or "",
        applicant1_personnummer=_text_or_none(raw.get(A1_ID)) or "",
        applicant2_name=_text_or_none(raw.get(A2_NAME)) or "",
        applicant2_personnummer=_text_or_none(raw.get(A2_ID)) or "",
    )


def _protected_plan(
    decision_id: str, row_numbers: tuple[int, ...], extra: tuple[Reason, ...] = ()
) -> DecisionPlan:
    reasons = (Reason(code=ReasonCode.PROTECTED_IDENTITY), *extra)
    return DecisionPlan.model_construct(
        decision_id=decision_id,
        row_numbers=row_numbers,
        amount_ore=0,
        outcome=Outcome.MANUAL,
        reasons=reasons,
        payments=(),
        case_worker=None,
        protected=True,
        contact=_EMPTY_CONTACT,
    )


def _invalid_row(fields: list[str], detail: str) -> Reason:
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


def parse_row(row_number: int, raw: dict[str, object]) -> Decision | DecisionPlan:
    """One raw row of the export as a ``Decision``, or a ``manual`` plan when it cannot be read.

    Unreadable cells give one ``invalid_row`` reason naming every offending column. Values
    are kept as written (trimmed); identity numbers, accounts and the bankgiro are checked
    by ``plan_decision``. A protected row comes back as a protected plan right away.
    """
    parser = _RowParser(raw)
    decision_id = parser.decision_number()
    protected, readable = _is_protected(raw.get(PROTECTED))
    if protected:
        extra = () if readable else (_invalid_row([PROTECTED], "Skyddade personuppgifter is not Ja or Nej"),)
        return _protected_plan(decision_id, (row_number,), extra)

    payout_date = parser.date(PAYOUT_DATE)
    amount_ore = parser.amount(AMOUNT, required=True)
    if AMOUNT not in parser.bad and amount_ore <= 0:
        parser.bad.append(AMOUNT)
    direct_ore = parser.amount(DIRECT, required=False)
    split = parser.yes_no(SPLIT)
    share1_bp = parser.share(SHARE) if split else DEFAULT_SHARE_BP
    a1_id = parser.required_text(A1_ID)
    a1_name = parser.required_text(A1_NAME)
    a1_clearing = parser.optional_text(A1_CLEARING)
    a1_account = parser.optional_text(A1_ACCOUNT)
    a2_id = parser.optional_text(A2_ID)
    a2_name = parser.optional_text(A2_NAME)
    a2_clearing = parser.optional_text(A2_CLEARING)
    a2_account = parser.optional_text(A2_ACCOUNT)
    bankgiro = parser.optional_text(DIRECT_BANKGIRO)
    ocr = parser.optional_text(DIRECT_OCR)
    case_worker = parser.optional_text(CASE_WORKER)

    if parser.bad:
        return DecisionPlan.model_construct(
            decision_id=decision_id,
            row_numbers=(row_number,),
            amount_ore=0 if AMOUNT in parser.bad else amount_ore,
            outcome=Outcome.MANUAL,
            reasons=(_invalid_row(parser.bad, "these columns cannot be read"),),
            payments=(),
            case_worker=case_worker,
            protected=False,
            contact=_contact_from_raw(raw),
            requested_payout_date=None if PAYOUT_DATE in parser.bad else payout_date,
        )

    applicant2 = None
    if any(value is not None for value in (a2_id, a2_name, a2_clearing, a2_account)):
        applicant2 = Applicant.model_construct(
            personnummer=a2_id or "", name=a2_name or "", clearing=a2_clearing, account=a2_account
        )
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
        applicant1=Applicant.model_construct(
            personnummer=a1_id, name=a1_name, clearing=a1_clearing, account=a1_account
        ),
        applicant2=applicant2,
        protected=False,
        case_worker=case_worker,
    )


# --- plan_decision ----------------------------------------------------------------------------


@dataclass
class _Checked:
    """One applicant after the identity and bank-detail checks."""

    personnummer: str | None = None  # normalised, None when invalid
    clearing: str | None = None
    account: str | None = None
    account_ok: bool = True


def _check_applicant(applicant: Applicant, today: dt.date) -> _Checked:
    checked = _Checked()
    try:
        checked.personnummer = normalize_identity(applicant.personnummer, today)
    except InvalidIdentity:
        checked.personnummer = None
    clearing, account = applicant.clearing, applicant.account
    if clearing is None and account is None:
        return checked
    if clearing is None or account is None:
        checked.account_ok = False
        return checked
    try:
        checked.clearing, checked.account = normalize_account(clearing, account)
    except InvalidAccount:
        checked.account_ok = False
        return checked
    if checked.clearing in PERSONKONTO_CLEARINGS and (
        checked.personnummer is None
        or checked.account not in (checked.personnummer, checked.personnummer[2:])
    ):
        checked.account_ok = False  # someone else's personkonto (or one that cannot be matched)
    return checked


@dataclass(frozen=True)
class PlanningRules:
    """What planning depends on besides the decision: the day and the limits."""

    today: dt.date
    amount_limit_ore: int = DEFAULT_AMOUNT_LIMIT_ORE  # per decision (AMOUNT_LIMIT_KR)
    max_payment_ore: int | None = None  # the payout system's ceiling per payment, when it has one


@dataclass
class _Case:
    """A decision under the rule checks, with what the checks found out about it."""

    decision: Decision
    rules: PlanningRules
    partner: Applicant | None  # sökande 2 when the decision is split and sökande 2 is there
    checked: list[_Checked]  # sökande 1, then the partner when there is one
    pay_date: dt.date  # the requested date moved to a bank day
    bankgiro: str | None = None  # normalised, for the direct payment

    @property
    def rest_ore(self) -> int:
        return self.decision.amount_ore - self.decision.direct_ore

    def shares(self) -> tuple[int, int]:
        """(sökande 1's part, sökande 2's part) of what is left after the direct payment."""
        if self.decision.split and self.partner is not None:
            return split_amount(self.rest_ore, self.decision.share1_bp)
        return self.rest_ore, 0


Rule = Callable[[_Case], list[Reason]]


def _direct_within_amount(case: _Case) -> list[Reason]:
    if case.rest_ore < 0:
        return [_invalid_row([DIRECT, AMOUNT], "Varav direktbetalning is larger than Belopp")]
    return []


def _partner_present(case: _Case) -> list[Reason]:
    if not case.decision.split or case.partner is not None:
        return []
    a2 = case.decision.applicant2
    missing = [A2_ID] if a2 is None or not a2.personnummer else []
    missing += [A2_NAME] if a2 is None or not a2.name else []
    return [
        Reason(
            code=ReasonCode.MISSING_PARTNER, fields=tuple(missing), detail="split payout without sökande 2"
        )
    ]


def _valid_identities(case: _Case) -> list[Reason]:
    columns = [
        column for column, c in zip((A1_ID, A2_ID), case.checked, strict=False) if c.personnummer is None
    ]
    if columns:
        return [
            Reason(
                code=ReasonCode.INVALID_IDENTITY, fields=tuple(columns), detail="not a valid identity number"
            )
        ]
    return []


def _own_accounts(case: _Case) -> list[Reason]:
    """Each partner's own valid account, or none (payment notice); never the other partner's."""
    columns_of = ((A1_CLEARING, A1_ACCOUNT), (A2_CLEARING, A2_ACCOUNT))
    bad = [col for cols, c in zip(columns_of, case.checked, strict=False) if not c.account_ok for col in cols]
    checked = case.checked
    shared = len(checked) == 2 and checked[0].account is not None
    if (
        not bad
        and shared
        and (checked[0].clearing, checked[0].account) == (checked[1].clearing, checked[1].account)
    ):
        bad = [*columns_of[0], *columns_of[1]]
    if bad:
        return [
            Reason(
                code=ReasonCode.INVALID_ACCOUNT,
                fields=tuple(bad),
                detail="bank account incomplete, invalid, or not the applicant's own",
            )
        ]
    return []


def _account(checked: _Checked) -> tuple[str | None, str | None]:
    return checked.clearing, checked.account


def _valid_bankgiro(case: _Case) -> list[Reason]:
    decision = case.decision
    if decision.direct_ore <= 0:
        return []
    try:
        if decision.direct_bankgiro is None:
            raise InvalidBankgiro("missing")
        case.bankgiro = normalize_bankgiro(decision.direct_bankgiro)
    except InvalidBankgiro:
        return [
            Reason(
                code=ReasonCode.INVALID_BANKGIRO,
                fields=(DIRECT_BANKGIRO,),
                detail="direct payment without a valid bankgiro number",
            )
        ]
    return []


def _amount_within_limit(case: _Case) -> list[Reason]:
    if case.decision.amount_ore > case.rules.amount_limit_ore:
        return [
            Reason(
                code=ReasonCode.AMOUNT_ABOVE_LIMIT,
                fields=(AMOUNT,),
                detail="Belopp is above the limit per decision",
            )
        ]
    return []


def _payout_date_not_passed(case: _Case) -> list[Reason]:
    if case.pay_date < case.rules.today:
        return [
            Reason(
                code=ReasonCode.PAYOUT_DATE_PASSED,
                fields=(PAYOUT_DATE,),
                detail="the payout date (moved to a bank day) has passed",
            )
        ]
    return []


def _within_field_limits(case: _Case) -> list[Reason]:
    """What the payout system would refuse (its documented field limits), known before entering:
    a decision that breaks one is entered not at all, instead of half."""
    decision = case.decision
    bad: list[str] = []
    names = [(A1_NAME, decision.applicant1)] + ([(A2_NAME, case.partner)] if case.partner else [])
    bad += [column for column, applicant in names if applicant and not _fits_name_field(applicant.name)]
    if (
        decision.direct_ore > 0
        and decision.direct_ocr is not None
        and ocr_digits(decision.direct_ocr) is None
    ):
        bad.append(DIRECT_OCR)
    ceiling = LIMITS.amount_ore
    if case.rules.max_payment_ore is not None:
        ceiling = min(ceiling, case.rules.max_payment_ore)
    if case.rest_ore >= 0 and any(part > ceiling for part in case.shares()):
        bad.append(AMOUNT)
    if decision.direct_ore > ceiling:
        bad.append(DIRECT)
    if len(payment_message(decision.payout_date)) > LIMITS.message:  # pragma: no cover - fixed text
        bad.append(PAYOUT_DATE)
    if bad:
        return [_invalid_row(bad, "beyond what the payout system accepts in a payment (its field limits)")]
    return []


#: Every rule a decision must pass to be paid automatically, in the order its reasons are listed.
RULES: tuple[Rule, ...] = (
    _direct_within_amount,
    _partner_present,
    _valid_identities,
    _own_accounts,
    _valid_bankgiro,
    _amount_within_limit,
    _payout_date_not_passed,
    _within_field_limits,
)


def _fits_name_field(name: str) -> bool:
    """A name the payout system stores as written: within its length, on one line (a line break
    or another control character would be dropped by the browser's single-line field)."""
    return len(name) <= LIMITS.name and not any(unicodedata.category(c) in _NOT_IN_A_LINE for c in name)


def ocr_digits(text: str) -> str | None:
    """An OCR number as the payout system stores it (digits 0–9, spaces removed), or None when it
    holds anything else or more digits than the payout system takes."""
    digits = text.replace(" ", "")
    if not digits or not digits.isascii() or not digits.isdigit() or len(digits) > LIMITS.ocr:
        return None
    return digits


def _case(decision: Decision, rules: PlanningRules) -> _Case:
    partner = decision.applicant2 if decision.split else None
    if partner is not None and (not partner.personnummer or not partner.name):
        partner = None
    applicants = [decision.applicant1] + ([partner] if partner is not None else [])
    return _Case(
        decision=decision,
        rules=rules,
        partner=partner,
        checked=[_check_applicant(applicant, rules.today) for applicant in applicants],
        pay_date=previous_bank_day(decision.payout_date),
    )


def _contact(case: _Case) -> Contact:
    decision, checked = case.decision, case.checked
    a1, a2 = decision.applicant1, decision.applicant2
    return Contact.model_construct(
        applicant1_name=a1.name,
        applicant1_personnummer=checked[0].personnummer or a1.personnummer,
        applicant2_name=a2.name if a2 else "",
        applicant2_personnummer=(checked[1].personnummer if len(checked) > 1 else None)
        or (a2.personnummer if a2 else ""),
    )


def _payments(case: _Case) -> tuple[PlannedPayment, ...]:
    """The payments of a decision that passed every rule: sökande 1, sökande 2, the direct payment."""
    decision = case.decision
    common: dict[str, Any] = {
        "decision_id": decision.decision_id,
        "payout_date": case.pay_date,
        "message": payment_message(decision.payout_date),
    }
    payments: list[PlannedPayment] = []
    parts = zip(case.shares(), ("1", "2"), (decision.applicant1, case.partner), case.checked, strict=False)
    for amount, suffix, applicant, c in parts:
        if amount > 0 and applicant is not None:
            payments.append(
                PlannedPayment.model_construct(
                    reference=payment_reference(decision.decision_id, suffix),
                    method=Method.KONTO if c.account is not None else Method.AVI,
                    personnummer=c.personnummer,
                    name=applicant.name,
                    clearing=c.clearing,
                    account=c.account,
                    bankgiro=None,
                    ocr=None,
                    amount_ore=amount,
                    **common,
                )
            )
    if decision.direct_ore > 0:
        payments.append(
            PlannedPayment.model_construct(
                reference=payment_reference(decision.decision_id, "D"),
                method=Method.BANKGIRO,
                personnummer=case.checked[0].personnummer,
                name=decision.applicant1.name,
                clearing=None,
                account=None,
                bankgiro=case.bankgiro,
                ocr=ocr_digits(decision.direct_ocr) if decision.direct_ocr else None,
                amount_ore=decision.direct_ore,
                **common,
            )
        )
    return tuple(payments)


def plan_decision(
    decision: Decision,
    *,
    today: dt.date,
    amount_limit_ore: int = DEFAULT_AMOUNT_LIMIT_ORE,
    max_payment_ore: int | None = None,
) -> DecisionPlan:
    """What to pay for one decision, or ``manual`` with every reason that applies (docs/rules.md §2, §3)."""
    if decision.protected:
        return _protected_plan(decision.decision_id, (decision.row_number,))
    case = _case(decision, PlanningRules(today, amount_limit_ore, max_payment_ore))
    reasons = [reason for rule in RULES for reason in rule(case)]
    return DecisionPlan.model_construct(
        decision_id=decision.decision_id,
        row_numbers=(decision.row_number,),
        amount_ore=decision.amount_ore,
        outcome=Outcome.MANUAL if reasons else Outcome.PLANNED,
        reasons=tuple(reasons),
        payments=() if reasons else _payments(case),
        case_worker=decision.case_worker,
        protected=False,
        contact=_contact(case),
        requested_payout_date=decision.payout_date,
    )


def plan_row(
    row_number: int,
    raw: dict[str, object],
    *,
    today: dt.date,
    amount_limit_ore: int = DEFAULT_AMOUNT_LIMIT_ORE,
    max_payment_ore: int | None = None,
) -> DecisionPlan:
    """``parse_row`` then ``plan_decision``: the plan for one raw row, duplicates not considered."""
    parsed = parse_row(row_number, raw)
    if isinstance(parsed, DecisionPlan):
        return parsed
    return plan_decision(
        parsed, today=today, amount_limit_ore=amount_limit_ore, max_payment_ore=max_payment_ore
    )


# --- plan_export ------------------------------------------------------------------------------


@dataclass
class DecisionIndex:
    """The first pass over the file: which decision numbers repeat, which are protected."""

    decisions: int = 0
    duplicates: set[str] = field(default_factory=set)  # decision_key of numbers on more than one row
    protected: set[str] = field(default_factory=set)  # decision_key of numbers with a protected row


def index_decisions(path: StrPath, *, max_decisions: int = DEFAULT_MAX_DECISIONS) -> DecisionIndex:
    """Read only the decision numbers and protection flags of the whole file (first pass).

    Raises ``ExportFileError`` (``export_too_large``) as soon as the file proves too large.
    """
    index = DecisionIndex()
    seen: set[str] = set()
    for _, raw in reader.iter_rows(path, columns=(DECISION, PROTECTED), max_decisions=max_decisions):
        index.decisions += 1
        try:
            decision_id = parse_text(raw.get(DECISION))
        except CellError:
            decision_id = None
        if decision_id is None:
            continue
        key = decision_key(shown(decision_id))
        if key in seen:
            index.duplicates.add(key)
        else:
            seen.add(key)
        if _is_protected(raw.get(PROTECTED))[0]:
            index.protected.add(key)
    index.protected &= index.duplicates  # only repeated numbers need it in the second pass
    return index


def _as_duplicate(plan: DecisionPlan, protected: bool) -> DecisionPlan:
    duplicate = Reason(
        code=ReasonCode.DUPLICATE_DECISION,
        fields=(DECISION,),
        detail="the decision number occurs on more than one row",
    )
    if protected or plan.protected:
        return _protected_plan(plan.decision_id, plan.row_numbers, (duplicate,))
    others = tuple(reason for reason in plan.reasons if reason.code is not ReasonCode.DUPLICATE_DECISION)
    return plan.model_copy(
        update={"outcome": Outcome.MANUAL, "reasons": (duplicate, *others), "payments": ()}
    )


def plan_export(
    path: StrPath,
    *,
    today: dt.date,
    amount_limit_ore: int = DEFAULT_AMOUNT_LIMIT_ORE,
    max_payment_ore: int | None = None,
    max_decisions: int = DEFAULT_MAX_DECISIONS,
) -> Iterator[DecisionPlan]:
    """One ``DecisionPlan`` per data row of the export, in file order, streamed.

    Raises ``ExportFileError`` before yielding anything when the file cannot be used (the
    first pass reads it to the end). Every row whose decision number occurs more than once
    becomes ``manual`` with ``duplicate_decision``.
    """
    index = index_decisions(path, max_decisions=max_decisions)
    for row_number, raw in reader.iter_rows(path, max_decisions=max_decisions):
        plan = plan_row(
            row_number, raw, today=today, amount_limit_ore=amount_limit_ore, max_payment_ore=max_payment_ore
        )
        if plan.decision_id:
            key = decision_key(plan.decision_id)
            if key in index.duplicates:
                plan = _as_duplicate(plan, key in index.protected)
        yield plan
