"""`POST /redemptions`, its reservations, confirm and rollback: what each kind takes and gives
back, once; a failed redemption changes nothing."""

from typing import Any

import pytest
from django.core.management import call_command

from conftest import ApiClient
from kizuna.core.models import AuditEntry, OutboxEvent
from kizuna.loyalty.models import LedgerEntry
from kizuna.rewards.models import Redemption
from kizuna.rewards.services import reservations
from kizuna.rewards.tests.checkout_support import (
    balance,
    body,
    card_balance,
    cart,
    make_campaign,
    make_codes,
    make_gift_card,
    make_member,
    points_rate,
    state,
    voucher_uses,
)

pytestmark = pytest.mark.django_db
__all__ = ["points_rate"]

STACK: list[dict[str, Any]] = [
    {"type": "voucher", "code": "TEN-AAAA"},
    {"type": "points", "program_id": "club", "points": 500},
    {"type": "gift_card", "code": "GIFT-1", "amount": "5.00"},
]


@pytest.fixture
def shop(api: ApiClient, points_rate: None) -> ApiClient:
    make_member(api, "cust-1", points=5000)
    make_campaign(api, "ten")
    make_codes("ten", ["TEN-AAAA", "TEN-BBBB"])
    make_gift_card(api, "GIFT-1", "50.00")
    return api


