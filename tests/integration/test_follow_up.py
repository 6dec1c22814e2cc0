"""The board's follow-up, from exports with known sexes, splits and shares paid for real.

Each export is written here from a list of households whose every fact is known (legal sex of
each applicant, split or not, share, direct payment, payout month, manual or protected). Real
runs (``SplitPayoutJob`` over ``HttpGateway`` against the stand-in) pay them, some over two runs
(the stand-in goes into maintenance part-way), one re-run and one dry run follow; then the
follow-up counts. Every figure is compared with a count made here from the households, with
the rule "fewer than 5 households: withheld" applied here too.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from splitpayout.config import Config
from splitpayout.jobs.followup.job import FollowUpJob
from splitpayout.jobs.split_payouts.job import SplitPayoutJob

from devdata.generate_export import COLUMNS, luhn_digit, make_bankgiro
from swedish_rules import is_bank_day
from tests.support.http_gateway import HttpGateway
from tests.support.payout_server import running_payout_system

# One worker runs this module's tests: its module-scoped fixtures are built once.
pytestmark = pytest.mark.xdist_group("test_follow_up")

USER, PASSWORD = "robot", "robot-demo-password"
TODAY = dt.date.today()
ROOT = Path(__file__).resolve().parents[2]
WITHHELD = "färre än 5"


def bank_day_in(months_ahead: int) -> dt.date:
    """A bank day around the 15th, ``months_ahead`` calendar months after this one."""
    year, month = TODAY.year, TODAY.month + months_ahead
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    day = dt.date(year, month, 15)
    while not is_bank_day(day):
        day -= dt.timedelta(days=1)
    return day


FIRST, SECOND = bank_day_in(1), bank_day_in(2)


@dataclass(frozen=True)
class Household:
    """One decision, with every fact the follow-up counts."""

    decision_id: str
    payout_date: dt.date
    amount_ore: int
    sexes: tuple[str, ...]  # "K" or "M" per applicant
    split: bool = False
    share_pct: int = 50
    direct_ore: int = 0
    manual: bool = False  # above the robot's amount limit
    protected: bool = False

    @property
    def month(self) -> str:
        return f"{self.payout_date:%Y-%m}"

    def parts(self) -> list[tuple[str, int]]:
        """(sex, öre) per applicant paid, as docs/rules.md §2.1 splits the rest."""
        rest = self.amount_ore - self.direct_ore
        if not self.split:
            return [(self.sexes[0], rest)]
        second = rest * (100 - self.share_pct) // 100
        return [(self.sexes[0], rest - second), (self.sexes[1], second)]


def identity(rng: random.Random, sex: str) -> str:
    """A fictitious personnummer (birth number 980-999) whose second-to-last digit says ``sex``."""
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(18_000))
    serial = rng.choice([n for n in range(980, 1000) if (n % 2 == 1) == (sex == "M")])
    body = f"{birth:%Y%m%d}{serial}"
    return body + luhn_digit(body[2:])


def write_export(path: Path, households: list[Household], seed: int) -> set[str]:
    """The export of ``households``; returns the personal data it holds (identity numbers, names)."""
    rng = random.Random(seed)
    personal: set[str] = set()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Ekonomiskt bistånd – beviljade beslut för utbetalning"])
    sheet.append(["Exportdatum", TODAY])
    sheet.append(list(COLUMNS))
    for number, house in enumerate(households):
        row: dict[str, object] = {
            "Beslutsnummer": house.decision_id,
            "Utbetalningsdatum": house.payout_date,
            "Belopp": house.amount_ore / 100,
            "Delad utbetalning": "Ja" if house.split else "Nej",
            "Andel sökande 1": house.share_pct if house.split else None,
            "Skyddade personuppgifter": "Ja" if house.protected else "Nej",
            "Handläggare": "hl01",
        }
        if house.direct_ore:
            row["Varav direktbetalning"] = house.direct_ore / 100
            row["Direktbetalning bankgiro"] = make_bankgiro(rng)
        for index, sex in enumerate(house.sexes, start=1):
            number_text, name = identity(rng, sex), f"Testperson{seed}x{number}x{index} Efternamn"
            row[f"Sökande {index} personnummer"] = f"{number_text[:8]}-{number_text[8:]}"
            row[f"Sökande {index} namn"] = name
            personal.update({number_text, f"{number_text[:8]}-{number_text[8:]}", name})
        sheet.append([row.get(column) for column in COLUMNS])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return personal


def households_of_the_test() -> list[Household]:
    """Two months. FIRST: 12 paid (5 split: 3 equal, 2 other), 5 manual, 2 protected.
    SECOND: 6 paid (4 split), 1 manual, 1 protected."""
    rng = random.Random(20261206)
    houses: list[Household] = []

    def add(date: dt.date, **facts: Any) -> None:
        amount = rng.randrange(300_000, 1_500_000)
        direct = rng.randrange(100_000, 250_000) if len(houses) % 3 == 0 else 0
        houses.append(Household(f"FU-{len(houses) + 1:03d}", date, amount, direct_ore=direct, **facts))

    for share in (50, 50, 50, 60, 35):
        add(FIRST, sexes=(rng.choice("KM"), rng.choice("KM")), split=True, share_pct=share)
    for _ in range(7):
        add(FIRST, sexes=(rng.choice("KM"),))
    for share in (50, 70, 50, 40):
        add(SECOND, sexes=(rng.choice("KM"), rng.choice("KM")), split=True, share_pct=share)
    for _ in range(2):
        add(SECOND, sexes=(rng.choice("KM"),))
    for date, manual in ((FIRST, 5), (SECOND, 1)):
        for _ in range(manual):
            houses.append(
                Household(f"FU-{len(houses) + 1:03d}", date, 9_000_000, ("K", "M"), split=True, manual=True)
            )
    for date, protected in ((FIRST, 2), (SECOND, 1)):
        for _ in range(protected):
            houses.append(Household(f"FU-{len(houses) + 1:03d}", date, 500_000, ("K",), protected=True))
    rng.shuffle(houses)
    return houses


# -- the independent count -------------------------------------------------------------------


def shown(value: int, households: int) -> int | None:
    return None if households < 5 else value


def expected_figures(houses: list[Household]) -> dict[str, Any]:
    paid = [h for h in houses if not h.manual and not h.protected]
    split = [h for h in paid if h.split]
    sums: Counter[str] = Counter()
    over: Counter[str] = Counter()
    for house in paid:
        each: Counter[str] = Counter()
        each["total"] = house.amount_ore
        each["direct"] = house.direct_ore
        for sex, amount in house.parts():
            key = "to_women" if sex == "K" else "to_men"
            each[key] += amount
            if house.split:
                each[f"split_{key}"] += amount
        for key, amount in each.items():
            sums[key] += amount
            over[key] += 1 if amount > 0 else 0
    manual = [h for h in houses if h.manual]
    counts = {
        "paid": len(paid),
        "split": len(split),
        "not_split": len(paid) - len(split),
        "equal_split": sum(1 for h in split if h.share_pct == 50),
        "other_split": sum(1 for h in split if h.share_pct != 50),
    }
    payments = sum(len([p for p in h.parts() if p[1] > 0]) + (1 if h.direct_ore else 0) for h in paid)
    return {
        "households": {key: shown(value, value) for key, value in counts.items()},
        "amount_ore": {
            key: shown(sums[key], over[key])
            for key in ("total", "direct", "to_women", "to_men", "split_to_women", "split_to_men")
        },
        "payments_registered": shown(payments, len(paid)),
        "manual_by_reason": {"amount_above_limit": shown(len(manual), len(manual))} if manual else {},
        "protected_left_out": shown(
            sum(1 for h in houses if h.protected), sum(1 for h in houses if h.protected)
        ),
    }


def assert_figures(part: dict[str, Any], houses: list[Household]) -> None:
    expected = expected_figures(houses)
    for key, value in expected.items():
        assert part[key] == value, f"{key}: expected {value}, got {part[key]}"
    withheld = {
        f"{group}.{key}"
        for group in ("households", "amount_ore")
        for key, v in expected[group].items()
        if v is None
    }
    withheld |= {f"manual_by_reason.{k}" for k, v in expected["manual_by_reason"].items() if v is None}
    withheld |= {key for key in ("payments_registered", "protected_left_out") if expected[key] is None}
    assert withheld <= set(part["withheld"])


# -- real runs -------------------------------------------------------------------------------


def pay(
    export: Path, runs: Path, name: str, server_url: str, state: Path, *, dry_run: bool = False
) -> dict[str, Any]:
    """One run of the job as the robot runs it, through HTTP posts; returns its summary.json."""
    artifacts = runs / name
    env = {
        "DECISIONS_FILE": str(export),
        "STATE_DIR": str(state),
        "ROBOT_ARTIFACTS": str(artifacts),
        "PAYOUT_SYSTEM_URL": server_url,
        "DRY_RUN": "true" if dry_run else "false",
        "MAX_ATTEMPTS": "2",
        "MAX_CONSECUTIVE_FAILURES": "2",
        "RETRY_BACKOFF_SECONDS": "0.01",
        "UNKNOWN_OUTCOME_SETTLE_SECONDS": "0.05",
    }
    job = SplitPayoutJob(Config.load(env).run, say=lambda _: None)
    try:
        job.read_export()
        job.plan()
        if dry_run:
            job.record_dry_run()
        else:
            gateway = HttpGateway(server_url, USER, PASSWORD, timeout=10)
            job.register(gateway, worker_id="test")
        job.write_reports()
    finally:
        job.close()
    summary: dict[str, Any] = json.loads((artifacts / "summary.json").read_text(encoding="utf-8"))
    return summary


@dataclass
class World:
    houses: list[Household]
    runs: Path
    personal: set[str]
    summaries: list[dict[str, Any]]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    folder = tmp_path_factory.mktemp("follow-up")
    houses = households_of_the_test()
    export = folder / "exports" / "beslut.xlsx"
    personal = write_export(export, houses, seed=1)
    runs, state, database = folder / "runs", folder / "state", folder / "payout.db"
    summaries = []
    # Run 1: the payout system goes into maintenance at its 50th request, between the two payments
    # of a split decision (the first test checks it did); the second run completes the rest.
    with running_payout_system(
        database, extra_args=["--maintenance-from-request", "50", "--maintenance-requests", "100000"]
    ) as server:
        summaries.append(pay(export, runs, "1-interrupted", server.url, state))
    with running_payout_system(database) as server:
        summaries.append(pay(export, runs, "2-completed", server.url, state))
        summaries.append(pay(export, runs, "3-rerun", server.url, state))
        summaries.append(pay(export, runs, "4-dry-run", server.url, state, dry_run=True))
    return World(houses, runs, personal, summaries)


def follow_up(runs: Path, artifacts: Path, **extra: str) -> dict[str, Any]:
    env = {"RUNS_DIR": str(runs), "ROBOT_ARTIFACTS": str(artifacts), **extra}
    job = FollowUpJob(Config.load(env).follow_up, say=lambda _: None)
    job.read_runs()
    job.count()
    job.write()
    document: dict[str, Any] = json.loads((artifacts / "uppfoljning.json").read_text(encoding="utf-8"))
    return document


def test_the_runs_paid_some_decisions_over_two_runs(world: World) -> None:
    first, second, rerun, _ = world.summaries
    outcomes = [Counter(d["outcome"] for d in s["decisions"]) for s in (first, second, rerun)]
    assert outcomes[0]["failed"] > 0 and outcomes[0]["paid"] > 0, outcomes[0]
    assert outcomes[1]["paid"] == outcomes[0]["failed"]
    assert outcomes[2]["paid"] == 0 and outcomes[2]["already_paid"] == 18
    # A decision with one payment entered by the first run and the other by the second.
    halves = [
        d
        for d in second["decisions"]
        if {p["status"] for p in d["payments"]} == {"registered", "already_registered"}
    ]
    assert halves, "no decision was completed over two runs"


def test_every_figure_equals_the_independent_count_per_month_and_for_the_period(
    world: World, tmp_path: Path
) -> None:
    document = follow_up(
        world.runs, tmp_path, FOLLOW_UP_FROM=FIRST.replace(day=1).isoformat(), FOLLOW_UP_TO=SECOND.isoformat()
    )
    assert document["from"] == FIRST.replace(day=1).isoformat() and document["suppression_threshold"] == 5
    months = {m["month"]: m for m in document["months"]}
    assert list(months) == [f"{FIRST:%Y-%m}", f"{SECOND:%Y-%m}"]
    for month, part in months.items():
        assert_figures(part, [h for h in world.houses if h.month == month])
    assert_figures(document["total"], world.houses)
    # Suppression at the edge: 5 split households are shown, 4 are not.
    assert months[f"{FIRST:%Y-%m}"]["households"]["split"] == 5
    assert months[f"{SECOND:%Y-%m}"]["households"]["split"] is None
    assert "households.split" in months[f"{SECOND:%Y-%m}"]["withheld"]
    assert months[f"{FIRST:%Y-%m}"]["manual_by_reason"] == {"amount_above_limit": 5}


def test_a_period_of_one_month_counts_that_month_only(world: World, tmp_path: Path) -> None:
    document = follow_up(world.runs, tmp_path, FOLLOW_UP_FROM=SECOND.replace(day=1).isoformat())
    assert [m["month"] for m in document["months"]] == [f"{SECOND:%Y-%m}"]
    assert_figures(document["total"], [h for h in world.houses if h.month == f"{SECOND:%Y-%m}"])


def test_a_run_folder_outside_the_runs_folder_is_read_once(world: World, tmp_path: Path) -> None:
    """The second run reached twice (in RUNS_DIR and named again) is still counted once; the
    first run named alone, outside RUNS_DIR, counts only what it paid."""
    period = {"FOLLOW_UP_FROM": FIRST.replace(day=1).isoformat(), "FOLLOW_UP_TO": SECOND.isoformat()}
    twice = follow_up(
        world.runs, tmp_path / "a", FOLLOW_UP_RUN_FOLDERS=str(world.runs / "2-completed"), **period
    )
    assert_figures(twice["total"], world.houses)
    empty = tmp_path / "no-runs"
    empty.mkdir()
    alone = follow_up(
        empty, tmp_path / "b", FOLLOW_UP_RUN_FOLDERS=str(world.runs / "1-interrupted"), **period
    )
    paid_first = sum(1 for d in world.summaries[0]["decisions"] if d["outcome"] == "paid")
    assert alone["runs_read"] == 1
    assert alone["total"]["households"]["paid"] == shown(paid_first, paid_first)


def test_the_task_writes_the_three_files_without_personal_data(world: World, tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    env = {
        **os.environ,
        "RUNS_DIR": str(world.runs),
        "ROBOT_ARTIFACTS": str(artifacts),
        "STATE_DIR": str(tmp_path / "state"),
        "FOLLOW_UP_FROM": FIRST.replace(day=1).isoformat(),
        "FOLLOW_UP_TO": SECOND.isoformat(),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "libraries")]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "splitpayout.runner", "follow_up"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads((artifacts / "uppfoljning.json").read_text(encoding="utf-8"))
    assert_figures(document["total"], world.houses)
    csv_text = (artifacts / "uppfoljning.csv").read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Månad;Andel av pengarna till kvinnor (%)")
    assert WITHHELD in csv_text
    workbook = load_workbook(artifacts / "uppfoljning.xlsx")
    sheet = workbook["Uppföljning"]
    assert len(sheet._charts) == 1  # the native chart (openpyxl reads it back)
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert WITHHELD in texts and "Hela perioden" in texts
    for path in [*world.runs.rglob("statistics.json"), *artifacts.iterdir()]:
        if path.is_file() and path.suffix in (".json", ".csv", ".html", ".xml", ".jsonl"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not [value for value in world.personal if value in text], path


def test_statistics_hold_no_person(world: World) -> None:
    """statistics.json: counts and sums per payout date only; never a decision number or an amount of one."""
    for path in world.runs.rglob("statistics.json"):
        document = json.loads(path.read_text(encoding="utf-8"))
        assert set(document) == {
            "version",
            "run_id",
            "mode",
            "run_date",
            "first_payout_date",
            "protected_left_out",
            "by_payout_date",
        }
        text = path.read_text(encoding="utf-8")
        assert not [h.decision_id for h in world.houses if h.decision_id in text]
    assert not (world.runs / "4-dry-run" / "statistics.json").exists()
