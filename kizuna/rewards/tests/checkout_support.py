"""Helpers of the checkout tests: a customer with points at a pay-with-points rate, a voucher
campaign and its codes, gift cards, carts; and the state of every table, to prove that a
validation or a refused redemption changed nothing."""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps

from conftest import ApiClient
from kizuna.customers.models import Customer
from kizuna.loyalty.models import Account, LedgerEntry, LotAllocation, PointLot
from kizuna.rewards import redeemables
from kizuna.rewards.models import Redemption, RedemptionLine
from kizuna.vouchers.models import (
    Campaign,
    CampaignCustomerUse,
    GiftCard,
    GiftCardEntry,
    Voucher,
    VoucherSource,
)

RATE = Decimal(100)  # points per dollar
PROGRAM = {
    "id": "club",
    "name": "Club",
    "currency": "USD",
    "timezone": "UTC",
    "status": "active",
    "enrolment": "explicit",
    "expiry": {"policy": "none"},
}
ITEMS = [
    {"sku": "TEA-1", "name": "Sencha", "category": "tea", "quantity": 2, "unit_price": "20.00"},
    {"sku": "CUP-1", "name": "Cup", "category": "ware", "quantity": 1, "unit_price": "20.00"},
]


@pytest.fixture
def points_rate() -> Iterator[None]:
    """Points of any program pay at 100 points a unit (the catalog registers the real rate)."""
    saved = list(redeemables._POINTS_RATE)
    redeemables.register_points_rate(lambda program: RATE)
    yield
    redeemables._POINTS_RATE[:] = saved


def cart(
    external_id: str | None = "ord-1",
    total: str = "64.00",
    shipping: str = "4.00",
    customer_id: str = "cust-1",
    **overrides: Any,
) -> dict[str, Any]:
    """An order of 60.00 of items (two teas at 20.00, a cup at 20.00) and 4.00 shipping."""
    body: dict[str, Any] = {
        "customer_id": customer_id,
        "currency": "USD",
        "total": total,
        "shipping_total": shipping,
        "items": ITEMS,
        "occurred_at": "2026-03-01T10:00:00Z",
    }
    if external_id is not None:
        body["external_id"] = external_id
    body.update(overrides)
    return body


def body(
    redeemables_: list[dict[str, Any]],
    customer_id: str = "cust-1",
    policy: str = "all_or_nothing",
    **extra: Any,
) -> dict[str, Any]:
    order = extra.pop("order", None) or cart(customer_id=customer_id)
    return {
        "customer_id": customer_id,
        "order": order,
        "redeemables": redeemables_,
        "policy": policy,
        **extra,
    }


def make_customer(api: ApiClient, external_id: str = "cust-1") -> None:
    response = api.put(f"/customers/{external_id}", {"email": f"{external_id}@example.com"})
    assert response.status_code in (200, 201), response.data


def make_member(api: ApiClient, customer_id: str = "cust-1", points: int = 5000) -> None:
    """The customer, in the program `club` (made if need be), with `points` active points."""
    if api.get("/programs/club").status_code == 404:
        assert api.post("/programs", PROGRAM).status_code == 201
    make_customer(api, customer_id)
    assert api.post("/programs/club/members", {"customer_id": customer_id}).status_code == 201
    if points:
        added = api.post(
            f"/customers/{customer_id}/loyalty/club/adjustments",
            {"points": points, "reason": "Opening balance"},
        )
        assert added.status_code == 201, added.data


def make_campaign(api: ApiClient, key: str = "ten", **overrides: Any) -> dict[str, Any]:
    campaign = {
        "id": key,
        "name": key,
        "discount": {"type": "percent", "percent": 10},
        "code": {"prefix": f"{key.upper()}-", "length": 8},
        "usage": {"per_code": 1},
        **overrides,
    }
    response = api.post("/voucher-campaigns", campaign)
    assert response.status_code == 201, response.data
    return dict(response.data)


def make_codes(campaign_key: str, wanted: list[str], customer: str | None = None) -> list[str]:
    """Codes of the campaign, stored as an import stores them (test setup)."""
    campaign = Campaign.objects.get(key=campaign_key)
    owner = Customer.objects.get(external_id=customer) if customer else None
    Voucher.objects.bulk_create(
        Voucher(
            workspace_id=campaign.workspace_id,
            campaign=campaign,
            code=code,
            customer=owner,
            max_uses=campaign.per_code,
            source=VoucherSource.IMPORTED,
        )
        for code in wanted
    )
    return wanted


def make_gift_card(
    api: ApiClient, code: str = "GIFT-1", amount: str = "50.00", **extra: Any
) -> dict[str, Any]:
    response = api.post("/gift-cards", {"code": code, "amount": amount, "currency": "USD", **extra})
    assert response.status_code == 201, response.data
    return dict(response.data)


def balance(api: ApiClient, customer_id: str = "cust-1") -> int:
    data = api.get(f"/customers/{customer_id}/loyalty").data["data"]
    return int(next(p for p in data if p["program_id"] == "club")["points"]["active"])


def card_balance(api: ApiClient, code: str = "GIFT-1") -> str:
    return str(api.get(f"/gift-cards/{code}").data["balance"])


def voucher_uses(code: str) -> tuple[int, int]:
    voucher = Voucher.objects.get(code=code)
    return voucher.uses, voucher.held


def row_counts() -> dict[str, int]:
    """The number of rows of every table of the product."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if not model._meta.proxy
    }


CHECKOUT_TABLES = (
    Voucher,
    CampaignCustomerUse,
    GiftCard,
    GiftCardEntry,
    Account,
    LedgerEntry,
    PointLot,
    LotAllocation,
    Redemption,
    RedemptionLine,
)


def state() -> dict[str, Any]:
    """Row counts of every table, and every row of the tables a checkout writes."""
    rows = {m.__name__: list(m._default_manager.order_by("pk").values()) for m in CHECKOUT_TABLES}
    return {"counts": row_counts(), "rows": rows}
