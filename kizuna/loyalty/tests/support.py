"""Helpers of the loyalty tests: a program with rules through the API, and the ledger's
figures read back."""

from typing import Any

from conftest import ApiClient, sample_order

PROGRAM = {
    "id": "tea-club",
    "name": "Tea Club",
    "points_name": {"default": "leaves", "ja": "リーフ", "ko": "잎"},
    "currency": "USD",
    "timezone": "Asia/Tokyo",
    "status": "active",
    "enrolment": "automatic",
    "expiry": {"policy": "none"},
    "returns": {"clawback": True, "allow_negative": False},
}
ONE_PER_DOLLAR = {
    "id": "per-dollar",
    "name": "A point per dollar",
    "trigger": {"type": "order_paid"},
    "effect": {"type": "proportional", "points": 1, "per": "1.00", "base": "total"},
}


def make_program(
    api: ApiClient, rules: list[dict[str, Any]] | None = None, **overrides: Any
) -> dict[str, Any]:
    response = api.post("/programs", {**PROGRAM, **overrides})
    assert response.status_code == 201, response.data
    for rule in rules if rules is not None else [ONE_PER_DOLLAR]:
        created = api.post(f"/programs/{response.data['id']}/earning-rules", rule)
        assert created.status_code == 201, created.data
    return dict(response.data)


def order(
    external_id: str = "ord-1", customer_id: str = "cust-1", total: str = "31.00", **overrides: Any
) -> dict[str, Any]:
    """A paid order of two items (30.00 listed, 5.00 off, 4.00 shipping, 2.00 tax), or one
    whose only total is `total` (no items)."""
    if total == "31.00":
        return sample_order(external_id=external_id, customer_id=customer_id, **overrides)
    return {
        "external_id": external_id,
        "customer_id": customer_id,
        "currency": "USD",
        "total": total,
        **overrides,
    }


def loyalty(
    api: ApiClient, customer_id: str = "cust-1", program: str = "tea-club"
) -> dict[str, Any]:
    data = api.get(f"/customers/{customer_id}/loyalty").data["data"]
    found = [p for p in data if p["program_id"] == program]
    assert found, data
    return dict(found[0])


def points(
    api: ApiClient, customer_id: str = "cust-1", program: str = "tea-club"
) -> dict[str, Any]:
    return dict(loyalty(api, customer_id, program)["points"])


def transactions(
    api: ApiClient, customer_id: str = "cust-1", program: str = "tea-club"
) -> list[dict[str, Any]]:
    response = api.get(f"/customers/{customer_id}/loyalty/{program}/transactions?limit=500")
    assert response.status_code == 200, response.data
    return list(reversed(response.data["data"]))  # oldest first
