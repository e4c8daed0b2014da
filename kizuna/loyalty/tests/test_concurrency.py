"""Races on PostgreSQL, with real threads, each with its own database connection, released
together by a barrier: concurrent spends never overspend, the same order sent at once earns
once, concurrent partial refunds never take back or give back more than the order earned and
spent, and two expiry or activation jobs at once move each lot once."""

import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, Sum

from conftest import ApiClient, postgres_only, send_together
from kizuna.accounts.services import NewWorkspace
from kizuna.core.clock import now
from kizuna.loyalty import tasks
from kizuna.loyalty.models import Account, EntryType, LedgerEntry, LotAllocation, PointLot
from kizuna.loyalty.services import expiry, pending
from kizuna.loyalty.services.verify import verify
from kizuna.loyalty.tests.support import make_program, order, points
from kizuna.orders.models import Order


def _at_once(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs at the same moment, one thread and database connection each."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a job hung"
    assert not errors, errors
    return results


def _paid_with_points(external_id: str, spent: int) -> dict[str, Any]:
    return order(
        external_id,
        total="3.00",
        payments=[{"method": "points", "amount": "3.00", "points": spent}],
    )


@postgres_only
def test_fifty_concurrent_spends_never_overspend(api: ApiClient, workspace: NewWorkspace) -> None:
    make_program(api)
    assert api.post("/orders", order("ord-0", total="1000.00")).status_code == 201
    # 50 orders paid wholly with 30 points each (so they earn nothing) against 1,000 points:
    # 33 fit, 17 do not.
    responses = send_together(
        workspace.server_key,
        [("POST", "/orders", _paid_with_points(f"spend-{i}", 30)) for i in range(50)],
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 33 + [422] * 17
    refused = [r.json() for r in responses if r.status_code == 422]
    assert {(e["code"], e["field"]) for e in refused} == {("insufficient_points", "payments")}
    balances = sorted(r.json()["loyalty"][0]["balance"] for r in responses if r.status_code == 201)
    assert balances == list(range(10, 1000, 30)), "each spend saw the one before it"
    got = points(api)
    assert (got["active"], got["spent"], got["lifetime_earned"]) == (10, 990, 1000)
    spends = LedgerEntry.objects.filter(type=EntryType.SPEND)
    assert sorted(spends.values_list("points", flat=True)) == [-30] * 33
    assert Order.objects.count() == 34, "a refused order is not stored"
    [lot] = PointLot.objects.all()
    assert (lot.amount, lot.remaining) == (1000, 10)
    assert LotAllocation.objects.aggregate(taken=Sum("points"))["taken"] == 990
    assert verify() == []


@postgres_only
def test_the_same_order_sent_twenty_times_at_once_earns_once(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    make_program(api)
    body = order("ord-dup", total="40.00")
    responses = send_together(workspace.server_key, [("POST", "/orders", body)] * 20)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 19 + [201], "one stored it; the others got it back"
    for response in responses:
        data = response.json()
        assert data["external_id"] == "ord-dup"
        [effect] = data["loyalty"]
        assert (effect["points_earned"], effect["balance"]) == (40, 40)
    assert Order.objects.count() == 1
    earned = LedgerEntry.objects.filter(type__in=[EntryType.EARN, EntryType.PENDING])
    assert list(earned.values_list("points", flat=True)) == [40]
    got = points(api)
    assert (got["active"], got["lifetime_earned"]) == (40, 40)
    assert list(PointLot.objects.values_list("amount", "remaining")) == [(40, 40)]
    assert Account.objects.count() == 1
    assert verify() == []


@postgres_only
def test_concurrent_partial_refunds_never_return_more_than_the_order_earned(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    make_program(api)
    api.post("/orders", order("ord-0", total="200.00"))
    paid = order(
        "ord-1",
        total="100.00",
        payments=[
            {"method": "points", "amount": "20.00", "points": 50},
            {"method": "card", "amount": "80.00"},
        ],
    )
    effect = api.post("/orders", paid).data["loyalty"][0]
    assert (effect["points_spent"], effect["points_earned"], effect["balance"]) == (50, 80, 230)
    # Twelve refunds of 10.00 at once: ten fit in the order's 100.00.
    responses = send_together(
        workspace.server_key,
        [
            ("POST", "/orders/ord-1/refunds", {"external_id": f"ref-{i}", "amount": "10.00"})
            for i in range(12)
        ],
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 10 + [422] * 2
    refused = [r.json()["code"] for r in responses if r.status_code == 422]
    assert refused == ["refund_exceeds_order"] * 2
    done = [r.json()["loyalty"][0] for r in responses if r.status_code == 201]
    # Each tenth: 8 of the 80 earned taken back, 5 of the 50 spent given back.
    assert {(e["points_clawed_back"], e["points_returned"]) for e in done} == {(8, 5)}
    assert sorted(e["balance"] for e in done) == list(range(200, 230, 3))
    got = points(api)
    assert (got["active"], got["spent"], got["lifetime_earned"]) == (200, 0, 200)
    taken = LedgerEntry.objects.filter(type=EntryType.REFUND_CLAWBACK).aggregate(p=Sum("points"))
    given = LedgerEntry.objects.filter(type=EntryType.REFUND_RETURN).aggregate(p=Sum("points"))
    assert (taken["p"], given["p"]) == (-80, 50)
    assert Order.objects.get(external_id="ord-1").refunded_total == Decimal("100.00")
    assert verify() == []


def _customers_with_lots(api: ApiClient, customers: int, per_customer: int) -> dict[str, int]:
    """Orders of 10.00, 11.00... for each customer; returns the points each earned."""
    earned: dict[str, int] = {}
    for c in range(customers):
        for i in range(per_customer):
            body = order(
                f"ord-{c}-{i}",
                customer_id=f"cust-{c}",
                total=f"{10 + i}.00",
                occurred_at=now().isoformat(),
            )
            assert api.post("/orders", body).status_code == 201
            earned[f"cust-{c}"] = earned.get(f"cust-{c}", 0) + 10 + i
    return earned


@postgres_only
@pytest.mark.parametrize(("batch", "workers"), [(None, None), (2, 1), (2, 3)])
def test_two_expiry_jobs_at_once_expire_each_lot_once(
    api: ApiClient, batch: int | None, workers: int | None
) -> None:
    make_program(api, expiry={"policy": "rolling", "days": 30, "reset_on_activity": False})
    earned = _customers_with_lots(api, customers=12, per_customer=3)
    # Two of each member's three lots are due (10 and 11 points); the third (12) is not.
    due = PointLot.objects.exclude(source_id__endswith="-2")
    due.update(expires_at=now() - timedelta(hours=1))

    def job() -> int:
        # The task: KIZUNA_EXPIRY_WORKERS threads (2), each on its share of the accounts.
        if batch is None:
            return tasks.expire_points.call()
        return expiry.expire_due(batch=batch, workers=workers or 1)

    results = _at_once([job, job])

    assert sum(results) == 24, results
    assert expiry.expire_due() == 0
    allocations = LotAllocation.objects.values("lot_id").annotate(
        n=Count("pk"), taken=Sum("points")
    )
    by_lot = {row["lot_id"]: (row["n"], row["taken"]) for row in allocations}
    for lot in PointLot.objects.all():
        if lot.source_id.endswith("-2"):
            assert (lot.remaining, by_lot.get(lot.pk)) == (12, None)
        else:
            assert (lot.remaining, by_lot[lot.pk]) == (0, (1, lot.amount)), "expired once"
    for account in Account.objects.select_related("customer"):
        assert (account.active, account.expired) == (12, 21)
        assert earned[account.customer.external_id] == 33
        expired = LedgerEntry.objects.filter(account=account, type=EntryType.EXPIRE)
        assert sum(expired.values_list("points", flat=True)) == -21
    assert verify() == []


@postgres_only
def test_two_activation_jobs_at_once_activate_each_pending_lot_once(api: ApiClient) -> None:
    make_program(api, pending={"days": 14})
    earned = _customers_with_lots(api, customers=12, per_customer=2)
    assert PointLot.objects.filter(pending=True).count() == 24
    PointLot.objects.update(activates_at=now() - timedelta(minutes=1))

    results = _at_once([tasks.activate_points.call, tasks.activate_points.call])

    assert sum(results) == sum(earned.values()) == 12 * 21, results
    assert pending.activate_due() == 0
    assert not PointLot.objects.filter(pending=True).exists()
    for account in Account.objects.all():
        assert (account.active, account.pending, account.lifetime_earned) == (21, 0, 21)
        activated = LedgerEntry.objects.filter(account=account, type=EntryType.ACTIVATE)
        assert sum(activated.values_list("points", flat=True)) == 21
        assert sum(activated.values_list("pending_points", flat=True)) == -21
    assert sorted(PointLot.objects.values_list("remaining", flat=True)) == [10] * 12 + [11] * 12
    assert verify() == []
