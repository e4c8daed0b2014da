"""Bad input to the loyalty API is 422 with a machine-readable code and the field at fault
(docs/api-conventions.md), and changes nothing: programs in unknown time zones or currencies,
malformed policies, rules with invalid conditions or effects, negative or fractional points,
adjustments without a reason, unknown enum values."""

from typing import Any

import pytest

from conftest import ApiClient
from kizuna.core.models import AuditEntry
from kizuna.loyalty.models import (
    Account,
    EarningRule,
    LedgerEntry,
    PointLot,
    Program,
    Tier,
)
from kizuna.loyalty.tests.support import PROGRAM, make_program, order

pytestmark = pytest.mark.django_db

MODELS = (Program, EarningRule, Tier, Account, LedgerEntry, PointLot, AuditEntry)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def refused(response: Any, code: str, field: str | None) -> None:
    assert response.status_code == 422, response.data
    assert (response.data["code"], response.data["field"]) == (code, field), response.data
    assert response.data["message"]


# ------------------------------------------------------------------ programs

PROGRAM_CASES: list[tuple[dict[str, Any], str, str]] = [
    ({"timezone": "Mars/Olympus_Mons"}, "invalid_timezone", "timezone"),
    ({"timezone": "asia/tokyo"}, "invalid_timezone", "timezone"),
    ({"timezone": ""}, "invalid_timezone", "timezone"),
    ({"currency": "XYZ"}, "invalid_currency", "currency"),
    ({"currency": "usd"}, "invalid_currency", "currency"),
    ({"currency": 840}, "invalid_type", "currency"),
    ({"status": "archived"}, "invalid_choice", "status"),
    ({"enrolment": "invitation"}, "invalid_choice", "enrolment"),
    ({"id": "Tea Club"}, "invalid_id", "id"),
    ({"id": ""}, "invalid_id", "id"),
    ({"name": "   "}, "invalid_name", "name"),
    ({"name": "x" * 201}, "too_long", "name"),
    ({"points_name": {"ja": "リーフ"}}, "invalid_text", "points_name"),
    ({"points_name": {}}, "invalid_text", "points_name"),
    ({"points_name": {"default": "leaves", "ko": " "}}, "invalid_text", "points_name.ko"),
    ({"pending": {"days": 0}}, "invalid_policy", "pending.days"),
    ({"pending": {"days": 1.5}}, "invalid_policy", "pending.days"),
    ({"pending": {"days": 3651}}, "invalid_policy", "pending.days"),
    ({"pending": {"days": 3, "until_event": "x"}}, "invalid_policy", "pending"),
    ({"pending": {"until_event": "order delivered"}}, "invalid_policy", "pending.until_event"),
    ({"expiry": {}}, "invalid_policy", "expiry.policy"),
    ({"expiry": {"policy": "sometimes"}}, "invalid_policy", "expiry.policy"),
    ({"expiry": {"policy": "rolling"}}, "invalid_policy", "expiry"),
    ({"expiry": {"policy": "rolling", "days": 3, "months": 1}}, "invalid_policy", "expiry"),
    ({"expiry": {"policy": "rolling", "months": 121}}, "invalid_policy", "expiry.months"),
    ({"expiry": {"policy": "rolling", "days": -30}}, "invalid_policy", "expiry.days"),
    (
        {"expiry": {"policy": "rolling", "days": 30, "reset_on_activity": "yes"}},
        "invalid_policy",
        "expiry.reset_on_activity",
    ),
    ({"expiry": {"policy": "fixed", "period": "week"}}, "invalid_policy", "expiry.period"),
    (
        {"expiry": {"policy": "fixed", "period": "year", "periods_after": -1}},
        "invalid_policy",
        "expiry.periods_after",
    ),
    ({"expiry": {"policy": "none", "days": 3}}, "invalid_policy", "expiry.policy"),
    ({"returns": {"clawback": "yes"}}, "invalid_policy", "returns.clawback"),
    ({"returns": {"clawback": True, "refund": True}}, "invalid_policy", "returns"),
    ({"colour": "green"}, "unknown_field", "colour"),
]


@pytest.mark.parametrize(("change", "code", "field"), PROGRAM_CASES)
def test_a_bad_program_is_refused_and_nothing_is_stored(
    api: ApiClient, change: dict[str, Any], code: str, field: str
) -> None:
    before = counts()
    refused(api.post("/programs", {**PROGRAM, **change}), code, field)
    assert counts() == before
    assert api.get("/programs").data["data"] == []


