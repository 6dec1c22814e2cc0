"""One decision: parse_row and plan_decision, one test per rule and per reason code."""

from __future__ import annotations

import datetime as dt

import pytest
from export_builder import (
    A1_ACCOUNT,
    A1_CLEARING,
    A1_PNR,
    A2_ACCOUNT,
    A2_CLEARING,
    A2_PNR,
    BANKGIRO,
    COORDINATION_NUMBER,
    PAYOUT_DATE,
    TODAY,
    raw_row,
)
from splitpayout.domain.models import Contact, Decision, DecisionPlan, Method, Outcome
from splitpayout.domain.planning.parsing import parse_row
from splitpayout.domain.planning.payments import plan_decision, plan_row
from splitpayout.domain.planning.rules import PlanningRules
from splitpayout.domain.reasons import ReasonCode


def plan(raw: dict[str, object], *, today: dt.date = TODAY, limit: int = 5_000_000) -> DecisionPlan:
    return plan_row(7, raw, PlanningRules(today, amount_limit_ore=limit))


def codes(p: DecisionPlan) -> list[ReasonCode]:
    return [reason.code for reason in p.reasons]


def reason(p: DecisionPlan, code: ReasonCode) -> tuple[str, ...]:
    (found,) = [r for r in p.reasons if r.code is code]
    return found.fields


def amounts(p: DecisionPlan) -> dict[str, int]:
    return {payment.reference: payment.amount_ore for payment in p.payments}


# --- the split --------------------------------------------------------------------------------


def test_split_half_and_half_by_default() -> None:
    p = plan(raw_row(Belopp="10 000,00"))
    assert p.outcome is Outcome.PLANNED
    assert amounts(p) == {"B-1/1": 500_000, "B-1/2": 500_000}


def test_split_by_share_with_the_odd_ore_to_sokande_1() -> None:
    p = plan(raw_row(Belopp="100,01", Andel_sökande_1="60 %"))
    # p2 = floor(10001 * 40 / 100) = 4000, p1 = 6001
    assert amounts(p) == {"B-1/1": 6001, "B-1/2": 4000}


def test_split_with_a_share_in_hundredths_of_a_percent() -> None:
    p = plan(raw_row(Belopp="1 000,00", Andel_sökande_1="33,33"))
    # p2 = floor(100000 * 6667 / 10000) = 66670
    assert amounts(p) == {"B-1/1": 33_330, "B-1/2": 66_670}


def test_odd_ore_of_an_even_split_goes_to_sokande_1() -> None:
    p = plan(raw_row(Belopp="0,03"))
    assert amounts(p) == {"B-1/1": 2, "B-1/2": 1}


def test_a_share_that_rounds_to_zero_ore_is_not_paid() -> None:
    p = plan(raw_row(Belopp="0,01"))
    assert p.outcome is Outcome.PLANNED
    assert amounts(p) == {"B-1/1": 1}


def test_no_split_pays_everything_to_sokande_1_even_with_a_partner_and_share() -> None:
    p = plan(raw_row(Delad_utbetalning="nej", Andel_sökande_1="70"))
    assert amounts(p) == {"B-1/1": 1_000_000}
    assert p.payments[0].personnummer == A1_PNR


def test_each_partner_is_paid_to_their_own_account() -> None:
    p = plan(raw_row())
    first, second = p.payments
    assert (first.method, first.personnummer, first.clearing, first.account) == (
        Method.KONTO,
        A1_PNR,
        A1_CLEARING,
        A1_ACCOUNT,
    )
    assert (second.method, second.personnummer, second.clearing, second.account) == (
        Method.KONTO,
        A2_PNR,
        A2_CLEARING,
        A2_ACCOUNT,
    )
    assert (first.name, second.name) == ("Anna Andersson", "Bertil Berg")


def test_no_bank_details_means_payment_notice() -> None:
    p = plan(raw_row(Sökande_2_clearingnummer=None, Sökande_2_kontonummer=None))
    assert [payment.method for payment in p.payments] == [Method.KONTO, Method.AVI]
    assert p.payments[1].clearing is None
    assert p.payments[1].account is None


def test_identity_numbers_are_normalised_to_twelve_digits() -> None:
    p = plan(raw_row(Sökande_1_personnummer="811218-9876", Sökande_2_personnummer="19121212-1212"))
    assert [payment.personnummer for payment in p.payments] == [A1_PNR, A2_PNR]


def test_a_coordination_number_is_a_valid_identity() -> None:
    p = plan(raw_row(Sökande_2_personnummer=COORDINATION_NUMBER))
    assert p.outcome is Outcome.PLANNED
    assert p.payments[1].personnummer == COORDINATION_NUMBER


