"""The reward catalog through the API: every type, validation with paths (a refused body
changes nothing), changes audited, another workspace's rewards unseen."""

from typing import Any

import pytest

from conftest import ApiClient
from kizuna.core.models import AuditEntry
from kizuna.rewards.tests.support import make_program, make_reward, reward_body, state

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def program(api: ApiClient) -> None:
    make_program(api)


def test_a_reward_is_created_read_and_listed(api: ApiClient) -> None:
    reward = make_reward(api, tier_costs={"gold": 80}, limits=[{"period": "month", "times": 2}])
    assert reward["id"] == "five-off"
    assert reward["name"] == {"default": "5 off", "ja": "5ドル引き", "ko": "5달러 할인"}
    assert (reward["type"], reward["value"], reward["cost_points"]) == (
        "discount_amount",
        {"amount": "5.00", "currency": "USD"},
        100,
    )
    assert (reward["tier_costs"], reward["tiers"], reward["stock"], reward["status"]) == (
        {"gold": 80},
        None,
        None,
        "active",
    )
    assert reward["limits"] == [{"period": "month", "times": 2}]
    assert (reward["program_id"], reward["claimed"]) == ("club", 0)
    assert api.get("/rewards/five-off").data == reward
    assert [r["id"] for r in api.get("/rewards").data["data"]] == ["five-off"]
    [entry] = AuditEntry.objects.filter(action="reward.created", object_id="five-off")
    assert entry.after is not None and entry.after["cost_points"] == 100


@pytest.mark.parametrize(
    ("type_", "value", "stored"),
    [
        ("discount_amount", {"amount": "5"}, {"amount": "5.00", "currency": "USD"}),
        ("discount_percent", {"percent": 10}, {"percent": "10"}),
        (
            "discount_percent",
            {"percent": "12.5", "max_discount": "20"},
            {"percent": "12.5", "max_discount": "20.00", "currency": "USD"},
        ),
        ("free_shipping", {}, {}),
        ("free_product", {"sku": "TEA-1"}, {"sku": "TEA-1"}),
        ("gift_card", {"amount": "25.00"}, {"amount": "25.00", "currency": "USD"}),
        (
            "store_credit",
            {"amount": "1000", "currency": "JPY"},
            {"amount": "1000", "currency": "JPY"},
        ),
        ("cashback", {"amount": "3.00"}, {"amount": "3.00", "currency": "USD"}),
        (
            "cashback",
            {"percent": 5, "max_discount": "10.00"},
            {"percent": "5", "max_discount": "10.00", "currency": "USD"},
        ),
        ("material", {"sku": "MUG-1"}, {"sku": "MUG-1"}),
        ("material", {}, {}),
        ("pay_with_points", {"points_per_unit": 100}, {"points_per_unit": "100"}),
        ("pay_with_points", {"points_per_unit": "2.5"}, {"points_per_unit": "2.5"}),
    ],
)
def test_every_type_with_its_value(
    api: ApiClient, type_: str, value: dict[str, Any], stored: dict[str, Any]
) -> None:
    reward = make_reward(api, id="r", type=type_, value=value)
    assert (reward["type"], reward["value"]) == (type_, stored)


def test_stock_tiers_window_condition_and_validity(api: ApiClient) -> None:
    reward = make_reward(
        api,
        type="material",
        value={"sku": "MUG-1"},
        stock=5,
        tiers=["gold"],
        available_from="2026-01-01T00:00:00+09:00",
        available_until="2027-01-01T00:00:00Z",
        condition={"field": "customer.locale", "op": "eq", "value": "ja-JP"},
        validity_days=30,
        status="draft",
    )
    assert (reward["stock"], reward["tiers"], reward["validity_days"], reward["status"]) == (
        5,
        ["gold"],
        30,
        "draft",
    )
    assert reward["available_from"] == "2025-12-31T15:00:00Z"
    assert reward["condition"]["field"] == "customer.locale"


