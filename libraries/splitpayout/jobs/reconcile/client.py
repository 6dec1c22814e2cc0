"""What the payout system holds: its read-only JSON API, asked per payout date and per reference."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import requests

from splitpayout.jobs.reconcile.errors import ReconcileInputError
from splitpayout.jobs.reconcile.settings import Period
from splitpayout.jobs.registration.matching import reference_key

MAX_REFERENCE_LOOKUPS = 1000


class PayoutSystemApi:
    """The payout system's read-only JSON API (``GET /api/payments``), with a bearer token.

    Connection failures, timeouts and 5xx answers are retried ``attempts`` times with
    doubling backoff; a refused token or any other answer stops at once. The token and
    the answers' contents never reach a message.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float,
        attempts: int,
        backoff_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff_seconds = backoff_seconds
        self._sleep = sleep
        self._http = requests.Session()

    def __repr__(self) -> str:
        return f"PayoutSystemApi({self.base_url!r}, token=***)"

    def close(self) -> None:
        self._http.close()

    def payments(
        self, *, payout_date: dt.date | None = None, reference: str | None = None
    ) -> list[HeldPayment]:
        """The payments the payout system holds for one payout date and/or one reference."""
        params: dict[str, str] = {}
        if payout_date is not None:
            params["payout_date"] = payout_date.isoformat()
        if reference is not None:
            params["reference"] = reference
        what = f"payout date {payout_date}" if payout_date is not None else "a reference"
        answer = self._get(params, what)
        if not isinstance(answer, list):
            raise ReconcileInputError(
                "payout_system", f"the API's answer for {what} is not a list of payments"
            )
        try:
            return [HeldPayment.from_api(item) for item in answer]
        except ValueError as error:
            raise ReconcileInputError("payout_system", f"the API's answer for {what} holds {error}") from None

    def _get(self, params: dict[str, str], what: str) -> object:
        url = f"{self.base_url}/api/payments"
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        problem = ""
        for attempt in range(1, self.attempts + 1):
            try:
                response = self._http.get(url, params=params, headers=headers, timeout=self.timeout)
            except requests.Timeout:
                problem = "no answer in time"
            except requests.RequestException as error:
                problem = f"cannot connect ({type(error).__name__})"
            else:
                if response.status_code in (401, 403):
                    raise ReconcileInputError(
                        "payout_system",
                        f"the payout system refused the API token (HTTP {response.status_code}): check "
                        "PAYOUT_SYSTEM_API_TOKEN or the vault secret's 'api_token'",
                    )
                if response.status_code >= 500:
                    problem = f"HTTP {response.status_code}"
                elif response.status_code != 200:
                    raise ReconcileInputError(
                        "payout_system", f"the API answered HTTP {response.status_code} for {what}"
                    )
                else:
                    try:
                        return response.json()
                    except ValueError:
                        raise ReconcileInputError(
                            "payout_system", f"the API's answer for {what} is not JSON"
                        ) from None
            if attempt < self.attempts:
                self._sleep(self.backoff_seconds * 2 ** (attempt - 1))
        raise ReconcileInputError(
            "payout_system",
            f"the payout system's API at {self.base_url} did not answer for {what} after "
            f"{self.attempts} tries ({problem})",
        )


@dataclass(frozen=True)
class HeldPayment:
    """A payment as the payout system's API lists it (personal fields: never logged or reported).

    Read leniently: a method or status this robot does not know is kept as text (and then
    differs from any plan), so one unusual payment cannot stop the whole reconciliation.
    """

    payment_number: str
    reference: str
    amount_ore: int
    payout_date: dt.date
    method: str
    status: str
    personnummer: str = field(default="", repr=False)
    clearing: str | None = field(default=None, repr=False)
    account: str | None = field(default=None, repr=False)
    bankgiro: str | None = field(default=None, repr=False)
    ocr: str | None = field(default=None, repr=False)

    @classmethod
    def from_api(cls, item: object) -> HeldPayment:
        """Raises ValueError (never quoting a value) when a required field is missing or malformed."""
        if not isinstance(item, dict):
            raise ValueError("a payment is not a JSON object")
        number, reference, amount = item.get("payment_number"), item.get("reference"), item.get("amount_ore")
        if not isinstance(number, str) or not number or not isinstance(reference, str):
            raise ValueError("a payment without payment_number or reference")
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise ValueError("a payment whose amount_ore is not a whole number")
        try:
            payout_date = dt.date.fromisoformat(str(item.get("payout_date")))
        except ValueError:
            raise ValueError("a payment whose payout_date is not a date") from None
        return cls(
            payment_number=number,
            reference=reference,
            amount_ore=amount,
            payout_date=payout_date,
            method=_text(item.get("method")) or "",
            status=_text(item.get("status")) or "",
            personnummer=_text(item.get("personnummer")) or "",
            clearing=_text(item.get("clearing")),
            account=_text(item.get("account")),
            bankgiro=_text(item.get("bankgiro")),
            ocr=_text(item.get("ocr")),
        )


def _text(value: object) -> str | None:
    if value is None:
        return None
    return str(value)


@dataclass
class Holdings:
    """What the payout system holds: every payment of the period, and references looked up elsewhere."""

    in_period: list[HeldPayment] = field(default_factory=list)
    elsewhere: dict[str, list[HeldPayment]] = field(default_factory=dict)  # by reference_key
    days_queried: int = 0
    references_looked_up: int = 0
    look_ups_skipped: int = 0
    looked_up: set[str] = field(default_factory=set)  # reference_key of every reference looked up


def read_period(api: PayoutSystemApi, period: Period) -> Holdings:
    """One request per calendar day of the period (the API filters one payout date, no paging)."""
    holdings = Holdings()
    seen: set[str] = set()
    for day in period.days():
        for payment in api.payments(payout_date=day):
            if payment.payout_date in period and payment.payment_number not in seen:
                seen.add(payment.payment_number)
                holdings.in_period.append(payment)
        holdings.days_queried += 1
    return holdings


def look_up_elsewhere(
    api: PayoutSystemApi, holdings: Holdings, references: Sequence[str], period: Period
) -> None:
    """Look references up on any date; keep what is held outside the period."""
    for reference in references[:MAX_REFERENCE_LOOKUPS]:
        found = [p for p in api.payments(reference=reference) if p.payout_date not in period]
        holdings.references_looked_up += 1
        holdings.looked_up.add(reference_key(reference))
        if found:
            holdings.elsewhere[reference_key(reference)] = found
    holdings.look_ups_skipped = max(0, len(references) - MAX_REFERENCE_LOOKUPS)
