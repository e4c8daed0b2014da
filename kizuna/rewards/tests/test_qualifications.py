"""`POST /qualifications`: what the customer can use on the cart, best value first, in a
fixed number of queries whatever the number of candidates, changing nothing."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ApiClient
from kizuna.rewards.tests.checkout_support import (
    cart,
    make_campaign,
    make_codes,
    make_customer,
    make_gift_card,
    make_member,
    points_rate,
    state,
)

pytestmark = pytest.mark.django_db
__all__ = ["points_rate"]


@pytest.fixture
def shop(api: ApiClient, points_rate: None) -> ApiClient:
    make_member(api, "cust-1", points=700)
    make_customer(api, "cust-2")
    make_campaign(api, "ten")
    make_codes("ten", ["TEN-MINE"], customer="cust-1")
    make_codes("ten", ["TEN-THEIRS"], customer="cust-2")
    make_codes("ten", ["TEN-PUBLIC"])
    make_campaign(api, "twenty", discount={"type": "amount", "amount": "20.00", "currency": "USD"})
    make_codes("twenty", ["TWENTY-MINE"], customer="cust-1")
    make_campaign(
        api,
        "big",
        discount={"type": "amount", "amount": "30.00", "currency": "USD"},
        condition={"field": "order.total", "op": "gte", "value": "500.00"},
    )
    make_codes("big", ["BIG-MINE"], customer="cust-1")
    make_gift_card(api, "CREDIT-1", "3.00", customer_id="cust-1", kind="store_credit")
    make_gift_card(api, "GIFT-OTHER", "80.00", customer_id="cust-2")
    return api


def qualify(api: ApiClient, data: dict[str, Any]) -> list[dict[str, Any]]:
    response = api.post("/qualifications", data)
    assert response.status_code == 200, response.data
    return list(response.data["data"])


def test_the_customers_own_options_best_value_first(shop: ApiClient) -> None:
    before = state()
    found = qualify(shop, {"customer_id": "cust-1", "order": cart()})
    assert [(q["type"], q["id"], q["status"], q["value"]) for q in found] == [
        ("voucher", "TWENTY-MINE", "applicable", "20.00"),
        ("points", "club", "applicable", "7.00"),
        ("voucher", "TEN-MINE", "applicable", "6.00"),
        ("gift_card", "CREDIT-1", "applicable", "3.00"),
        ("voucher", "BIG-MINE", "inapplicable", "0.00"),
    ]
    assert found[1]["points_cost"] == 700
    assert found[-1]["reason"] == "conditions_not_met"
    assert state() == before


def test_codes_named_in_the_body_are_considered_too(shop: ApiClient) -> None:
    found = qualify(
        shop,
        {
            "customer_id": "cust-1",
            "order": cart(),
            "redeemables": [
                {"type": "voucher", "code": "ten-public"},
                {"type": "voucher", "code": "TEN-THEIRS"},
            ],
        },
    )
    by_id = {q["id"]: q for q in found}
    assert by_id["TEN-PUBLIC"]["value"] == "6.00"
    assert by_id["TEN-THEIRS"]["reason"] == "not_valid"
    assert "GIFT-OTHER" not in by_id


def test_without_an_order_every_option_is_listed(shop: ApiClient) -> None:
    found = qualify(shop, {"customer_id": "cust-1"})
    assert {q["id"] for q in found} == {"TWENTY-MINE", "TEN-MINE", "BIG-MINE", "CREDIT-1", "club"}


def _queries(api: ApiClient) -> int:
    api.get("/stacking-rules")
    with CaptureQueriesContext(connection) as queries:
        qualify(api, {"customer_id": "cust-1", "order": cart()})
    return len(queries)


def test_no_query_per_candidate(shop: ApiClient) -> None:
    few = _queries(shop)
    make_codes("ten", [f"TEN-MORE{n}" for n in range(10)], customer="cust-1")
    make_codes("twenty", [f"TWENTY-MORE{n}" for n in range(10)], customer="cust-1")
    for n in range(5):
        make_gift_card(shop, f"CREDIT-MORE{n}", "1.00", customer_id="cust-1")
    assert len(qualify(shop, {"customer_id": "cust-1", "order": cart()})) == 30
    assert _queries(shop) == few