@pytest.mark.parametrize(("change", "code", "field"), PROGRAM_CASES[1:])
def test_a_bad_program_change_is_refused_and_changes_nothing(
    api: ApiClient, change: dict[str, Any], code: str, field: str
) -> None:
    if "id" in change:
        code, field = "unknown_field", "id"  # an id is not changed
    make_program(api)
    stored = api.get("/programs/tea-club").data
    before = counts()
    refused(api.patch("/programs/tea-club", change), code, field)
    assert counts() == before
    assert api.get("/programs/tea-club").data == stored


def test_null_is_refused_where_a_program_needs_a_value(api: ApiClient) -> None:
    make_program(api)
    stored = api.get("/programs/tea-club").data
    before = counts()
    for name in ("name", "points_name", "timezone", "enrolment", "returns"):
        refused(api.patch("/programs/tea-club", {name: None}), "null_value", name)
    assert counts() == before
    assert api.get("/programs/tea-club").data == stored


def test_a_missing_name_or_currency_is_required(api: ApiClient) -> None:
    refused(api.post("/programs", {"currency": "USD"}), "required", "name")
    refused(api.post("/programs", {"name": "Tea"}), "required", "currency")
    assert not Program.objects.exists()


# ------------------------------------------------------------------ earning rules

RULE = {
    "id": "flat",
    "name": "Flat",
    "trigger": {"type": "order_paid"},
    "effect": {"type": "fixed", "points": 5},
}
PROPORTIONAL = {"type": "proportional", "points": 1, "per": "1.00", "base": "total"}

