"""Claimed rewards at the checkout, with the catalog's own pay-with-points rate: a claim in a
stack, its rollback, and a claim's code scanned at a store."""

import pytest

from conftest import ApiClient
from kizuna.rewards.tests.checkout_support import balance, body, cart, make_member
from kizuna.rewards.tests.support import claim, make_reward

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(api: ApiClient) -> ApiClient:
    make_member(api, "cust-1", points=5000)
    make_reward(api)  # five-off: 5.00 off for 100 points
    pay = {
        "id": "pay-with-points",
        "name": {"default": "Pay with points"},
        "program_id": "club",
        "type": "pay_with_points",
        "value": {"points_per_unit": 100},
        "cost_points": 0,
        "status": "active",
    }
    assert api.post("/rewards", pay).status_code == 201
    return api


def test_a_claim_and_points_at_the_catalogs_rate(shop: ApiClient) -> None:
    claimed = claim(shop, "cust-1", "five-off")
    assert claimed.status_code in (200, 201), claimed.data
    claim_id = claimed.data["claim_id"]
    stack = [
        {"type": "reward", "claim_id": claim_id},
        {"type": "points", "program_id": "club", "points": 500},
    ]
    done = shop.post("/redemptions", body(stack))
    assert done.status_code == 201, done.data
    assert [(r["discount"], r["amount"]) for r in done.data["redeemables"]] == [
        ("5.00", "0.00"),
        ("0.00", "5.00"),
    ]
    assert balance(shop) == 5000 - 100 - 500
    again = shop.post("/validations", body(stack[:1]))
    assert again.data["redeemables"][0]["reason"] == "usage_limit_reached"
    assert shop.post(f"/redemptions/{done.data['id']}/rollback").status_code == 200
    assert balance(shop) == 5000 - 100
    assert shop.post("/validations", body(stack[:1])).data["valid"] is True


def test_a_claims_code_scanned_at_a_store(shop: ApiClient) -> None:
    claimed = claim(shop, "cust-1", "five-off")
    code = claimed.data["issued"]["code"]
    without_order = shop.post("/redemptions/scan", {"code": code, "location": "Ginza"})
    assert (without_order.status_code, without_order.data["field"]) == (422, "order")
    scanned = shop.post(
        "/redemptions/scan", {"code": code.lower(), "location": "Ginza", "order": cart()}
    )
    assert scanned.status_code == 201, scanned.data
    assert scanned.data["customer_id"] == "cust-1"  # the claim's owner
    assert [(x["type"], x["discount"]) for x in scanned.data["lines"]] == [("reward", "5.00")]
    assert scanned.data["location"] == "Ginza"
    twice = shop.post("/redemptions/scan", {"code": code, "location": "Ginza", "order": cart()})
    assert (twice.status_code, twice.data["details"][0]["reason"]) == (422, "usage_limit_reached")
