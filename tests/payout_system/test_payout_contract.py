"""docs/payout_system_ui.md against the pages: every element id and page name it names is rendered.

The pages are collected by walking through every state the document describes: each role's
pages, every refused field, search results over several pages, attesting, the audit trail,
error and maintenance pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from payout_testdata import BANKGIRO, FakeClock, csrf_from, login, register

DOC = Path(__file__).resolve().parents[2] / "docs" / "payout_system_ui.md"
PAGE_NAMES = {
    "login",
    "home",
    "new-payment",
    "confirmation",
    "search",
    "payment",
    "audit",
    "maintenance",
    "error",
}


def rendered(make_app: Callable[..., Flask], clock: FakeClock) -> list[str]:
    pages: list[str] = []

    def keep(client: FlaskClient, path: str, form: dict[str, str] | None = None) -> str:
        """GET the page, or POST ``form`` with the session's CSRF token; follow redirects."""
        if form is None:
            response = client.get(path, follow_redirects=True)
        else:
            token = csrf_from(client.get("/", follow_redirects=True))
            response = client.post(path, data={**form, "csrf_token": token}, follow_redirects=True)
        html = response.get_data(as_text=True)
        pages.append(html)
        return html

    app = make_app()
    anonymous = app.test_client()
    keep(anonymous, "/login")
    keep(anonymous, "/login", {"username": "robot", "password": "wrong"})

    robot = app.test_client()
    login(robot)
    keep(robot, "/")
    keep(robot, "/payments/new")
    # Every KONTO field refused at once, then the method-specific ones.
    keep(robot, "/payments/new", {"method": "KONTO", "ocr": "x", "message": "M" * 201})
    keep(robot, "/payments/new", {"method": "BANKGIRO"})
    keep(robot, "/payments/new", {"method": "SWISH"})
    for n in range(3):
        register(robot, reference=f"B-{n}/1", method="BANKGIRO", bankgiro=BANKGIRO, ocr="12")
    keep(robot, "/payments/U-100001/kvitto")
    keep(robot, "/payments/search?date_from=2026-03-01&per_page=1&page=2")
    keep(robot, "/payments/search?reference=NOPE")
    keep(robot, "/payments/search?personnummer=x&date_from=x&date_to=x")
    keep(robot, "/payments/U-999999")
    keep(robot, "/logout", {})

    attestant = app.test_client()
    login(attestant, "attestant")
    keep(attestant, "/")
    keep(attestant, "/payments/U-100001")
    keep(attestant, "/payments/U-100001/attest", {})
    keep(attestant, "/payments/U-100001/attest", {})
    keep(attestant, "/audit")

    keep(make_app(maintenance_from_request=1, maintenance_requests=10).test_client(), "/login")
    return pages


def test_every_id_and_page_in_the_document_is_rendered(
    make_app: Callable[..., Flask], clock: FakeClock
) -> None:
    pages = rendered(make_app, clock)
    ids = {found for html in pages for found in re.findall(r'\sid="([^"]+)"', html)}
    names = {found for html in pages for found in re.findall(r'<main id="main" data-page="([^"]+)"', html)}
    doc = DOC.read_text(encoding="utf-8")
    # '#name' in the document is an element id; '#error-FIELD'-style placeholders stand for many.
    documented = {m for m in re.findall(r"#([A-Za-z][\w-]*)", doc) if m.islower() and not m.endswith("-")}
    assert documented, "no ids found in the document"
    assert documented - ids == set(), "documented but never rendered"
    assert names == PAGE_NAMES
    assert all(f"`{name}`" in doc for name in PAGE_NAMES)
    # Field errors: #payment-form [id^='error-'], one per field name.
    fields = ("personnummer", "name", "method", "clearing", "account", "bankgiro", "ocr", "amount")
    for field in (*fields, "payout_date", "reference", "message"):
        assert f"error-{field}" in ids, field
        assert f"`{field}`" in doc, field


def test_the_field_limits_the_robot_plans_against_are_the_stand_ins() -> None:
    """The field limits the robot's planner checks (splitpayout.domain.contract) and the stand-in's own
    validation say the same, so a decision the planner passes is never refused half-way for them."""
    from splitpayout.domain.contract import LIMITS

    from payout_system.payments import forms

    assert (LIMITS.name, LIMITS.reference, LIMITS.ocr, LIMITS.message) == (
        forms.MAX_NAME,
        forms.MAX_REFERENCE,
        forms.MAX_OCR,
        forms.MAX_MESSAGE,
    )
    assert LIMITS.amount_ore == forms.MAX_AMOUNT_ORE


def test_the_payment_form_the_robot_fills_in_is_the_stand_ins() -> None:
    from splitpayout.domain.contract import FORM_FIELDS

    from payout_system.payments import forms

    assert forms.FIELDS == FORM_FIELDS