def test_direct_payment_by_bankgiro_and_the_rest_split() -> None:
    p = plan(
        raw_row(
            Belopp="10 000,00",
            Varav_direktbetalning="6 000,00",
            Direktbetalning_bankgiro=BANKGIRO,
            Direktbetalning_OCR="4711",
        )
    )
    assert amounts(p) == {"B-1/1": 200_000, "B-1/2": 200_000, "B-1/D": 600_000}
    direct = p.payments[2]
    assert (direct.method, direct.bankgiro, direct.ocr, direct.personnummer) == (
        Method.BANKGIRO,
        "50501055",
        "4711",
        A1_PNR,
    )
    assert direct.clearing is None
    assert direct.account is None


def test_only_the_direct_payment_when_it_is_the_whole_amount() -> None:
    p = plan(raw_row(Varav_direktbetalning="10 000,00", Direktbetalning_bankgiro=BANKGIRO))
    assert amounts(p) == {"B-1/D": 1_000_000}


def test_payout_date_moves_to_the_previous_bank_day() -> None:
    christmas_eve = plan(raw_row(Utbetalningsdatum="2026-12-24"))
    sunday = plan(raw_row(Utbetalningsdatum=dt.date(2026, 12, 13)))
    assert {payment.payout_date for payment in christmas_eve.payments} == {dt.date(2026, 12, 23)}
    assert {payment.payout_date for payment in sunday.payments} == {dt.date(2026, 12, 11)}


def test_payment_message_is_swedish_and_holds_no_personal_data() -> None:
    p = plan(raw_row())
    assert {payment.message for payment in p.payments} == {"Ekonomiskt bistånd 2026-12"}


def test_a_planned_decision_keeps_case_worker_and_contact() -> None:
    p = plan(raw_row())
    assert p.case_worker == "HL01"
    assert p.row_numbers == (7,)
    assert p.amount_ore == 1_000_000
    assert p.contact.applicant2_personnummer == A2_PNR


# --- reasons ----------------------------------------------------------------------------------


def test_invalid_row_lists_every_unreadable_column() -> None:
    p = plan(raw_row(Belopp="tio tusen", Utbetalningsdatum="24/12/2026", Delad_utbetalning="kanske"))
    assert p.outcome is Outcome.MANUAL
    assert codes(p) == [ReasonCode.INVALID_ROW]
    assert set(reason(p, ReasonCode.INVALID_ROW)) == {"Belopp", "Utbetalningsdatum", "Delad utbetalning"}
    assert p.payments == ()


@pytest.mark.parametrize(
    ("overrides", "column"),
    [
        ({"Beslutsnummer": None}, "Beslutsnummer"),
        ({"Belopp": None}, "Belopp"),
        ({"Belopp": "0,00"}, "Belopp"),
        ({"Belopp": "100,005"}, "Belopp"),
        ({"Varav_direktbetalning": "-5"}, "Varav direktbetalning"),
        ({"Andel_sökande_1": "100"}, "Andel sökande 1"),
        ({"Sökande_1_personnummer": None}, "Sökande 1 personnummer"),
        ({"Sökande_1_namn": " "}, "Sökande 1 namn"),
        ({"Utbetalningsdatum": None}, "Utbetalningsdatum"),
    ],
)
def test_invalid_row_names_the_offending_column(overrides: dict[str, object], column: str) -> None:
    p = plan(raw_row(**overrides))
    assert codes(p) == [ReasonCode.INVALID_ROW]
    assert reason(p, ReasonCode.INVALID_ROW) == (column,)


def test_an_unreadable_row_keeps_contact_for_the_case_worker_but_never_values_in_reasons() -> None:
    p = plan(raw_row(Belopp="abc"))
    assert p.contact.applicant1_name == "Anna Andersson"
    assert p.amount_ore == 0
    assert "abc" not in p.reasons[0].detail


def test_direct_payment_above_belopp_is_an_invalid_row() -> None:
    p = plan(raw_row(Belopp="100,00", Varav_direktbetalning="100,01", Direktbetalning_bankgiro=BANKGIRO))
    assert codes(p) == [ReasonCode.INVALID_ROW]
    assert set(reason(p, ReasonCode.INVALID_ROW)) == {"Belopp", "Varav direktbetalning"}
    assert p.amount_ore == 10_000


