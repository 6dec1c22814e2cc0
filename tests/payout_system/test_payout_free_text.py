"""The stand-in refuses control characters (CR, LF, NUL, tab...) in its free-text fields, as a
real system's validation would: nothing it stores or shows can forge a line in the robot's logs."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payout_testdata import api_payments, login, page_name, register

CONTROL = st.sampled_from(["\r", "\n", "\r\n", "\x00", "\t", "\x1b", "\x7f", "\x85", "\u2028"])
PRINTABLE = st.text(alphabet=st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=10).filter(
    lambda text: text.strip() == text
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(["reference", "message", "name"]),
    before=PRINTABLE,
    control=CONTROL,
    after=PRINTABLE,
)
def test_a_control_character_in_a_free_text_field_is_refused(
    make_app: Callable[..., Flask], field: str, before: str, control: str, after: str
) -> None:
    client = make_app().test_client()
    login(client)
    response = register(client, **{field: f"B-{before}{control}{after}"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and page_name(response) == "new-payment"
    assert "får inte innehålla radbrytningar, tabbar eller andra styrtecken." in html
    assert not any(control in payment[key] for payment in api_payments(client) for key in ("reference",))


def test_plain_text_with_swedish_letters_is_still_accepted(make_app: Callable[..., Flask]) -> None:
    client = make_app().test_client()
    login(client)
    response = register(client, name="Åsa Öberg-Ärlig", message="Bistånd för mars – hyra")
    assert response.status_code == 303
    assert [payment["reference"] for payment in api_payments(client)] == ["B-1001/1"]
