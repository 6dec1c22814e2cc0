"""One set of planning rules, built from the configuration: a run and the reconciliation plan alike."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from splitpayout.config import Config
from splitpayout.domain.errors import ExportFileError
from splitpayout.domain.export_columns import AMOUNT
from splitpayout.domain.models import DecisionPlan, Outcome
from splitpayout.domain.reasons import ReasonCode
from splitpayout.jobs.reconcile.errors import ReconcileInputError
from splitpayout.jobs.reconcile.job import ReconciliationJob
from splitpayout.jobs.reconcile.settings import ReconcileSettings
from splitpayout.jobs.split_payouts.job import SplitPayoutJob

from devdata.generate_export import generate

TODAY = dt.date(2026, 11, 23)


def _config(tmp_path: Path, export: Path, **extra: str) -> Config:
    return Config(
        {
            "DECISIONS_FILE": str(export),
            "RUN_DATE": TODAY.isoformat(),
            "RECONCILE_FROM": TODAY.isoformat(),  # the same planning date as the run's
            "STATE_DIR": str(tmp_path / "state"),
            "ROBOT_ARTIFACTS": str(tmp_path / "output"),
            "DRY_RUN": "true",
            **extra,
        }
    )


def _by_number(plans: list[DecisionPlan]) -> dict[str, tuple[object, ...]]:
    return {plan.decision_id: (plan.outcome, plan.reasons, plan.payments) for plan in plans}


def _run_plans(config: Config) -> list[DecisionPlan]:
    job = SplitPayoutJob(config.run, say=lambda _: None)
    try:
        return list(job.iter_plans())
    finally:
        job.close()


def _reconciliation_plans(config: Config) -> list[DecisionPlan]:
    job = ReconciliationJob(ReconcileSettings.from_config(config), say=lambda _: None)
    return list(job.read_decisions().plans.values())


def test_a_payment_above_the_ceiling_is_planned_the_same_way_by_a_run_and_the_reconciliation(
    tmp_path: Path,
) -> None:
    export = tmp_path / "beslut.xlsx"
    generate(export, count=12, seed=5, today=TODAY, scenario_mix=False)
    config = _config(tmp_path, export, PAYOUT_SYSTEM_MAX_PAYMENT_KR="6000", AMOUNT_LIMIT_KR="40000")
    run = _by_number(_run_plans(config))
    assert _by_number(_reconciliation_plans(config)) == run
    outcomes = [outcome for outcome, _, _ in run.values()]
    assert Outcome.PLANNED in outcomes  # the payments within the ceiling are planned by both
    above = [reasons for outcome, reasons, _ in run.values() if outcome is Outcome.MANUAL]
    assert above
    assert all(r.code is ReasonCode.INVALID_ROW and AMOUNT in r.fields for rs in above for r in rs)


def test_an_export_beyond_max_decisions_is_refused_by_a_run_and_the_reconciliation(tmp_path: Path) -> None:
    export = tmp_path / "beslut.xlsx"
    generate(export, count=5, seed=6, today=TODAY, scenario_mix=False)
    config = _config(tmp_path, export, MAX_DECISIONS="4")
    with pytest.raises(ExportFileError, match="MAX_DECISIONS"):
        _run_plans(config)
    with pytest.raises(ReconcileInputError, match="MAX_DECISIONS"):
        _reconciliation_plans(config)
    within = _config(tmp_path, export, MAX_DECISIONS="5")
    assert len(_reconciliation_plans(within)) == len(_run_plans(within)) == 5


def test_the_reconciliation_plans_on_the_first_day_of_its_period_with_the_run_s_limits() -> None:
    config = Config({"RUN_DATE": "2026-11-23", "RECONCILE_FROM": "2026-12-01", "AMOUNT_LIMIT_KR": "30000"})
    rules = ReconcileSettings.from_config(config).rules
    assert rules.today == dt.date(2026, 12, 1)
    assert rules == config.run.planning_rules.on(dt.date(2026, 12, 1))
    assert rules.amount_limit_ore == 30_000_00
