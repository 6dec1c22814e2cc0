"""The rule checks a decision must pass to be paid automatically (docs/rules.md §2 and §3).

Each rule is a named function of a ``Case`` returning the reasons it finds; ``RULES`` lists
them in the order their reasons are listed.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from splitpayout.domain.contract import LIMITS
from splitpayout.domain.export_columns import (
    AMOUNT,
    APPLICANT1,
    APPLICANT2,
    APPLICANTS,
    DEFAULT_MAX_DECISIONS,
    DIRECT,
    DIRECT_BANKGIRO,
    DIRECT_OCR,
    PAYOUT_DATE,
)
from splitpayout.domain.models import Applicant, Decision, Reason
from splitpayout.domain.planning.parsing import invalid_row
from splitpayout.domain.reasons import ReasonCode
from swedish_rules import (
    InvalidAccount,
    InvalidBankgiro,
    InvalidIdentity,
    normalize_account,
    normalize_bankgiro,
    normalize_identity,
    previous_bank_day,
)

DEFAULT_AMOUNT_LIMIT_ORE = 5_000_000  # 50 000 kr per decision
FULL_SHARE_BP = 10_000
PERSONKONTO_CLEARINGS = frozenset({"3300", "3782"})
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
    """What planning depends on besides the export: the day and the limits.

    One object for every way of planning (a run, its work items and parallel workers, the
    reconciliation), built from the configuration in one place (``Settings.planning_rules``), so
    that no planner can use fewer limits than another. ``max_decisions`` is the export's size
    limit: not a check of one decision, but it decides whether an export is planned at all, so
    it travels with the rest.
    """

    today: dt.date
    amount_limit_ore: int = DEFAULT_AMOUNT_LIMIT_ORE  # per decision (AMOUNT_LIMIT_KR)
    max_payment_ore: int | None = None  # the payout system's ceiling per payment, when it has one
    max_decisions: int = DEFAULT_MAX_DECISIONS  # data rows an export may have (MAX_DECISIONS)

    def on(self, day: dt.date) -> PlanningRules:
        """The same limits, planning as on ``day`` (the reconciliation plans on its period's first day)."""
        return replace(self, today=day)


@dataclass
class Case:
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


Rule = Callable[[Case], list[Reason]]


def finding(code: ReasonCode, fields: Sequence[str], detail: str) -> list[Reason]:
    """What a rule returns when it refuses the decision: one reason naming the columns at fault."""
    return [Reason(code=code, fields=tuple(fields), detail=detail)]


def _direct_within_amount(case: Case) -> list[Reason]:
    if case.rest_ore < 0:
        return finding(
            ReasonCode.INVALID_ROW, (DIRECT, AMOUNT), "Varav direktbetalning is larger than Belopp"
        )
    return []


def _partner_present(case: Case) -> list[Reason]:
    if not case.decision.split or case.partner is not None:
        return []
    a2 = case.decision.applicant2
    missing = [APPLICANT2.id] if a2 is None or not a2.personnummer else []
    missing += [APPLICANT2.name] if a2 is None or not a2.name else []
    return finding(ReasonCode.MISSING_PARTNER, missing, "split payout without sökande 2")


def _valid_identities(case: Case) -> list[Reason]:
    columns = [
        columns.id for columns, c in zip(APPLICANTS, case.checked, strict=False) if c.personnummer is None
    ]
    if columns:
        return finding(ReasonCode.INVALID_IDENTITY, columns, "not a valid identity number")
    return []


def _own_accounts(case: Case) -> list[Reason]:
    """Each partner's own valid account, or none (payment notice); never the other partner's."""
    columns_of = [(columns.clearing, columns.account) for columns in APPLICANTS]
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
        return finding(
            ReasonCode.INVALID_ACCOUNT,
            bad,
            "bank account incomplete, invalid, or not the applicant's own",
        )
    return []


def _account(checked: _Checked) -> tuple[str | None, str | None]:
    return checked.clearing, checked.account


def _valid_bankgiro(case: Case) -> list[Reason]:
    decision = case.decision
    if decision.direct_ore <= 0:
        return []
    try:
        if decision.direct_bankgiro is None:
            raise InvalidBankgiro("missing")
        case.bankgiro = normalize_bankgiro(decision.direct_bankgiro)
    except InvalidBankgiro:
        return finding(
            ReasonCode.INVALID_BANKGIRO, (DIRECT_BANKGIRO,), "direct payment without a valid bankgiro number"
        )
    return []


def _amount_within_limit(case: Case) -> list[Reason]:
    if case.decision.amount_ore > case.rules.amount_limit_ore:
        return finding(ReasonCode.AMOUNT_ABOVE_LIMIT, (AMOUNT,), "Belopp is above the limit per decision")
    return []


def _payout_date_not_passed(case: Case) -> list[Reason]:
    if case.pay_date < case.rules.today:
        return finding(
            ReasonCode.PAYOUT_DATE_PASSED, (PAYOUT_DATE,), "the payout date (moved to a bank day) has passed"
        )
    return []


def _within_field_limits(case: Case) -> list[Reason]:
    """What the payout system would refuse (its documented field limits), known before entering:
    a decision that breaks one is entered not at all, instead of half."""
    decision = case.decision
    bad: list[str] = []
    names = [(APPLICANT1.name, decision.applicant1)] + (
        [(APPLICANT2.name, case.partner)] if case.partner else []
    )
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
        return [invalid_row(bad, "beyond what the payout system accepts in a payment (its field limits)")]
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


def make_case(decision: Decision, rules: PlanningRules) -> Case:
    partner = decision.applicant2 if decision.split else None
    if partner is not None and (not partner.personnummer or not partner.name):
        partner = None
    applicants = [decision.applicant1] + ([partner] if partner is not None else [])
    return Case(
        decision=decision,
        rules=rules,
        partner=partner,
        checked=[_check_applicant(applicant, rules.today) for applicant in applicants],
        pay_date=previous_bank_day(decision.payout_date),
    )