RULE_CASES: list[tuple[dict[str, Any], str, str]] = [
    # conditions: unknown field, wrong operator, wrong value type, wrong place, wrong shape
    (
        {"condition": {"field": "order.colour", "op": "eq", "value": "red"}},
        "invalid_condition",
        "condition.field",
    ),
    (
        {"condition": {"field": "order.channel", "op": "gt", "value": "online"}},
        "invalid_condition",
        "condition.op",
    ),
    (
        {"condition": {"field": "order.total", "op": "matches", "value": "1.*"}},
        "invalid_condition",
        "condition.op",
    ),
    (
        {"condition": {"field": "order.channel", "op": "eq", "value": 5}},
        "invalid_condition",
        "condition.value",
    ),
    (
        {
            "condition": {
                "all": [
                    {"field": "order.total", "op": "gte", "value": "10.00"},
                    {"field": "customer.orders.count", "op": "gt", "value": "many"},
                ]
            }
        },
        "invalid_condition",
        "condition.all[1].value",
    ),
    (
        {"condition": {"field": "order.channel", "op": "in", "value": "online"}},
        "invalid_condition",
        "condition.value",
    ),
    (
        {"condition": {"field": "item.sku", "op": "eq", "value": "TEA-1"}},
        "invalid_condition",
        "condition.field",
    ),
    (
        {"condition": {"field": "customer.loyalty.no-such-program.points", "op": "gt", "value": 1}},
        "invalid_condition",
        "condition.field",
    ),
    (
        {
            "trigger": {"type": "event", "event": "review_posted"},
            "condition": {"field": "order.total", "op": "gt", "value": "1.00"},
        },
        "invalid_condition",
        "condition.field",
    ),
    ({"condition": "order.total > 10"}, "invalid_type", "condition"),
    # item conditions
    (
        {
            "effect": {
                **PROPORTIONAL,
                "base": "items_value",
                "item_condition": {"field": "item.colour", "op": "eq", "value": "red"},
            }
        },
        "invalid_condition",
        "effect.item_condition.field",
    ),
    (
        {
            "effect": {
                **PROPORTIONAL,
                "base": "items_quantity",
                "item_condition": {"field": "item.quantity", "op": "gte", "value": "two"},
            }
        },
        "invalid_condition",
        "effect.item_condition.value",
    ),
    (
        {
            "effect": {
                **PROPORTIONAL,
                "item_condition": {"field": "item.sku", "op": "eq", "value": "TEA-1"},
            }
        },
        "invalid_rule",
        "effect.base",
    ),
    # effects
    ({"effect": {"type": "cashback", "points": 5}}, "invalid_rule", "effect.type"),
    ({"effect": {"points": 5}}, "invalid_rule", "effect.type"),
    ({"effect": {"type": "fixed", "points": -5}}, "invalid_rule", "effect.points"),
    ({"effect": {"type": "fixed", "points": 0}}, "invalid_rule", "effect.points"),
    ({"effect": {"type": "fixed", "points": 2.5}}, "invalid_rule", "effect.points"),
    ({"effect": {"type": "fixed", "points": 2.0}}, "invalid_rule", "effect.points"),
    ({"effect": {"type": "fixed", "points": "5"}}, "invalid_rule", "effect.points"),
    ({"effect": {"type": "fixed", "points": True}}, "invalid_rule", "effect.points"),
    ({"effect": {"type": "fixed", "points": 10_000_001}}, "invalid_rule", "effect.points"),
    ({"effect": {"type": "fixed"}}, "invalid_rule", "effect.points"),
    ({"effect": {"type": "fixed", "points": 5, "per": "1"}}, "invalid_rule", "effect"),
    ({"effect": {**PROPORTIONAL, "points": 0.5}}, "invalid_rule", "effect.points"),
    ({"effect": {**PROPORTIONAL, "points": -1}}, "invalid_rule", "effect.points"),
    ({"effect": {**PROPORTIONAL, "per": "0"}}, "invalid_rule", "effect.per"),
    ({"effect": {**PROPORTIONAL, "per": "-1.00"}}, "invalid_rule", "effect.per"),
    ({"effect": {**PROPORTIONAL, "per": 1}}, "invalid_rule", "effect.per"),
    ({"effect": {**PROPORTIONAL, "per": "NaN"}}, "invalid_rule", "effect.per"),
    ({"effect": {**PROPORTIONAL, "base": "tax_total"}}, "invalid_rule", "effect.base"),
    ({"effect": {**PROPORTIONAL, "rounding": "bankers"}}, "invalid_rule", "effect.rounding"),
    ({"effect": {**PROPORTIONAL, "max_points": 0}}, "invalid_rule", "effect.max_points"),
    ({"effect": {**PROPORTIONAL, "max_points": 1.5}}, "invalid_rule", "effect.max_points"),
    ({"effect": {**PROPORTIONAL, "cap": 10}}, "invalid_rule", "effect.cap"),
    ({"effect": {"type": "multiplier", "factor": "-2"}}, "invalid_rule", "effect.factor"),
    ({"effect": {"type": "multiplier", "factor": 2}}, "invalid_rule", "effect.factor"),
    ({"effect": {"type": "multiplier", "factor": "2", "points": 1}}, "invalid_rule", "effect"),
    (
        {"trigger": {"type": "event", "event": "review_posted"}, "effect": PROPORTIONAL},
        "invalid_rule",
        "effect.type",
    ),
    # triggers
    ({"trigger": {"type": "order_shipped"}}, "invalid_rule", "trigger.type"),
    ({"trigger": {"type": "event"}}, "invalid_rule", "trigger.event"),
    ({"trigger": {"type": "event", "event": "review posted"}}, "invalid_rule", "trigger.event"),
    ({"trigger": {"type": "tier_reached", "tier_id": "gold"}}, "invalid_rule", "trigger.tier_id"),
    ({"trigger": {"type": "order_paid", "event": "x", "when": 1}}, "invalid_rule", "trigger.when"),
    # the rest of the rule
    ({"status": "paused"}, "invalid_choice", "status"),
    ({"priority": -1}, "invalid_rule", "priority"),
    ({"priority": 10_001}, "invalid_rule", "priority"),
    ({"priority": 1.5}, "invalid_type", "priority"),
    ({"priority": "5"}, "invalid_type", "priority"),
    ({"stop_after": "yes"}, "invalid_type", "stop_after"),
    ({"limits": [{"period": "fortnight", "times": 1}]}, "invalid_rule", "limits[0].period"),
    ({"limits": [{"period": "day", "points": -1}]}, "invalid_rule", "limits[0].points"),
    ({"limits": [{"period": "day", "times": 1.5}]}, "invalid_rule", "limits[0].times"),
    ({"limits": [{"period": "day"}]}, "invalid_rule", "limits[0]"),
    ({"limits": [{"period": "day", "times": 1}] * 11}, "invalid_rule", "limits"),
    ({"budget_points": 0}, "invalid_rule", "budget_points"),
    ({"budget_points": -100}, "invalid_rule", "budget_points"),
    ({"budget_points": 10.5}, "invalid_type", "budget_points"),
    (
        {"active_from": "2026-05-01T00:00:00Z", "active_until": "2026-04-01T00:00:00Z"},
        "invalid_rule",
        "active_until",
    ),
    ({"active_from": "2026-05-01T00:00:00"}, "datetime_without_offset", "active_from"),
    ({"schedule": {"days": ["mon", "funday"]}}, "invalid_rule", "schedule.days"),
    ({"schedule": {"days": []}}, "invalid_rule", "schedule.days"),
    ({"schedule": {"from": "25:00"}}, "invalid_rule", "schedule.from"),
    ({"schedule": {"from": "22:00", "until": "02:00"}}, "invalid_rule", "schedule.until"),
    ({"schedule": {"hours": "9-5"}}, "invalid_rule", "schedule"),
    ({"tier_multipliers": {"gold": "1.5"}}, "invalid_rule", "tier_multipliers.gold"),
    ({"tier_multipliers": {"gold": 1.5}}, "invalid_type", "tier_multipliers.gold"),
    ({"id": "Flat Rule"}, "invalid_id", "id"),
    ({"name": ""}, "too_short", "name"),
    ({"colour": "red"}, "unknown_field", "colour"),
]


