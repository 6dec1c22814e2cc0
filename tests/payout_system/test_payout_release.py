"""The stand-in playing a new release (``payout_system/release.py``): each switch changes the pages
or the stored payment as documented in payout_system/README.md, and is off by default."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from payout_testdata import FakeClock, api_payments, csrf_from, login, page_name, valid_form_data

from payout_system.app import create_app
from payout_system.release import ReleaseSettings
from payout_system.settings import Settings, SettingsError


@pytest.fixture
def playing(settings: Settings, clock: FakeClock) -> Callable[..., FlaskClient]:
    """A logged-in registrar's client of the stand-in playing the release ``changes``."""

    def make(**changes: Any) -> FlaskClient:
        app: Flask = create_app(replace(settings, release=ReleaseSettings(**changes)), clock=clock)
        app.config["TESTING"] = True
        client = app.test_client()
        login(client)
        return client

    return make


def post_form(client: FlaskClient, data: dict[str, str]) -> Any:
    token = csrf_from(client.get("/payments/new"))
    return client.post("/payments/new", data={**data, "csrf_token": token})


@pytest.mark.parametrize(
    ("field", "stored_as"),
    [
        ("amount", ("amount_ore", 1_234_500)),
        ("payout_date", ("payout_date", "2026-03-26")),
        ("name", ("name", "ANNA ANDERSSON")),
        ("message", ("message", "Ekonomiskt")),
    ],
)
def test_a_field_stored_differently_is_stored_and_shown_as_the_release_keeps_it(
    playing: Callable[..., FlaskClient], field: str, stored_as: tuple[str, Any]
) -> None:
    client = playing(store_differently=(field,))
    answer = post_form(client, valid_form_data())
    assert answer.status_code == 303
    (held,) = api_payments(client)
    assert held[stored_as[0]] == stored_as[1]
    receipt = client.get(answer.headers["Location"]).get_data(as_text=True)
    shown = {"amount_ore": "12 345,00", "payout_date": "2026-03-26", "name": "ANNA ANDERSSON"}
    assert shown.get(stored_as[0], str(stored_as[1])) in receipt


def test_a_new_required_field_is_asked_for_and_refused_when_empty(
    playing: Callable[..., FlaskClient],
) -> None:
    client = playing(required_field="kostnadsstalle")
    form = client.get("/payments/new").get_data(as_text=True)
    assert 'id="kostnadsstalle" name="kostnadsstalle"' in form
    refused = post_form(client, valid_form_data())
    assert refused.status_code == 422 and 'id="error-kostnadsstalle"' in refused.get_data(as_text=True)
    assert post_form(client, {**valid_form_data(), "kostnadsstalle": "4711"}).status_code == 303


def test_a_renamed_field_is_read_under_its_new_name_only(playing: Callable[..., FlaskClient]) -> None:
    client = playing(renamed_field="amount")
    form = client.get("/payments/new").get_data(as_text=True)
    assert 'id="amount_v2" name="amount_v2"' in form and 'id="amount"' not in form
    assert post_form(client, valid_form_data()).status_code == 422
    data = valid_form_data()
    data["amount_v2"] = data.pop("amount")
    assert post_form(client, data).status_code == 303


def test_an_extra_step_stores_the_payment_only_once_confirmed(playing: Callable[..., FlaskClient]) -> None:
    client = playing(extra_step=True)
    step = post_form(client, valid_form_data())
    assert step.status_code == 200 and page_name(step) == "confirm-payment"
    assert api_payments(client) == []
    page = step.get_data(as_text=True)
    hidden = dict(re.findall(r'type="hidden" name="([a-z_]+)" value="([^"]*)"', page))
    confirmed = client.post("/payments/new", data=hidden)
    assert confirmed.status_code == 303 and len(api_payments(client)) == 1


def test_no_release_is_played_by_default(settings: Settings) -> None:
    assert not settings.release.enabled


@pytest.mark.parametrize(
    ("options", "environ"),
    [
        ({"store_differently": "amount,ocr"}, {}),
        ({"renamed_field": "kostnadsstalle"}, {}),
        ({}, {"PAYOUT_RELEASE_REQUIRED_FIELD": "amount"}),
    ],
)
def test_a_release_the_stand_in_cannot_play_is_refused_at_start(
    tmp_path: Any, options: dict[str, str], environ: dict[str, str]
) -> None:
    with pytest.raises(SettingsError):
        Settings.load({"db": str(tmp_path / "db"), **options}, environ)


def test_the_release_is_read_from_the_environment(tmp_path: Any) -> None:
    environ = {"PAYOUT_RELEASE_EXTRA_STEP": "true", "PAYOUT_RELEASE_STORE_DIFFERENTLY": "amount, payout_date"}
    loaded = Settings.load({"db": str(tmp_path / "db")}, environ).release
    assert loaded.extra_step and loaded.store_differently == ("amount", "payout_date")
