"""The comparison: the payout system's payments against the plans and the ledger (pure, no I/O).

Each finder is one question asked of the three sources and yields its findings; the
findings and their codes are described in docs/reconciliation.md, Findings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from splitpayout.adapters.ledger import EntryState, LedgerEntry
from splitpayout.domain.models import DecisionPlan, Outcome, PlannedPayment
from splitpayout.domain.reasons import ReasonCode
from splitpayout.domain.references import decision_key
from splitpayout.jobs.reconcile.client import HeldPayment, Holdings
from splitpayout.jobs.reconcile.findings import Finding, FindingCode, Reconciliation
from splitpayout.jobs.reconcile.settings import Period
from splitpayout.jobs.registration.matching import reference_key

Fingerprint = Callable[[PlannedPayment], str]
# A finding with the key it is kept once by (besides its code and reference): a payment number
# for a finding about one held payment, "" for one about a whole reference.
Keyed = tuple[Finding, str]


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


def _same(planned: PlannedPayment, held: HeldPayment) -> bool:
    return (
        held.amount_ore == planned.amount_ore
        and held.payout_date == planned.payout_date
        and not differing_fields(planned, held)
    )


# --- the sources, indexed by reference --------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """The three sources of one comparison; ``planned`` and ``held`` are by ``reference_key``."""

    period: Period
    plans: Mapping[str, DecisionPlan]
    holdings: Holdings
    ledger: Mapping[str, LedgerEntry]
    fingerprint: Fingerprint | None
    planned: dict[str, PlannedPayment] = field(default_factory=dict)
    held: dict[str, list[HeldPayment]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        period: Period,
        plans: Mapping[str, DecisionPlan],
        holdings: Holdings,
        ledger: Mapping[str, LedgerEntry] | None,
        fingerprint: Fingerprint | None,
    ) -> Facts:
        facts = cls(period, plans, holdings, ledger or {}, fingerprint)
        for plan in plans.values():
            if plan.outcome is Outcome.PLANNED:
                for payment in plan.payments:
                    facts.planned[reference_key(payment.reference)] = payment
        for record in holdings.in_period:
            facts.held.setdefault(reference_key(record.reference), []).append(record)
        return facts

    def decision_of(self, ref_key: str) -> DecisionPlan | None:
        return self.plans.get(_decision_part(ref_key))

    def protected(self, ref_key: str) -> bool:
        plan = self.decision_of(ref_key)
        return plan is not None and plan.protected

    def held_unprotected(self) -> Iterator[tuple[str, list[HeldPayment]]]:
        """Every reference held in the period, but those of protected decisions (never compared)."""
        for ref_key, group in self.held.items():
            if not self.protected(ref_key):
                yield ref_key, group

    def planned_in_period(self) -> dict[str, list[PlannedPayment]]:
        """By decision number: the planned payments with a payout date in the period."""
        in_period: dict[str, list[PlannedPayment]] = {}
        for plan in self.plans.values():
            if plan.outcome is not Outcome.PLANNED:
                continue
            payments = [p for p in plan.payments if p.payout_date in self.period]
            if payments:
                in_period[plan.decision_id] = payments
        return in_period

    def ledger_in_scope(self) -> Iterator[tuple[str, LedgerEntry]]:
        """Ledger entries of references held in the period or planned in it (not protected)."""
        scope = set(self.held) | {
            key for key, payment in self.planned.items() if payment.payout_date in self.period
        }
        for ref_key in sorted(scope):
            entry = self.ledger.get(ref_key)
            if entry is not None and not self.protected(ref_key):
                yield ref_key, entry


# --- the finders -------------------------------------------------------------------------------


def payment_differences(
    planned: PlannedPayment, held: HeldPayment, *, outside: bool = False
) -> Iterator[Keyed]:
    """A held payment of a planned reference: another amount, recipient or payout date."""
    common: dict[str, Any] = {
        "decision_id": planned.decision_id,
        "payment_numbers": [held.payment_number],
        "planned_amount_ore": planned.amount_ore,
        "held_amount_ore": held.amount_ore,
        "planned_payout_date": planned.payout_date,
        "held_payout_dates": [held.payout_date],
        "sources": ["payout_system"],
    }
    number = held.payment_number
    if held.amount_ore != planned.amount_ore:
        yield Finding(FindingCode.AMOUNT_DIFFERS, planned.reference, **common), number
    fields = differing_fields(planned, held)
    if fields:
        yield Finding(FindingCode.RECIPIENT_DIFFERS, planned.reference, fields=fields, **common), number
    if held.payout_date != planned.payout_date:
        detail = "held on a date outside the period" if outside else ""
        yield Finding(FindingCode.PAYOUT_DATE_DIFFERS, planned.reference, detail=detail, **common), number


def duplicate_references(facts: Facts) -> Iterator[Keyed]:
    """A reference the payout system holds more than once in the period."""
    for ref_key, group in facts.held_unprotected():
        if len(group) < 2:
            continue
        planned = facts.planned.get(ref_key)
        decision = facts.decision_of(ref_key)
        decision_id = (
            planned.decision_id if planned is not None else (decision.decision_id if decision else None)
        )
        finding = Finding(
            FindingCode.DUPLICATE_REFERENCE,
            planned.reference if planned is not None else group[0].reference,
            decision_id,
            payment_numbers=[p.payment_number for p in group],
            planned_amount_ore=None if planned is None else planned.amount_ore,
            held_amount_ore=sum(p.amount_ore for p in group),
            planned_payout_date=None if planned is None else planned.payout_date,
            held_payout_dates=sorted({p.payout_date for p in group}),
            sources=["payout_system"],
            detail=f"the payout system holds the reference {len(group)} times",
        )
        yield finding, ""


def held_unlike_plan(facts: Facts) -> Iterator[Keyed]:
    """Payments held in the period for a planned reference, other than planned."""
    for ref_key, group in facts.held_unprotected():
        planned = facts.planned.get(ref_key)
        if planned is not None:
            for held in group:
                yield from payment_differences(planned, held)


def _unplanned(decision: DecisionPlan | None) -> tuple[FindingCode, str]:
    """Why a held payment has no planned payment: the code and the detail that say so."""
    reasons = [] if decision is None else [reason.code for reason in decision.reasons]
    if reasons == [ReasonCode.PAYOUT_DATE_PASSED]:
        # Planned as on the period's first day, a decision dated before the period is "passed".
        return FindingCode.PAYOUT_DATE_DIFFERS, "the decision's payout date lies before the period"
    if decision is not None and decision.outcome is not Outcome.PLANNED:
        return (
            FindingCode.REGISTERED_FOR_MANUAL_DECISION,
            f"the decision went to manual handling ({', '.join(r.value for r in reasons)})",
        )
    if decision is None:
        return FindingCode.REGISTERED_WITHOUT_DECISION, "no decision in the exports has this reference"
    return FindingCode.REGISTERED_WITHOUT_DECISION, "the decision plans no payment with this reference"


def registered_by_robot(facts: Facts, ref_key: str, held: HeldPayment) -> bool:
    """The ledger says a run of the robot registered this very payment (reference and number)."""
    entry = facts.ledger.get(ref_key)
    return (
        entry is not None
        and entry.state is EntryState.REGISTERED
        and bool(entry.payment_number)
        and entry.payment_number == held.payment_number
    )


def held_without_plan(facts: Facts) -> Iterator[Keyed]:
    """Payments held in the period whose reference no decision plans.

    A payment a run of the robot registered (the ledger holds its payment number) is never
    "without decision": a run had a decision for it. When no export compared plans it, its export
    was left out of the comparison; it is counted, not reported. When the decision compared now
    goes to manual handling, the finding says the robot registered it in an earlier run.
    """
    for ref_key, group in facts.held_unprotected():
        if ref_key in facts.planned:
            continue
        decision = facts.decision_of(ref_key)
        code, detail = _unplanned(decision)
        for held in group:
            by_robot = registered_by_robot(facts, ref_key, held)
            if by_robot and code is FindingCode.REGISTERED_WITHOUT_DECISION:
                continue
            finding = Finding(
                code,
                held.reference,
                None if decision is None else decision.decision_id,
                payment_numbers=[held.payment_number],
                held_amount_ore=held.amount_ore,
                held_payout_dates=[held.payout_date],
                sources=["payout_system"],
                detail=detail + ("; registered by a run of the robot (ledger)" if by_robot else ""),
                registered_by_robot=by_robot,
            )
            yield finding, held.payment_number


def _planned_not_in_period(facts: Facts) -> Iterator[PlannedPayment]:
    """Planned payments of the period of which the period holds nothing."""
    for payments in facts.planned_in_period().values():
        for planned in payments:
            if reference_key(planned.reference) not in facts.held:
                yield planned


def planned_held_elsewhere(facts: Facts) -> Iterator[Keyed]:
    """Planned payments of the period held only on another date (and so unlike their plan)."""
    for planned in _planned_not_in_period(facts):
        for held in facts.holdings.elsewhere.get(reference_key(planned.reference), []):
            yield from payment_differences(planned, held, outside=True)


def planned_not_held(facts: Facts) -> Iterator[Keyed]:
    """Planned payments of the period held on no date at all."""
    for planned in _planned_not_in_period(facts):
        ref_key = reference_key(planned.reference)
        if facts.holdings.elsewhere.get(ref_key):
            continue
        looked_up = ref_key in facts.holdings.looked_up
        finding = Finding(
            FindingCode.NOT_FULLY_REGISTERED,
            planned.reference,
            planned.decision_id,
            planned_amount_ore=planned.amount_ore,
            held_amount_ore=0,
            planned_payout_date=planned.payout_date,
            sources=["payout_system"],
            detail="not held in the period"
            + (" nor on any other date" if looked_up else " (not looked up on other dates)"),
        )
        yield finding, ""


def _registered_in_ledger(facts: Facts) -> Iterator[tuple[str, LedgerEntry, list[HeldPayment]]]:
    """Entries of references in scope the ledger says are registered, with what the system holds."""
    for ref_key, entry in facts.ledger_in_scope():
        if entry.state is EntryState.REGISTERED:
            yield ref_key, entry, facts.held.get(ref_key, []) + facts.holdings.elsewhere.get(ref_key, [])


def ledger_without_payment(facts: Facts) -> Iterator[Keyed]:
    """The ledger says registered as number X; the payout system holds no X for the reference."""
    for ref_key, entry, held in _registered_in_ledger(facts):
        numbers = [p.payment_number for p in held]
        if entry.payment_number in numbers:
            continue
        planned = facts.planned.get(ref_key)
        finding = Finding(
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
        yield finding, ""


def _ledger_difference(
    planned: PlannedPayment, entry: LedgerEntry, same_payment: list[HeldPayment], fingerprint: Fingerprint
) -> tuple[FindingCode, str]:
    """What the robot registered other than the plan says, by the ledger's fingerprint."""
    if entry.amount_ore != planned.amount_ore:
        return FindingCode.AMOUNT_DIFFERS, "another amount"
    if same_payment and entry.fingerprint == fingerprint(
        planned.model_copy(update={"payout_date": same_payment[0].payout_date})
    ):
        return FindingCode.PAYOUT_DATE_DIFFERS, "another payout date"
    return FindingCode.RECIPIENT_DIFFERS, "another recipient"


