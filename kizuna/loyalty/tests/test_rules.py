"""Earning rules through the REST API: triggers, conditions (item conditions included),
fixed, proportional and multiplier effects with rounding and caps, priority and stop_after,
limits per period in points and in times, budgets, active windows, schedules in the program's
time zone, and tier multipliers; every figure asserted by value."""

from datetime import UTC, datetime
from typing import Any

import pytest

from conftest import ApiClient
from kizuna.core import clock
from kizuna.loyalty.models import EarningRule, LedgerEntry
from kizuna.loyalty.tests.support import make_program, order, points, transactions

pytestmark = pytest.mark.django_db

# The sample order: items TEA-1 (tea) 2 x 10.00 and CUP-1 (ware) 1 x 10.00, subtotal 30.00,
# 5.00 off, 4.00 shipping, 2.00 tax: total 31.00, online.


def rule(key: str, effect: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": key,
        "name": key.replace("-", " ").title(),
        "trigger": {"type": "order_paid"},
        "effect": effect,
        **extra,
    }


def fixed(points: int) -> dict[str, Any]:
    return {"type": "fixed", "points": points}


def per(amount: str, base: str = "total", points: int = 1, **extra: Any) -> dict[str, Any]:
    return {"type": "proportional", "points": points, "per": amount, "base": base, **extra}


def by_rule(api: ApiClient, source: str | None = None) -> dict[str, int]:
    return {
        e["rule_id"]: e["points"]
        for e in transactions(api)
        if source is None or e["source"]["id"] == source
    }


def earned(api: ApiClient, external_id: str, **overrides: Any) -> int:
    response = api.post("/orders", order(external_id, **overrides))
    assert response.status_code == 201, response.data
    effects = response.data["loyalty"]
    return int(effects[0]["points_earned"]) if effects else 0


# ------------------------------------------------------------------ the rule itself


def test_a_rule_is_created_read_listed_changed_and_deleted(api: ApiClient) -> None:
    make_program(api, [])
    body = rule(
        "star-per-dollar",
        per("1.00", max_points=2000),
        condition={"field": "order.channel", "op": "in", "value": ["online", "app"]},
        priority=10,
        limits=[{"period": "day", "points": 500}],
        budget_points=1_000_000,
        active_from="2026-01-01T00:00:00-08:00",
        active_until="2027-01-01T00:00:00-08:00",
        schedule={"days": ["fri", "mon"], "from": "09:00", "until": "17:00"},
    )
    created = api.post("/programs/tea-club/earning-rules", body)
    assert created.status_code == 201, created.data
    assert created.data["effect"] == {
        "type": "proportional",
        "points": 1,
        "per": "1.00",
        "base": "total",
        "rounding": "down",
        "max_points": 2000,
    }
    assert {
        k: created.data[k] for k in ("program_id", "status", "stop_after", "points_awarded")
    } == {
        "program_id": "tea-club",
        "status": "active",
        "stop_after": False,
        "points_awarded": 0,
    }
    assert created.data["schedule"] == {"days": ["mon", "fri"], "from": "09:00", "until": "17:00"}
    assert created.data["active_from"] == "2026-01-01T08:00:00Z"
    assert api.get("/programs/tea-club/earning-rules/star-per-dollar").data == created.data
    api.post("/programs/tea-club/earning-rules", rule("flat", fixed(5)))
    listed = api.get("/programs/tea-club/earning-rules").data["data"]
    assert [r["id"] for r in listed] == ["star-per-dollar", "flat"]

    changed = api.patch("/programs/tea-club/earning-rules/flat", {"effect": fixed(7)})
    assert (changed.status_code, changed.data["effect"]) == (200, {"type": "fixed", "points": 7})
    assert changed.data["name"] == "Flat"
    # A changed trigger re-checks the condition (an event has no order.* fields) and the
    # effect (a proportional effect needs an order).
    to_event: dict[str, Any] = {"trigger": {"type": "event", "event": "review_posted"}}
    refused = api.patch("/programs/tea-club/earning-rules/star-per-dollar", to_event)
    assert (refused.status_code, refused.data["code"], refused.data["field"]) == (
        422,
        "invalid_condition",
        "condition.field",
    )
    refused = api.patch(
        "/programs/tea-club/earning-rules/star-per-dollar", {**to_event, "condition": None}
    )
    assert (refused.status_code, refused.data["code"], refused.data["field"]) == (
        422,
        "invalid_rule",
        "effect.type",
    )
    assert api.get("/programs/tea-club/earning-rules/star-per-dollar").data == created.data

    assert api.delete("/programs/tea-club/earning-rules/flat").status_code == 204
    gone = api.get("/programs/tea-club/earning-rules/flat")
    assert (gone.status_code, gone.data["code"]) == (404, "earning_rule_not_found")
    # A Monday at 10:00 in Tokyo, online: the deleted rule earns nothing.
    assert earned(api, "ord-1", occurred_at="2026-03-02T10:00:00+09:00") == 31
    # Its id may be used again.
    again = api.post("/programs/tea-club/earning-rules", rule("flat", fixed(1)))
    assert again.status_code == 201


