"""Simulation and backtest (issue 7 item 7): what a program, or one rule, would give an order or
an event, rule by rule, with nothing written (rows counted before and after); and what its
order rules would have given the stored orders of a date range, computed in SQL in bulk: the
figures are checked against an independent computation in Python, and the number of queries
does not grow with the number of orders."""

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ApiClient, sample_order
from kizuna.accounts.services import NewWorkspace
from kizuna.core import clock
from kizuna.core.models import AuditEntry, OutboxEvent
from kizuna.customers.models import Customer, CustomEvent
from kizuna.loyalty.models import (
    Account,
    EarningRule,
    LedgerEntry,
    MilestoneHit,
    PointLot,
    TierChange,
)
from kizuna.loyalty.tests.support import make_program, order
from kizuna.orders.models import Order, OrderItem

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
PER_DOLLAR = {
    "id": "per-dollar",
    "name": "A point per dollar",
    "trigger": {"type": "order_paid"},
    "effect": {"type": "proportional", "points": 1, "per": "1.00", "base": "total",
               "max_points": 200},
    "priority": 10,
    "tier_multipliers": {"gold": "1.5"},
}  # fmt: skip
TEA = {
    "id": "tea",
    "name": "Tea counts more",
    "trigger": {"type": "order_paid"},
    "effect": {"type": "proportional", "points": 3, "per": "2.00", "base": "items_value",
               "item_condition": {"field": "item.category", "op": "eq", "value": "tea"},
               "rounding": "nearest"},
    "priority": 20,
}  # fmt: skip
UNITS = {
    "id": "units",
    "name": "A point per two units",
    "trigger": {"type": "order_paid"},
    "effect": {"type": "proportional", "points": 1, "per": "2", "base": "items_quantity",
               "rounding": "up"},
    "priority": 30,
}  # fmt: skip
APP = {
    "id": "app",
    "name": "App orders",
    "trigger": {"type": "order_paid"},
    "condition": {"field": "order.channel", "op": "eq", "value": "app"},
    "effect": {"type": "fixed", "points": 25},
    "priority": 40,
    "limits": [{"period": "day", "times": 1}],
}
STORE_BOOST = {
    "id": "store-boost",
    "name": "Half again in store",
    "trigger": {"type": "order_paid"},
    "condition": {"field": "order.channel", "op": "eq", "value": "store"},
    "effect": {"type": "multiplier", "factor": "1.5"},
    "priority": 50,
}
REVIEW = {
    "id": "review",
    "name": "A review",
    "trigger": {"type": "event", "event": "review_posted"},
    "effect": {"type": "fixed", "points": 40},
}
DORMANT = {
    "id": "dormant",
    "name": "Not yet live",
    "status": "inactive",
    "trigger": {"type": "order_paid"},
    "effect": {"type": "fixed", "points": 1000},
}
RULES = [PER_DOLLAR, TEA, UNITS, APP, STORE_BOOST, REVIEW, DORMANT]


def program(api: ApiClient, **overrides: Any) -> None:
    make_program(api, [], **overrides)
    tier = {"id": "gold", "name": "Gold", "rank": 1,
            "qualify": {"metric": "points_earned", "threshold": 100000}}  # fmt: skip
    assert api.post("/programs/tea-club/tiers", tier).status_code == 201
    for rule in RULES:
        assert api.post("/programs/tea-club/earning-rules", rule).status_code == 201


def rows() -> dict[str, int]:
    """Every table a fact could write to."""
    models: list[Any] = [Account, LedgerEntry, PointLot, MilestoneHit, TierChange, Order, OrderItem,
              Customer, CustomEvent, OutboxEvent]  # fmt: skip
    counts = {m.__name__: m.objects.count() for m in models}
    counts["audit"] = AuditEntry.objects.count()
    counts["awarded"] = sum(EarningRule.objects.values_list("points_awarded", flat=True))
    return counts


# ------------------------------------------------------------------ one order or event


