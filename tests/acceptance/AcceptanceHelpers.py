"""Keywords for the acceptance suites: start the stand-in, run the robot's task as an
operator would (a separate process), and check what it left behind.

Checks compare what the payout system holds (its JSON API) with the plan for the
export, payment by payment, and scan every operator artifact for personal data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from robot.api import logger
from robot.api.deco import keyword, library

ROOT = Path(__file__).resolve().parents[2]
for entry in (str(ROOT), str(ROOT / "libraries"), str(ROOT / "devdata")):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from generate_export import generate  # noqa: E402
from splitpayout.domain.models import Outcome  # noqa: E402
from splitpayout.domain.planning.rules import PlanningRules  # noqa: E402
from splitpayout.jobs.export_plan import plan_export  # noqa: E402

from tests.support.payout_server import running_payout_system  # noqa: E402
from tests.support.robot_logs import readable_text  # noqa: E402

ROBOT_USER = "robot"
ROBOT_PASSWORD = "robot-demo-password"  # the stand-in's development-mode account


@library(scope="SUITE", auto_keywords=False)
class AcceptanceHelpers:
    """Start and stop the stand-in, run the robot, inspect its artifacts."""

    def __init__(self) -> None:
        self._server: Any = None
        self._context: Any = None
        self._db = Path()

    # -- the stand-in -----------------------------------------------------------------------
    @keyword
    def start_the_payout_system(self, workdir: str, *fault_options: str) -> str:
        """Start the stand-in with a fresh database in ``workdir``; returns its URL."""
        self.stop_the_payout_system()
        self._db = Path(workdir) / "payout-system.sqlite3"
        self._context = running_payout_system(self._db, extra_args=tuple(fault_options))
        self._server = self._context.__enter__()
        return str(self._server.url)

    @keyword
    def restart_the_payout_system_without_faults(self) -> str:
        """Stop the stand-in and start it again on the same database, with no fault injection:
        the outage is over. Returns its (new) URL."""
        self.stop_the_payout_system()
        self._context = running_payout_system(self._db)
        self._server = self._context.__enter__()
        return str(self._server.url)

    @keyword
    def stop_the_payout_system(self) -> None:
        if self._context is not None:
            self._context.__exit__(None, None, None)
        self._context = None
        self._server = None

    @keyword
    def payments_in_the_payout_system(self) -> list[dict[str, Any]]:
        return list(self._server.api_payments())

    # -- exports ----------------------------------------------------------------------------
    @keyword
    def write_demo_export(self, path: str, count: int = 300, seed: int = 2026) -> str:
        """The demo export, payout dates relative to today."""
        generate(Path(path), count=int(count), seed=int(seed), today=dt.date.today(), scenario_mix=True)
        return path

    @keyword
    def write_valid_export(self, path: str, count: int = 40, seed: int = 7) -> str:
        """An export of only valid decisions."""
        generate(Path(path), count=int(count), seed=int(seed), today=dt.date.today(), scenario_mix=False)
        return path

    # -- the robot --------------------------------------------------------------------------
    def _environment(
        self, export: str, artifacts: str, state: str, dry_run: bool, url: str, **settings: str
    ) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ROBOT_", "PAYOUT_SYSTEM_"))}
        env.update(
            DECISIONS_FILE=export,
            DRY_RUN="true" if dry_run else "false",
            PAYOUT_SYSTEM_URL=url,
            PAYOUT_SYSTEM_USERNAME=ROBOT_USER,
            PAYOUT_SYSTEM_PASSWORD=ROBOT_PASSWORD,
            STATE_DIR=state,
            ROBOT_ARTIFACTS=artifacts,
            RETRY_BACKOFF_SECONDS="0.2",
            UNKNOWN_OUTCOME_SETTLE_SECONDS="1",
            PAYOUT_SYSTEM_TIMEOUT="3",
            PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "libraries")]),
        )
        env.update({name: str(value) for name, value in settings.items()})
        return env

    @keyword
    def run_split_payouts(
        self,
        export: str,
        artifacts: str,
        state: str,
        dry_run: bool = False,
        url: str = "",
        **settings: str,
    ) -> int:
        """Run the ``Split payouts`` task as robot.yaml does; returns its exit status.

        ``settings`` are further environment variables, e.g. ``MAX_ATTEMPTS=6``.
        """
        process = self.start_split_payouts(export, artifacts, state, dry_run, url, **settings)
        return self.wait_for_split_payouts(process)

    @keyword
    def start_split_payouts(
        self,
        export: str,
        artifacts: str,
        state: str,
        dry_run: bool = False,
        url: str = "",
        **settings: str,
    ) -> subprocess.Popen[str]:
        """Start the ``Split payouts`` task in the background; ``Wait For Split Payouts`` ends it."""
        url = url or (self._server.url if self._server else "http://127.0.0.1:9")
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        return subprocess.Popen(
            [sys.executable, "-m", "splitpayout.runner", "split_payouts"],
            cwd=ROOT,
            env=self._environment(export, artifacts, state, _truthy(dry_run), url, **settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    @keyword
    def wait_for_split_payouts(self, process: subprocess.Popen[str]) -> int:
        """Wait for a run started with ``Start Split Payouts``; returns its exit status."""
        try:
            output, _ = process.communicate(timeout=900)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            raise AssertionError("the run did not finish within 15 minutes") from None
        logger.info(f"exit status {process.returncode}\n{output[-3000:]}")
        return int(process.returncode)

    @keyword
    def run_split_payouts_and_kill_it(
        self, export: str, artifacts: str, state: str, after_registrations: int, seed: int = 1
    ) -> int:
        """Start a real run; SIGKILL it once ``after_registrations`` payments exist (plus a random delay)."""
        rng = random.Random(int(seed))
        process = subprocess.Popen(
            [sys.executable, "-m", "splitpayout.runner", "split_payouts"],
            cwd=ROOT,
            env=self._environment(export, artifacts, state, False, self._server.url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 300
        try:
            while time.monotonic() < deadline and process.poll() is None:
                if len(self._server.api_payments()) >= int(after_registrations):
                    time.sleep(rng.uniform(0.0, 0.6))
                    break
                time.sleep(0.05)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        held = len(self._server.api_payments())
        logger.info(f"killed the run with {held} payments registered")
        return held

    # -- checks -----------------------------------------------------------------------------
    @keyword
    def load_summary(self, artifacts: str) -> dict[str, Any]:
        return dict(json.loads((Path(artifacts) / "summary.json").read_text(encoding="utf-8")))

    @keyword
    def totals_should_add_up(self, artifacts: str) -> None:
        """in_file = registered + planned + manual + failed, to the öre; counts match the decisions."""
        summary = self.load_summary(artifacts)
        amounts = summary["totals"]["amounts_ore"]
        parts = amounts["registered"] + amounts["planned"] + amounts["manual"] + amounts["failed"]
        if parts != amounts["in_file"]:
            raise AssertionError(f"expected {amounts['in_file']} öre in parts, got {parts}")
        counted = sum(summary["totals"]["outcomes"].values())
        if counted != len(summary["decisions"]):
            raise AssertionError(f"expected {len(summary['decisions'])} decisions counted, got {counted}")

    @keyword
    def every_decision_should_have_outcome_in(self, artifacts: str, *outcomes: str) -> None:
        summary = self.load_summary(artifacts)
        others = sorted({d["outcome"] for d in summary["decisions"]} - set(outcomes))
        if others:
            raise AssertionError(f"expected only outcomes {list(outcomes)}, also found {others}")

    @keyword
    def summary_should_contain_reasons(self, artifacts: str, *codes: str) -> None:
        summary = self.load_summary(artifacts)
        found = {r["code"] for d in summary["decisions"] for r in d["reasons"]}
        missing = sorted(set(codes) - found)
        if missing:
            raise AssertionError(f"expected reason codes {missing} in summary.json, found {sorted(found)}")

    @keyword
    def run_log_should_show_failures(self, artifacts: str, *kinds: str) -> None:
        """The run met (and logged) technical failures of each of ``kinds``: the faults were real."""
        seen = set()
        for line in (Path(artifacts) / "run.jsonl").read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            if event.get("kind"):
                seen.add(str(event["kind"]))
        missing = sorted(set(kinds) - seen)
        if missing:
            raise AssertionError(f"expected failures of kinds {missing} in run.jsonl, saw {sorted(seen)}")

    @keyword
    def decisions_should_be(self, artifacts: str, outcome: str, *decision_ids: str) -> None:
        """Each of ``decision_ids`` ended with ``outcome`` in summary.json."""
        found = {d["decision_id"]: d["outcome"] for d in self.load_summary(artifacts)["decisions"]}
        wrong = {d: found.get(d) for d in decision_ids if found.get(d) != outcome}
        if wrong:
            raise AssertionError(
                f"expected {outcome} for {sorted(wrong)}, found {sorted(set(wrong.values()))}"
            )

    @keyword
    def decisions_with_a_payment_above(self, export: str, limit_kr: int) -> list[str]:
        """The planned decisions of which some payment is above ``limit_kr`` kronor."""
        limit = int(limit_kr) * 100
        return [
            plan.decision_id
            for plan in _plans(export)
            if plan.outcome is Outcome.PLANNED and any(p.amount_ore > limit for p in plan.payments)
        ]

    @keyword
    def the_payout_system_should_hold_exactly_the_plan(self, export: str, refused_above_kr: int = 0) -> None:
        """Every planned payment registered exactly once with the planned recipient, method, amount
        and date, and nothing else.

        With ``refused_above_kr``, the payout system refuses payments above that amount: of each
        decision, the payments before the first refused one are held and none after it.
        """
        limit = int(refused_above_kr) * 100
        planned = {}
        for plan in _plans(export):
            if plan.outcome is not Outcome.PLANNED:
                continue
            for payment in plan.payments:
                if limit and payment.amount_ore > limit:
                    break
                planned[payment.reference] = payment
        held = self._server.api_payments()
        references = [p["reference"] for p in held]
        duplicates = sorted({r for r in references if references.count(r) > 1})
        if duplicates:
            raise AssertionError(f"expected each reference once, {len(duplicates)} registered more than once")
        unexpected = sorted(set(references) - set(planned))
        if unexpected:
            raise AssertionError(f"expected only planned references, found {len(unexpected)} others")
        missing = sorted(set(planned) - set(references))
        if missing:
            raise AssertionError(f"expected every planned reference, {len(missing)} missing: {missing[:5]}")
        for payment in held:
            plan = planned[payment["reference"]]
            expected = {
                "personnummer": plan.personnummer,
                "method": plan.method.value,
                "amount_ore": plan.amount_ore,
                "payout_date": plan.payout_date.isoformat(),
                "clearing": plan.clearing or "",
                "account": plan.account or "",
                "bankgiro": plan.bankgiro or "",
            }
            actual = {key: payment.get(key) or "" for key in expected}
            actual["amount_ore"] = payment["amount_ore"]
            if actual != expected:
                differing = sorted(k for k in expected if expected[k] != actual[k])
                raise AssertionError(
                    f"{payment['reference']}: expected the planned {differing}, found others"
                )
        logger.info(f"{len(held)} payments match the plan exactly")

    @keyword
    def artifacts_should_hold_no_personal_data(self, artifacts: str, export: str, *secrets: str) -> None:
        """No identity number, account number or name from the export, and no password, in any
        operator artifact (everything in ``artifacts`` except the case workers' workbook)."""
        needles = _personal_data(Path(export)) | {ROBOT_PASSWORD, *secrets}
        checked = []
        for path in sorted(Path(artifacts).rglob("*")):
            if not path.is_file() or path.name == "manuell-hantering.xlsx":
                continue
            text = readable_text(path)
            found = [needle for needle in needles if needle in text]
            if found:
                raise AssertionError(f"{path.name} holds {len(found)} personal-data values or secrets")
            checked.append(path.name)
        if "log.html" not in checked or "summary.json" not in checked:
            raise AssertionError(f"expected log.html and summary.json among the artifacts, found {checked}")
        logger.info(f"checked {len(checked)} artifacts against {len(needles)} values")


def _plans(export: str) -> list[Any]:
    return list(plan_export(Path(export), PlanningRules(dt.date.today(), amount_limit_ore=5_000_000)))


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes"}


def _personal_data(export: Path) -> set[str]:
    """Identity numbers (as written and normalised), account numbers and names in the export."""
    from openpyxl import load_workbook

    from swedish_rules import normalize_identity

    workbook = load_workbook(export, read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    header: list[str] | None = None
    values: set[str] = set()
    for row in sheet.iter_rows(values_only=True):
        cells = ["" if c is None else str(c).strip() for c in row]
        if header is None:
            if any(c.lower() == "beslutsnummer" for c in cells):
                header = [c.lower() for c in cells]
            continue
        for name, value in zip(header, cells, strict=False):
            if not value:
                continue
            if name.endswith("personnummer"):
                values.add(value)
                digits = "".join(ch for ch in value if ch.isdigit())
                values.add(digits)
                with contextlib.suppress(ValueError):
                    values.add(normalize_identity(value))
            elif (name.endswith("kontonummer") and len(value) >= 5) or name.endswith("namn"):
                values.add(value)
    workbook.close()
    return {v for v in values if len(v) >= 5}