def test_an_inactive_rule_earns_nothing_until_activated(api: ApiClient) -> None:
    make_program(api, [rule("flat", fixed(5), status="inactive")])
    assert earned(api, "ord-1") == 0
    api.patch("/programs/tea-club/earning-rules/flat", {"status": "active"})
    assert earned(api, "ord-2") == 5


# ------------------------------------------------------------------ triggers


def test_each_trigger_fires_its_own_rules(api: ApiClient) -> None:
    make_program(
        api,
        [
            rule("order", fixed(10)),
            {**rule("welcome", fixed(100)), "trigger": {"type": "enrolment"}},
            {**rule("review", fixed(25)), "trigger": {"type": "event", "event": "review_posted"}},
            {**rule("visit", fixed(3)), "trigger": {"type": "event", "event": "store_visit"}},
        ],
    )
    assert api.post("/orders", order(status="pending")).data["loyalty"] == []
    assert not LedgerEntry.objects.exists()
    paid = api.post("/orders/ord-1/status", {"status": "paid"}).data["loyalty"][0]
    assert (paid["points_earned"], paid["balance"]) == (10, 110)  # welcome first, then order
    review = {"id": "ev-1", "name": "review_posted", "customer_id": "cust-1"}
    assert api.post("/events", review).data["loyalty"][0]["points_earned"] == 25
    visit = {"id": "ev-2", "name": "store_visit", "customer_id": "cust-1"}
    assert api.post("/events", visit).data["loyalty"][0]["points_earned"] == 3
    assert [(e["rule_id"], e["points"], e["source"]["type"]) for e in transactions(api)] == [
        ("welcome", 100, "enrolment"),
        ("order", 10, "order"),
        ("review", 25, "event"),
        ("visit", 3, "event"),
    ]


def test_tier_reached_rules_and_tier_multipliers(api: ApiClient) -> None:
    make_program(api, [])
    tier = {
        "id": "gold",
        "name": "Gold",
        "rank": 1,
        "qualify": {"metric": "points_earned", "threshold": 30, "window": "lifetime"},
    }
    assert api.post("/programs/tea-club/tiers", tier).status_code == 201
    rules = [
        rule("per-dollar", per("1.00"), tier_multipliers={"gold": "1.5"}),
        rule("flat", fixed(5), tier_multipliers={"gold": "2"}),
        rule("double", {"type": "multiplier", "factor": "2"}, tier_multipliers={"gold": "3"}),
        {
            **rule("welcome-gold", fixed(200)),
            "trigger": {"type": "tier_reached", "tier_id": "gold"},
        },
    ]
    for body in rules:
        assert api.post("/programs/tea-club/earning-rules", body).status_code == 201
    first = api.post("/orders", order()).data["loyalty"][0]
    # Not gold yet: 31 + 5, doubled (+36); then gold is reached and welcomed.
    assert (first["points_earned"], first["tier"], first["balance"]) == (72, "gold", 272)
    assert by_rule(api) == {"per-dollar": 31, "flat": 5, "double": 36, "welcome-gold": 200}
    # Gold: 31 x 1.5 = 46 (46.5 down), 5 x 2 = 10; the multiplier takes no tier factor.
    assert earned(api, "ord-2") == 46 + 10 + 56
    assert by_rule(api, "ord-2") == {"per-dollar": 46, "flat": 10, "double": 56}
    reasons = {e["rule_id"]: e["reason"] for e in transactions(api)[-3:]}
    assert reasons["per-dollar"] == "Per Dollar: 1 per 1.00 of total, x1.5 for gold"
    assert reasons["double"] == "Double: x2 of 56"
    assert points(api)["active"] == 272 + 112  # welcomed once