def test_protected_identity_keeps_nothing_but_the_decision_number_and_its_case_worker() -> None:
    p = plan(raw_row(Skyddade_personuppgifter=" ja "))
    assert p.outcome is Outcome.MANUAL
    assert codes(p) == [ReasonCode.PROTECTED_IDENTITY]
    assert p.protected
    assert (p.decision_id, p.row_numbers) == ("B-1", (7,))
    assert (p.amount_ore, p.payments, p.contact) == (0, (), Contact())
    assert p.case_worker == "HL01"  # the case worker's id (not the household's): it reaches her sheet


def test_protected_identity_wins_over_unreadable_data() -> None:
    p = plan(raw_row(Skyddade_personuppgifter="JA", Belopp="abc", Sökande_1_personnummer="123"))
    assert codes(p) == [ReasonCode.PROTECTED_IDENTITY]
    assert p.contact == Contact()


def test_an_unreadable_protection_flag_is_treated_as_protected() -> None:
    p = plan(raw_row(Skyddade_personuppgifter="X"))
    assert p.protected
    assert codes(p) == [ReasonCode.PROTECTED_IDENTITY, ReasonCode.INVALID_ROW]
    assert reason(p, ReasonCode.INVALID_ROW) == ("Skyddade personuppgifter",)
    assert p.contact == Contact()


def test_an_empty_protection_flag_means_not_protected() -> None:
    assert plan(raw_row(Skyddade_personuppgifter=None)).outcome is Outcome.PLANNED


def test_protected_decision_given_to_plan_decision_directly() -> None:
    decision = parse_row(3, raw_row())
    assert isinstance(decision, Decision)
    p = plan_decision(decision.model_copy(update={"protected": True}), PlanningRules(TODAY))
    assert codes(p) == [ReasonCode.PROTECTED_IDENTITY]
    assert p.payments == ()


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        (
            {"Sökande_2_personnummer": None, "Sökande_2_namn": None},
            ("Sökande 2 personnummer", "Sökande 2 namn"),
        ),
        ({"Sökande_2_namn": None}, ("Sökande 2 namn",)),
        (
            {
                "Sökande_2_personnummer": None,
                "Sökande_2_namn": None,
                "Sökande_2_clearingnummer": None,
                "Sökande_2_kontonummer": None,
            },
            ("Sökande 2 personnummer", "Sökande 2 namn"),
        ),
    ],
)
def test_missing_partner_for_a_split_without_sokande_2(
    overrides: dict[str, object], fields: tuple[str, ...]
) -> None:
    p = plan(raw_row(**overrides))
    assert codes(p) == [ReasonCode.MISSING_PARTNER]
    assert reason(p, ReasonCode.MISSING_PARTNER) == fields
    assert p.payments == ()


def test_no_partner_needed_without_split() -> None:
    p = plan(raw_row(Delad_utbetalning="Nej", Sökande_2_personnummer=None, Sökande_2_namn=None))
    assert p.outcome is Outcome.PLANNED


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"Sökande_1_personnummer": "198112189875"}, ("Sökande 1 personnummer",)),
        ({"Sökande_2_personnummer": "19811318-9876"}, ("Sökande 2 personnummer",)),
        (
            {"Sökande_1_personnummer": "12345", "Sökande_2_personnummer": "abc"},
            ("Sökande 1 personnummer", "Sökande 2 personnummer"),
        ),
    ],
)
def test_invalid_identity_of_either_applicant(overrides: dict[str, object], fields: tuple[str, ...]) -> None:
    p = plan(raw_row(**overrides))
    assert codes(p) == [ReasonCode.INVALID_IDENTITY]
    assert reason(p, ReasonCode.INVALID_IDENTITY) == fields


def test_partner_identity_is_not_checked_without_split() -> None:
    p = plan(raw_row(Delad_utbetalning="Nej", Sökande_2_personnummer="123"))
    assert p.outcome is Outcome.PLANNED


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"Sökande_1_kontonummer": "100000003"}, ("Sökande 1 clearingnummer", "Sökande 1 kontonummer")),
        ({"Sökande_2_clearingnummer": None}, ("Sökande 2 clearingnummer", "Sökande 2 kontonummer")),
        ({"Sökande_1_kontonummer": None}, ("Sökande 1 clearingnummer", "Sökande 1 kontonummer")),
    ],
)
def test_invalid_account_when_invalid_or_incomplete(
    overrides: dict[str, object], fields: tuple[str, ...]
) -> None:
    p = plan(raw_row(**overrides))
    assert codes(p) == [ReasonCode.INVALID_ACCOUNT]
    assert reason(p, ReasonCode.INVALID_ACCOUNT) == fields


def test_partners_never_share_an_account() -> None:
    p = plan(raw_row(Sökande_2_clearingnummer=A1_CLEARING, Sökande_2_kontonummer=A1_ACCOUNT))
    assert codes(p) == [ReasonCode.INVALID_ACCOUNT]
    assert len(reason(p, ReasonCode.INVALID_ACCOUNT)) == 4


