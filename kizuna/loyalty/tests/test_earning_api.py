"""Orders and events earn points synchronously, in their own transaction and response, by
the program's rules: fixed and proportional effects, conditions, priorities, multipliers,
limits, budgets, windows, tiers; never twice for one fact."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command

from conftest import ApiClient
from kizuna.core.clock import now
from kizuna.loyalty.models import LedgerEntry
from kizuna.loyalty.tests.support import ONE_PER_DOLLAR, make_program, order, points, transactions

pytestmark = pytest.mark.django_db


def test_a_paid_order_earns_in_its_own_response(api: ApiClient) -> None:
    make_program(api)
    response = api.post("/orders", order())
    assert response.status_code == 201
    assert response.data["loyalty"] == [
        {
            "program_id": "tea-club",
            "points_earned": 31,
            "points_pending": 0,
            "balance": 31,
            "tier": None,
            "points_clawed_back": 0,
            "points_spent": 0,
            "points_returned": 0,
        }
    ]
    assert points(api)["active"] == 31
    entry = transactions(api)[0]
    assert (entry["type"], entry["points"], entry["balance_after"]) == ("earn", 31, 31)
    assert entry["source"] == {"type": "order", "id": "ord-1"}
    assert entry["rule_id"] == "per-dollar"
    # GET shows the same effects.
    assert api.get("/orders/ord-1").data["loyalty"][0]["points_earned"] == 31


def test_the_same_order_sent_again_earns_once(api: ApiClient) -> None:
    make_program(api)
    assert api.post("/orders", order()).status_code == 201
    again = api.post("/orders", order())
    assert again.status_code == 200
    assert again.data["loyalty"][0]["points_earned"] == 31
    assert points(api)["active"] == 31
    assert LedgerEntry.objects.count() == 1


def test_a_pending_order_earns_when_paid_and_nothing_before(api: ApiClient) -> None:
    make_program(api)
    created = api.post("/orders", order(status="pending"))
    assert created.data["loyalty"] == []
    paid = api.post("/orders/ord-1/status", {"status": "paid"})
    assert paid.data["loyalty"][0]["points_earned"] == 31
    assert points(api)["active"] == 31


def test_value_paid_with_points_gift_cards_or_store_credit_earns_nothing(api: ApiClient) -> None:
    make_program(api)
    assert api.post("/orders", order("ord-0", total="100.00")).status_code == 201
    payments: list[dict[str, Any]] = [
        {"method": "card", "amount": "11.00"},
        {"method": "points", "amount": "10.00", "points": 40},
        {"method": "gift_card", "amount": "5.00"},
        {"method": "store_credit", "amount": "5.00"},
    ]
    response = api.post("/orders", order(payments=payments))
    assert response.status_code == 201, response.data
    assert response.data["loyalty"][0]["points_earned"] == 11
    assert response.data["loyalty"][0]["balance"] == 100 - 40 + 11
    assert response.data["payments"] == [
        {"points": None, "program_id": None, **p} for p in payments
    ]


def test_payments_beyond_the_total_are_refused(api: ApiClient) -> None:
    response = api.post("/orders", order(payments=[{"method": "card", "amount": "40.00"}]))
    assert response.status_code == 422
    assert (response.data["code"], response.data["field"]) == ("totals_mismatch", "payments")


@pytest.mark.parametrize(
    ("rounding", "per", "expected"),
    [("down", "3.00", 10), ("up", "3.00", 11), ("nearest", "3.00", 10), ("nearest", "2.00", 16)],
)
def test_proportional_points_round_as_the_rule_says(
    api: ApiClient, rounding: str, per: str, expected: int
) -> None:
    rule = {
        **ONE_PER_DOLLAR,
        "effect": {
            "type": "proportional",
            "points": 1,
            "per": per,
            "base": "total",
            "rounding": rounding,
        },
    }
    make_program(api, [rule])
    assert api.post("/orders", order()).data["loyalty"][0]["points_earned"] == expected  # 31 / per


def test_the_per_order_cap_and_the_subtotal_base(api: ApiClient) -> None:
    rule = {
        **ONE_PER_DOLLAR,
        "effect": {
            "type": "proportional",
            "points": 10,
            "per": "1.00",
            "base": "subtotal",
            "max_points": 250,
        },
    }
    make_program(api, [rule])
    assert api.post("/orders", order()).data["loyalty"][0]["points_earned"] == 250  # 300 capped


def test_matching_items_earn_by_value_or_quantity(api: ApiClient) -> None:
    tea_only = {"field": "item.sku", "op": "starts_with", "value": "TEA"}
    rules = [
        {
            "id": "tea-value",
            "name": "Tea value",
            "trigger": {"type": "order_paid"},
            "effect": {
                "type": "proportional",
                "points": 2,
                "per": "1.00",
                "base": "items_value",
                "item_condition": tea_only,
            },
        },
        {
            "id": "cups",
            "name": "Cups",
            "trigger": {"type": "order_paid"},
            "effect": {
                "type": "proportional",
                "points": 5,
                "per": "1",
                "base": "items_quantity",
                "item_condition": {"field": "item.sku", "op": "eq", "value": "CUP-1"},
            },
        },
    ]
    make_program(api, rules)
    api.post("/orders", order())  # TEA-1 x2 at 10.00, CUP-1 x1
    by_rule = {e["rule_id"]: e["points"] for e in transactions(api)}
    assert by_rule == {"tea-value": 40, "cups": 5}


def test_conditions_priorities_stop_after_and_multipliers(api: ApiClient) -> None:
    big = {"field": "order.total", "op": "gte", "value": "30.00"}
    rules = [
        {
            "id": "big-order",
            "name": "Big order",
            "trigger": {"type": "order_paid"},
            "condition": big,
            "effect": {"type": "fixed", "points": 100},
            "priority": 10,
            "stop_after": True,
        },
        {
            "id": "never",
            "name": "Never reached",
            "trigger": {"type": "order_paid"},
            "effect": {"type": "fixed", "points": 7},
            "priority": 20,
        },
        {
            "id": "double",
            "name": "Double",
            "trigger": {"type": "order_paid"},
            "effect": {"type": "multiplier", "factor": "2"},
            "priority": 5,
        },
    ]
    make_program(api, rules)
    api.post("/orders", order())
    assert {e["rule_id"]: e["points"] for e in transactions(api)} == {
        "big-order": 100,
        "double": 100,
    }
    api.post("/orders", order("ord-2", total="10.00"))  # not big: the second rule runs
    assert {e["rule_id"]: e["points"] for e in transactions(api)[2:]} == {"never": 7, "double": 7}


def test_limits_per_day_in_points_and_times(api: ApiClient) -> None:
    rule = {
        "id": "daily",
        "name": "Daily",
        "trigger": {"type": "order_paid"},
        "effect": {"type": "fixed", "points": 40},
        "limits": [{"period": "day", "points": 100}, {"period": "all_time", "times": 4}],
    }
    make_program(api, [rule])
    earned = [api.post("/orders", order(f"ord-{i}")).data["loyalty"] for i in range(5)]
    # 40, 40, then 20 (the day's 100), then nothing more today.
    assert [e[0]["points_earned"] if e else 0 for e in earned] == [40, 40, 20, 0, 0]


def test_a_budget_is_never_overspent(api: ApiClient) -> None:
    rule = {
        "id": "launch",
        "name": "Launch",
        "trigger": {"type": "order_paid"},
        "effect": {"type": "fixed", "points": 60},
        "budget_points": 100,
    }
    make_program(api, [rule])
    got = [api.post("/orders", order(f"ord-{i}", f"c-{i}")).data["loyalty"] for i in range(3)]
    assert [g[0]["points_earned"] for g in got] == [60, 40, 0]
    assert api.get("/programs/tea-club/earning-rules/launch").data["points_awarded"] == 100


def test_an_active_window_and_a_schedule_in_the_program_time_zone(api: ApiClient) -> None:
    rules = [
        {
            "id": "past",
            "name": "Past",
            "trigger": {"type": "order_paid"},
            "effect": {"type": "fixed", "points": 1},
            "active_until": "2026-04-01T00:00:00+09:00",
        },
        {
            "id": "weekdays",
            "name": "Weekdays",
            "trigger": {"type": "order_paid"},
            "effect": {"type": "fixed", "points": 2},
            "schedule": {
                "days": ["mon", "tue", "wed", "thu", "fri"],
                "from": "09:00",
                "until": "17:00",
            },
        },
    ]
    make_program(api, rules)
    # 2026-05-04 is a Monday: 10:00 in Tokyo is 01:00 UTC; 18:00 in Tokyo is 09:00 UTC.
    api.post("/orders", order("in-hours", occurred_at="2026-05-04T10:00:00+09:00"))
    api.post("/orders", order("after-hours", occurred_at="2026-05-04T18:00:00+09:00"))
    api.post("/orders", order("sunday", occurred_at="2026-05-03T10:00:00+09:00"))
    assert [(e["source"]["id"], e["rule_id"]) for e in transactions(api)] == [
        ("in-hours", "weekdays")
    ]


def test_an_event_earns_by_its_rules(api: ApiClient) -> None:
    rule = {
        "id": "review",
        "name": "Review",
        "trigger": {"type": "event", "event": "review_posted"},
        "effect": {"type": "fixed", "points": 25},
    }
    make_program(api, [rule])
    response = api.post("/events", {"id": "ev-1", "name": "review_posted", "customer_id": "cust-1"})
    assert response.status_code == 201
    assert response.data["loyalty"][0]["points_earned"] == 25
    other = api.post("/events", {"id": "ev-2", "name": "visit", "customer_id": "cust-1"})
    assert other.data["loyalty"] == [
        {
            "program_id": "tea-club",
            "points_earned": 0,
            "points_pending": 0,
            "balance": 25,
            "tier": None,
            "points_clawed_back": 0,
            "points_spent": 0,
            "points_returned": 0,
        }
    ]


def test_explicit_enrolment_earns_only_for_members(api: ApiClient) -> None:
    make_program(api, enrolment="explicit")
    assert api.post("/orders", order("ord-1")).data["loyalty"] == []
    joined = api.post("/programs/tea-club/members", {"customer_id": "cust-1"})
    assert joined.status_code == 201
    assert api.post("/programs/tea-club/members", {"customer_id": "cust-1"}).status_code == 200
    assert api.post("/orders", order("ord-2")).data["loyalty"][0]["points_earned"] == 31


def test_an_enrolment_rule_welcomes_new_members(api: ApiClient) -> None:
    rules = [
        ONE_PER_DOLLAR,
        {
            "id": "welcome",
            "name": "Welcome",
            "trigger": {"type": "enrolment"},
            "effect": {"type": "fixed", "points": 100},
        },
    ]
    make_program(api, rules)
    api.post("/orders", order())
    assert points(api)["active"] == 131
    api.post("/orders", order("ord-2"))
    assert points(api)["active"] == 162  # welcomed once


def test_draft_and_paused_programs_earn_nothing(api: ApiClient) -> None:
    make_program(api, status="draft")
    assert api.post("/orders", order()).data["loyalty"] == []
    api.patch("/programs/tea-club", {"status": "active"})
    assert api.post("/orders", order("ord-2")).data["loyalty"][0]["points_earned"] == 31


def test_an_order_in_another_currency_earns_no_proportional_points(api: ApiClient) -> None:
    make_program(api)
    jpy = {"external_id": "ord-jp", "customer_id": "cust-1", "currency": "JPY", "total": "3100"}
    response = api.post("/orders", jpy)
    assert response.data["loyalty"][0]["points_earned"] == 0


def test_pending_points_activate_after_the_return_window(api: ApiClient) -> None:
    make_program(api, pending={"days": 14})
    response = api.post("/orders", order(occurred_at=now().isoformat()))
    assert response.data["loyalty"][0]["points_pending"] == 31
    assert points(api)["pending"] == 31 and points(api)["active"] == 0
    call_command("activate_points", stdout=_Sink())
    assert points(api)["active"] == 0, "the window is not over"
    from kizuna.loyalty.models import PointLot

    PointLot.objects.update(activates_at=now() - timedelta(seconds=1))
    call_command("activate_points", stdout=_Sink())
    assert (points(api)["active"], points(api)["pending"]) == (31, 0)
    assert [e["type"] for e in transactions(api)] == ["pending", "activate"]


def test_points_waiting_for_an_event_activate_when_it_comes(api: ApiClient) -> None:
    make_program(api, pending={"until_event": "order_delivered"})
    api.post("/orders", order())  # placed long ago: the event, not time, activates it
    assert points(api)["pending"] == 31
    event = {
        "id": "ev-d",
        "name": "order_delivered",
        "customer_id": "cust-1",
        "properties": {"order_id": "ord-1"},
    }
    api.post("/events", event)
    assert (points(api)["active"], points(api)["pending"]) == (31, 0)


class _Sink:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass


def _any(value: Any) -> Any:
    return value