# ------------------------------------------------------------------ conditions


def test_conditions_on_the_order_and_the_customer(api: ApiClient) -> None:
    api.put("/customers/cust-1", {"attributes": {"city": "Osaka"}})
    api.put("/customers/cust-2", {"attributes": {"city": "Seoul"}})
    make_program(
        api,
        [
            rule(
                "app-only",
                fixed(10),
                condition={"field": "order.channel", "op": "eq", "value": "app"},
            ),
            rule(
                "teapot-buyers",
                fixed(20),
                condition={
                    "all": [
                        {"field": "order.items[*].sku", "op": "contains", "value": "TEA-1"},
                        {"field": "order.total", "op": "gte", "value": "31.00"},
                    ]
                },
            ),
            rule(
                "osaka",
                fixed(30),
                condition={"field": "customer.attributes.city", "op": "eq", "value": "Osaka"},
            ),
        ],
    )
    assert earned(api, "ord-1") == 20 + 30
    assert earned(api, "ord-2", channel="app") == 10 + 20 + 30
    assert earned(api, "ord-3", customer_id="cust-2", total="31.00") == 20
    assert earned(api, "ord-4", customer_id="cust-2", total="30.00") == 0  # no items, no 31.00


def test_a_rule_may_read_the_member_standing_before_the_fact(api: ApiClient) -> None:
    standing = {"field": "customer.loyalty.tea-club.points", "op": "gte", "value": 31}
    make_program(
        api, [rule("per-dollar", per("1.00")), rule("loyal", fixed(9), condition=standing)]
    )
    assert earned(api, "ord-1") == 31  # 0 points before it
    assert earned(api, "ord-2") == 31 + 9


def test_item_conditions_count_the_matching_items_only(api: ApiClient) -> None:
    tea = {"field": "item.category", "op": "eq", "value": "tea"}
    make_program(
        api,
        [
            rule("tea-value", per("3.00", "items_value", item_condition=tea, rounding="up")),
            rule(
                "big-lines",
                per(
                    "1",
                    "items_quantity",
                    points=5,
                    item_condition={"field": "item.quantity", "op": "gte", "value": 2},
                ),
            ),
            rule(
                "dear-items",
                per(
                    "1.00",
                    "items_value",
                    item_condition={
                        "all": [
                            {"field": "item.unit_price", "op": "gte", "value": "10.00"},
                            {"field": "item.sku", "op": "starts_with", "value": "CUP"},
                            {"field": "order.channel", "op": "eq", "value": "online"},
                        ]
                    },
                ),
            ),
            rule(
                "no-match",
                per(
                    "1",
                    "items_quantity",
                    item_condition={"field": "item.sku", "op": "eq", "value": "NONE"},
                ),
            ),
        ],
    )
    assert earned(api, "ord-1") == 7 + 10 + 10
    # tea: 20.00 / 3 = 6.67 up to 7; TEA-1 is the line of 2 units; CUP-1 is 10.00.
    assert by_rule(api) == {"tea-value": 7, "big-lines": 10, "dear-items": 10}


# ------------------------------------------------------------------ effects


