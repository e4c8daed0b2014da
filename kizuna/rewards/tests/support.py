"""Shared helpers of the reward catalog, claims and wallet tests: a live program with two
tiers, members with points, rewards, and a snapshot of every table a claim writes."""

from typing import Any

from conftest import ApiClient
from kizuna.core.models import AuditEntry, OutboxEvent
from kizuna.loyalty.models import Account, LedgerEntry, LotAllocation, PointLot
from kizuna.rewards.models import Claim, ClaimCount, Reward
from kizuna.vouchers.models import GiftCard, GiftCardEntry

CLUB: dict[str, Any] = {
    "id": "club",
    "name": "Club",
    "currency": "USD",
    "timezone": "Asia/Tokyo",
    "status": "active",
}


def make_program(api: ApiClient, **overrides: Any) -> None:
    response = api.post("/programs", {**CLUB, **overrides})
    assert response.status_code == 201, response.data
    rule = {
        "id": "per-dollar",
        "name": "Per dollar",
        "trigger": {"type": "order_paid"},
        "effect": {"type": "proportional", "points": 1, "per": "1.00", "base": "total"},
    }
    program = overrides.get("id", CLUB["id"])
    assert api.post(f"/programs/{program}/earning-rules", rule).status_code == 201
    for rank, (key, threshold) in enumerate((("silver", 10), ("gold", 1000)), start=1):
        tier = {
            "id": key,
            "name": key,
            "rank": rank,
            "qualify": {"metric": "points_earned", "threshold": threshold, "window": "lifetime"},
        }
        assert api.post(f"/programs/{program}/tiers", tier).status_code == 201


def make_member(
    api: ApiClient, external_id: str, points: int = 0, program: str = "club", **profile: Any
) -> None:
    body = {"email": f"{external_id}@example.com", **profile}
    response = api.put(f"/customers/{external_id}", body)
    assert response.status_code in (200, 201), response.data
    response = api.post(f"/programs/{program}/members", {"customer_id": external_id})
    assert response.status_code in (200, 201), response.data
    if points:
        give_points(api, external_id, points, program)


def give_points(api: ApiClient, external_id: str, points: int, program: str = "club") -> None:
    body = {"points": points, "reason": "test"}
    response = api.post(f"/customers/{external_id}/loyalty/{program}/adjustments", body)
    assert response.status_code == 201, response.data


def balance(api: ApiClient, external_id: str, program: str = "club") -> int:
    data = api.get(f"/customers/{external_id}/loyalty").data["data"]
    return int(next(row for row in data if row["program_id"] == program)["points"]["active"])


def reward_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "five-off",
        "name": {"default": "5 off", "ja": "5ドル引き", "ko": "5달러 할인"},
        "description": "Five dollars off your next order.",
        "program_id": "club",
        "type": "discount_amount",
        "value": {"amount": "5.00", "currency": "USD"},
        "cost_points": 100,
    }
    body.update(overrides)
    return body


def make_reward(api: ApiClient, **overrides: Any) -> dict[str, Any]:
    response = api.post("/rewards", reward_body(**overrides))
    assert response.status_code == 201, response.data
    return dict(response.data)


def claim(api: ApiClient, customer: str, reward: str, **headers: str) -> Any:
    return api.post(f"/customers/{customer}/rewards/{reward}/claim", **headers)


def state() -> tuple[Any, ...]:
    """Every row a claim could write, to show that a refused claim changed nothing."""
    return (
        list(Reward.objects.order_by("pk").values()),
        list(Claim.objects.order_by("pk").values()),
        list(ClaimCount.objects.order_by("pk").values()),
        list(Account.objects.order_by("pk").values()),
        list(LedgerEntry.objects.order_by("pk").values()),
        list(PointLot.objects.order_by("pk").values()),
        list(LotAllocation.objects.order_by("pk").values()),
        list(GiftCard.objects.order_by("pk").values()),
        list(GiftCardEntry.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
        OutboxEvent.objects.count(),
    )
