"""A property over random stacks on random carts, through `POST /validations`: totals never go
below zero, discounts never exceed the order, payments never exceed what is left, and every
figure equals an independent computation written here from the documented rules
(docs/checkout.md, Order of application)."""

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ApiClient
from kizuna.rewards.tests.checkout_support import (
    RATE,
    make_campaign,
    make_codes,
    make_gift_card,
    make_member,
    points_rate,
)

pytestmark = pytest.mark.django_db
__all__ = ["points_rate"]

CENT = Decimal("0.01")
USD = "USD"
DISCOUNTS: dict[str, dict[str, Any]] = {
    "A5": {"type": "amount", "amount": "5.00", "currency": USD},
    "A50": {"type": "amount", "amount": "50.00", "currency": USD},
    "P10": {"type": "percent", "percent": 10},
    "P25": {"type": "percent", "percent": 25, "max_discount": "7.00", "currency": USD},
    "UTEA": {
        "type": "unit",
        "amount": "2.00",
        "currency": USD,
        "item_condition": {"field": "item.category", "op": "eq", "value": "tea"},
    },
    "FREESHIP": {"type": "free_shipping"},
}
CARDS = {"CARD-SMALL": Decimal("10.00"), "CARD-BIG": Decimal("100.00")}
RANK = {"unit": 0, "amount": 1, "percent": 2, "free_shipping": 3}


@pytest.fixture
def shop(api: ApiClient, points_rate: None) -> ApiClient:
    make_member(api, "cust-1", points=100_000)
    for key, discount in DISCOUNTS.items():
        make_campaign(api, key.lower(), discount=discount, usage={"per_code": None})
        make_codes(key.lower(), [f"CODE-{key}"])
    for code, amount in CARDS.items():
        make_gift_card(api, code, str(amount))
    return api


def expected(
    items: list[tuple[Decimal, int, str]], shipping: Decimal, stack: list[dict[str, Any]]
) -> tuple[list[tuple[Decimal, Decimal, int, str | None]], Decimal]:
    """(discount, amount, points, reason) per redeemable, and the discount total."""
    room = sum((price * qty for price, qty, _ in items), Decimal(0))
    ship = shipping
    out: dict[int, tuple[Decimal, Decimal, int, str | None]] = {}
    discounts = [(i, r) for i, r in enumerate(stack) if r["type"] == "voucher"]
    discounts.sort(key=lambda x: (RANK[DISCOUNTS[x[1]["code"][5:]]["type"]], x[0]))
    for i, r in discounts:
        d = DISCOUNTS[r["code"][5:]]
        if d["type"] == "amount":
            value = Decimal(d["amount"])
        elif d["type"] == "percent":
            value = (room * Decimal(d["percent"]) / 100).quantize(CENT, ROUND_HALF_UP)
            if "max_discount" in d:
                value = min(value, Decimal(d["max_discount"]))
        elif d["type"] == "unit":
            value = sum(
                (min(Decimal("2.00"), p) * q for p, q, cat in items if cat == "tea"), Decimal(0)
            )
        else:
            value = ship
        if d["type"] == "free_shipping":
            value = min(value, ship)
            ship -= value
        else:
            value = min(value, room)
            room -= value
        out[i] = (value, Decimal(0), 0, None if value > 0 else "conditions_not_met")
    discount_total = sum((v[0] for v in out.values()), Decimal(0))
    total = sum((p * q for p, q, _ in items), Decimal(0)) + shipping
    left = total - discount_total
    for i, r in enumerate(stack):
        if r["type"] == "voucher":
            continue
        if r["type"] == "points":
            limit = (Decimal(r["points"]) / RATE).quantize(CENT, rounding="ROUND_FLOOR")
        else:
            limit = Decimal(r["amount"]) if "amount" in r else CARDS[r["code"]]
        amount = min(limit, left)
        if amount <= 0:
            out[i] = (Decimal(0), Decimal(0), 0, "conditions_not_met")
            continue
        points = 0
        if r["type"] == "points":
            points = (
                r["points"]
                if amount >= limit
                else min(r["points"], int((amount * RATE).to_integral_value(ROUND_CEILING)))
            )
        left -= amount
        out[i] = (Decimal(0), amount, points, None)
    return [out[i] for i in range(len(stack))], discount_total


item = st.tuples(
    st.integers(min_value=1, max_value=20_000).map(lambda c: Decimal(c) / 100),
    st.integers(min_value=1, max_value=5),
    st.sampled_from(["tea", "ware"]),
)
redeemable = st.one_of(
    st.sampled_from(sorted(DISCOUNTS)).map(lambda k: {"type": "voucher", "code": f"CODE-{k}"}),
    st.integers(min_value=100, max_value=20_000).map(
        lambda p: {"type": "points", "program_id": "club", "points": p}
    ),
    st.tuples(st.sampled_from(sorted(CARDS)), st.integers(min_value=1, max_value=1000)).map(
        lambda t: {"type": "gift_card", "code": t[0], "amount": str(Decimal(t[1]) / 100)}
    ),
    st.sampled_from(sorted(CARDS)).map(lambda c: {"type": "gift_card", "code": c}),
)


def _unique(stack: list[dict[str, Any]]) -> bool:
    keys = [(r["type"], r.get("code") or r.get("program_id")) for r in stack]
    return len(keys) == len(set(keys))


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    items=st.lists(item, min_size=1, max_size=4),
    shipping=st.integers(min_value=0, max_value=2000).map(lambda c: Decimal(c) / 100),
    stack=st.lists(redeemable, min_size=1, max_size=5).filter(_unique),
)
def test_random_stacks_add_up(
    shop: ApiClient,
    items: list[tuple[Decimal, int, str]],
    shipping: Decimal,
    stack: list[dict[str, Any]],
) -> None:
    subtotal = sum((p * q for p, q, _ in items), Decimal(0))
    order = {
        "currency": USD,
        "total": str(subtotal + shipping),
        "shipping_total": str(shipping),
        "items": [
            {"sku": f"SKU-{i}", "category": c, "quantity": q, "unit_price": str(p)}
            for i, (p, q, c) in enumerate(items)
        ],
    }
    response = shop.post(
        "/validations",
        {"customer_id": "cust-1", "order": order, "redeemables": stack, "policy": "partial"},
    )
    assert response.status_code == 200, response.data
    answer = response.data
    want, discount_total = expected(items, shipping, stack)
    got = [
        (Decimal(r["discount"]), Decimal(r["amount"]), r["points"], r["reason"])
        for r in answer["redeemables"]
    ]
    assert got == want
    totals = answer["order"]
    total = Decimal(totals["total"])
    assert total == subtotal + shipping
    assert Decimal(totals["discount_total"]) == discount_total <= total
    after = Decimal(totals["total_after_discounts"])
    assert after == total - discount_total >= 0
    paid = sum((Decimal(p["amount"]) for p in totals["paid_with"]), Decimal(0))
    assert Decimal(totals["amount_due"]) == after - paid >= 0
    assert answer["valid"] == any(reason is None for *_, reason in want)
    assert all(
        Decimal(r["discount"]) >= 0 and Decimal(r["amount"]) >= 0 for r in answer["redeemables"]
    )