@pytest.mark.parametrize(("change", "code", "field"), RULE_CASES)
def test_a_bad_rule_is_refused_and_nothing_is_stored(
    api: ApiClient, change: dict[str, Any], code: str, field: str
) -> None:
    make_program(api, [])
    before = counts()
    refused(api.post("/programs/tea-club/earning-rules", {**RULE, **change}), code, field)
    assert counts() == before
    assert api.get("/programs/tea-club/earning-rules").data["data"] == []
    # And no order earns by it.
    assert api.post("/orders", order()).data["loyalty"][0]["points_earned"] == 0


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [case for case in RULE_CASES if "id" not in case[0] and case[1] != "too_short"],
)
def test_a_bad_rule_change_is_refused_and_changes_nothing(
    api: ApiClient, change: dict[str, Any], code: str, field: str
) -> None:
    make_program(api, [RULE])
    stored = api.get("/programs/tea-club/earning-rules/flat").data
    before = counts()
    refused(api.patch("/programs/tea-club/earning-rules/flat", change), code, field)
    assert counts() == before
    assert api.get("/programs/tea-club/earning-rules/flat").data == stored
    assert api.post("/orders", order()).data["loyalty"][0]["points_earned"] == 5


def test_null_in_a_rule_change_is_refused_where_a_value_is_needed(api: ApiClient) -> None:
    make_program(api, [RULE])
    stored = api.get("/programs/tea-club/earning-rules/flat").data
    for name, code, field in [
        ("trigger", "invalid_rule", "trigger.type"),
        ("effect", "invalid_rule", "effect.type"),
        ("name", "invalid_name", "name"),
        ("status", "invalid_status", "status"),
        ("priority", "invalid_rule", "priority"),
        ("stop_after", "invalid_rule", "stop_after"),
    ]:
        refused(api.patch("/programs/tea-club/earning-rules/flat", {name: None}), code, field)
    assert api.get("/programs/tea-club/earning-rules/flat").data == stored


# ------------------------------------------------------------------ adjustments