@pytest.mark.parametrize(
    ("effect", "expected"),
    [
        (fixed(50), 50),
        # 31.00 / 4 = 7.75
        (per("4.00", "total", rounding="down"), 7),
        (per("4.00", "total", rounding="up"), 8),
        (per("4.00", "total", rounding="nearest"), 8),
        # 30.00 / 4 = 7.5: nearest rounds half up
        (per("4.00", "subtotal", rounding="down"), 7),
        (per("4.00", "subtotal", rounding="nearest"), 8),
        # 31.00 / 3 x 2 = 20.67
        (per("3.00", "total", points=2, rounding="nearest"), 21),
        (per("3.00", "total", points=2), 20),
        # items at listed prices: 30.00 (not the discounted subtotal after 5.00 off)
        (per("7.00", "items_value", rounding="up"), 5),
        # 3 units; a decimal `per`
        (per("0.5", "items_quantity", points=3), 18),
        # the per-order cap
        (per("1.00", "total", points=10, max_points=250), 250),
        (per("1.00", "total", points=10, max_points=311), 310),
    ],
)
def test_effects_give_exactly(api: ApiClient, effect: dict[str, Any], expected: int) -> None:
    make_program(api, [rule("only", effect)])
    assert earned(api, "ord-1") == expected
    assert points(api)["active"] == expected


def test_a_multiplier_adds_on_the_points_of_the_rules_that_ran(api: ApiClient) -> None:
    make_program(
        api,
        [
            rule("per-dollar", per("1.00")),
            rule("flat", fixed(4)),
            rule("half-again", {"type": "multiplier", "factor": "1.5"}),
            rule("nothing", {"type": "multiplier", "factor": "1"}),
        ],
    )
    # base 35; x1.5 adds 17 (17.5 down); x1 adds nothing (and writes no entry).
    assert earned(api, "ord-1") == 35 + 17
    assert by_rule(api) == {"per-dollar": 31, "flat": 4, "half-again": 17}


def test_a_multiplier_alone_gives_nothing(api: ApiClient) -> None:
    make_program(api, [rule("double", {"type": "multiplier", "factor": "2"})])
    assert earned(api, "ord-1") == 0
    assert not LedgerEntry.objects.exists()


# ------------------------------------------------------------------ priority and stop_after


def test_priority_orders_the_rules_and_stop_after_ends_the_run(api: ApiClient) -> None:
    make_program(
        api,
        [
            rule("late", fixed(7), priority=30),
            rule("b-stop", fixed(5), priority=20, stop_after=True),
            rule("a-first", fixed(3), priority=20),
            rule("double-early", {"type": "multiplier", "factor": "2"}, priority=10),
            rule("triple-late", {"type": "multiplier", "factor": "3"}, priority=40),
            # stop_after counts only when the rule gave points: it gives none for this order.
            rule(
                "app-stop",
                fixed(1000),
                priority=1,
                stop_after=True,
                condition={"field": "order.channel", "op": "eq", "value": "app"},
            ),
        ],
    )
    # a-first (3) then b-stop (5) by id at priority 20; b-stop ends the run, so "late" and the
    # later multiplier do not run; the multiplier placed before still doubles the 8.
    assert earned(api, "ord-1") == 3 + 5 + 8
    assert by_rule(api) == {"a-first": 3, "b-stop": 5, "double-early": 8}
    # When it gives, it stops everything after it, the multiplier placed later included.
    assert earned(api, "ord-2", channel="app") == 1000
    assert by_rule(api, "ord-2") == {"app-stop": 1000}


# ------------------------------------------------------------------ limits


def _at(text: str) -> dict[str, Any]:
    return {"occurred_at": text}


def test_a_daily_limit_counts_days_in_the_program_time_zone(api: ApiClient) -> None:
    make_program(api, [rule("daily", fixed(10), limits=[{"period": "day", "times": 1}])])
    # 23:30 and 00:30 in Tokyo, on one UTC day (14:30 and 15:30 UTC): two Tokyo days.
    assert earned(api, "ord-1", **_at("2026-05-04T14:30:00Z")) == 10
    assert earned(api, "ord-2", **_at("2026-05-04T15:30:00Z")) == 10
    assert earned(api, "ord-3", **_at("2026-05-05T14:59:00Z")) == 0  # 23:59 the same Tokyo day