def test_a_reward_without_an_id_gets_one_and_a_taken_id_is_409(api: ApiClient) -> None:
    body = reward_body()
    del body["id"]
    assert api.post("/rewards", body).data["id"].startswith("reward-")
    make_reward(api)
    before = state()
    response = api.post("/rewards", reward_body())
    assert (response.status_code, response.data["code"], response.data["field"]) == (
        409,
        "reward_exists",
        "id",
    )
    assert state() == before


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"program_id": "nope"}, "program_not_found", "program_id"),
        ({"type": "discount_amount", "value": {"percent": 5}}, "invalid_value", "value.percent"),
        ({"value": {}}, "required", "value.amount"),
        ({"value": {"amount": "0"}}, "invalid_amount", "value.amount"),
        ({"value": {"amount": "5.001"}}, "too_many_decimal_places", "value.amount"),
        ({"value": {"amount": "5", "currency": "XXX"}}, "invalid_currency", "value.currency"),
        ({"type": "discount_percent", "value": {"percent": 120}}, "invalid_value", "value.percent"),
        ({"type": "discount_percent", "value": {}}, "required", "value.percent"),
        ({"type": "free_product", "value": {}}, "invalid_sku", "value.sku"),
        ({"type": "cashback", "value": {}}, "invalid_value", "value.amount"),
        (
            {"type": "cashback", "value": {"amount": "1", "percent": 5}},
            "invalid_value",
            "value.amount",
        ),
        ({"type": "pay_with_points", "value": {}}, "required", "value.points_per_unit"),
        (
            {"type": "pay_with_points", "value": {"points_per_unit": 0}},
            "invalid_value",
            "value.points_per_unit",
        ),
        ({"cost_points": -1}, "invalid_points", "cost_points"),
        ({"cost_points": True}, "invalid_points", "cost_points"),
        ({"cost_points": None}, "required", "cost_points"),
        ({"tier_costs": {"platinum": 5}}, "unknown_tier", "tier_costs.platinum"),
        ({"tier_costs": {"gold": -5}}, "invalid_points", "tier_costs.gold"),
        ({"tiers": ["gold", "bronze"]}, "unknown_tier", "tiers[1]"),
        ({"stock": -1}, "invalid_stock", "stock"),
        ({"limits": [{"period": "hour", "times": 1}]}, "invalid_limit", "limits[0].period"),
        ({"limits": [{"period": "day", "times": 0}]}, "invalid_limit", "limits[0].times"),
        (
            {"limits": [{"period": "day", "times": 1}, {"period": "day", "times": 2}]},
            "invalid_limit",
            "limits[1].period",
        ),
        (
            {"available_from": "2027-01-01T00:00:00Z", "available_until": "2026-01-01T00:00:00Z"},
            "invalid_window",
            "available_until",
        ),
        (
            {"condition": {"field": "customer.nope", "op": "eq", "value": 1}},
            "invalid_condition",
            "condition.field",
        ),
        (
            {"condition": {"field": "order.total", "op": "gt", "value": "5.00"}},
            "invalid_condition",
            "condition.field",
        ),
        ({"validity_days": 0}, "invalid_validity", "validity_days"),
        ({"name": {"ja": "x"}}, "invalid_text", "name"),
        ({"id": "Bad Id"}, "invalid_id", "id"),
        ({"status": "paused"}, "invalid_choice", "status"),
    ],
)
def test_a_bad_reward_is_refused_with_its_path(
    api: ApiClient, overrides: dict[str, Any], code: str, field: str
) -> None:
    before = state()
    response = api.post("/rewards", reward_body(**overrides))
    assert (response.status_code, response.data["code"], response.data["field"]) == (
        404 if code == "program_not_found" else 422,
        code,
        field,
    )
    assert state() == before


def test_a_change_is_audited_and_program_and_type_cannot_change(api: ApiClient) -> None:
    make_reward(api)
    response = api.patch(
        "/rewards/five-off", {"cost_points": 150, "stock": 3, "status": "inactive"}
    )
    assert response.status_code == 200, response.data
    assert (response.data["cost_points"], response.data["stock"], response.data["status"]) == (
        150,
        3,
        "inactive",
    )
    [entry] = AuditEntry.objects.filter(action="reward.updated", object_id="five-off")
    assert entry.before is not None and entry.after is not None
    assert (entry.before["cost_points"], entry.after["cost_points"]) == (100, 150)
    # The same change again changes nothing and writes no audit row.
    assert api.patch("/rewards/five-off", {"cost_points": 150}).status_code == 200
    assert AuditEntry.objects.filter(action="reward.updated").count() == 1
    assert api.patch("/rewards/five-off", {"stock": None}).data["stock"] is None
    before = state()
    for body, code, field in (
        ({"type": "gift_card"}, "immutable", "type"),
        ({"program_id": "other"}, "immutable", "program_id"),
        ({"cost_points": None}, "null_value", "cost_points"),
        ({"value": {"amount": "-1"}}, "negative_amount", "value.amount"),
        (
            {"available_until": "2000-01-01T00:00:00Z", "available_from": "2001-01-01T00:00:00Z"},
            "invalid_window",
            "available_until",
        ),
    ):
        response = api.patch("/rewards/five-off", body)
        assert (response.status_code, response.data["code"], response.data["field"]) == (
            422,
            code,
            field,
        ), body
    assert state() == before


def test_lists_filter_and_page(api: ApiClient) -> None:
    for n in range(3):
        make_reward(api, id=f"r{n}", status="draft" if n == 1 else "active")
    page = api.get("/rewards?limit=2").data
    assert [r["id"] for r in page["data"]] == ["r2", "r1"]
    rest = api.get(f"/rewards?limit=2&cursor={page['next_cursor']}").data
    assert ([r["id"] for r in rest["data"]], rest["next_cursor"]) == (["r0"], None)
    assert [r["id"] for r in api.get("/rewards?status=draft").data["data"]] == ["r1"]
    assert api.get("/rewards?program_id=other").data["data"] == []


def test_another_workspace_sees_no_reward(api: ApiClient, other_api: ApiClient) -> None:
    make_reward(api)
    for response in (
        other_api.get("/rewards/five-off"),
        other_api.patch("/rewards/five-off", {"cost_points": 1}),
    ):
        assert (response.status_code, response.data["code"]) == (404, "reward_not_found")
    assert other_api.get("/rewards").data["data"] == []
