"""Conversion: the referee's first qualifying paid order or named event converts a pending
referral once, and the rewards of both sides are granted in its transaction (points through
loyalty, a voucher code through vouchers), recorded on the referral."""

from typing import Any

import pytest

from conftest import ApiClient
from kizuna.core.models import OutboxEvent
from kizuna.loyalty.models import LedgerEntry
from kizuna.referrals.tests.support import (
    CLUB,
    code_of,
    make_customer,
    order,
    program_body,
    refer,
    referrals_of,
    setup,
)
from kizuna.vouchers.models import Voucher

pytestmark = pytest.mark.django_db


def _referred(api: ApiClient, **overrides: Any) -> dict[str, Any]:
    setup(api, **overrides)
    make_customer(api, "ann")
    make_customer(api, "bob")
    response = refer(api, code_of(api, "ann"), "bob")
    assert response.data["status"] == "pending", response.data
    return dict(response.data)


def _transactions(api: ApiClient, customer_id: str) -> list[dict[str, Any]]:
    response = api.get(f"/customers/{customer_id}/loyalty/club/transactions")
    if response.status_code == 404:
        return []
    return [t for t in response.data["data"] if t["source"]["type"] == "referral"]


def test_a_qualifying_order_converts_and_grants_both_rewards(api: ApiClient) -> None:
    referral = _referred(api)
    order(api, "o-1", "bob")  # 31.00 USD, above 20.00
    (converted,) = referrals_of(api, "ann")
    assert converted["status"] == "converted"
    assert converted["conversion"] == {"type": "order", "id": "o-1"}
    assert converted["converted_at"] is not None
    referee, referrer = converted["rewards"]
    assert referee["role"] == "referee"
    assert referee["type"] == "voucher"
    assert referee["status"] == "granted"
    voucher = Voucher.objects.get(code=referee["code"])
    assert voucher.campaign.key == "welcome"
    assert voucher.customer is not None and voucher.customer.external_id == "bob"
    assert (voucher.max_uses, voucher.uses) == (1, 0)
    assert referee["code"].startswith("WELCOME-")
    assert referrer == {
        "role": "referrer",
        "type": "points",
        "points": 500,
        "program_id": "club",
        "status": "granted",
        "transaction_id": referrer["transaction_id"],
    }
    (entry,) = _transactions(api, "ann")
    assert entry["points"] == 500
    assert entry["source"] == {"type": "referral", "id": referral["id"]}
    earned = OutboxEvent.objects.get(type="loyalty.points_earned", payload__source_type="referral")
    assert (earned.payload["customer_id"], earned.payload["points"]) == ("ann", 500)
    event = OutboxEvent.objects.get(type="referral.converted")
    assert event.payload["referral_id"] == referral["id"]
    assert event.payload["source_id"] == "o-1"


def test_it_converts_once(api: ApiClient) -> None:
    _referred(api)
    order(api, "o-1", "bob")
    order(api, "o-2", "bob")
    assert len(_transactions(api, "ann")) == 1
    assert Voucher.objects.filter(customer__external_id="bob").count() == 1
    assert OutboxEvent.objects.filter(type="referral.converted").count() == 1


def test_an_order_below_the_amount_or_in_another_currency_does_not_convert(
    api: ApiClient,
) -> None:
    _referred(api)
    small = {"subtotal": "10.00", "discount_total": "0", "shipping_total": "0", "tax_total": "0"}
    order(api, "o-1", "bob", total="10.00", items=[], **small)
    euros = {"subtotal": "40.00", "discount_total": "0", "shipping_total": "0", "tax_total": "0"}
    order(api, "o-2", "bob", total="40.00", currency="EUR", items=[], **euros)
    assert referrals_of(api, "bob")[0]["status"] == "pending"
    order(api, "o-3", "bob")
    assert referrals_of(api, "bob")[0]["status"] == "converted"
    assert referrals_of(api, "bob")[0]["conversion"]["id"] == "o-3"


def test_a_pending_order_converts_when_paid(api: ApiClient) -> None:
    _referred(api)
    order(api, "o-1", "bob", status="pending")
    assert referrals_of(api, "bob")[0]["status"] == "pending"
    assert api.post("/orders/o-1/status", {"status": "paid"}).status_code == 200
    assert referrals_of(api, "bob")[0]["status"] == "converted"


def test_the_referrers_orders_convert_nothing(api: ApiClient) -> None:
    _referred(api)
    order(api, "o-1", "ann")
    assert referrals_of(api, "bob")[0]["status"] == "pending"


