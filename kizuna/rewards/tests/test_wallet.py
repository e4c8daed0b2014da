"""The wallet: the customer's voucher codes, gift cards and store credit with their
balances, and claimed rewards with their state; nobody else's."""

from typing import Any

import pytest

from conftest import ApiClient
from kizuna.rewards.tests.support import claim, make_member, make_program, make_reward
from kizuna.vouchers.services import generation

pytestmark = pytest.mark.django_db


def campaign(api: ApiClient, key: str, count: int, **body: Any) -> None:
    payload = {
        "id": key,
        "name": key,
        "discount": {"type": "amount", "amount": "3.00", "currency": "USD"},
        **body,
    }
    assert api.post("/voucher-campaigns", payload).status_code == 201
    run = api.post(f"/voucher-campaigns/{key}/codes", {"count": count}).data
    generation.run_generation(int(run["id"]))


def seed_wallet(api: ApiClient, n: int = 1) -> None:
    """For aiko: `n` of each thing; and things of bo's or of nobody's beside them."""
    campaign(api, f"aiko-{n}", n, customer_id="aiko")
    campaign(api, f"public-{n}", 2)
    for _ in range(n):
        for kind in ("gift_card", "store_credit"):
            card = {"amount": "10.00", "currency": "USD", "customer_id": "aiko", "kind": kind}
            assert api.post("/gift-cards", card).status_code == 201
        response = claim(api, "aiko", "five-off")
        assert response.status_code == 201, response.data
    assert api.post("/gift-cards", {"amount": "5.00", "currency": "USD"}).status_code == 201
    card = {"amount": "5.00", "currency": "USD", "customer_id": "bo", "kind": "store_credit"}
    assert api.post("/gift-cards", card).status_code == 201
    assert claim(api, "bo", "five-off").status_code == 201


@pytest.fixture
def members(api: ApiClient) -> None:
    make_program(api)
    make_member(api, "aiko", 5000)
    make_member(api, "bo", 5000)
    make_reward(api, cost_points=10)


def test_the_wallet_holds_what_the_customer_holds(api: ApiClient, members: None) -> None:
    seed_wallet(api)
    wallet = api.get("/customers/aiko/wallet").data
    assert wallet["customer_id"] == "aiko"
    [voucher] = wallet["vouchers"]
    assert (voucher["campaign_id"], voucher["status"], voucher["uses_left"]) == (
        "aiko-1",
        "active",
        1,
    )
    assert voucher["discount"] == {"type": "amount", "amount": "3.00", "currency": "USD"}
    [card] = wallet["gift_cards"]
    [credit] = wallet["store_credit"]
    assert (card["kind"], card["balance"], card["customer_id"]) == ("gift_card", "10.00", "aiko")
    assert (credit["kind"], credit["balance"]) == ("store_credit", "10.00")
    [reward] = wallet["rewards"]
    assert (reward["reward_id"], reward["state"], reward["customer_id"]) == (
        "five-off",
        "issued",
        "aiko",
    )
    assert reward == api.get(f"/claims/{reward['claim_id']}").data


def test_an_empty_wallet_and_an_unknown_customer(api: ApiClient, members: None) -> None:
    assert api.get("/customers/bo/wallet").data == {
        "customer_id": "bo",
        "vouchers": [],
        "gift_cards": [],
        "store_credit": [],
        "rewards": [],
    }
    response = api.get("/customers/nobody/wallet")
    assert (response.status_code, response.data["code"]) == (404, "customer_not_found")


def test_the_data_export_holds_the_claims_and_an_erasure_keeps_them(
    api: ApiClient, members: None
) -> None:
    claim_id = claim(api, "aiko", "five-off").data["claim_id"]
    export = api.get("/customers/aiko/data-export").data
    assert [c["claim_id"] for c in export["reward_claims"]] == [claim_id]
    assert export["reward_claims"][0] == api.get(f"/claims/{claim_id}").data
    assert api.post("/customers/aiko/erase").status_code == 200
    assert api.get(f"/claims/{claim_id}").data["points_spent"] == 10
