"""Shared helpers of the vouchers tests."""

from typing import Any

from conftest import ApiClient
from kizuna.core.models import AuditEntry
from kizuna.vouchers.models import Campaign, CodeGeneration, GiftCard, GiftCardEntry, Voucher


def campaign_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "summer",
        "name": "Summer sale",
        "discount": {"type": "percent", "percent": 10, "max_discount": "20.00", "currency": "USD"},
        "code": {"pattern": "HOSHI-####-????"},
        "usage": {"per_code": 1, "per_customer": 2},
        "valid_from": "2026-01-01T00:00:00Z",
        "valid_until": "2027-01-01T00:00:00Z",
        "condition": {"field": "order.total", "op": "gte", "value": "50.00"},
    }
    body.update(overrides)
    return body


def make_campaign(api: ApiClient, **overrides: Any) -> dict[str, Any]:
    response = api.post("/voucher-campaigns", campaign_body(**overrides))
    assert response.status_code == 201, response.data
    return dict(response.data)


def make_customer(api: ApiClient, external_id: str) -> None:
    response = api.put(f"/customers/{external_id}", {"email": f"{external_id}@example.com"})
    assert response.status_code in (200, 201), response.data


def state() -> tuple[Any, ...]:
    """Everything the vouchers app writes, to show that a refused request changed nothing."""
    return (
        list(Campaign.objects.order_by("pk").values()),
        list(Voucher.objects.order_by("pk").values()),
        list(CodeGeneration.objects.order_by("pk").values()),
        list(GiftCard.objects.order_by("pk").values()),
        list(GiftCardEntry.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
    )