def test_an_order_simulated_rule_by_rule_writes_nothing(api: ApiClient) -> None:
    program(api)
    before = rows()
    # Sample order: 31.00 total; items TEA-1 (tea) 2 x 10.00 and CUP-1 (ware) 1 x 10.00.
    response = api.post("/programs/tea-club/simulate", {"order": sample_order(channel="store")})
    assert response.status_code == 200, response.data
    assert response.data == {
        "points": 31 + 30 + 2 + 31,
        "pending": 0,
        "breakdown": [
            {"rule_id": "per-dollar", "points": 31, "reason": "1 per 1.00 of total"},
            {"rule_id": "tea", "points": 30, "reason": "3 per 2.00 of items_value"},
            {"rule_id": "units", "points": 2, "reason": "1 per 2 of items_quantity"},
            {"rule_id": "store-boost", "points": 31, "reason": "x1.5 of 63"},
        ],
        "orders_considered": None,
        "customers_affected": None,
        "points_total": None,
        "points_by_month": None,
        "top_customers": None,
    }
    assert rows() == before, "neither the customer, the order nor any point was written"


def test_a_member_is_simulated_with_their_tier_limits_and_pending_policy(api: ApiClient) -> None:
    program(api, pending={"days": 14})
    moment = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    with clock.at(moment):
        first = api.post("/orders", order("o1", total="12.00", channel="app",
                                          occurred_at=moment.isoformat()))  # fmt: skip
    assert first.data["loyalty"][0]["points_pending"] == 12 + 25
    Account.objects.update(tier=Account.objects.get().program.tiers.get())
    before = rows()
    later = moment + timedelta(hours=2)
    body = {"order": order("o2", total="12.00", channel="app", occurred_at=later.isoformat())}
    with clock.at(later):
        simulated = api.post("/programs/tea-club/simulate", body)
    assert simulated.status_code == 200, simulated.data
    # Gold: 12 x 1.5 = 18; the app bonus was used today; pending for 14 days.
    assert (simulated.data["points"], simulated.data["pending"]) == (18, 18)
    assert simulated.data["breakdown"] == [
        {"rule_id": "per-dollar", "points": 18, "reason": "1 per 1.00 of total, x1.5 for gold"}
    ]
    assert rows() == before
    with clock.at(later):
        real = api.post("/orders", body["order"])
    assert real.data["loyalty"][0]["points_pending"] == simulated.data["points"]


def test_one_rule_is_simulated_alone_even_inactive(api: ApiClient) -> None:
    program(api)
    before = rows()
    dormant = api.post("/programs/tea-club/earning-rules/dormant/simulate",
                       {"order": sample_order()})  # fmt: skip
    assert dormant.status_code == 200, dormant.data
    assert (dormant.data["points"], dormant.data["breakdown"]) == (
        1000,
        [{"rule_id": "dormant", "points": 1000, "reason": "1000 points"}],
    )
    tea = api.post("/programs/tea-club/earning-rules/tea/simulate", {"order": sample_order()})
    assert tea.data["points"] == 30
    # A multiplier alone has no base to multiply.
    boost = api.post("/programs/tea-club/earning-rules/store-boost/simulate",
                     {"order": sample_order(channel="store")})  # fmt: skip
    assert (boost.data["points"], boost.data["breakdown"]) == (0, [])
    assert rows() == before


def test_an_event_is_simulated(api: ApiClient) -> None:
    program(api)
    before = rows()
    event = {"name": "review_posted", "customer_id": "cust-9", "id": "e1"}
    response = api.post("/programs/tea-club/simulate", {"event": event})
    assert response.status_code == 200, response.data
    assert (response.data["points"], response.data["pending"], response.data["breakdown"]) == (
        40,
        0,
        [{"rule_id": "review", "points": 40, "reason": "40 points"}],
    )
    other = api.post("/programs/tea-club/simulate", {"event": {**event, "name": "app_opened"}})
    assert (other.data["points"], other.data["breakdown"]) == (0, [])
    assert rows() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "order"),
        ({"order": sample_order(), "event": {"name": "x", "id": "e", "customer_id": "c"}}, "order"),
        ({"order": sample_order(total="30.00")}, "order.total"),
        ({"event": {"name": "Not A Name!", "id": "e", "customer_id": "c"}}, "event.name"),
        ({"backtest": {"from": "2026-01-01T00:00:00", "to": "2026-02-01T00:00:00Z"}},
         "backtest.from"),
        ({"backtest": {"from": "2026-02-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}},
         "backtest.to"),
        ({"backtest": "2026"}, "backtest"),
    ],
)  # fmt: skip
def test_a_bad_simulation_is_refused_with_its_field(
    api: ApiClient, body: dict[str, Any], field: str
) -> None:
    program(api)
    before = rows()
    response = api.post("/programs/tea-club/simulate", body)
    assert (response.status_code, response.data["field"]) == (422, field), response.data
    assert rows() == before


