"""Cashback: a used cashback claim becomes store credit when its order is paid (an orders
participant, in the order's transaction); a refund reverses it pro rata, a cancellation all
of it, never taking the store credit below zero."""

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from conftest import ApiClient, sample_order
from kizuna.accounts.services import NewWorkspace
from kizuna.core.clock import now
from kizuna.customers.models import Customer
from kizuna.orders.services.orders import check_order
from kizuna.rewards import redeemables
from kizuna.rewards.models import Claim
from kizuna.rewards.redeemables import Cart, Resolved
from kizuna.rewards.tests.support import claim, make_member, make_program, make_reward
from kizuna.vouchers.models import GiftCard
from kizuna.vouchers.services import balances
from kizuna.vouchers.services.verify import verify_gift_cards

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def program(api: ApiClient) -> None:
    make_program(api)
    make_member(api, "aiko", 5000)


def used_on(api: ApiClient, workspace: NewWorkspace, order_id: str, **reward: Any) -> str:
    """A cashback claim, used at checkout on the order `order_id` (not yet recorded)."""
    make_reward(api, id="back", type="cashback", cost_points=10, **reward)
    claim_id = str(claim(api, "aiko", "back").data["claim_id"])
    kind = redeemables.kind("reward")
    assert kind is not None
    cart = Cart(
        workspace=workspace.workspace,
        customer=Customer.objects.get(external_id="aiko"),
        order=check_order(sample_order(external_id=order_id, occurred_at=now())),
        at=now(),
    )
    [resolved] = kind.resolve(cart, [{"type": "reward", "claim_id": claim_id}])
    assert isinstance(resolved, Resolved)
    line = SimpleNamespace(
        ref=claim_id,
        redemption=SimpleNamespace(
            public_id="red_1", customer_id=cart.customer.pk, workspace_id=cart.workspace.pk
        ),
    )
    kind.take(cart, resolved, line, hold=False)
    return claim_id


def cashback(api: ApiClient, claim_id: str) -> dict[str, Any]:
    return dict(api.get(f"/claims/{claim_id}").data["cashback"])


def test_a_percent_cashback_is_credited_then_reversed_pro_rata(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    claim_id = used_on(api, workspace, "o-1", value={"percent": 10, "max_discount": "2.00"})
    assert cashback(api, claim_id)["credited"] == "0"
    # 10% of 31.00 is 3.10, capped at 2.00.
    assert api.post("/orders", sample_order(external_id="o-1")).status_code == 201
    back = cashback(api, claim_id)
    assert (back["order_id"], back["credited"], back["reversed"], back["currency"]) == (
        "o-1",
        "2.00",
        "0.00",
        "USD",
    )
    card = GiftCard.objects.get(code=back["store_credit_code"])
    assert (card.kind, card.customer_id, card.balance) == (
        "store_credit",
        Customer.objects.get(external_id="aiko").pk,
        Decimal("2.00"),
    )
    # The same order again (a retry) credits nothing more.
    assert api.post("/orders", sample_order(external_id="o-1")).status_code in (200, 201)
    assert GiftCard.objects.filter(kind="store_credit").count() == 1
    # Half refunded: half the cashback back.
    refund = {"external_id": "r-1", "amount": "15.50"}
    assert api.post("/orders/o-1/refunds", refund).status_code == 201
    assert cashback(api, claim_id)["reversed"] == "1.00"
    card.refresh_from_db()
    assert card.balance == Decimal("1.00")
    # A rollback of the redemption leaves a credited cashback used.
    kind = redeemables.kind("reward")
    assert kind is not None
    kind.give_back(
        SimpleNamespace(
            ref=claim_id,
            redemption=SimpleNamespace(public_id="red_1", workspace_id=workspace.workspace.pk),
        )
    )
    assert Claim.objects.get(public_id=claim_id).state == "used"
    # Cancelled: all of it.
    assert api.post("/orders/o-1/status", {"status": "cancelled"}).status_code == 200
    assert cashback(api, claim_id)["reversed"] == "2.00"
    card.refresh_from_db()
    assert card.balance == Decimal("0.00")
    assert verify_gift_cards() == []


def test_a_reversal_never_takes_store_credit_below_zero(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    claim_id = used_on(api, workspace, "o-2", value={"amount": "2.50"})
    assert api.post("/orders", sample_order(external_id="o-2")).status_code == 201
    code = cashback(api, claim_id)["store_credit_code"]
    balances.spend(
        workspace.workspace, code, "2.00", currency="USD", source=balances.Source("order", "x")
    )
    assert api.post("/orders/o-2/status", {"status": "cancelled"}).status_code == 200
    assert cashback(api, claim_id)["reversed"] == "0.50"
    assert GiftCard.objects.get(code=code).balance == Decimal("0.00")
    assert verify_gift_cards() == []


def test_an_issued_cashback_or_another_order_credits_nothing(api: ApiClient) -> None:
    make_reward(api, id="back", type="cashback", cost_points=10, value={"amount": "2.50"})
    claim_id = str(claim(api, "aiko", "back").data["claim_id"])
    # Not used at checkout: paying an order does not credit it.
    assert api.post("/orders", sample_order(external_id="o-3")).status_code == 201
    assert cashback(api, claim_id)["credited"] == "0"
    assert not GiftCard.objects.exists()
    assert Claim.objects.get(public_id=claim_id).state == "issued"
