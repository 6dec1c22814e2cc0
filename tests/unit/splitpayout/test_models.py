"""Personal data never shows in the text of the domain objects (tracebacks, log lines)."""

from __future__ import annotations

import datetime as dt

from splitpayout.adapters.gateway import RegisteredPayment
from splitpayout.domain.models import Applicant, Contact, Method, PlannedPayment

PERSONNUMMER = "198112189876"
NAME = "Anna Andersson"
CLEARING = "8327"
ACCOUNT = "9876543219"


def test_a_planned_payment_shows_its_reference_and_amount_but_no_personal_data() -> None:
    payment = PlannedPayment(
        reference="B-1/1",
        decision_id="B-1",
        method=Method.KONTO,
        personnummer=PERSONNUMMER,
        name=NAME,
        clearing=CLEARING,
        account=ACCOUNT,
        amount_ore=1234550,
        payout_date=dt.date(2026, 12, 23),
    )
    for text in (repr(payment), str(payment), f"{payment!r}", repr((payment,))):
        assert "B-1/1" in text and "1234550" in text
        for personal in (PERSONNUMMER, NAME, ACCOUNT):
            assert personal not in text
    assert payment.personnummer == PERSONNUMMER, "the value itself is still there for the form"


def test_applicants_contacts_and_registered_payments_hide_personal_data_too() -> None:
    objects = (
        Applicant(personnummer=PERSONNUMMER, name=NAME, clearing=CLEARING, account=ACCOUNT),
        Contact(applicant1_name=NAME, applicant1_personnummer=PERSONNUMMER),
        RegisteredPayment(
            payment_number="U-1",
            reference="B-1/1",
            personnummer=PERSONNUMMER,
            method=Method.KONTO,
            clearing=CLEARING,
            account=ACCOUNT,
            amount_ore=100,
            payout_date=dt.date(2026, 12, 23),
            status="registrerad",
        ),
    )
    for item in objects:
        for personal in (PERSONNUMMER, NAME, ACCOUNT):
            assert personal not in repr(item)