def ledger_unlike_plan(facts: Facts) -> Iterator[Keyed]:
    """The ledger's fingerprint says the robot registered something other than the plan says now."""
    fingerprint = facts.fingerprint
    for ref_key, entry, held in _registered_in_ledger(facts):
        planned = facts.planned.get(ref_key)
        if planned is None or fingerprint is None or not entry.fingerprint:
            continue  # an empty fingerprint (migrated or past retention) is not known to differ
        if entry.fingerprint == fingerprint(planned):
            continue
        number = entry.payment_number or ""
        same_payment = [p for p in held if p.payment_number == number]
        code, what = _ledger_difference(planned, entry, same_payment, fingerprint)
        finding = Finding(
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
        )
        yield finding, number


# The payout system's findings come before the ledger's: a finding both make keeps the former's
# details and names both sources.
FINDERS: tuple[Callable[[Facts], Iterator[Keyed]], ...] = (
    duplicate_references,
    held_unlike_plan,
    held_without_plan,
    planned_held_elsewhere,
    planned_not_held,
    ledger_without_payment,
    ledger_unlike_plan,
)


# --- the totals --------------------------------------------------------------------------------


def _count_decisions(facts: Facts, result: Reconciliation) -> None:
    result.decisions_read = len(facts.plans)
    for plan in facts.plans.values():
        if plan.protected:
            result.decisions_protected += 1
        elif plan.outcome is Outcome.PLANNED:
            result.decisions_planned += 1
        else:
            result.decisions_manual += 1