def redeem(api: ApiClient, data: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = api.post("/redemptions", data)
    assert response.status_code == status, response.data
    return dict(response.data)


def restored(api: ApiClient) -> None:
    assert voucher_uses("TEN-AAAA") == (0, 0)
    assert balance(api) == 5000
    assert card_balance(api) == "50.00"


def test_a_redemption_takes_everything_at_once(shop: ApiClient) -> None:
    done = redeem(shop, body(STACK))
    assert done["status"] == "redeemed"
    assert done["id"].startswith("red_")
    assert done["order"]["discount_total"] == "6.00"
    assert [(x["type"], x["state"], x["amount"], x["points"]) for x in done["lines"]] == [
        ("voucher", "used", "0.00", 0),
        ("points", "used", "5.00", 500),
        ("gift_card", "used", "5.00", 0),
    ]
    assert voucher_uses("TEN-AAAA") == (1, 0)
    assert balance(shop) == 4500
    assert card_balance(shop) == "45.00"
    assert shop.get(f"/redemptions/{done['id']}").data == done
    again = shop.post("/validations", body(STACK)).data
    assert again["redeemables"][0]["reason"] == "usage_limit_reached"


def test_a_failed_redemption_changes_nothing(shop: ApiClient) -> None:
    before = state()
    bad = [*STACK, {"type": "voucher", "code": "NOPE-0000"}]
    response = shop.post("/redemptions", body(bad))
    assert response.status_code == 422
    assert response.data["code"] == "redemption_failed"
    assert [d["reason"] for d in response.data["details"]] == [None, None, None, "not_valid"]
    assert (
        shop.post(
            "/redemptions", body([{"type": "voucher", "code": "NOPE"}], policy="partial")
        ).status_code
        == 422
    )
    assert state() == before
    done = redeem(shop, body(bad, policy="partial"))
    assert [x["type"] for x in done["lines"]] == ["voucher", "points", "gift_card"]
    assert [r["status"] for r in done["redeemables"]][-1] == "inapplicable"


def test_a_reservation_holds_then_confirms(shop: ApiClient) -> None:
    held = redeem(shop, body(STACK, reserve_for="PT15M"))
    assert held["status"] == "reserved"
    assert held["expires_at"] is not None
    assert voucher_uses("TEN-AAAA") == (0, 1)
    assert balance(shop) == 4500  # held points are out of the balance
    assert card_balance(shop) == "45.00"
    other = shop.post("/validations", body(STACK)).data
    assert other["redeemables"][0]["reason"] == "usage_limit_reached"
    confirmed = shop.post(f"/redemptions/{held['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.data
    assert confirmed.data["status"] == "redeemed"
    assert voucher_uses("TEN-AAAA") == (1, 0)
    assert shop.post(f"/redemptions/{held['id']}/confirm").data == confirmed.data
    assert balance(shop) == 4500


def test_a_reservation_rolled_back_or_expired_lets_go(shop: ApiClient) -> None:
    held = redeem(shop, body(STACK, reserve_for=60))
    rolled = shop.post(f"/redemptions/{held['id']}/rollback")
    assert rolled.status_code == 200
    assert rolled.data["status"] == "rolled_back"
    assert {x["state"] for x in rolled.data["lines"]} == {"released"}
    restored(shop)
    held = redeem(shop, body(STACK, reserve_for="PT1M"))
    assert reservations.release_expired() == 0
    Redemption.objects.filter(public_id=held["id"]).update(expires_at="2020-01-01T00:00:00Z")
    refused = shop.post(f"/redemptions/{held['id']}/confirm")
    assert (refused.status_code, refused.data["code"]) == (409, "redemption_not_reserved")
    call_command("jobs", "--run", "checkout_release_holds")
    assert shop.get(f"/redemptions/{held['id']}").data["status"] == "released"
    restored(shop)
    assert reservations.release_expired() == 0
    for bad in ("P", "15 minutes", 0, 10**9):
        response = shop.post("/redemptions", body(STACK, reserve_for=bad))
        assert response.status_code == 422, (bad, response.data)


def test_a_rollback_restores_once_however_often(shop: ApiClient) -> None:
    done = redeem(shop, body(STACK))
    first = shop.post(f"/redemptions/{done['id']}/rollback")
    assert first.status_code == 200
    assert first.data["status"] == "rolled_back"
    assert {x["state"] for x in first.data["lines"]} == {"given_back"}
    restored(shop)
    for _ in range(3):
        assert shop.post(f"/redemptions/{done['id']}/rollback").data == first.data
    restored(shop)
    rollbacks = LedgerEntry.objects.filter(type="rollback", source_id=done["id"])
    assert [e.points for e in rollbacks] == [500]
    assert AuditEntry.objects.filter(action="redemption.rolled_back").count() == 1
    events = OutboxEvent.objects.filter(type__startswith="redemption.").order_by("type")
    assert [(e.type, e.payload["redemption_id"], e.payload["status"]) for e in events] == [
        ("redemption.created", done["id"], "redeemed"),
        ("redemption.rolled_back", done["id"], "rolled_back"),
    ]
    refused = shop.post(f"/redemptions/{done['id']}/confirm")
    assert refused.status_code == 409
    call_command("verify_ledger")


def test_a_recorded_order_spends_and_earns_in_one_commit(shop: ApiClient) -> None:
    rule = {
        "id": "per-dollar",
        "name": "A point per dollar",
        "trigger": {"type": "order_paid"},
        "effect": {"type": "proportional", "points": 1, "per": "1.00", "base": "total"},
    }
    assert shop.post("/programs/club/earning-rules", rule).status_code == 201
    done = redeem(shop, body(STACK, record_order=True))
    assert done["order_recorded"] is True
    order = shop.get("/orders/ord-1").data
    assert (order["total"], order["discount_total"]) == ("58.00", "6.00")
    assert [(p["method"], p["amount"]) for p in order["payments"]] == [
        ("points", "5.00"),
        ("gift_card", "5.00"),
    ]
    spends = LedgerEntry.objects.filter(type="spend")
    assert [(e.points, e.source_type) for e in spends] == [(-500, "order")]  # spent once
    # 58.00 less the 10.00 paid with points and a gift card earns 48 points.
    assert balance(shop) == 5000 - 500 + 48
    assert card_balance(shop) == "45.00"
    refund = shop.post("/orders/ord-1/refunds", {"external_id": "ref-1", "amount": "29.00"})
    assert refund.status_code == 201, refund.data
    assert card_balance(shop) == "47.50"  # half the order: half the card's 5.00
    assert balance(shop) == 5000 - 500 + 48 + 250 - 24
    rolled = shop.post(f"/redemptions/{done['id']}/rollback")
    assert rolled.status_code == 200, rolled.data
    assert shop.get("/orders/ord-1").data["status"] == "cancelled"
    restored(shop)
    assert [x["returned"] for x in rolled.data["lines"]] == ["0.00", "0.00", "5.00"]
    call_command("verify_ledger")
    again = shop.post("/redemptions", body(STACK, record_order=True))
    assert (again.status_code, again.data["code"]) == (409, "order_exists")
    unnamed = shop.post("/redemptions", body(STACK, record_order=True, order=cart(None)))
    assert (unnamed.status_code, unnamed.data["field"]) == (422, "order.external_id")


def test_an_order_recorded_twice_is_refused(shop: ApiClient, order_body: Any) -> None:
    assert shop.post("/orders", order_body(external_id="ord-1")).status_code == 201
    before = state()
    response = shop.post("/redemptions", body(STACK[:1], record_order=True))
    assert (response.status_code, response.data["code"]) == (409, "order_exists")
    assert state() == before


def test_a_scanned_code_records_who_and_where(shop: ApiClient, workspace: Any) -> None:
    response = shop.post("/redemptions/scan", {"code": "ten-bbbb", "location": "Shibuya store"})
    assert response.status_code == 201, response.data
    scanned = response.data
    assert (scanned["channel"], scanned["location"]) == ("scan", "Shibuya store")
    assert scanned["actor"]["type"] == "api_key"
    assert workspace.server_key.startswith(scanned["actor"]["id"])
    assert voucher_uses("TEN-BBBB") == (1, 0)
    assert shop.get(f"/redemptions/{scanned['id']}").data["location"] == "Shibuya store"
    entry = AuditEntry.objects.get(action="redemption.scanned")
    assert entry.object_id == scanned["id"]
    again = shop.post("/redemptions/scan", {"code": "TEN-BBBB", "location": "Shibuya store"})
    assert (again.status_code, again.data["details"][0]["reason"]) == (422, "usage_limit_reached")
    with_order = shop.post(
        "/redemptions/scan",
        {
            "code": "TEN-AAAA",
            "location": "Ginza",
            "customer_id": "cust-1",
            "order": body([])["order"],
        },
    )
    assert with_order.status_code == 201
    assert with_order.data["order"]["discount_total"] == "6.00"


def test_another_workspace_cannot_see_or_touch_a_redemption(
    shop: ApiClient, other_api: ApiClient
) -> None:
    done = redeem(shop, body(STACK))
    for method, path in (
        ("GET", f"/redemptions/{done['id']}"),
        ("POST", f"/redemptions/{done['id']}/rollback"),
        ("POST", f"/redemptions/{done['id']}/confirm"),
    ):
        response = other_api.request(method, path)
        assert (response.status_code, response.data["code"]) == (404, "redemption_not_found")
    assert voucher_uses("TEN-AAAA") == (1, 0)


def test_a_retry_with_the_same_key_redeems_once(shop: ApiClient) -> None:
    first = shop.post("/redemptions", body(STACK), **{"Idempotency-Key": "k-1"})
    second = shop.post("/redemptions", body(STACK), **{"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 201
    assert first.data == second.data
    assert Redemption.objects.count() == 1
    assert balance(shop) == 4500


def test_a_card_without_an_amount_pays_what_it_holds(shop: ApiClient) -> None:
    make_gift_card(shop, "GIFT-SMALL", "3.00")
    done = redeem(shop, body([{"type": "gift_card", "code": "gift-small"}]))
    assert [(x["type"], x["amount"]) for x in done["lines"]] == [("gift_card", "3.00")]
    assert done["order"]["amount_due"] == "61.00"
    assert card_balance(shop, "GIFT-SMALL") == "0.00"
    rolled = shop.post(f"/redemptions/{done['id']}/rollback")
    assert rolled.status_code == 200
    assert card_balance(shop, "GIFT-SMALL") == "3.00"
