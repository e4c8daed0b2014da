"""Claims through the API: every type spends its points and issues its reward in one
transaction; claims are listed and read; another workspace sees none; a retry with the
same Idempotency-Key claims once."""

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from conftest import ApiClient
from kizuna.core import clock
from kizuna.core.models import OutboxEvent
from kizuna.customers.models import Customer
from kizuna.loyalty.models import LedgerEntry
from kizuna.rewards.models import Claim
from kizuna.rewards.services.claims import expire_claims
from kizuna.rewards.tests.support import balance, claim, make_member, make_program, make_reward
from kizuna.vouchers.models import GiftCard, GiftCardEntry

pytestmark = pytest.mark.django_db
CODE = re.compile(r"RW-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}")


@pytest.fixture(autouse=True)
def program(api: ApiClient) -> None:
    make_program(api)
    make_member(api, "aiko", 1000)


def test_a_claim_spends_points_and_issues_a_code(api: ApiClient) -> None:
    make_reward(api)
    response = claim(api, "aiko", "five-off")
    assert response.status_code == 201, response.data
    data = response.data
    assert data["claim_id"].startswith("clm_")
    assert (data["reward_id"], data["customer_id"], data["points_spent"]) == (
        "five-off",
        "aiko",
        100,
    )
    issued = data["issued"]
    assert CODE.fullmatch(issued["code"])
    assert (issued["type"], issued["amount"], issued["currency"], issued["expires_at"]) == (
        "discount_amount",
        "5.00",
        "USD",
        None,
    )
    assert (data["state"], data["fulfilment"], data["source"]) == ("issued", None, None)
    assert balance(api, "aiko") == 900
    [spend] = LedgerEntry.objects.filter(type="spend")
    assert (spend.points, spend.source_type, spend.source_id) == (
        -100,
        "reward_claim",
        data["claim_id"],
    )
    assert api.get(f"/claims/{data['claim_id']}").data == data
    assert api.get("/customers/aiko/claims").data == {"data": [data], "next_cursor": None}
    [event] = OutboxEvent.objects.filter(type="reward.claimed")
    assert event.payload == {
        "claim_id": data["claim_id"],
        "reward_id": "five-off",
        "customer_id": "aiko",
        "type": "discount_amount",
        "points_spent": 100,
        "granted": False,
    }
    assert api.get("/rewards/five-off").data["claimed"] == 1


@pytest.mark.parametrize(
    ("type_", "value", "issued"),
    [
        ("discount_percent", {"percent": 10, "max_discount": "20"}, {"percent": "10"}),
        ("free_shipping", {}, {}),
        ("free_product", {"sku": "TEA-1"}, {"sku": "TEA-1"}),
        ("cashback", {"percent": 5}, {"percent": "5"}),
        ("cashback", {"amount": "2.50"}, {"amount": "2.50", "currency": "USD"}),
    ],
)
def test_code_rewards_issue_a_code(
    api: ApiClient, type_: str, value: dict[str, Any], issued: dict[str, Any]
) -> None:
    make_reward(api, id="r", type=type_, value=value, cost_points=250)
    data = claim(api, "aiko", "r").data
    assert CODE.fullmatch(data["issued"]["code"])
    assert data["issued"]["type"] == type_
    assert {k: data["issued"][k] for k in issued} == issued
    assert balance(api, "aiko") == 750
    assert (data["cashback"] is not None) == (type_ == "cashback")


@pytest.mark.parametrize(
    ("type_", "value"),
    [
        ("gift_card", {"amount": "25.00"}),
        ("store_credit", {"amount": "1000", "currency": "JPY"}),
    ],
)
def test_gift_card_and_store_credit_rewards_issue_a_real_card(
    api: ApiClient, type_: str, value: dict[str, Any]
) -> None:
    make_reward(api, id="card", type=type_, value=value, cost_points=300, validity_days=90)
    data = claim(api, "aiko", "card").data
    issued = data["issued"]
    card = GiftCard.objects.get(code=issued["code"])
    assert (card.kind, card.customer_id, card.currency) == (
        type_,
        Customer.objects.get(external_id="aiko").pk,
        value.get("currency", "USD"),
    )
    assert (issued["amount"], issued["currency"]) == (value["amount"], card.currency)
    assert card.balance == Decimal(value["amount"])
    assert GiftCardEntry.objects.filter(card=card, type="issue").count() == 1
    assert card.expires_at is not None
    assert issued["expires_at"] is not None
    assert api.get(f"/gift-cards/{issued['code']}").data["balance"] == value["amount"]
    assert balance(api, "aiko") == 700


