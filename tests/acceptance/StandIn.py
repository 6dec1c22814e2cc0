"""Test keywords around the payout-system stand-in: start and stop it, build test payments, read its API.

Checks compare with the JSON API and never put personal data into their messages or
return values (the suite's own log is checked for leaks).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from robot.api.deco import keyword, library
from robot.api.types import Secret

REPO_ROOT = Path(__file__).resolve().parents[2]
for _path in (REPO_ROOT, REPO_ROOT / "libraries"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from robotglue.browser import BrowserSettings  # noqa: E402
from robotglue.robot_gateway import RobotGateway  # noqa: E402
from splitpayout.adapters.gateway import ApplicationError, BusinessError, SubmitOutcomeUnknownError  # noqa: E402
from splitpayout.config import Settings  # noqa: E402
from splitpayout.domain.models import Method, PlannedPayment  # noqa: E402

from swedish_rules import previous_bank_day  # noqa: E402
from tests.support.payout_server import PayoutServer, start_payout_system  # noqa: E402

#: Test data. The identity number is the Swedish tax agency's well-known test number.
TEST_PERSONNUMMER = "191212121212"
INVALID_PERSONNUMMER = "191212121213"
TEST_NAME = "Tolvan Tolvansson"
TEST_CLEARING = "5000"
TEST_ACCOUNT = "5837278"
ROBOT_USERNAME = "robot"
ROBOT_PASSWORD = os.environ.get("PAYOUT_SYSTEM_PASSWORD", "robot-demo-password")


class TestPayment(PlannedPayment):
    """A ``PlannedPayment`` whose text names only its reference, so tests can log it safely."""

    def __str__(self) -> str:
        return f"<test payment {self.reference}>"

    def __repr__(self) -> str:
        return str(self)


@library(scope="SUITE", auto_keywords=False)
class StandIn:
    """The payout-system stand-in, run as a real server for one suite."""

    def __init__(self) -> None:
        self._servers: list[PayoutServer] = []
        self._workdir = Path(tempfile.mkdtemp(prefix="payout-stand-in-"))

    @property
    def _server(self) -> PayoutServer:
        if not self._servers:
            raise AssertionError("Expected a running stand-in, found none: use 'Start The Stand-in' first.")
        return self._servers[-1]

    @keyword("Start The Stand-in")
    def start_the_stand_in(self, *options: str) -> str:
        """Start a stand-in on a free port with a fresh database; return its URL (without slash)."""
        db_path = self._workdir / f"payout-{len(self._servers)}.db"
        self._servers.append(start_payout_system(db_path, extra_args=options))
        return self._server.url.rstrip("/")

    @keyword("Stop The Stand-ins")
    def stop_the_stand_ins(self) -> None:
        """Stop every stand-in this library started."""
        for server in self._servers:
            server.stop()

    @keyword
    def get_robot_username(self) -> str:
        """The registrar account of the stand-in's development users."""
        return ROBOT_USERNAME

    @keyword
    def get_robot_password(self) -> Secret:
        """The registrar's password, as a ``Secret`` that never shows in the log."""
        return Secret(ROBOT_PASSWORD)

    @keyword
    def get_wrong_password(self) -> Secret:
        """A password the stand-in refuses."""
        return Secret(ROBOT_PASSWORD + "-wrong")

    @keyword
    def get_test_payment(self, reference: str, **changes: Any) -> TestPayment:
        """A valid KONTO payment with ``reference``, paid on a bank day about a month from today;
        ``changes`` override fields."""
        values: dict[str, Any] = {
            "reference": reference,
            "decision_id": reference.split("/")[0],
            "method": Method.KONTO,
            "personnummer": TEST_PERSONNUMMER,
            "name": TEST_NAME,
            "clearing": TEST_CLEARING,
            "account": TEST_ACCOUNT,
            "amount_ore": 1234550,
            "payout_date": previous_bank_day(dt.date.today() + dt.timedelta(days=30)),
            "message": "Ekonomiskt bistånd",
        }
        values.update(changes)
        return TestPayment.model_construct(**values)

    @keyword
    def get_test_payment_with_an_invalid_identity_number(self, reference: str) -> TestPayment:
        """A test payment whose identity number fails its check digit: the payout system refuses it."""
        return self.get_test_payment(reference, personnummer=INVALID_PERSONNUMMER)

    @keyword("Payment In Stand-in Should Match")
    def payment_in_stand_in_should_match(self, payment_number: str, expected: PlannedPayment) -> None:
        """The API holds ``payment_number`` with the reference, amount, identity etc. of ``expected``."""
        found = [p for p in self._server.api_payments() if p["payment_number"] == payment_number]
        if len(found) != 1:
            raise AssertionError(
                f"Expected one payment {payment_number} in the stand-in, found {len(found)}."
            )
        actual = found[0]
        wanted = {
            "reference": expected.reference,
            "amount_ore": expected.amount_ore,
            "method": str(expected.method),
            "payout_date": expected.payout_date.isoformat(),
        }
        for field, value in wanted.items():
            if actual[field] != value:
                raise AssertionError(f"Expected {field} {value!r}, got {actual[field]!r}.")
        for field in ("personnummer", "name", "clearing", "account"):  # personal data: never echoed
            if str(actual[field] or "") != str(getattr(expected, field) or ""):
                raise AssertionError(f"The stand-in holds a different {field} than was entered.")

    @keyword("Stand-in Should Hold Payments")
    def stand_in_should_hold_payments(self, reference: str, count: int) -> None:
        """The API holds exactly ``count`` payments with ``reference``."""
        found = len(self._server.api_payments(reference=reference))
        if found != int(count):
            raise AssertionError(f"Expected {count} payments {reference!r} in the stand-in, found {found}.")

    @keyword
    def found_payments_should_be(self, payments: list[dict[str, str]], *payment_numbers: str) -> None:
        """The search rows are exactly these payment numbers, each row with every cell read."""
        numbers = [row["payment_number"] for row in payments]
        if numbers != list(payment_numbers):
            raise AssertionError(f"Expected payments {list(payment_numbers)}, found {numbers}.")
        for row in payments:
            empty = [
                name
                for name in ("reference", "personnummer", "name", "amount", "payout_date")
                if not row[name]
            ]
            if empty:
                raise AssertionError(f"Expected every cell of {row['payment_number']} read, empty: {empty}.")

    # -- RobotGateway, checked from inside a running suite -------------------------------------

    def _browser_settings(self) -> BrowserSettings:
        """The robot's browser settings (its defaults) for the current stand-in."""
        return BrowserSettings.from_settings(Settings.from_env({"PAYOUT_SYSTEM_URL": self._server.url}))

    def _gateway(self, **options: Any) -> RobotGateway:
        return RobotGateway(self._browser_settings(), ROBOT_USERNAME, ROBOT_PASSWORD, **options)

    @keyword
    def get_browser_settings(self) -> BrowserSettings:
        """The robot's browser settings for the current stand-in, as ``RobotGateway`` passes them on."""
        return self._browser_settings()

    @keyword
    def gateway_should_register_and_find(self, reference: str) -> str:
        """``RobotGateway`` logs in, registers a payment, finds it again as a ``RegisteredPayment``."""
        gateway = self._gateway()
        gateway.log_in()
        payment = self.get_test_payment(reference)
        number = gateway.register(payment).payment_number
        found = gateway.find_payments(reference=reference)
        if [p.payment_number for p in found] != [number]:
            raise AssertionError(
                f"Expected to find {number} by reference, found {[p.payment_number for p in found]}."
            )
        registered = found[0]
        by_date = gateway.find_payments(
            payout_date_from=payment.payout_date, payout_date_to=payment.payout_date
        )
        if number not in [p.payment_number for p in by_date]:
            raise AssertionError(f"Expected to find {number} by payout date, did not.")
        checks = {
            "amount_ore": (registered.amount_ore, payment.amount_ore),
            "payout_date": (registered.payout_date, payment.payout_date),
            "method": (registered.method, payment.method),
        }
        for field, (actual, wanted) in checks.items():
            if actual != wanted:
                raise AssertionError(f"Expected {field} {wanted!r}, got {actual!r}.")
        if (registered.personnummer, registered.clearing, registered.account) != (
            payment.personnummer,
            payment.clearing,
            payment.account,
        ):
            raise AssertionError("The search gave a different identity or account than was entered.")
        return number

    @keyword
    def gateway_should_find_every_page(self, reference: str, count: int) -> None:
        """``count`` payments registered with ``reference`` are all found, read one to a search page."""
        gateway = self._gateway()
        numbers = [
            gateway.register(self.get_test_payment(reference)).payment_number for _ in range(int(count))
        ]
        paged = self._gateway(search_page_size=1)
        found = [payment.payment_number for payment in paged.find_payments(reference=reference)]
        if found != numbers:
            raise AssertionError(f"Expected {numbers} read one to a page, found {found}.")

    @keyword
    def gateway_should_raise_business_error(self, reference: str) -> None:
        """A payment the stand-in refuses raises ``BusinessError`` naming the refused field."""
        gateway = self._gateway()
        try:
            gateway.register(self.get_test_payment_with_an_invalid_identity_number(reference))
        except BusinessError as error:
            if error.fields != ("personnummer",):
                raise AssertionError(
                    f"Expected the refused field personnummer, got {error.fields}."
                ) from None
            return
        raise AssertionError("Expected BusinessError for a refused identity number, none was raised.")

    @keyword
    def gateway_should_raise_session_expired(self) -> None:
        """Without a session: ``ApplicationError('session_expired')`` before submitting."""
        gateway = self._gateway()
        try:
            gateway.register(self.get_test_payment("T-SESSION/1"))
        except SubmitOutcomeUnknownError as error:
            raise AssertionError(
                f"Expected a failure before submitting, got an unknown outcome ({error})."
            ) from None
        except ApplicationError as error:
            if error.kind != "session_expired":
                raise AssertionError(f"Expected kind session_expired, got {error.kind}.") from None
            return
        raise AssertionError("Expected ApplicationError without a session, none was raised.")

    @keyword
    def gateway_should_report_unknown_outcome(self, reference: str) -> None:
        """A confirmation that never comes raises ``SubmitOutcomeUnknownError``."""
        gateway = self._gateway()
        try:
            gateway.register(self.get_test_payment(reference))
        except SubmitOutcomeUnknownError as error:
            if error.kind != "timeout":
                raise AssertionError(f"Expected kind timeout, got {error.kind}.") from None
            return
        raise AssertionError(
            "Expected SubmitOutcomeUnknownError when no confirmation comes, none was raised."
        )

    @keyword("Remove The Stand-in Files")
    def remove_the_stand_in_files(self) -> None:
        """Delete the temporary databases and server logs."""
        for path in sorted(self._workdir.glob("*")):
            with contextlib.suppress(OSError):
                path.unlink()
        with contextlib.suppress(OSError):
            self._workdir.rmdir()