ADJUST = "/customers/cust-1/loyalty/tea-club/adjustments"


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"points": 50}, "reason_required", "reason"),
        ({"points": 50, "reason": ""}, "reason_required", "reason"),
        ({"points": 50, "reason": "   "}, "reason_required", "reason"),
        ({"points": 50, "reason": None}, "reason_required", "reason"),
        ({"points": 50, "reason": "x" * 501}, "reason_required", "reason"),
        ({"points": 50, "reason": 5}, "reason_required", "reason"),
        ({"points": 0, "reason": "goodwill"}, "invalid_points", "points"),
        ({"points": 1.5, "reason": "goodwill"}, "invalid_points", "points"),
        ({"points": -1.5, "reason": "goodwill"}, "invalid_points", "points"),
        ({"points": 2.0, "reason": "goodwill"}, "invalid_points", "points"),
        ({"points": "50", "reason": "goodwill"}, "invalid_points", "points"),
        ({"points": True, "reason": "goodwill"}, "invalid_points", "points"),
        ({"points": None, "reason": "goodwill"}, "invalid_points", "points"),
        ({"points": 10_000_001, "reason": "goodwill"}, "invalid_points", "points"),
        ({"points": -10_000_001, "reason": "goodwill"}, "invalid_points", "points"),
        ({"reason": "goodwill"}, "required", "points"),
        ({"points": -32, "reason": "goodwill"}, "insufficient_points", "points"),
        (
            {"points": 5, "reason": "goodwill", "expires_at": "2020-01-01T00:00:00Z"},
            "invalid_expiry",
            "expires_at",
        ),
        (
            {"points": -5, "reason": "goodwill", "expires_at": "2099-01-01T00:00:00Z"},
            "invalid_expiry",
            "expires_at",
        ),
        (
            {"points": 5, "reason": "goodwill", "expires_at": "2099-01-01T00:00:00"},
            "datetime_without_offset",
            "expires_at",
        ),
        ({"points": 5, "reason": "goodwill", "ticket": 5521}, "unknown_field", "ticket"),
    ],
)
def test_a_bad_adjustment_is_refused_and_changes_nothing(
    api: ApiClient, body: dict[str, Any], code: str, field: str
) -> None:
    make_program(api)
    api.post("/orders", order())  # 31 points
    balances = api.get("/customers/cust-1/loyalty").data
    before = counts()
    refused(api.post(ADJUST, body), code, field)
    assert counts() == before
    assert api.get("/customers/cust-1/loyalty").data == balances


def test_a_good_adjustment_after_bad_ones_counts_once(api: ApiClient) -> None:
    make_program(api)
    api.post("/orders", order())
    api.post(ADJUST, {"points": 1.5, "reason": "goodwill"})
    api.post(ADJUST, {"points": 20})
    added = api.post(
        ADJUST, {"points": 20, "reason": "goodwill", "expires_at": "2099-01-01T09:00:00+09:00"}
    )
    assert added.status_code == 201, added.data
    assert (added.data["points"], added.data["balance_after"]) == (20, 51)
    assert added.data["expires_at"] == "2099-01-01T00:00:00Z"  # returned in UTC
    assert AuditEntry.objects.filter(action="points.adjusted").count() == 1


# ------------------------------------------------------------------ unknown objects


def test_unknown_programs_and_rules_are_404_and_change_nothing(api: ApiClient) -> None:
    make_program(api, [RULE])
    before = counts()
    for response, code, field in [
        (api.get("/programs/nope"), "program_not_found", "program_id"),
        (api.patch("/programs/nope", {"name": "X"}), "program_not_found", "program_id"),
        (api.post("/programs/nope/earning-rules", RULE), "program_not_found", "program_id"),
        (
            api.patch("/programs/tea-club/earning-rules/nope", {"name": "X"}),
            "earning_rule_not_found",
            "rule_id",
        ),
        (api.delete("/programs/tea-club/earning-rules/nope"), "earning_rule_not_found", "rule_id"),
        (
            api.post(
                "/customers/nobody/loyalty/tea-club/adjustments", {"points": 5, "reason": "r"}
            ),
            "customer_not_found",
            None,
        ),
        (
            api.post("/customers/cust-1/loyalty/nope/adjustments", {"points": 5, "reason": "r"}),
            "program_not_found",
            "program_id",
        ),
    ]:
        assert response.status_code == 404, response.data
        assert response.data["code"] == code, response.data
        if field is not None:
            assert response.data["field"] == field, response.data
    assert counts() == before


def test_a_budget_below_what_the_rule_has_given_is_refused(api: ApiClient) -> None:
    make_program(api, [{**RULE, "budget_points": 100}])
    api.post("/orders", order("ord-1"))
    api.post("/orders", order("ord-2"))  # 10 given
    stored = api.get("/programs/tea-club/earning-rules/flat").data
    before = counts()
    patch = "/programs/tea-club/earning-rules/flat"
    refused(api.patch(patch, {"budget_points": 9}), "invalid_rule", "budget_points")
    assert counts() == before
    assert api.get(patch).data == stored
    # Down to what it has given: it gives nothing more.
    assert api.patch(patch, {"budget_points": 10}).data["budget_points"] == 10
    assert api.post("/orders", order("ord-3")).data["loyalty"][0]["points_earned"] == 0