def test_limits_in_points_per_week_month_and_all_time(api: ApiClient) -> None:
    make_program(
        api,
        [
            rule("weekly", fixed(30), limits=[{"period": "week", "points": 50}]),
            rule("monthly", fixed(20), limits=[{"period": "month", "points": 50}]),
            rule("ever", fixed(15), limits=[{"period": "all_time", "points": 40}]),
        ],
    )
    # Weeks start on Monday in Tokyo: 2026-05-10 is a Sunday, 2026-05-11 a Monday.
    dates = [
        "2026-05-04T10:00:00+09:00",  # Mon: weekly 30, monthly 20, ever 15
        "2026-05-10T23:00:00+09:00",  # Sun: weekly 20 (50), monthly 20, ever 15
        "2026-05-11T00:30:00+09:00",  # Mon: weekly 30, monthly 10 (50), ever 10 (40)
        "2026-05-17T23:59:00+09:00",  # Sun: weekly 20 (50), monthly 0, ever 0
        "2026-05-31T15:01:00Z",  # Mon 1 June 00:01 in Tokyo: weekly 30, monthly 20
    ]
    got = [earned(api, f"ord-{i}", **_at(d)) for i, d in enumerate(dates)]
    assert got == [65, 55, 50, 20, 50]
    assert points(api)["active"] == 240


def test_limits_in_times_per_week_and_year(api: ApiClient) -> None:
    make_program(
        api,
        [
            rule("twice-weekly", fixed(10), limits=[{"period": "week", "times": 2}]),
            rule("yearly", fixed(100), limits=[{"period": "year", "times": 1}]),
        ],
    )
    dates = [
        "2025-12-31T15:30:00Z",  # 2026-01-01 00:30 in Tokyo (a Thursday)
        "2026-01-02T12:00:00+09:00",  # Friday: the week's second use
        "2026-01-04T23:59:00+09:00",  # Sunday: the week is used up
        "2026-01-05T00:00:00+09:00",  # Monday: a new week
    ]
    assert [earned(api, f"ord-{i}", **_at(d)) for i, d in enumerate(dates)] == [110, 10, 0, 10]


def test_limits_count_the_period_of_a_back_filled_fact_only(api: ApiClient) -> None:
    make_program(
        api,
        [
            rule("yearly", fixed(100), limits=[{"period": "year", "times": 1}]),
            rule("daily", fixed(10), limits=[{"period": "day", "points": 15}]),
        ],
    )
    assert earned(api, "ord-1", **_at("2026-06-01T12:00:00+09:00")) == 110
    # Sent later, about an earlier year and day: those periods have earned nothing yet.
    assert earned(api, "ord-0", **_at("2025-12-31T23:00:00+09:00")) == 110
    assert earned(api, "ord-2", **_at("2026-05-31T12:00:00+09:00")) == 10
    assert earned(api, "ord-3", **_at("2026-05-31T13:00:00+09:00")) == 5


def test_a_refund_gives_no_use_back(api: ApiClient) -> None:
    make_program(api, [rule("once", fixed(10), limits=[{"period": "all_time", "times": 1}])])
    assert earned(api, "ord-1") == 10
    api.post("/orders/ord-1/refunds", {"external_id": "ref-1", "amount": "31.00"})
    assert points(api)["active"] == 0
    assert earned(api, "ord-2") == 0


# ------------------------------------------------------------------ budget


