"""Planning every payment of the export: the split and the rules of BRIEF §2.2 and §2.3.

Three layers, each plain Python without Robot Framework:

* ``parse_row``: one raw row -> a ``Decision``, or a ``manual`` plan with ``invalid_row``
  naming every column that cannot be read;
* ``plan_decision``: one decision -> its payments, or ``manual`` with every reason that
  applies (pure: the same decision, day and limit always give the same plan);
* ``plan_export``: the whole file, streamed, with duplicate decision numbers found.

Decisions taken here (the brief is silent on them):

* A payout date is passed when, moved to the previous bank day, it lies before
  ``today``. A payout today is normal and allowed.
* ``Skyddade personuppgifter`` holding anything but ``Ja``/``Nej``/empty is treated as
  protected (and reported as ``invalid_row`` on that column): when in doubt, protect.
* A protected decision keeps nothing but its decision number and row numbers: no
  amount, payments, case worker or contact, and no reasons derived from its data.
  When a duplicated decision number has a protected row anywhere in the file, every
  row with that number is treated as protected.
* ``Andel sökande 1`` is read only for split decisions (it means nothing otherwise).
* Identity numbers are checked for sökande 1 always and for sökande 2 when the
  decision is split; bank details for those same applicants, whatever their share.
  A Nordea personkonto (clearing 3300/3782) must be the applicant's own, and split
  partners never share an account: "one partner's share never goes to the other
  partner's account".
* Decision numbers are compared ignoring letter case and surrounding whitespace for
  duplicates, because the payout system finds references case-insensitively.
* The payment message is ``Ekonomiskt bistånd YYYY-MM`` (the requested payout month):
  short, Swedish, and free of personal data.
* ``plan_export`` reads the file twice: a first pass collects the decision numbers
  (and which are protected), a second pass plans row by row. Memory holds only the
  set of decision numbers, and a file damaged anywhere is refused before any plan is
  yielded, so nothing is entered from a half-read file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from splitpayout import reader
from splitpayout.cells import is_blank, parse_amount, parse_date, parse_share_bp, parse_text, parse_yes_no
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
    "PlanTotals",
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


def decision_key(decision_id: str) -> str:
    """How decision numbers are compared for duplicates (case- and whitespace-insensitive)."""
    return decision_id.strip().casefold()


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
    decision_id = parser.required_text(DECISION)
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


def _contact(decision: Decision, checked: list[_Checked]) -> Contact:
    a1, a2 = decision.applicant1, decision.applicant2
    return Contact.model_construct(
        applicant1_name=a1.name,
        applicant1_personnummer=checked[0].personnummer or a1.personnummer,
        applicant2_name=a2.name if a2 else "",
        applicant2_personnummer=(checked[1].personnummer if len(checked) > 1 else None)
        or (a2.personnummer if a2 else ""),
    )


def plan_decision(
    decision: Decision, *, today: dt.date, amount_limit_ore: int = DEFAULT_AMOUNT_LIMIT_ORE
) -> DecisionPlan:
    """What to pay for one decision, or ``manual`` with every reason that applies (BRIEF §2.2, §2.3)."""
    row_numbers = (decision.row_number,)
    if decision.protected:
        return _protected_plan(decision.decision_id, row_numbers)

    reasons: list[Reason] = []
    rest = decision.amount_ore - decision.direct_ore
    if rest < 0:
        reasons.append(_invalid_row([DIRECT, AMOUNT], "Varav direktbetalning is larger than Belopp"))

    a1 = decision.applicant1
    a2 = decision.applicant2 if decision.split else None
    if decision.split and (a2 is None or not a2.personnummer or not a2.name):
        missing = [A2_ID] if a2 is None or not a2.personnummer else []
        missing += [A2_NAME] if a2 is None or not a2.name else []
        reasons.append(
            Reason(
                code=ReasonCode.MISSING_PARTNER,
                fields=tuple(missing),
                detail="split payout without sökande 2",
            )
        )
        a2 = None

    applicants = [(a1, A1_ID, A1_CLEARING, A1_ACCOUNT)]
    if a2 is not None:
        applicants.append((a2, A2_ID, A2_CLEARING, A2_ACCOUNT))
    checked = [_check_applicant(applicant, today) for applicant, *_ in applicants]
    bad_ids = [
        id_col for (_, id_col, _, _), c in zip(applicants, checked, strict=True) if c.personnummer is None
    ]
    if bad_ids:
        reasons.append(
            Reason(
                code=ReasonCode.INVALID_IDENTITY, fields=tuple(bad_ids), detail="not a valid identity number"
            )
        )
    bad_accounts = [
        column
        for (_, _, clearing_col, account_col), c in zip(applicants, checked, strict=True)
        if not c.account_ok
        for column in (clearing_col, account_col)
    ]
    if len(checked) == 2 and checked[0].account is not None and bad_accounts == []:
        same = (checked[0].clearing, checked[0].account) == (checked[1].clearing, checked[1].account)
        if same:
            bad_accounts = [A1_CLEARING, A1_ACCOUNT, A2_CLEARING, A2_ACCOUNT]
    if bad_accounts:
        reasons.append(
            Reason(
                code=ReasonCode.INVALID_ACCOUNT,
                fields=tuple(bad_accounts),
                detail="bank account incomplete, invalid, or not the applicant's own",
            )
        )

    bankgiro: str | None = None
    if decision.direct_ore > 0:
        try:
            if decision.direct_bankgiro is None:
                raise InvalidBankgiro("missing")
            bankgiro = normalize_bankgiro(decision.direct_bankgiro)
        except InvalidBankgiro:
            reasons.append(
                Reason(
                    code=ReasonCode.INVALID_BANKGIRO,
                    fields=(DIRECT_BANKGIRO,),
                    detail="direct payment without a valid bankgiro number",
                )
            )

    if decision.amount_ore > amount_limit_ore:
        reasons.append(
            Reason(
                code=ReasonCode.AMOUNT_ABOVE_LIMIT,
                fields=(AMOUNT,),
                detail="Belopp is above the limit per decision",
            )
        )

    pay_date = previous_bank_day(decision.payout_date)
    if pay_date < today:
        reasons.append(
            Reason(
                code=ReasonCode.PAYOUT_DATE_PASSED,
                fields=(PAYOUT_DATE,),
                detail="the payout date (moved to a bank day) has passed",
            )
        )

    contact = _contact(decision, checked)
    if reasons:
        return DecisionPlan.model_construct(
            decision_id=decision.decision_id,
            row_numbers=row_numbers,
            amount_ore=decision.amount_ore,
            outcome=Outcome.MANUAL,
            reasons=tuple(reasons),
            payments=(),
            case_worker=decision.case_worker,
            protected=False,
            contact=contact,
            requested_payout_date=decision.payout_date,
        )

    p1, p2 = split_amount(rest, decision.share1_bp) if decision.split else (rest, 0)
    message = payment_message(decision.payout_date)
    payments: list[PlannedPayment] = []
    parts = [(p1, "1", a1, checked[0])]
    if a2 is not None:
        parts.append((p2, "2", a2, checked[1]))
    for amount, suffix, applicant, c in parts:
        if amount > 0:
            payments.append(
                PlannedPayment.model_construct(
                    reference=f"{decision.decision_id}/{suffix}",
                    decision_id=decision.decision_id,
                    method=Method.KONTO if c.account is not None else Method.AVI,
                    personnummer=c.personnummer,
                    name=applicant.name,
                    clearing=c.clearing,
                    account=c.account,
                    bankgiro=None,
                    ocr=None,
                    amount_ore=amount,
                    payout_date=pay_date,
                    message=message,
                )
            )
    if decision.direct_ore > 0:
        payments.append(
            PlannedPayment.model_construct(
                reference=f"{decision.decision_id}/D",
                decision_id=decision.decision_id,
                method=Method.BANKGIRO,
                personnummer=checked[0].personnummer,
                name=a1.name,
                clearing=None,
                account=None,
                bankgiro=bankgiro,
                ocr=decision.direct_ocr,
                amount_ore=decision.direct_ore,
                payout_date=pay_date,
                message=message,
            )
        )
    return DecisionPlan.model_construct(
        decision_id=decision.decision_id,
        row_numbers=row_numbers,
        amount_ore=decision.amount_ore,
        outcome=Outcome.PLANNED,
        reasons=(),
        payments=tuple(payments),
        case_worker=decision.case_worker,
        protected=False,
        contact=contact,
        requested_payout_date=decision.payout_date,
    )


def plan_row(
    row_number: int,
    raw: dict[str, object],
    *,
    today: dt.date,
    amount_limit_ore: int = DEFAULT_AMOUNT_LIMIT_ORE,
) -> DecisionPlan:
    """``parse_row`` then ``plan_decision``: the plan for one raw row, duplicates not considered."""
    parsed = parse_row(row_number, raw)
    if isinstance(parsed, DecisionPlan):
        return parsed
    return plan_decision(parsed, today=today, amount_limit_ore=amount_limit_ore)


# --- plan_export ------------------------------------------------------------------------------


@dataclass
class DecisionIndex:
    """The first pass over the file: which decision numbers repeat, which are protected."""

    decisions: int = 0
    duplicates: set[str] = field(default_factory=set)  # decision_key of numbers on more than one row
    protected: set[str] = field(default_factory=set)  # decision_key of numbers with a protected row


def index_decisions(path: StrPath) -> DecisionIndex:
    """Read only the decision numbers and protection flags of the whole file (first pass)."""
    index = DecisionIndex()
    seen: set[str] = set()
    for _, raw in reader.iter_rows(path, columns=(DECISION, PROTECTED)):
        index.decisions += 1
        try:
            decision_id = parse_text(raw.get(DECISION))
        except CellError:
            decision_id = None
        if decision_id is None:
            continue
        key = decision_key(decision_id)
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
    path: StrPath, *, today: dt.date, amount_limit_ore: int = DEFAULT_AMOUNT_LIMIT_ORE
) -> Iterator[DecisionPlan]:
    """One ``DecisionPlan`` per data row of the export, in file order, streamed.

    Raises ``ExportFileError`` before yielding anything when the file cannot be used (the
    first pass reads it to the end). Every row whose decision number occurs more than once
    becomes ``manual`` with ``duplicate_decision``.
    """
    index = index_decisions(path)
    for row_number, raw in reader.iter_rows(path):
        plan = plan_row(row_number, raw, today=today, amount_limit_ore=amount_limit_ore)
        if plan.decision_id:
            key = decision_key(plan.decision_id)
            if key in index.duplicates:
                plan = _as_duplicate(plan, key in index.protected)
        yield plan


# --- totals -----------------------------------------------------------------------------------


@dataclass
class PlanTotals:
    """Counts and öre per outcome over a run's plans; they add up exactly or ``add`` refuses.

    ``amount_ore`` is the sum of ``Belopp`` over the file's rows as planned: a protected
    decision counts 0, since nothing of it but its number may appear in any report.
    """

    decisions: int = 0
    amount_ore: int = 0
    count_by_outcome: dict[Outcome, int] = field(default_factory=dict)
    ore_by_outcome: dict[Outcome, int] = field(default_factory=dict)
    payments: int = 0
    payment_ore: int = 0
    protected: int = 0

    def add(self, plan: DecisionPlan) -> None:
        """Count one plan; a planned decision whose payments do not add up to its Belopp is refused."""
        paid = sum(payment.amount_ore for payment in plan.payments)
        if plan.outcome is Outcome.PLANNED and paid != plan.amount_ore:
            raise ValueError(
                f"decision {plan.decision_id}: payments add up to {paid} öre, "
                f"expected Belopp {plan.amount_ore} öre"
            )
        self.decisions += 1
        self.amount_ore += plan.amount_ore
        self.count_by_outcome[plan.outcome] = self.count_by_outcome.get(plan.outcome, 0) + 1
        self.ore_by_outcome[plan.outcome] = self.ore_by_outcome.get(plan.outcome, 0) + plan.amount_ore
        self.payments += len(plan.payments)
        self.payment_ore += paid
        self.protected += plan.protected

    def adds_up(self) -> bool:
        """Whether the outcomes account for every decision and every öre of the file."""
        return (
            sum(self.count_by_outcome.values()) == self.decisions
            and sum(self.ore_by_outcome.values()) == self.amount_ore
        )

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready numbers (no personal data)."""
        return {
            "decisions": self.decisions,
            "amount_ore": self.amount_ore,
            "count_by_outcome": {outcome.value: n for outcome, n in sorted(self.count_by_outcome.items())},
            "ore_by_outcome": {outcome.value: n for outcome, n in sorted(self.ore_by_outcome.items())},
            "payments": self.payments,
            "payment_ore": self.payment_ore,
            "protected": self.protected,
        }
