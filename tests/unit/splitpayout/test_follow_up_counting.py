"""The follow-up's counting rules on hand-made run folders and generated plans: legal sex,
each decision once across runs, the months, small groups withheld at 4 and shown at 5, and run
folders whose files are not what they should be."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from splitpayout.config import Config, SettingsError
from splitpayout.domain.models import (
    DecisionPlan,
    DecisionResult,
    Method,
    Outcome,
    PaymentStatus,
    PlannedPayment,
    payment_results,
)
from splitpayout.jobs.followup.collect import Period, Tally, count, read_runs, run_folders
from splitpayout.jobs.followup.job import period_of
from splitpayout.jobs.followup.report import published
from splitpayout.jobs.followup.statistics import MAN, WOMAN, RunStatistics, legal_sex

from devdata.generate_export import luhn_digit

DECEMBER = Period(dt.date(2026, 12, 1), dt.date(2026, 12, 31))
TWO_MONTHS = Period(dt.date(2026, 12, 1), dt.date(2027, 1, 31))


@settings(deadline=None)
@given(
    st.dates(dt.date(1930, 1, 1), dt.date(2010, 12, 31)),
    st.integers(0, 999),
    st.booleans(),
)
def test_legal_sex_is_the_parity_of_the_second_to_last_digit_also_for_a_samordningsnummer(
    birth: dt.date, serial: int, coordination: bool
) -> None:
    body = f"{birth:%Y%m}{birth.day + (60 if coordination else 0):02d}{serial:03d}"
    number = body + luhn_digit(body[2:])
    assert legal_sex(number) == (MAN if serial % 2 else WOMAN)


def decision(
    decision_id: str, outcome: str, *, date: str | None = "2026-12-18", reasons: tuple[str, ...] = ()
) -> dict[str, Any]:
    return {
        "decision_id": decision_id,
        "outcome": outcome,
        "reasons": [{"code": code} for code in reasons],
        "requested_payout_date": date,
        "payments": [],
    }


def write_run(
    runs: Path,
    name: str,
    decisions: list[dict[str, Any]],
    *,
    statistics: dict[str, Any] | None = None,
    mode: str = "real",
) -> Path:
    folder = runs / name
    folder.mkdir(parents=True)
    summary = {
        "run_id": name,
        "mode": mode,
        "started_at": f"2026-11-20T{name[-2:]}:00:00+00:00",
        "run_date": "2026-11-20",
        "decisions": decisions,
    }
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    if statistics is not None:
        (folder / "statistics.json").write_text(json.dumps({"run_id": name, **statistics}), encoding="utf-8")
    return folder


def counted(runs: Path, period: Period = DECEMBER) -> dict[str, Tally]:
    return count(read_runs(run_folders(runs)), period).months


def test_a_manual_decision_paid_later_counts_as_paid_only_and_one_manual_twice_counts_once(
    tmp_path: Path,
) -> None:
    write_run(
        tmp_path,
        "run-10",
        [
            decision("A", "manual", reasons=("payout_date_passed",)),
            decision("B", "manual", reasons=("invalid_account", "amount_above_limit")),
            decision("P", "manual", date=None, reasons=("protected_identity",)),
        ],
        statistics={"first_payout_date": "2026-12-18", "by_payout_date": []},
    )
    write_run(
        tmp_path,
        "run-11",
        [
            decision("A", "paid"),
            decision("B", "manual", reasons=("invalid_account",)),
            decision("P", "manual", date=None, reasons=("protected_identity",)),
            decision("F", "failed"),
        ],
        statistics={"first_payout_date": "2026-12-18", "by_payout_date": []},
    )
    december = counted(tmp_path)["2026-12"]
    assert december.manual == 1 and dict(december.manual_by_reason) == {"invalid_account": 1}
    assert december.protected_left_out == 1 and december.not_completed == 1


def test_dry_runs_other_tasks_and_statistics_of_another_run_add_nothing(tmp_path: Path) -> None:
    figures = {
        "payout_date": "2026-12-18",
        "households": {"paid": 7},
        "payments_registered": 9,
        "households_registered": 7,
    }
    write_run(
        tmp_path,
        "run-10",
        [decision("A", "manual", reasons=("invalid_row",))],
        mode="dry_run",
        statistics={"by_payout_date": [figures]},
    )
    other = write_run(tmp_path, "run-11", [], statistics={"by_payout_date": [figures]})
    (other / "statistics.json").write_text(
        json.dumps({"run_id": "someone-else", "by_payout_date": [figures]})
    )
    (tmp_path / "retention").mkdir()
    (tmp_path / "retention" / "summary.json").write_text(json.dumps({"task": "retention", "mode": "real"}))
    counts = count(read_runs(run_folders(tmp_path)), DECEMBER)
    assert counts.runs_read == 1 and counts.runs_without_statistics == 1
    assert counts.months["2026-12"] == Tally()


def test_a_period_of_two_months_puts_each_payout_date_in_its_month_and_leaves_out_the_rest(
    tmp_path: Path,
) -> None:
    days = [
        {
            "payout_date": day,
            "households": {"paid": paid},
            "amount_ore": {"total": paid * 100},
            "households_with": {"total": paid},
        }
        for day, paid in (
            ("2026-11-30", 1),
            ("2026-12-01", 2),
            ("2026-12-31", 3),
            ("2027-01-04", 4),
            ("2027-02-01", 8),
        )
    ]
    write_run(tmp_path, "run-10", [], statistics={"by_payout_date": days})
    months = counted(tmp_path, TWO_MONTHS)
    assert list(months) == ["2026-12", "2027-01"]
    assert months["2026-12"].households["paid"] == 5 and months["2026-12"].amount_ore["total"] == 500
    assert months["2027-01"].households["paid"] == 4


def test_four_households_are_withheld_and_five_are_shown() -> None:
    tally = Tally()
    tally.households.update(paid=9, split=5, not_split=4, equal_split=4, other_split=1)
    tally.amount_ore.update(total=900, to_women=500, to_men=400, direct=0)
    tally.households_with.update(total=9, to_women=5, to_men=4)
    tally.manual_by_reason.update(invalid_row=4, invalid_account=5)
    tally.payments_registered, tally.households_registered = 12, 9
    shown = published(tally)
    assert shown["households"] == {
        "paid": 9,
        "split": 5,
        "not_split": None,
        "equal_split": None,
        "other_split": None,
    }
    assert shown["amount_ore"]["to_women"] == 500 and shown["amount_ore"]["to_men"] is None
    assert shown["manual_by_reason"] == {"invalid_account": 5, "invalid_row": None}
    assert shown["share_percent"] == {"to_women": None, "to_men": None, "split_households": 55.6}
    assert set(shown["withheld"]) >= {
        "households.not_split",
        "households.equal_split",
        "amount_ore.to_men",
        "amount_ore.direct",
        "manual_by_reason.invalid_row",
        "share_percent.to_women",
    }
    assert "households.split" not in shown["withheld"] and shown["payments_registered"] == 12
    # Payments of 4 households paid (plus one a later run completed) are withheld.
    tally.households.update(paid=-5)
    tally.households_registered = 5
    assert published(tally)["payments_registered"] is None


@settings(max_examples=50, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=20),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=12),
            lambda inner: (
                st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
            ),
            max_leaves=20,
        ),
        max_size=6,
    )
)
def test_whatever_a_run_folder_holds_the_follow_up_reads_it_without_failing(document: dict[str, Any]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        runs = Path(folder)
        run = runs / "run-10"
        run.mkdir()
        (run / "summary.json").write_text(
            json.dumps(
                {**document, "mode": "real", "run_id": "x", "run_date": "2026-11-20", "decisions": [document]}
            )
        )
        (run / "statistics.json").write_text(
            json.dumps(
                {
                    **document,
                    "run_id": "x",
                    "by_payout_date": [document, {**document, "payout_date": "2026-12-01"}],
                }
            )
        )
        counts = count(read_runs(run_folders(runs)), DECEMBER)
        published(counts.total())


PERSON = {WOMAN: "198001011220", MAN: "198001011238"}  # second-to-last digit 2 (even) and 3 (odd)


@settings(deadline=None)  # a shared machine: no test depends on wall-clock speed
@given(
    st.lists(
        st.tuples(
            st.sampled_from([WOMAN, MAN]),
            st.sampled_from([WOMAN, MAN]),
            st.none() | st.integers(100, 9900),
            st.integers(1, 10**7),
            st.integers(1, 10**7),
            st.integers(0, 10**6),
            st.sampled_from(list(Outcome)),
        ),
        max_size=30,
    )
)
def test_a_runs_sums_add_up_and_only_paid_decisions_count_as_households(
    decisions: list[tuple[str, str, int | None, int, int, int, Outcome]],
) -> None:
    statistics = RunStatistics("real")
    for number, (first, second, share, one, two, direct, outcome) in enumerate(decisions):
        payments = [(f"{number}/1", first, one, Method.KONTO)]
        if share is not None:
            payments.append((f"{number}/2", second, two, Method.AVI))
        if direct:
            payments.append((f"{number}/D", first, direct, Method.BANKGIRO))
        plan = DecisionPlan(
            decision_id=str(number),
            row_numbers=(number,),
            outcome=Outcome.PLANNED,
            share1_bp=share,
            payments=tuple(
                PlannedPayment(
                    reference=ref,
                    decision_id=str(number),
                    method=method,
                    personnummer=PERSON[sex],
                    name="x",
                    amount_ore=amount,
                    payout_date=dt.date(2026, 12, 18),
                )
                for ref, sex, amount, method in payments
            ),
        )
        status = PaymentStatus.REGISTERED if outcome is Outcome.PAID else PaymentStatus.FAILED
        result = DecisionResult(
            decision_id=str(number), outcome=outcome, payments=payment_results(plan, status)
        )
        statistics.add(plan, result)
    days = statistics.as_dict(run_id="r", run_date=dt.date(2026, 11, 20))["by_payout_date"]
    paid = [d for d in decisions if d[6] is Outcome.PAID]
    if not paid:
        assert days == []
        return
    [day] = days
    households, amounts = day["households"], day["amount_ore"]
    assert households["paid"] == len(paid) == households["split"] + households["not_split"]
    assert households["split"] == households["equal_split"] + households["other_split"]
    assert households["equal_split"] == sum(1 for d in paid if d[2] == 5000)
    assert amounts["total"] == amounts["direct"] + amounts["to_women"] + amounts["to_men"]
    expected_women = sum(d[3] for d in paid if d[0] == WOMAN) + sum(
        d[4] for d in paid if d[2] and d[1] == WOMAN
    )
    assert amounts["to_women"] == expected_women
    assert amounts["split_to_women"] + amounts["split_to_men"] == sum(d[3] + d[4] for d in paid if d[2])
    assert day["payments_registered"] == sum(1 + (d[2] is not None) + (d[5] > 0) for d in paid)


def test_the_period_is_the_previous_calendar_month_unless_given() -> None:
    def period(**env: str) -> Period:
        return period_of(Config.load(env).follow_up, dt.date(2027, 1, 10))

    assert period() == Period(dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert period(FOLLOW_UP_FROM="2026-02-03") == Period(dt.date(2026, 2, 3), dt.date(2026, 2, 28))
    assert period(FOLLOW_UP_TO="2026-10-20") == Period(dt.date(2026, 10, 1), dt.date(2026, 10, 20))
    assert period(FOLLOW_UP_FROM="2026-11-01", FOLLOW_UP_TO="2027-01-31").months() == [
        "2026-11",
        "2026-12",
        "2027-01",
    ]
    with pytest.raises(SettingsError, match="FOLLOW_UP_TO"):
        period(FOLLOW_UP_FROM="2026-12-02", FOLLOW_UP_TO="2026-12-01")
    with pytest.raises(SettingsError, match="FOLLOW_UP_FROM"):
        period(FOLLOW_UP_FROM="1 december")


def test_a_folder_that_cannot_take_the_statistics_leaves_them_out_and_a_dry_run_keeps_none(
    tmp_path: Path,
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert RunStatistics("real").write(blocked, run_id="r", run_date=dt.date(2026, 11, 20)) is False
    assert RunStatistics("dry_run").write(tmp_path, run_id="r", run_date=dt.date(2026, 11, 20)) is False
    assert not (tmp_path / "statistics.json").exists()
    assert RunStatistics("real").write(tmp_path, run_id="r", run_date=dt.date(2026, 11, 20)) is True