def test_a_material_reward_is_ordered_and_takes_stock(api: ApiClient) -> None:
    make_reward(api, id="mug", type="material", value={"sku": "MUG-1"}, stock=2, cost_points=400)
    data = claim(api, "aiko", "mug").data
    assert (data["state"], data["issued"]["code"], data["issued"]["sku"]) == (
        "ordered",
        None,
        "MUG-1",
    )
    assert data["fulfilment"] == {
        "status": "ordered",
        "tracking": "",
        "shipped_at": None,
        "delivered_at": None,
        "cancelled_at": None,
    }
    reward = api.get("/rewards/mug").data
    assert (reward["stock"], reward["claimed"]) == (1, 1)


def test_a_free_reward_spends_nothing(api: ApiClient) -> None:
    make_member(api, "bo")
    make_reward(api, cost_points=0)
    data = claim(api, "bo", "five-off").data
    assert data["points_spent"] == 0
    assert not LedgerEntry.objects.filter(type="spend").exists()


def test_a_claim_expires_after_its_validity(api: ApiClient) -> None:
    make_reward(api, validity_days=30)
    data = claim(api, "aiko", "five-off").data
    expires_at = Claim.objects.get().expires_at
    assert expires_at is not None
    assert data["expires_at"] == data["issued"]["expires_at"] is not None
    with clock.at(expires_at - timedelta(seconds=1)):
        assert expire_claims() == "expired 0 claim(s)"
        assert api.get(f"/claims/{data['claim_id']}").data["state"] == "issued"
    with clock.at(expires_at + timedelta(seconds=1)):
        # Shown expired at once; the job then marks it.
        assert api.get(f"/claims/{data['claim_id']}").data["state"] == "expired"
        assert expire_claims() == "expired 1 claim(s)"
        assert expire_claims() == "expired 0 claim(s)"
    assert Claim.objects.get().state == "expired"
    listed = api.get("/customers/aiko/claims?state=expired").data["data"]
    assert [c["claim_id"] for c in listed] == [data["claim_id"]]


def test_a_retry_with_the_same_idempotency_key_claims_once(api: ApiClient) -> None:
    make_reward(api)
    first = claim(api, "aiko", "five-off", **{"Idempotency-Key": "k-1"})
    again = claim(api, "aiko", "five-off", **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.data == first.data
    assert Claim.objects.count() == 1
    assert balance(api, "aiko") == 900


def test_claims_are_listed_newest_first_and_paged(api: ApiClient) -> None:
    make_reward(api, cost_points=10)
    ids = [claim(api, "aiko", "five-off").data["claim_id"] for _ in range(3)]
    page = api.get("/customers/aiko/claims?limit=2").data
    assert [c["claim_id"] for c in page["data"]] == ids[:0:-1]
    rest = api.get(f"/customers/aiko/claims?limit=2&cursor={page['next_cursor']}").data
    assert [c["claim_id"] for c in rest["data"]] == ids[:1]
    assert api.get("/customers/aiko/claims?state=used").data["data"] == []


def test_another_workspace_sees_no_claim(api: ApiClient, other_api: ApiClient) -> None:
    make_reward(api)
    claim_id = claim(api, "aiko", "five-off").data["claim_id"]
    for response, code in (
        (other_api.get(f"/claims/{claim_id}"), "claim_not_found"),
        (other_api.get("/customers/aiko/claims"), "customer_not_found"),
        (other_api.post("/customers/aiko/rewards/five-off/claim"), "reward_not_found"),
        (other_api.get("/customers/aiko/wallet"), "customer_not_found"),
        (
            other_api.post(f"/claims/{claim_id}/fulfilment", {"status": "shipped"}),
            "claim_not_found",
        ),
    ):
        assert (response.status_code, response.data["code"]) == (404, code)
