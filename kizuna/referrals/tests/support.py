"""Shared helpers of the referrals tests."""

from typing import Any

from conftest import ApiClient, sample_order
from kizuna.core.models import AuditEntry, OutboxEvent
from kizuna.customers.models import TimelineEntry
from kizuna.loyalty.models import LedgerEntry
from kizuna.referrals.models import Referral, ReferralCode, ReferralProgram
from kizuna.vouchers.models import Voucher

CLUB: dict[str, Any] = {
    "id": "club",
    "name": "Club",
    "currency": "USD",
    "timezone": "UTC",
    "status": "active",
}
WELCOME: dict[str, Any] = {
    "id": "welcome",
    "name": "Welcome",
    "discount": {"type": "amount", "amount": "5.00", "currency": "USD"},
    "code": {"prefix": "WELCOME-", "length": 8},
}


def program_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "friends",
        "name": "Bring a friend",
        "loyalty_program_id": "club",
        "referrer_reward": {"type": "points", "points": 500},
        "referee_reward": {"type": "voucher", "campaign_id": "welcome"},
        "conversion": {"type": "first_order", "min_total": "20.00", "currency": "USD"},
        "attribution": "both",
        "caps": [{"period": "month", "times": 3}],
        "code": {"prefix": "FRIEND-", "length": 8},
    }
    body.update(overrides)
    return body


def setup(api: ApiClient, **overrides: Any) -> dict[str, Any]:
    """A loyalty program, a voucher campaign and a referral program over them."""
    assert api.post("/programs", CLUB).status_code == 201
    assert api.post("/voucher-campaigns", WELCOME).status_code == 201
    response = api.post("/referral-programs", program_body(**overrides))
    assert response.status_code == 201, response.data
    return dict(response.data)


def make_customer(api: ApiClient, external_id: str, **fields: Any) -> None:
    body = {"email": f"{external_id}@example.com", **fields}
    response = api.put(f"/customers/{external_id}", body)
    assert response.status_code in (200, 201), response.data


def code_of(api: ApiClient, customer_id: str, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = api.get(f"/customers/{customer_id}/referral-code" + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.data
    return str(response.data["code"])


def refer(api: ApiClient, code: str, customer_id: str) -> Any:
    return api.post("/referrals", {"code": code, "customer_id": customer_id})


def order(api: ApiClient, external_id: str, customer_id: str, **overrides: Any) -> Any:
    body = sample_order(external_id=external_id, customer_id=customer_id, **overrides)
    response = api.post("/orders", body)
    assert response.status_code == 201, response.data
    return response


def referrals_of(api: ApiClient, customer_id: str, query: str = "") -> list[dict[str, Any]]:
    response = api.get(f"/customers/{customer_id}/referrals{query}")
    assert response.status_code == 200, response.data
    return list(response.data["data"])


def state() -> tuple[Any, ...]:
    """Everything the referrals app writes or has written for it, to show that a refused
    request changed nothing."""
    return (
        list(ReferralProgram.objects.order_by("pk").values()),
        list(ReferralCode.objects.order_by("pk").values()),
        list(Referral.objects.order_by("pk").values()),
        list(LedgerEntry.objects.order_by("pk").values()),
        list(Voucher.objects.order_by("pk").values()),
        TimelineEntry.objects.count(),
        OutboxEvent.objects.count(),
        AuditEntry.objects.count(),
    )
