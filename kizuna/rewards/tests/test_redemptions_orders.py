"""Redemptions and the orders they record: a cancellation gives the gift-card value back, pro
rata refunds never give back more than was paid; and the limits a campaign puts on one
customer hold across redemptions."""

from typing import Any

import pytest
from django.core.management import call_command

from conftest import ApiClient
from kizuna.rewards.models import RedemptionLine
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
    voucher_uses,
)
from kizuna.vouchers.models import GiftCardEntry

pytestmark = pytest.mark.django_db
__all__ = ["points_rate"]

PAID: list[dict[str, Any]] = [
    {"type": "gift_card", "code": "GIFT-1", "amount": "10.00"},
    {"type": "points", "program_id": "club", "points": 1000},
]


@pytest.fixture
def shop(api: ApiClient, points_rate: None) -> ApiClient:
    make_member(api, "cust-1", points=5000)
    make_gift_card(api, "GIFT-1", "50.00")
    return api


def test_a_cancelled_order_gives_the_card_and_the_points_back(shop: ApiClient) -> None:
    done = shop.post("/redemptions", body(PAID, record_order=True))
    assert done.status_code == 201, done.data
    assert card_balance(shop) == "40.00"
    assert balance(shop) == 4000
    cancelled = shop.post("/orders/ord-1/status", {"status": "cancelled"})
    assert cancelled.status_code == 200, cancelled.data
    assert card_balance(shop) == "50.00"
    assert balance(shop) == 5000
    rolled = shop.post(f"/redemptions/{done.data['id']}/rollback")
    assert rolled.status_code == 200
    assert card_balance(shop) == "50.00"  # nothing more: it came back once
    assert balance(shop) == 5000
    call_command("verify_ledger")


def test_refunds_give_back_pro_rata_and_never_more(shop: ApiClient) -> None:
    done = shop.post("/redemptions", body(PAID, record_order=True))
    assert done.status_code == 201, done.data
    # The order: 64.00, paid 10.00 by card, 10.00 by points, the rest otherwise.
    for n, amount in enumerate(("16.00", "16.00", "16.00")):
        refund = {"external_id": f"ref-{n}", "amount": amount}
        assert shop.post("/orders/ord-1/refunds", refund).status_code == 201
    assert card_balance(shop) == "47.50"  # three quarters of 10.00
    assert balance(shop) == 4750
    assert (
        shop.post("/orders/ord-1/refunds", {"external_id": "ref-9", "amount": "16.00"}).status_code
        == 201
    )
    assert card_balance(shop) == "50.00"
    line = RedemptionLine.objects.get(type="gift_card")
    assert line.returned == line.amount
    refunds = GiftCardEntry.objects.filter(type="refund").values_list("amount", flat=True)
    assert sum(refunds) == line.amount
    rolled = shop.post(f"/redemptions/{done.data['id']}/rollback")
    assert rolled.status_code == 200
    assert card_balance(shop) == "50.00"
    call_command("verify_ledger")


def test_an_order_without_a_redemption_is_left_to_the_integrator(
    shop: ApiClient, order_body: Any
) -> None:
    paid = order_body(payments=[{"method": "gift_card", "amount": "5.00"}])
    assert shop.post("/orders", paid).status_code == 201
    assert (
        shop.post("/orders/ord-1/refunds", {"external_id": "r", "amount": "31.00"}).status_code
        == 201
    )
    assert card_balance(shop) == "50.00"
    assert not GiftCardEntry.objects.filter(type="refund").exists()


def test_a_customer_limit_holds_across_redemptions(shop: ApiClient) -> None:
    make_campaign(shop, "once-each", usage={"per_code": None, "per_customer": 1})
    make_codes("once-each", ["EACH-1", "EACH-2"])
    first = shop.post("/redemptions", body([{"type": "voucher", "code": "EACH-1"}]))
    assert first.status_code == 201
    second = shop.post(
        "/redemptions", body([{"type": "voucher", "code": "EACH-2"}], order=cart("ord-2"))
    )
    assert second.status_code == 422
    assert second.data["details"][0]["reason"] == "usage_limit_reached"
    shop.post(f"/redemptions/{first.data['id']}/rollback")
    again = shop.post(
        "/redemptions", body([{"type": "voucher", "code": "EACH-2"}], order=cart("ord-2"))
    )
    assert again.status_code == 201, again.data
    assert voucher_uses("EACH-1") == (0, 0)
    assert voucher_uses("EACH-2") == (1, 0)