# ------------------------------------------------------------------ backtest

FROM = datetime(2026, 1, 1, tzinfo=TOKYO)
TO = datetime(2026, 7, 1, tzinfo=TOKYO)
PRICES = ["1.50", "3.00", "9.99", "10.00", "25.25", "80.00"]


def plan_orders(count: int, seed: int) -> list[dict[str, Any]]:
    """Orders of 14 customers over the months around the window, with the edges on purpose:
    exactly at `from`, just before `to`, at `to`, and Tokyo month starts that are still the
    previous month in UTC."""
    rng = random.Random(seed)
    edges = [FROM, TO - timedelta(seconds=1), TO, datetime(2026, 1, 31, 16, 0, tzinfo=UTC),
             datetime(2026, 4, 30, 15, 30, tzinfo=UTC), FROM - timedelta(seconds=1)]  # fmt: skip
    plans = []
    for n in range(count):
        items = [
            (rng.choice(["tea", "ware", "tea"]), rng.randint(1, 3), Decimal(rng.choice(PRICES)))
            for _ in range(rng.randint(0, 3))
        ]
        value = sum((q * p for _, q, p in items), Decimal(0))
        moment = (
            edges[n]
            if n < len(edges)
            else FROM + timedelta(minutes=rng.randint(-20 * 24 * 60, 200 * 24 * 60))
        )
        plans.append(
            {
                "customer": f"c{rng.randint(0, 13):02d}",
                "status": rng.choice(["paid", "paid", "paid", "pending", "cancelled"]),
                "currency": rng.choice(["USD", "USD", "USD", "JPY"]),
                "channel": rng.choice(["online", "store", "app"]),
                "items": items,
                "subtotal": value,
                "total": value + Decimal(rng.choice(["0", "4.00", "150.00"])),
                "occurred_at": moment,
            }
        )
    return plans


def store(workspace: NewWorkspace, plans: list[dict[str, Any]], prefix: str) -> None:
    ws = workspace.workspace
    customers = {c.external_id: c for c in Customer.objects.filter(workspace=ws)}
    missing = sorted({p["customer"] for p in plans} - set(customers))
    for row in Customer.objects.bulk_create(
        Customer(workspace=ws, external_id=key) for key in missing
    ):
        customers[row.external_id] = row
    orders = Order.objects.bulk_create(
        Order(workspace=ws, customer=customers[p["customer"]], external_id=f"{prefix}{n}",
              status=p["status"], currency=p["currency"], total=p["total"],
              subtotal=p["subtotal"], shipping_total=p["total"] - p["subtotal"],
              channel=p["channel"], occurred_at=p["occurred_at"])
        for n, p in enumerate(plans)
    )  # fmt: skip
    OrderItem.objects.bulk_create(
        OrderItem(order=row, position=k, sku=f"SKU-{k}", category=category, quantity=quantity,
                  unit_price=price)
        for row, plan in zip(orders, plans, strict=True)
        for k, (category, quantity, price) in enumerate(plan["items"])
    )  # fmt: skip


def expected(plans: list[dict[str, Any]], rules: list[str]) -> dict[str, Any]:
    """What the rules give, computed here from the plans, order by order."""

    def rounded(value: Decimal, how: Any) -> int:
        return int(value.quantize(Decimal(1), rounding=how))

    considered = 0
    by_month: dict[str, int] = defaultdict(int)
    by_customer: dict[str, int] = defaultdict(int)
    for plan in plans:
        if plan["status"] != "paid" or not FROM <= plan["occurred_at"] < TO:
            continue
        considered += 1
        usd = plan["currency"] == "USD"
        points = 0
        if "per-dollar" in rules and usd:
            points += min(rounded(plan["total"], ROUND_FLOOR), 200)
        if "tea" in rules and usd:
            tea = sum((q * p for c, q, p in plan["items"] if c == "tea"), Decimal(0))
            points += rounded(tea * 3 / 2, ROUND_HALF_UP)
        if "units" in rules:
            points += rounded(Decimal(sum(q for _, q, _ in plan["items"])) / 2, ROUND_CEILING)
        if "app" in rules and plan["channel"] == "app":
            points += 25
        if "store-boost" in rules and plan["channel"] == "store":
            points += rounded(points * Decimal("0.5"), ROUND_FLOOR)
        by_month[plan["occurred_at"].astimezone(TOKYO).strftime("%Y-%m")] += points
        by_customer[plan["customer"]] += points
    top = sorted(((c, p) for c, p in by_customer.items() if p > 0), key=lambda r: (-r[1], r[0]))
    return {
        "orders_considered": considered,
        "customers_affected": len(top),
        "points_total": sum(by_month.values()),
        "points_by_month": [{"month": m, "points": p} for m, p in sorted(by_month.items())],
        "top_customers": [{"customer_id": c, "points": p} for c, p in top[:10]],
        "points": None,
        "pending": None,
        "breakdown": None,
    }


