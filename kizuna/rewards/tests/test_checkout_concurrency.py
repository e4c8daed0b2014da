"""Races on PostgreSQL, real requests each on its own connection, released together: one
single-use code redeemed by 30 at once succeeds once; concurrent redemptions never overdraw a
gift card or a points balance; a rollback sent many times at once restores once."""

from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from conftest import POSTGRES_ONLY, ApiClient, send_together
from kizuna.accounts.services import NewWorkspace
from kizuna.loyalty.models import LedgerEntry
from kizuna.rewards.models import Redemption
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
from kizuna.vouchers.services.verify import verify_gift_cards

pytestmark = POSTGRES_ONLY
__all__ = ["points_rate"]


@pytest.fixture
def shop(api: ApiClient, points_rate: None) -> ApiClient:
    make_member(api, "cust-1", points=5000)
    make_campaign(api, "once")
    make_codes("once", ["ONCE-ONLY"])
    make_gift_card(api, "GIFT-1", "50.00")
    return api


def _orders(stack: list[dict[str, Any]], n: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("POST", "/redemptions", body(stack, order=cart(external_id=f"ord-{i}"))) for i in range(n)
    ]


def test_thirty_redemptions_of_one_single_use_code_succeed_once(
    shop: ApiClient, workspace: NewWorkspace
) -> None:
    responses = send_together(
        workspace.server_key, _orders([{"type": "voucher", "code": "ONCE-ONLY"}], 30)
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [422] * 29, statuses
    assert voucher_uses("ONCE-ONLY") == (1, 0)
    assert Redemption.objects.count() == 1


def test_concurrent_redemptions_never_overdraw_a_gift_card_or_a_balance(
    shop: ApiClient, workspace: NewWorkspace
) -> None:
    stack: list[dict[str, Any]] = [
        {"type": "gift_card", "code": "GIFT-1", "amount": "5.00"},
        {"type": "points", "program_id": "club", "points": 500},
    ]
    responses = send_together(workspace.server_key, _orders(stack, 16))
    done = [r for r in responses if r.status_code == 201]
    assert all(r.status_code in (201, 422) for r in responses)
    assert len(done) == 10  # 50.00 / 5.00 and 5000 / 500: ten of each, no more
    assert card_balance(shop) == "0.00"
    assert balance(shop) == 0
    spent = GiftCardEntry.objects.filter(type="spend")
    assert sum((e.amount for e in spent), Decimal(0)) == Decimal("-50.00")
    assert not verify_gift_cards()
    call_command("verify_ledger")


def test_a_rollback_sent_at_once_restores_once(shop: ApiClient, workspace: NewWorkspace) -> None:
    stack: list[dict[str, Any]] = [
        {"type": "voucher", "code": "ONCE-ONLY"},
        {"type": "gift_card", "code": "GIFT-1", "amount": "5.00"},
        {"type": "points", "program_id": "club", "points": 500},
    ]
    done = shop.post("/redemptions", body(stack))
    assert done.status_code == 201, done.data
    path = f"/redemptions/{done.data['id']}/rollback"
    responses = send_together(workspace.server_key, [("POST", path, None)] * 10)
    assert {r.status_code for r in responses} == {200}
    assert voucher_uses("ONCE-ONLY") == (0, 0)
    assert card_balance(shop) == "50.00"
    assert balance(shop) == 5000
    assert LedgerEntry.objects.filter(type="rollback").count() == 1
    assert GiftCardEntry.objects.filter(type="refund").count() == 1
    call_command("verify_ledger")


def test_stacks_in_opposite_orders_never_deadlock(shop: ApiClient, workspace: NewWorkspace) -> None:
    make_gift_card(shop, "GIFT-2", "50.00")
    one: list[dict[str, Any]] = [
        {"type": "gift_card", "code": "GIFT-1", "amount": "1.00"},
        {"type": "gift_card", "code": "GIFT-2", "amount": "1.00"},
        {"type": "points", "program_id": "club", "points": 100},
    ]
    requests: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/redemptions", body(one if i % 2 else one[::-1], order=cart(f"ord-{i}")))
        for i in range(12)
    ]
    responses = send_together(workspace.server_key, requests)
    assert [r.status_code for r in responses] == [201] * 12
    assert (card_balance(shop, "GIFT-1"), card_balance(shop, "GIFT-2")) == ("38.00", "38.00")
    assert balance(shop) == 5000 - 1200