def test_a_named_event_converts(api: ApiClient) -> None:
    _referred(
        api,
        conversion={"type": "event", "event": "subscribed"},
        referee_reward={"type": "points", "points": 100},
    )
    order(api, "o-1", "bob")
    other = {"id": "e-1", "name": "visited", "customer_id": "bob"}
    assert api.post("/events", other).status_code == 201
    assert referrals_of(api, "bob")[0]["status"] == "pending"
    event = {"id": "e-2", "name": "subscribed", "customer_id": "bob"}
    assert api.post("/events", event).status_code == 201
    (referral,) = referrals_of(api, "bob")
    assert referral["status"] == "converted"
    assert referral["conversion"] == {"type": "event", "id": "e-2"}
    assert [t["points"] for t in _transactions(api, "bob")] == [100]
    assert [t["points"] for t in _transactions(api, "ann")] == [500]


def test_a_paused_program_converts_nothing_until_it_resumes(api: ApiClient) -> None:
    _referred(api)
    assert api.patch("/referral-programs/friends", {"status": "paused"}).status_code == 200
    order(api, "o-1", "bob")
    assert referrals_of(api, "bob")[0]["status"] == "pending"
    assert api.patch("/referral-programs/friends", {"status": "active"}).status_code == 200
    order(api, "o-2", "bob")
    assert referrals_of(api, "bob")[0]["status"] == "converted"


def test_a_reward_that_cannot_be_granted_is_recorded_skipped(api: ApiClient) -> None:
    _referred(api)
    explicit = {"enrolment": "explicit"}
    assert api.patch("/programs/club", explicit).status_code == 200, "explicit enrolment"
    order(api, "o-1", "bob")
    (referral,) = referrals_of(api, "bob")
    assert referral["status"] == "converted"
    referee, referrer = referral["rewards"]
    assert referee["status"] == "granted"
    assert (referrer["status"], referrer["reason"]) == ("skipped", "not_a_member")
    assert not LedgerEntry.objects.filter(source_type="referral").exists()


def test_a_member_of_an_explicit_program_gets_the_points(api: ApiClient) -> None:
    _referred(api)
    assert api.patch("/programs/club", {"enrolment": "explicit"}).status_code == 200
    assert api.post("/programs/club/members", {"customer_id": "ann"}).status_code == 201
    order(api, "o-1", "bob")
    assert [t["points"] for t in _transactions(api, "ann")] == [500]


def test_no_rewards_still_converts(api: ApiClient) -> None:
    _referred(api, referrer_reward=None, referee_reward=None)
    order(api, "o-1", "bob")
    (referral,) = referrals_of(api, "bob")
    assert (referral["status"], referral["rewards"]) == ("converted", [])


def test_a_rejected_referral_never_converts(api: ApiClient) -> None:
    setup(api)
    make_customer(api, "ann")
    assert refer(api, code_of(api, "ann"), "ann").data["reason"] == "self_referral"
    order(api, "o-1", "ann")
    (referral,) = referrals_of(api, "ann")
    assert (referral["status"], referral["rewards"]) == ("rejected", [])
    assert not LedgerEntry.objects.filter(source_type="referral").exists()


def test_a_paused_loyalty_program_grants_no_points(api: ApiClient) -> None:
    _referred(api)
    assert api.patch("/programs/club", {"status": "paused"}).status_code == 200
    order(api, "o-1", "bob")
    referee, referrer = referrals_of(api, "bob")[0]["rewards"]
    assert referee["status"] == "granted"
    assert (referrer["status"], referrer["reason"]) == ("skipped", "program_not_active")
    assert not LedgerEntry.objects.filter(source_type="referral").exists()


COFFEE: dict[str, Any] = {
    "id": "coffee",
    "name": {"default": "A free coffee", "ja": "コーヒー1杯無料"},
    "program_id": "club",
    "type": "free_product",
    "value": {"sku": "COFFEE-1"},
    "cost_points": 300,
}


def test_a_reward_of_the_catalog_is_granted_without_points(api: ApiClient) -> None:
    assert api.post("/programs", CLUB).status_code == 201
    assert api.post("/rewards", COFFEE).status_code == 201
    body = program_body(referee_reward={"type": "reward", "reward_id": "coffee"})
    assert api.post("/referral-programs", body).status_code == 201
    make_customer(api, "ann")
    make_customer(api, "bob")
    referral = refer(api, code_of(api, "ann"), "bob").data
    order(api, "o-1", "bob")
    (converted,) = referrals_of(api, "ann")
    referee = converted["rewards"][0]
    assert (referee["role"], referee["type"], referee["status"]) == ("referee", "reward", "granted")
    claim = api.get(f"/claims/{referee['claim_id']}").data
    assert (claim["reward_id"], claim["customer_id"], claim["points_spent"]) == ("coffee", "bob", 0)
    assert claim["issued"]["type"] == "free_product"
    # Once per referral: the referee's later orders grant nothing more.
    order(api, "o-2", "bob")
    claims = api.get("/customers/bob/claims").data["data"]
    assert [c["claim_id"] for c in claims] == [referee["claim_id"]]
    assert referral["id"] == converted["id"]
