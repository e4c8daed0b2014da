"""The ledger as API.md and ARCHITECTURE.md section 4 describe it: append-only entries typed
with a reason and a source; lots consumed soonest-expiring first with an allocation per lot;
every entry on the customer's timeline; the loyalty and transactions endpoints showing what
the ledger holds; events earning with their effects in the response. By value throughout."""

from datetime import datetime, timedelta
from typing import Any

import pytest

from conftest import ApiClient
from kizuna.core import clock
from kizuna.loyalty.models import LedgerEntry, LotAllocation, PointLot
from kizuna.loyalty.services import expiry, pending
from kizuna.loyalty.services.verify import verify
from kizuna.loyalty.tests.support import ONE_PER_DOLLAR, make_program, order, points, transactions

pytestmark = pytest.mark.django_db

ROLLING_30 = {"policy": "rolling", "days": 30, "reset_on_activity": False}
REVIEW = {
    "id": "review",
    "name": "Review",
    "trigger": {"type": "event", "event": "review_posted"},
    "effect": {"type": "fixed", "points": 25},
}


def ok(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.data
    return dict(response.data)


def spend_order(external_id: str, spent: int) -> dict[str, Any]:
    """An order paid wholly with points (it earns nothing)."""
    total = f"{spent}.00"
    return order(
        external_id,
        total=total,
        payments=[{"method": "points", "amount": total, "points": spent}],
    )


def snapshot() -> dict[int, tuple[Any, ...]]:
    return {
        row[0]: row[1:]
        for row in LedgerEntry.objects.values_list(
            "pk",
            "type",
            "points",
            "pending_points",
            "balance_after",
            "reason",
            "source_type",
            "source_id",
            "rule_key",
            "expires_at",
            "occurred_at",
            "created_at",
        )
    }


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_entries_are_appended_never_edited_each_typed_with_reason_and_source(
    api: ApiClient, workspace: Any
) -> None:
    make_program(api, expiry=ROLLING_30)
    start = clock.now().replace(microsecond=0)
    seen: dict[int, tuple[Any, ...]] = {}

    def step() -> None:
        now_ = snapshot()
        for pk, row in seen.items():
            assert now_.get(pk) == row, f"entry {pk} was edited or removed"
        assert len(now_) > len(seen), "each movement appends an entry"
        seen.update(now_)

    with clock.at(start):
        ok(api.post("/orders", order("ord-1", total="40.00")))
        step()
        adjusted = api.post(
            "/customers/cust-1/loyalty/tea-club/adjustments", {"points": 10, "reason": "goodwill"}
        )
        assert ok(adjusted)["type"] == "adjust"
        step()
        ok(api.post("/orders", spend_order("ord-2", 15)))
        step()
        ok(api.post("/orders/ord-1/refunds", {"external_id": "ref-1", "amount": "20.00"}))
        step()
        ok(api.post("/orders/ord-2/status", {"status": "cancelled"}), 200)
        step()
    with clock.at(start + timedelta(days=31)):
        assert expiry.expire_due() == 2
        step()
    actor = adjusted.data["source"]["id"]
    assert actor
    got = [
        (t["type"], t["points"], t["balance_after"], t["reason"], t["source"], t["rule_id"])
        for t in transactions(api)
    ]
    assert got == [
        (
            "earn",
            40,
            40,
            "A point per dollar: 1 per 1.00 of total",
            {"type": "order", "id": "ord-1"},
            "per-dollar",
        ),
        ("adjust", 10, 50, "goodwill", {"type": "adjustment", "id": actor}, None),
        ("spend", -15, 35, "Paid with points: order ord-2", {"type": "order", "id": "ord-2"}, None),
        (
            "refund_clawback",
            -20,
            15,
            "refund of order ord-1",
            {"type": "refund", "id": "ref-1"},
            None,
        ),
        ("refund_return", 15, 30, "order cancelled", {"type": "order", "id": "ord-2"}, None),
        ("expire", -30, 0, "expired", {"type": "", "id": ""}, None),
    ]
    # Each entry's balance_after is the running sum of the entries before it.
    running = 0
    for entry in LedgerEntry.objects.order_by("pk"):
        running += entry.points
        assert entry.balance_after == running
    assert points(api) == {
        "active": 0,
        "pending": 0,
        "lifetime_earned": 20,
        "spent": 0,
        "expired": 30,
        "expiring": [],
    }
    assert verify() == []


def test_spends_take_the_soonest_expiring_lots_first_and_allocate_each(api: ApiClient) -> None:
    make_program(api)  # earned points never expire
    start = clock.now().replace(microsecond=0)

    def grant(points: int, days: int) -> int:
        body = {
            "points": points,
            "reason": f"grant {days}",
            "expires_at": (start + timedelta(days=days)).isoformat(),
        }
        return int(ok(api.post("/customers/cust-1/loyalty/tea-club/adjustments", body))["id"])

    with clock.at(start):
        ok(api.post("/customers", {"external_id": "cust-1"}))
        in_60 = grant(30, 60)
        in_10 = grant(20, 10)
        ok(api.post("/orders", order("ord-1", total="50.00")))  # 50, never expiring
        in_30 = grant(10, 30)
        lots = {
            "in_60": PointLot.objects.get(entry_id=in_60),
            "in_10": PointLot.objects.get(entry_id=in_10),
            "never": PointLot.objects.get(source_type="order", source_id="ord-1"),
            "in_30": PointLot.objects.get(entry_id=in_30),
        }
        assert points(api)["expiring"] == [
            {"points": 20, "expires_at": points(api)["expiring"][0]["expires_at"]},
            {"points": 10, "expires_at": points(api)["expiring"][1]["expires_at"]},
            {"points": 30, "expires_at": points(api)["expiring"][2]["expires_at"]},
        ]
        assert [when(e["expires_at"]) for e in points(api)["expiring"]] == [
            start + timedelta(days=10),
            start + timedelta(days=30),
            start + timedelta(days=60),
        ]
        ok(api.post("/orders", spend_order("ord-2", 65)))
    spend = LedgerEntry.objects.get(type="spend")
    taken = [(a.lot_id, a.points) for a in LotAllocation.objects.filter(entry=spend).order_by("pk")]
    assert taken == [
        (lots["in_10"].pk, 20),
        (lots["in_30"].pk, 10),
        (lots["in_60"].pk, 30),
        (lots["never"].pk, 5),
    ]

    def remaining() -> dict[str, int]:
        return {name: PointLot.objects.get(pk=lot.pk).remaining for name, lot in lots.items()}

    assert remaining() == {"in_60": 0, "in_10": 0, "never": 45, "in_30": 0}
    # Half of the spend order is refunded: 32.5 -> 33 points come back, the last taken first.
    with clock.at(start + timedelta(minutes=1)):
        ok(api.post("/orders/ord-2/refunds", {"external_id": "ref-1", "amount": "32.50"}))
    back = LedgerEntry.objects.get(type="refund_return")
    assert back.points == 33
    assert [
        (a.lot_id, a.points) for a in LotAllocation.objects.filter(entry=back).order_by("pk")
    ] == [(lots["never"].pk, -5), (lots["in_60"].pk, -28)]
    assert remaining() == {"in_60": 28, "in_10": 0, "never": 50, "in_30": 0}
    # The points went back with their own expiry: the lot of 60 days holds 28 again.
    assert PointLot.objects.get(pk=lots["in_60"].pk).expires_at == start + timedelta(days=60)
    assert points(api)["active"] == 78
    assert verify() == []


def test_every_entry_is_on_the_customers_timeline(api: ApiClient) -> None:
    make_program(api, [ONE_PER_DOLLAR, REVIEW], pending={"days": 14})
    start = clock.now().replace(microsecond=0)
    with clock.at(start):
        ok(api.post("/orders", order("ord-1", total="40.00")))
        ok(api.post("/events", {"id": "ev-1", "name": "review_posted", "customer_id": "cust-1"}))
        ok(api.post("/orders/ord-1/refunds", {"external_id": "ref-1", "amount": "10.00"}))
    with clock.at(start + timedelta(days=15)):
        assert pending.activate_due() == 30
        ok(api.post("/orders", spend_order("ord-2", 12)))
    entries = list(reversed(transactions(api)))  # newest first, as the timeline
    assert [(e["type"], e["points"]) for e in entries] == [
        ("spend", -12),
        ("activate", 30),
        ("refund_clawback", -10),
        ("earn", 25),
        ("pending", 40),
    ]
    timeline = ok(api.get("/customers/cust-1/timeline?limit=500"), 200)["data"]
    rows = [row for row in timeline if row["kind"] == "points"]
    assert [row["object_id"] for row in rows] == [e["id"] for e in entries]
    assert [row["summary"] for row in rows] == [
        {
            "program_id": "tea-club",
            "type": e["type"],
            "points": e["points"],
            "balance": e["balance_after"],
            "reason": e["reason"],
        }
        for e in entries
    ]
    assert [when(row["occurred_at"]) for row in rows] == [when(e["occurred_at"]) for e in entries]
    # The order, the event and the refund are on it too.
    kinds = {row["kind"] for row in timeline}
    assert {"order", "event", "refund", "points"} <= kinds


def test_the_loyalty_and_transactions_endpoints_show_what_the_ledger_holds(
    api: ApiClient,
) -> None:
    make_program(api, [ONE_PER_DOLLAR, REVIEW], pending={"days": 14}, expiry=ROLLING_30)
    start = clock.now().replace(microsecond=0)
    with clock.at(start):
        ok(api.post("/orders", order("ord-1", total="40.00")))  # 40 pending
        grant = {
            "points": 100,
            "reason": "welcome back",
            "expires_at": (start + timedelta(days=5)).isoformat(),
        }
        ok(api.post("/customers/cust-1/loyalty/tea-club/adjustments", grant))
        ok(api.post("/orders", spend_order("ord-2", 30)))
    with clock.at(start + timedelta(days=15)):
        assert pending.activate_due() == 40
    with clock.at(start + timedelta(days=16)):
        assert expiry.expire_due() == 1  # what is left of the 100 granted: 70
        ok(api.post("/orders/ord-1/refunds", {"external_id": "ref-1", "amount": "20.00"}))
        ok(api.post("/events", {"id": "ev-1", "name": "review_posted", "customer_id": "cust-1"}))
        balances = points(api)
    assert balances == {
        "active": 45,
        "pending": 0,
        "lifetime_earned": 45,
        "spent": 30,
        "expired": 70,
        "expiring": [
            {"points": 20, "expires_at": balances["expiring"][0]["expires_at"]},
            {"points": 25, "expires_at": balances["expiring"][1]["expires_at"]},
        ],
    }
    assert [when(e["expires_at"]) for e in balances["expiring"]] == [
        start + timedelta(days=45),
        start + timedelta(days=46),
    ]
    # The transactions, page by page, are the ledger's entries, newest first.
    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        path = "/customers/cust-1/loyalty/tea-club/transactions?limit=3"
        page = ok(api.get(path + (f"&cursor={cursor}" if cursor else "")), 200)
        assert len(page["data"]) <= 3
        seen.extend(page["data"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    stored = list(LedgerEntry.objects.order_by("-created_at", "-pk"))
    assert [e["id"] for e in seen] == [str(entry.pk) for entry in stored]
    assert [(e["type"], e["points"], e["pending_points"], e["balance_after"]) for e in seen] == [
        ("earn", 25, 0, 45),
        ("refund_clawback", -20, 0, 20),
        ("expire", -70, 0, 40),
        ("activate", 40, -40, 110),
        ("spend", -30, 0, 70),
        ("adjust", 100, 0, 100),
        ("pending", 40, 40, 0),
    ]
    # The balances are the sums of what the transactions show.
    assert seen[0]["balance_after"] == balances["active"]
    assert sum(e["pending_points"] for e in seen) == balances["pending"]
    earned = sum(
        e["points"] for e in seen if e["type"] in ("earn", "activate", "refund_clawback", "cancel")
    )
    assert earned == balances["lifetime_earned"]
    spent = -sum(e["points"] for e in seen if e["type"] in ("spend", "rollback", "refund_return"))
    assert spent == balances["spent"]
    assert -sum(e["points"] for e in seen if e["type"] == "expire") == balances["expired"]
    assert verify() == []


def test_an_event_earns_with_its_effects_in_the_response_once(api: ApiClient) -> None:
    make_program(api, [ONE_PER_DOLLAR, REVIEW])
    make_program(api, [{**REVIEW, "effect": {"type": "fixed", "points": 7}}], id="stamps")
    ok(api.post("/orders", order("ord-1", total="40.00")))
    posted = {"id": "ev-1", "name": "review_posted", "customer_id": "cust-1"}
    first = ok(api.post("/events", posted))
    expected: list[dict[str, Any]] = [
        {
            "program_id": "tea-club",
            "points_earned": 25,
            "points_pending": 0,
            "balance": 65,
            "tier": None,
            "points_clawed_back": 0,
            "points_spent": 0,
            "points_returned": 0,
        },
        {
            "program_id": "stamps",
            "points_earned": 7,
            "points_pending": 0,
            "balance": 7,
            "tier": None,
            "points_clawed_back": 0,
            "points_spent": 0,
            "points_returned": 0,
        },
    ]
    by_program = sorted(first["loyalty"], key=lambda e: e["program_id"])
    assert by_program == sorted(expected, key=lambda e: e["program_id"])
    # The same event again: the stored one, nothing earned twice.
    again = ok(api.post("/events", posted), 200)
    assert sorted(again["loyalty"], key=lambda e: e["program_id"]) == by_program
    assert (points(api)["active"], points(api, program="stamps")["active"]) == (65, 7)
    entry = transactions(api)[-1]
    assert (entry["type"], entry["points"], entry["source"], entry["rule_id"]) == (
        "earn",
        25,
        {"type": "event", "id": "ev-1"},
        "review",
    )
    # An event no rule names earns nothing, and says so.
    other = ok(api.post("/events", {"id": "ev-2", "name": "visit", "customer_id": "cust-1"}))
    assert {e["program_id"]: e["points_earned"] for e in other["loyalty"]} == {
        "tea-club": 0,
        "stamps": 0,
    }
    assert LedgerEntry.objects.filter(source_type="event").count() == 2
    assert verify() == []


def test_an_event_the_program_waits_for_activates_its_orders_points(api: ApiClient) -> None:
    make_program(api, pending={"until_event": "order_delivered"})
    ok(api.post("/orders", order("ord-1", total="40.00")))
    ok(api.post("/orders", order("ord-2", total="15.00")))
    delivered = {
        "id": "ev-d",
        "name": "order_delivered",
        "customer_id": "cust-1",
        "properties": {"order_id": "ord-1"},
    }
    response = ok(api.post("/events", delivered))
    (effect,) = response["loyalty"]
    assert (effect["points_earned"], effect["points_pending"]) == (0, 0), "it earns nothing"
    assert (points(api)["active"], points(api)["pending"]) == (40, 15)
    activated = transactions(api)[-1]
    assert (activated["type"], activated["points"], activated["pending_points"]) == (
        "activate",
        40,
        -40,
    )
    assert activated["source"] == {"type": "order", "id": "ord-1"}
    assert PointLot.objects.get(source_id="ord-1").pending is False
    assert PointLot.objects.get(source_id="ord-2").pending is True
    assert verify() == []