def test_an_exhausted_budget_earns_nothing_more(api: ApiClient) -> None:
    make_program(
        api,
        [
            rule("launch", fixed(60), budget_points=150),
            rule("double", {"type": "multiplier", "factor": "2"}, budget_points=70),
        ],
    )
    got = [earned(api, f"ord-{i}", customer_id=f"c-{i}") for i in range(4)]
    # launch: 60, 60, 30, 0; the multiplier adds 60, then 10 (its budget), then nothing.
    assert got == [120, 70, 30, 0]
    meters = dict(EarningRule.objects.values_list("key", "points_awarded"))
    assert meters == {"launch": 150, "double": 70}
    assert api.get("/programs/tea-club/earning-rules/launch").data["points_awarded"] == 150
    # A refund does not refill it.
    api.post("/orders/ord-0/refunds", {"external_id": "ref-1", "amount": "31.00"})
    assert earned(api, "ord-9", customer_id="c-9") == 0
    # Raised, it gives what is left of the new budget.
    api.patch("/programs/tea-club/earning-rules/launch", {"budget_points": 200})
    assert earned(api, "ord-10", customer_id="c-10") == 50


# ------------------------------------------------------------------ window and schedule


def test_an_active_window_includes_its_start_and_excludes_its_end(api: ApiClient) -> None:
    window = {
        "active_from": "2026-04-01T00:00:00+09:00",
        "active_until": "2026-05-01T00:00:00+09:00",
    }
    make_program(api, [rule("april", fixed(10), **window)])
    got = [
        earned(api, "before", **_at("2026-03-31T14:59:59Z")),
        earned(api, "start", **_at("2026-03-31T15:00:00Z")),
        earned(api, "inside", **_at("2026-04-30T23:59:59+09:00")),
        earned(api, "end", **_at("2026-04-30T15:00:00Z")),
    ]
    assert got == [0, 10, 10, 0]


def test_a_schedule_near_midnight_is_read_in_the_program_time_zone(api: ApiClient) -> None:
    schedule = {"days": ["mon"], "from": "00:00", "until": "01:00"}
    make_program(api, [rule("monday-night", fixed(10), schedule=schedule)])
    got = [
        # Sunday 15:30 UTC is Monday 00:30 in Tokyo: inside.
        earned(api, "sun-utc", **_at("2026-05-03T15:30:00Z")),
        # Monday 00:30 UTC is Monday 09:30 in Tokyo: outside.
        earned(api, "mon-utc", **_at("2026-05-04T00:30:00Z")),
        # Monday 01:00 in Tokyo: `until` is excluded.
        earned(api, "until", **_at("2026-05-03T16:00:00Z")),
        # Sunday 23:59 in Tokyo.
        earned(api, "sun-tokyo", **_at("2026-05-03T14:59:00Z")),
    ]
    assert got == [10, 0, 0, 0]


def test_a_schedule_follows_a_change_of_the_program_time_zone(api: ApiClient) -> None:
    schedule = {"days": ["mon"], "from": "00:00", "until": "01:00"}
    make_program(api, [rule("monday-night", fixed(10), schedule=schedule)])
    api.patch("/programs/tea-club", {"timezone": "UTC"})
    assert earned(api, "sun-utc", **_at("2026-05-03T15:30:00Z")) == 0
    assert earned(api, "mon-utc", **_at("2026-05-04T00:30:00Z")) == 10


def test_rule_changes_apply_to_the_next_fact(api: ApiClient) -> None:
    make_program(api, [rule("flat", fixed(5))])
    assert earned(api, "ord-1") == 5
    with clock.at(datetime(2026, 6, 1, tzinfo=UTC)):
        api.patch("/programs/tea-club/earning-rules/flat", {"effect": fixed(8)})
    assert earned(api, "ord-2") == 8


def test_a_milestone_of_the_same_id_uses_none_of_a_rule_limit(api: ApiClient) -> None:
    make_program(api, [rule("regular", fixed(10), limits=[{"period": "all_time", "times": 2}])])
    milestone = {
        "id": "regular",
        "name": "Regular",
        "goal": {"type": "count", "trigger": {"type": "order_paid"}, "target": 1},
        "points": 50,
    }
    assert api.post("/programs/tea-club/milestones", milestone).status_code == 201
    assert [earned(api, f"ord-{i}") for i in range(3)] == [10, 10, 0]
    assert points(api)["active"] == 70  # the milestone's 50 once
