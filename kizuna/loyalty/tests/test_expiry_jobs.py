"""The expiry job: due lots expire once, each account gets one `expire` entry per batch with
its allocations, its timeline row and its outbox event, whatever the batch size; the same
test runs the set-based path on PostgreSQL and the ORM path on SQLite."""

import io
from datetime import timedelta
from typing import Any

import pytest

from conftest import ApiClient
from kizuna.core.clock import now
from kizuna.core.models import OutboxEvent
from kizuna.loyalty.models import LedgerEntry, LotAllocation, PointLot
from kizuna.loyalty.services import expiry
from kizuna.loyalty.services.verify import verify
from kizuna.loyalty.tests.support import make_program, order, points, transactions

pytestmark = pytest.mark.django_db

ROLLING = {"policy": "rolling", "days": 30, "reset_on_activity": False}


def _age_lots(source_id: str, days: int) -> None:
    PointLot.objects.filter(source_id=source_id).update(expires_at=now() - timedelta(days=days))


def _spend(external_id: str, spent: int) -> dict[str, Any]:
    return order(
        external_id,
        total="10.00",
        payments=[{"method": "points", "amount": "10.00", "points": spent}],
    )


@pytest.mark.parametrize("batch", [1, 1000])
def test_due_lots_expire_once_with_their_entry_timeline_and_event(
    api: ApiClient, batch: int
) -> None:
    make_program(api, expiry=ROLLING)
    api.post("/orders", order("ord-1", total="40.00"))
    api.post("/orders", order("ord-2", total="25.00"))
    api.post("/orders", order("ord-3", total="7.00", customer_id="cust-2"))
    # Spending takes the soonest-expiring lot first: 15 of ord-1's 40 go.
    assert api.post("/orders", _spend("ord-4", 15)).status_code == 201
    _age_lots("ord-1", 1)
    _age_lots("ord-3", 2)

    assert expiry.expire_due(batch=batch) == 2
    assert expiry.expire_due(batch=batch) == 0, "each lot expires once"

    first = points(api)
    assert (first["active"], first["expired"], first["spent"]) == (25, 25, 15)
    assert points(api, "cust-2")["active"] == 0
    assert points(api, "cust-2")["expired"] == 7
    expired = transactions(api)[-1]
    assert (expired["type"], expired["points"], expired["balance_after"]) == ("expire", -25, 25)
    entries = LedgerEntry.objects.filter(type="expire").order_by("pk")
    assert sorted(e.points for e in entries) == [-25, -7]
    assert sorted(a.points for a in LotAllocation.objects.filter(entry__in=entries)) == [7, 25]
    assert PointLot.objects.get(source_id="ord-1").remaining == 0
    assert PointLot.objects.get(source_id="ord-2").remaining == 25

    timeline = api.get("/customers/cust-1/timeline").data["data"]
    rows = [row for row in timeline if row["kind"] == "points"]
    assert rows[0]["summary"] == {
        "program_id": "tea-club",
        "type": "expire",
        "points": -25,
        "balance": 25,
        "reason": "expired",
    }
    announced = sorted(
        (e.payload["customer_id"], e.payload["points"], e.payload["balance"])
        for e in OutboxEvent.objects.filter(type="loyalty.points_expired")
    )
    assert announced == [("cust-1", 25, 25), ("cust-2", 7, 0)]
    assert all(
        e.payload["program_id"] == "tea-club"
        for e in OutboxEvent.objects.filter(type="loyalty.points_expired")
    )
    assert verify() == []


def test_lots_not_yet_due_pending_or_spent_stay(api: ApiClient) -> None:
    make_program(api, expiry=ROLLING, pending={"days": 14})
    api.post("/orders", order("ord-1", total="40.00", occurred_at=now().isoformat()))
    _age_lots("ord-1", 1)
    assert expiry.expire_due() == 0, "a pending lot does not expire before it activates"
    assert points(api)["pending"] == 40
    assert verify() == []


def test_the_scheduler_runs_the_expiry_as_a_job(api: ApiClient) -> None:
    from django.core.management import call_command

    make_program(api, expiry=ROLLING)
    api.post("/orders", order("ord-1", total="40.00"))
    _age_lots("ord-1", 1)
    out = io.StringIO()
    call_command("jobs", "--run", "loyalty_expire_points", stdout=out)
    assert "expired 1 lot(s)" in out.getvalue()
    assert points(api)["expired"] == 40


def test_activated_points_move_a_member_up_a_tier(api: ApiClient) -> None:
    from django.core.management import call_command

    make_program(api, pending={"days": 14})
    silver = {
        "id": "silver",
        "name": "Silver",
        "rank": 1,
        "qualify": {"metric": "points_earned", "threshold": 30, "window": "lifetime"},
    }
    assert api.post("/programs/tea-club/tiers", silver).status_code == 201
    placed = order("ord-1", occurred_at=now().isoformat())
    assert api.post("/orders", placed).data["loyalty"][0]["tier"] is None, "pending: not yet"
    PointLot.objects.update(activates_at=now() - timedelta(seconds=1))
    call_command("activate_points", stdout=io.StringIO())
    assert api.get("/customers/cust-1/loyalty").data["data"][0]["tier"]["id"] == "silver"