def _count_held(facts: Facts, result: Reconciliation) -> None:
    for payment in facts.holdings.in_period:
        result.held.add(payment.amount_ore)
    for ref_key, group in facts.held.items():
        if facts.protected(ref_key):
            result.held_for_protected_decisions += len(group)
        elif ref_key not in facts.planned and _unplanned(facts.decision_of(ref_key))[0] is (
            FindingCode.REGISTERED_WITHOUT_DECISION
        ):
            for held in group:
                if registered_by_robot(facts, ref_key, held):
                    result.registered_by_robot_outside_exports.add(held.amount_ore)


def _count_planned(facts: Facts, result: Reconciliation) -> None:
    """Planned and matched payments of the period; decisions with every payment matched."""
    in_period = facts.planned_in_period()
    result.decisions_in_period = len(in_period)
    for payments in in_period.values():
        complete = True
        for planned in payments:
            result.planned.add(planned.amount_ore)
            group = facts.held.get(reference_key(planned.reference), [])
            if len(group) == 1 and _same(planned, group[0]):
                result.matched.add(planned.amount_ore)
            else:
                complete = False
        if complete:
            result.decisions_fully_registered += 1


# --- the comparison ------------------------------------------------------------------------------


class _FindingSet:
    """Findings kept once per (code, reference, key); a second source is merged into the first."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[FindingCode, str, str], Finding] = {}

    def add(self, finding: Finding, key: str) -> None:
        index = (finding.code, reference_key(finding.reference), key)
        known = self._by_key.get(index)
        if known is None:
            self._by_key[index] = finding
            return
        for source in finding.sources:
            if source not in known.sources:
                known.sources.append(source)
        for name in finding.fields:
            if name not in known.fields:
                known.fields.append(name)

    def in_report_order(self, ledger: Mapping[str, LedgerEntry]) -> list[Finding]:
        """Every finding with the ledger's state for its reference, by code, reference, numbers."""
        for finding in self._by_key.values():
            entry = ledger.get(reference_key(finding.reference))
            if entry is not None:
                finding.ledger_state = entry.state.value
                finding.ledger_payment_number = entry.payment_number
        order = {code: n for n, code in enumerate(FindingCode)}
        return sorted(
            self._by_key.values(),
            key=lambda f: (order[f.code], reference_key(f.reference), f.payment_numbers),
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
    fingerprint: Fingerprint | None = None,
) -> Reconciliation:
    """Compare the payout system's payments with the plans and the ledger (pure: no I/O).

    ``plans`` are by ``references.decision_key``; ``ledger`` by ``matching.reference_key``;
    ``fingerprint`` is the ledger's (``Ledger.fingerprint``), to find where the robot
    registered something other than what the decision says now.
    """
    facts = Facts.of(period, plans, holdings, ledger, fingerprint)
    result = Reconciliation(period)
    _count_decisions(facts, result)
    _count_held(facts, result)
    _count_planned(facts, result)
    result.ledger_entries_compared = sum(1 for _ in facts.ledger_in_scope())
    found = _FindingSet()
    for finder in FINDERS:
        for finding, key in finder(facts):
            found.add(finding, key)
    result.findings = found.in_report_order(facts.ledger)
    return result


def ledger_by_reference(entries: Iterable[LedgerEntry]) -> dict[str, LedgerEntry]:
    return {reference_key(entry.reference): entry for entry in entries}
