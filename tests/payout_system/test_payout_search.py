"""Searching payments, the detail page, attesting and the audit trail."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from payout_testdata import api_payments, csrf_from, page_name, personnummer, register
from werkzeug.test import TestResponse


@pytest.fixture
def robot(logged_in: Callable[..., FlaskClient]) -> FlaskClient:
    return logged_in("robot")


def rows(html: str) -> list[str]:
    """Payment numbers of the result rows, in page order."""
    return re.findall(r'<tr class="payment-row" data-payment-number="([^"]+)"', html)


def result_count(html: str) -> int:
    match = re.search(r'<p id="result-count">(\d+) träffar</p>', html)
    assert match, "no #result-count"
    return int(match.group(1))


def test_search_by_reference_is_exact_and_case_insensitive(robot: FlaskClient) -> None:
    register(robot, reference="B-10/1")
    register(robot, reference="B-10/2")
    register(robot, reference="B-100/1")
    page = robot.get("/payments/search", query_string={"reference": "b-10/1"})
    html = page.get_data(as_text=True)
    assert page_name(page) == "search"
    assert result_count(html) == 1
    assert rows(html) == ["U-100001"]
    assert 'data-reference="B-10/1"' in html
    for cell in (
        '<td class="col-reference">B-10/1</td>',
        '<td class="col-personnummer">19811218-9876</td>',
        '<td class="col-name">Anna Andersson</td>',
        '<td class="col-method">KONTO</td>',
        '<td class="col-amount">12 345,50</td>',
        '<td class="col-payout-date">2026-03-25</td>',
        '<td class="col-status">registrerad</td>',
    ):
        assert cell in html


@pytest.mark.parametrize("query", ["19811218-9876", "198112189876", "811218-9876", "8112189876"])
def test_search_by_identity_number_in_any_format(robot: FlaskClient, query: str) -> None:
    register(robot, reference="B-1/1")
    register(robot, reference="B-1/2", personnummer=personnummer("19900101", "123"))
    html = search_by_post(robot, personnummer=query).get_data(as_text=True)
    assert rows(html) == ["U-100001"]


def search_by_post(client: FlaskClient, **fields: str) -> TestResponse:
    """Fill in and send the search form, as a browser does (POST)."""
    token = csrf_from(client.get("/payments/search"))
    return client.post("/payments/search", data={**fields, "csrf_token": token})


def test_search_with_an_invalid_identity_number_says_so(robot: FlaskClient) -> None:
    response = search_by_post(robot, personnummer="19811218-9875")
    assert response.status_code == 422
    assert 'id="error-personnummer"' in response.get_data(as_text=True)


def test_an_identity_number_never_travels_in_a_url(robot: FlaskClient, client: FlaskClient) -> None:
    for number in range(1, 5):
        register(robot, reference=f"B-{number}/1")
    form = robot.get("/payments/search").get_data(as_text=True)
    assert '<form id="search-form" method="post"' in form
    refused = robot.get("/payments/search", query_string={"personnummer": "19811218-9876"})
    assert refused.status_code == 422 and "19811218" not in refused.get_data(as_text=True)
    assert rows(refused.get_data(as_text=True)) == []
    # the pages of an identity-number search are buttons that post, never links with it
    first = search_by_post(robot, personnummer="19811218-9876", per_page="3").get_data(as_text=True)
    assert rows(first) == ["U-100001", "U-100002", "U-100003"] and 'id="next-page"' in first
    assert '<a id="next-page"' not in first and "personnummer=" not in first
    second = search_by_post(robot, personnummer="19811218-9876", per_page="3", page="2").get_data(
        as_text=True
    )
    assert rows(second) == ["U-100004"]
    # after an expired session, next= does not carry it either
    answer = client.get("/payments/search?personnummer=19811218-9876&reference=B-1/1")
    assert answer.status_code == 303
    assert "198112" not in answer.headers["Location"] and "reference" in answer.headers["Location"]


@pytest.mark.parametrize("field", ["date_from", "date_to"])
@pytest.mark.parametrize("value", ["2026-02-30", "5/3/2026", "igår"])
def test_search_with_an_invalid_date_says_so(robot: FlaskClient, field: str, value: str) -> None:
    response = robot.get("/payments/search", query_string={field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page_name(response) == "search"
    assert 'id="form-errors"' in html and f'id="error-{field}"' in html
    assert 'id="results"' not in html and 'id="result-count"' not in html


def test_search_by_payout_date_range(robot: FlaskClient) -> None:
    for n, date in enumerate(["2026-03-03", "2026-03-10", "2026-03-17", "2026-03-24"]):
        register(robot, reference=f"B-{n}/1", payout_date=date)
    html = robot.get(
        "/payments/search", query_string={"date_from": "2026-03-10", "date_to": "2026-03-17"}
    ).get_data(as_text=True)
    assert rows(html) == ["U-100002", "U-100003"]


def test_no_matches_shows_no_results_instead_of_a_table(robot: FlaskClient) -> None:
    register(robot)
    html = robot.get("/payments/search", query_string={"reference": "NOPE"}).get_data(as_text=True)
    assert result_count(html) == 0
    assert 'id="no-results"' in html and 'id="results"' not in html


def test_pagination_walks_every_payment_in_order(robot: FlaskClient) -> None:
    for n in range(7):
        register(robot, reference=f"B-{n}/1")
    seen: list[str] = []
    url: str | None = "/payments/search?date_from=2026-03-01&per_page=3"
    pages = 0
    while url:
        html = robot.get(url).get_data(as_text=True)
        assert result_count(html) == 7
        seen += rows(html)
        pages += 1
        match = re.search(r'<a id="next-page" href="([^"]+)"', html)
        url = match.group(1).replace("&amp;", "&") if match else None
        if pages > 1:
            assert 'id="prev-page"' in html
    assert pages == 3
    assert seen == [f"U-10000{n}" for n in range(1, 8)]


def test_per_page_is_capped_at_500(robot: FlaskClient) -> None:
    register(robot)
    html = robot.get("/payments/search", query_string={"per_page": "100000"}).get_data(as_text=True)
    assert 'name="per_page" value="500"' in html
    assert rows(html) == ["U-100001"]


def test_viewer_can_search_and_view_but_not_attest(logged_in: Callable[..., FlaskClient]) -> None:
    register(logged_in("robot"))
    viewer = logged_in("viewer")
    assert rows(viewer.get("/payments/search?reference=B-1001/1").get_data(as_text=True)) == ["U-100001"]
    detail = viewer.get("/payments/U-100001")
    assert detail.status_code == 200 and page_name(detail) == "payment"
    assert 'id="attest-form"' not in detail.get_data(as_text=True)


@pytest.mark.parametrize("number", ["U-999999", "U-1", "X-100001"])
def test_unknown_payment_is_404(robot: FlaskClient, number: str) -> None:
    response = robot.get(f"/payments/{number}")
    assert response.status_code == 404
    assert page_name(response) == "error"


def test_attestant_attests_a_registered_payment_once(logged_in: Callable[..., FlaskClient]) -> None:
    register(logged_in("robot"))
    attestant = logged_in("attestant")
    detail = attestant.get("/payments/U-100001")
    assert 'id="attest-button"' in detail.get_data(as_text=True)
    response = attestant.post("/payments/U-100001/attest", data={"csrf_token": csrf_from(detail)})
    assert response.status_code == 303
    after = attestant.get(response.headers["Location"]).get_data(as_text=True)
    assert '<dd id="detail-status">attesterad</dd>' in after
    assert '<dd id="detail-attested-by">attestant</dd>' in after
    assert 'id="attest-button"' not in after
    again = attestant.post("/payments/U-100001/attest", data={"csrf_token": csrf_from(detail)})
    assert "redan attesterad" in attestant.get(again.headers["Location"]).get_data(as_text=True)
    (payment,) = api_payments(attestant)
    assert payment["status"] == "attesterad"


def test_audit_trail_lists_who_did_what(logged_in: Callable[..., FlaskClient]) -> None:
    robot = logged_in("robot")
    register(robot)
    robot.post("/logout", data={"csrf_token": csrf_from(robot.get("/"))})
    attestant = logged_in("attestant")
    attestant.post("/payments/U-100001/attest", data={"csrf_token": csrf_from(attestant.get("/"))})
    page = attestant.get("/audit")
    assert page.status_code == 200 and page_name(page) == "audit"
    events = re.findall(
        r'<tr class="audit-row" data-action="([a-z_]+)">\s*<td class="col-time">([^<]+)</td>\s*'
        r'<td class="col-user">([^<]+)</td>.*?<td class="col-payment-number">(?:<a[^>]*>)?([^<]*)',
        page.get_data(as_text=True),
        re.S,
    )
    actions = [(action, user, number) for action, _at, user, number in reversed(events)]
    assert actions == [
        ("login", "robot", ""),
        ("register", "robot", "U-100001"),
        ("logout", "robot", ""),
        ("login", "attestant", ""),
        ("attest", "attestant", "U-100001"),
    ]
    assert all(re.match(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", at) for _a, at, _u, _n in events)
