"""The `reward` redeemable kind as the checkout calls it (kizuna/rewards/redeemables.py):
claims resolved in one query, each refusal's reason, the offers in the voucher discount
shape, and the claim's state moved once by take, confirm, release and give_back. And the
pay-with-points rate the catalog gives the checkout."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ApiClient, sample_order
from kizuna.accounts.services import NewWorkspace
from kizuna.core import clock
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.customers.models import Customer
from kizuna.loyalty.models import Program
from kizuna.orders.services.orders import check_order
from kizuna.rewards import redeemables
from kizuna.rewards.models import Claim
from kizuna.rewards.redeemables import Cart, Refusal, Resolved
from kizuna.rewards.tests.support import claim, make_member, make_program, make_reward

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def program(api: ApiClient) -> None:
    make_program(api)
    make_member(api, "aiko", 5000)
    make_member(api, "bo", 5000)


def cart(workspace: NewWorkspace, customer: str = "aiko", **order: Any) -> Cart:
    body = sample_order(customer_id=customer, occurred_at=now(), **order)
    return Cart(
        workspace=workspace.workspace,
        customer=Customer.objects.get(external_id=customer),
        order=check_order(body),
        at=now(),
    )


def claimed(api: ApiClient, reward: str, customer: str = "aiko", **overrides: Any) -> str:
    make_reward(api, id=reward, cost_points=10, **overrides)
    response = claim(api, customer, reward)
    assert response.status_code == 201, response.data
    return str(response.data["claim_id"])


def resolve(c: Cart, *claim_ids: str) -> list[Resolved | Refusal]:
    kind = redeemables.kind("reward")
    assert kind is not None
    return kind.resolve(c, [{"type": "reward", "claim_id": claim_id} for claim_id in claim_ids])


def line(c: Cart, claim_id: str, redemption: str = "red_1") -> Any:
    return SimpleNamespace(
        ref=claim_id,
        discount=Decimal(0),
        amount=Decimal(0),
        points=0,
        data={},
        redemption=SimpleNamespace(
            public_id=redemption, customer_id=c.customer.pk, workspace_id=c.workspace.pk
        ),
    )


def test_offers_in_the_voucher_discount_shape(api: ApiClient, workspace: NewWorkspace) -> None:
    ids = [
        claimed(api, "amount"),
        claimed(
            api, "percent", type="discount_percent", value={"percent": 10, "max_discount": "3"}
        ),
        claimed(api, "ship", type="free_shipping", value={}),
        claimed(api, "tea", type="free_product", value={"sku": "TEA-1"}),
        claimed(api, "back", type="cashback", value={"percent": 5, "max_discount": "2.00"}),
        claimed(api, "back2", type="cashback", value={"amount": "1.50"}),
    ]
    c = cart(workspace)
    with CaptureQueriesContext(connection) as queries:
        results = resolve(c, *ids)
    assert len(queries) == 1
    assert all(isinstance(r, Resolved) for r in results)
    offers = [(r.offer.category, r.offer.group, dict(r.offer.effect or {})) for r in results]  # type: ignore[union-attr]
    assert offers == [
        ("discount", "reward", {"type": "amount", "amount": "5.00", "currency": "USD"}),
        (
            "discount",
            "reward",
            {"type": "percent", "percent": "10", "max_discount": "3.00", "currency": "USD"},
        ),
        ("discount", "reward", {"type": "free_shipping"}),
        ("discount", "reward", {"type": "free_product", "sku": "TEA-1"}),
        (
            "cashback",
            "reward",
            {"type": "cashback", "percent": "5", "max_discount": "2.00", "currency": "USD"},
        ),
        ("cashback", "reward", {"type": "cashback", "amount": "1.50", "currency": "USD"}),
    ]
    assert [r.ref for r in results] == ids


def test_each_refusal_has_its_reason(api: ApiClient, workspace: NewWorkspace) -> None:
    theirs = claimed(api, "theirs", customer="bo")
    card = claimed(api, "card", type="gift_card", value={"amount": "5.00"})
    used = claimed(api, "used")
    expiring = claimed(api, "expiring", validity_days=1)
    big = claimed(
        api, "big", order_condition={"field": "order.total", "op": "gte", "value": "100.00"}
    )
    coffee = claimed(api, "coffee", type="free_product", value={"sku": "COFFEE-1"})
    yen = claimed(api, "yen", value={"amount": "500", "currency": "JPY"})
    Claim.objects.filter(public_id=used).update(state="used")
    c = cart(workspace)
    reasons = [
        r.reason if isinstance(r, Refusal) else "ok"
        for r in resolve(c, "clm_nope", "", theirs, card, used, big, coffee, yen, expiring)
    ]
    assert reasons == [
        "not_valid",
        "not_valid",
        "not_valid",
        "not_valid",
        "usage_limit_reached",
        "conditions_not_met",
        "conditions_not_met",
        "currency_mismatch",
        "ok",
    ]
    later = Cart(c.workspace, c.customer, c.order, now() + timedelta(days=2))
    [refusal] = resolve(later, expiring)
    assert isinstance(refusal, Refusal) and refusal.reason == "expired"
    # The order condition is met by a bigger order.
    items = [{"sku": "TEA-1", "name": "Sencha", "quantity": 10, "unit_price": "15.00"}]
    bigger = cart(workspace, items=items, subtotal="150.00", total="151.00")
    [ok] = resolve(bigger, big)
    assert isinstance(ok, Resolved)


def test_take_confirm_release_give_back_move_the_claim_once(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    kind = redeemables.kind("reward")
    assert kind is not None
    claim_id = claimed(api, "amount")
    c = cart(workspace, external_id="o-9")
    [resolved] = resolve(c, claim_id)
    assert isinstance(resolved, Resolved)

    def current() -> tuple[str, str, str]:
        row = Claim.objects.get(public_id=claim_id)
        return row.state, row.redemption_id, row.order_external_id

    mine = line(c, claim_id)
    assert kind.take(c, resolved, mine, hold=True) == {"claim_id": claim_id}
    assert current() == ("held", "red_1", "o-9")
    assert kind.take(c, resolved, mine, hold=True) == {"claim_id": claim_id}  # a retry
    with pytest.raises(ValidationFailed) as refused:
        kind.take(c, resolved, line(c, claim_id, "red_2"), hold=False)
    assert refused.value.code == "usage_limit_reached"
    [again] = resolve(c, claim_id)
    assert isinstance(again, Refusal) and again.reason == "usage_limit_reached"
    kind.release(mine)
    kind.release(mine)
    assert current() == ("issued", "", "")
    kind.take(c, resolved, mine, hold=True)
    kind.confirm(mine)
    kind.confirm(mine)
    assert current() == ("used", "red_1", "o-9")
    assert api.get(f"/claims/{claim_id}").data["order_id"] == "o-9"
    kind.give_back(mine)
    kind.give_back(mine)
    assert current() == ("issued", "", "")
    kind.take(c, resolved, line(c, claim_id, "red_3"), hold=False)
    assert current() == ("used", "red_3", "o-9")
    # Another redemption's give_back does not touch it.
    kind.give_back(mine)
    assert current()[0] == "used"


def test_an_expired_claim_cannot_be_taken(api: ApiClient, workspace: NewWorkspace) -> None:
    kind = redeemables.kind("reward")
    assert kind is not None
    claim_id = claimed(api, "amount", validity_days=1)
    c = cart(workspace)
    [resolved] = resolve(c, claim_id)
    assert isinstance(resolved, Resolved)
    with clock.at(now() + timedelta(days=2)), pytest.raises(ValidationFailed):
        kind.take(c, resolved, line(c, claim_id), hold=False)
    assert Claim.objects.get(public_id=claim_id).state == "issued"


def test_candidates_are_the_customers_usable_claims(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    kind: Any = redeemables.kind("reward")
    first = claimed(api, "amount")
    second = claimed(api, "ship", type="free_shipping", value={})
    claimed(api, "card", type="gift_card", value={"amount": "5.00"})
    claimed(api, "theirs", customer="bo")
    used = claimed(api, "used")
    Claim.objects.filter(public_id=used).update(state="used")
    c = cart(workspace)
    with CaptureQueriesContext(connection) as queries:
        found = kind.candidates(c)
    assert len(queries) == 1
    assert found == [
        {"type": "reward", "claim_id": second},
        {"type": "reward", "claim_id": first},
    ]


def test_the_points_rate_is_the_active_pay_with_points_reward(api: ApiClient) -> None:
    program = Program.objects.get(key="club")
    assert redeemables.points_per_unit(program) is None
    make_reward(api, id="pwp", type="pay_with_points", value={"points_per_unit": "100"})
    assert redeemables.points_per_unit(program) == Decimal(100)
    assert api.patch("/rewards/pwp", {"status": "inactive"}).status_code == 200
    assert redeemables.points_per_unit(program) is None
