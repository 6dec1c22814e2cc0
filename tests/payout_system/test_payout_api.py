"""The read-only JSON API."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from payout_testdata import BANKGIRO, api_payments, register

FIELDS = {
    "payment_number",
    "reference",
    "personnummer",
    "name",
    "method",
    "clearing",
    "account",
    "bankgiro",
    "ocr",
    "amount_ore",
    "payout_date",
    "status",
    "created_by",
    "created_at",
    "message",
}


def test_health_needs_no_token(client: FlaskClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Basic ZGV2LWFwaS10b2tlbg=="},
        {"Authorization": "dev-api-token"},
        {"Authorization": "Bearer "},
    ],
)
def test_payments_need_the_bearer_token(client: FlaskClient, headers: dict[str, str]) -> None:
    response = client.get("/api/payments", headers=headers)
    assert response.status_code == 401
    assert response.is_json
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_payments_list_with_filters(logged_in: Callable[..., FlaskClient]) -> None:
    robot = logged_in("robot")
    register(robot, reference="B-1/1", payout_date="2026-03-03")
    register(
        robot, reference="B-1/D", payout_date="2026-03-04", method="BANKGIRO", bankgiro=BANKGIRO, ocr="12"
    )
    register(robot, reference="B-2/1", payout_date="2026-03-04", method="AVI", clearing="", account="")
    everything = api_payments(robot)
    assert [p["payment_number"] for p in everything] == ["U-100001", "U-100002", "U-100003"]
    assert all(set(p) == FIELDS for p in everything)
    assert [p["reference"] for p in api_payments(robot, reference="b-1/d")] == ["B-1/D"]
    assert [p["reference"] for p in api_payments(robot, payout_date="2026-03-04")] == ["B-1/D", "B-2/1"]
    assert api_payments(robot, reference="B-1/1", payout_date="2026-03-04") == []
    direct = api_payments(robot, reference="B-1/D")[0]
    assert (direct["method"], direct["bankgiro"], direct["ocr"]) == ("BANKGIRO", "50501055", "12")
    assert isinstance(direct["amount_ore"], int)


def test_bad_payout_date_filter_is_400(client: FlaskClient) -> None:
    response = client.get(
        "/api/payments?payout_date=tomorrow", headers={"Authorization": "Bearer dev-api-token"}
    )
    assert response.status_code == 400 and response.is_json


def test_unknown_api_path_answers_json(client: FlaskClient) -> None:
    response = client.get("/api/nothing")
    assert response.status_code == 404 and response.is_json