WINDOW = {"backtest": {"from": FROM.isoformat(), "to": TO.isoformat()}}


def test_a_backtest_gives_what_the_rules_give_the_stored_orders(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    program(api)
    plans = plan_orders(160, seed=7)
    store(workspace, plans, "h")
    want = expected(plans, ["per-dollar", "tea", "units", "app", "store-boost"])
    assert want["customers_affected"] > 10, "the top ten leave some out"
    assert len(want["points_by_month"]) == 6
    before = rows()
    response = api.post("/programs/tea-club/simulate", WINDOW)
    assert response.status_code == 200, response.data
    assert response.data == want
    assert rows() == before

    # One rule alone.
    tea = api.post("/programs/tea-club/earning-rules/tea/simulate", WINDOW)
    assert tea.data == expected(plans, ["tea"])


def test_a_backtest_ignores_limits_tiers_and_membership(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    program(api, enrolment="explicit")
    moment = datetime(2026, 3, 3, 12, 0, tzinfo=TOKYO)
    plans = [
        {"customer": "c1", "status": "paid", "currency": "USD", "channel": "app", "items": [],
         "subtotal": Decimal("10.00"), "total": Decimal("10.00"),
         "occurred_at": moment + timedelta(minutes=n)}
        for n in range(3)
    ]  # fmt: skip
    store(workspace, plans, "x")
    response = api.post("/programs/tea-club/simulate", WINDOW)
    # Each order: 10 + 25 (the daily limit of the app rule is not applied), no member needed.
    assert (response.data["points_total"], response.data["top_customers"]) == (
        105,
        [{"customer_id": "c1", "points": 105}],
    )


def queries_of_a_backtest(api: ApiClient) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.post("/programs/tea-club/simulate", WINDOW)
    assert response.status_code == 200, response.data
    return len(captured.captured_queries)


def test_a_backtest_runs_in_sql_in_bulk(api: ApiClient, workspace: NewWorkspace) -> None:
    program(api)
    store(workspace, plan_orders(30, seed=1), "a")
    queries_of_a_backtest(api)  # the key and the program's setup are read once, then cached
    small = queries_of_a_backtest(api)
    store(workspace, plan_orders(300, seed=2), "b")
    large = queries_of_a_backtest(api)
    # Whatever the number of orders, customers and items: the request's savepoint and its
    # release, the program and its workspace, then one query each for the totals, the
    # months, the number of customers and the top ten.
    assert small == large == 8


def test_a_simulated_order_counts_in_the_customers_history_as_a_real_one_would(
    api: ApiClient,
) -> None:
    """A rule on `customer.orders.*` sees the order being earned on (it is stored first);
    the simulation sees it too, without storing it."""
    first = {"id": "first-order", "name": "First order", "trigger": {"type": "order_paid"},
             "condition": {"field": "customer.orders.count", "op": "eq", "value": 1},
             "effect": {"type": "fixed", "points": 100}}  # fmt: skip
    make_program(api, [first])
    before = rows()
    simulated = api.post("/programs/tea-club/simulate", {"order": sample_order()})
    assert (simulated.data["points"], simulated.data["breakdown"]) == (
        100,
        [{"rule_id": "first-order", "points": 100, "reason": "100 points"}],
    )
    assert rows() == before
    assert api.post("/orders", sample_order()).data["loyalty"][0]["points_earned"] == 100
    second = sample_order(external_id="ord-2")
    assert api.post("/programs/tea-club/simulate", {"order": second}).data["points"] == 0
    assert api.post("/orders", second).data["loyalty"][0]["points_earned"] == 0