def test_a_personkonto_must_be_the_applicants_own() -> None:
    own = plan(raw_row(Sökande_1_clearingnummer="3300", Sökande_1_kontonummer="811218-9876"))
    partners = plan(raw_row(Sökande_1_clearingnummer="3300", Sökande_1_kontonummer="121212-1212"))
    assert own.outcome is Outcome.PLANNED
    assert own.payments[0].method is Method.KONTO
    assert codes(partners) == [ReasonCode.INVALID_ACCOUNT]


@pytest.mark.parametrize("bankgiro", [None, "123-4567", "abc"])
def test_invalid_bankgiro_for_a_direct_payment(bankgiro: str | None) -> None:
    p = plan(raw_row(Varav_direktbetalning="500", Direktbetalning_bankgiro=bankgiro))
    assert codes(p) == [ReasonCode.INVALID_BANKGIRO]
    assert reason(p, ReasonCode.INVALID_BANKGIRO) == ("Direktbetalning bankgiro",)


def test_bankgiro_is_ignored_without_a_direct_payment() -> None:
    assert plan(raw_row(Varav_direktbetalning="0", Direktbetalning_bankgiro="abc")).outcome is Outcome.PLANNED


def test_amount_above_the_limit_but_the_limit_itself_is_allowed() -> None:
    at_limit = plan(raw_row(Belopp="50 000,00"))
    above = plan(raw_row(Belopp="50 000,01"))
    lower_limit = plan(raw_row(Belopp="2 000,00"), limit=199_999)
    assert at_limit.outcome is Outcome.PLANNED
    assert codes(above) == [ReasonCode.AMOUNT_ABOVE_LIMIT]
    assert codes(lower_limit) == [ReasonCode.AMOUNT_ABOVE_LIMIT]
    assert above.amount_ore == 5_000_001


def test_payout_date_passed_but_today_is_allowed() -> None:
    assert plan(raw_row(), today=PAYOUT_DATE).outcome is Outcome.PLANNED
    p = plan(raw_row(), today=PAYOUT_DATE + dt.timedelta(days=1))
    assert codes(p) == [ReasonCode.PAYOUT_DATE_PASSED]


def test_payout_date_passed_after_moving_to_the_bank_day() -> None:
    # Saturday 2026-12-19 moves to Friday the 18th, which is before a Saturday "today".
    p = plan(raw_row(Utbetalningsdatum="2026-12-19"), today=dt.date(2026, 12, 19))
    assert codes(p) == [ReasonCode.PAYOUT_DATE_PASSED]


def test_all_applicable_reasons_are_collected() -> None:
    p = plan(
        raw_row(
            Belopp="60 000,00",
            Varav_direktbetalning="100",
            Direktbetalning_bankgiro=None,
            Sökande_1_personnummer="12345",
            Sökande_1_kontonummer="1",
            Sökande_2_namn=None,
            Utbetalningsdatum="2026-11-02",
        )
    )
    assert set(codes(p)) == {
        ReasonCode.MISSING_PARTNER,
        ReasonCode.INVALID_IDENTITY,
        ReasonCode.INVALID_ACCOUNT,
        ReasonCode.INVALID_BANKGIRO,
        ReasonCode.AMOUNT_ABOVE_LIMIT,
        ReasonCode.PAYOUT_DATE_PASSED,
    }
    assert p.payments == ()
    assert p.contact.applicant1_name == "Anna Andersson"


def test_reasons_never_hold_personal_data() -> None:
    p = plan(raw_row(Sökande_1_personnummer="198112189875", Sökande_1_kontonummer="100000003"))
    text = " ".join(f"{r.fields} {r.detail}" for r in p.reasons)
    assert "198112189875" not in text
    assert "100000003" not in text
    assert "Anna" not in text


# --- amounts add up ---------------------------------------------------------------------------


def test_planned_payments_add_up_to_belopp_and_manual_ones_pay_nothing() -> None:
    plans = [
        plan(raw_row(Belopp="100,01")),
        plan(raw_row(Belopp="60 000,00")),
        plan(raw_row(Skyddade_personuppgifter="Ja")),
    ]
    assert [p.outcome for p in plans] == [Outcome.PLANNED, Outcome.MANUAL, Outcome.MANUAL]
    assert sum(payment.amount_ore for payment in plans[0].payments) == plans[0].amount_ore == 10_001
    assert plans[1].amount_ore == 6_000_000
    assert (plans[1].payments, plans[2].payments) == ((), ())
    assert plans[2].protected
