"""A server killed in the middle of earning: every order stored has exactly its points, the
order cut short has neither, `verify_ledger` passes, and sending every order again (with the
same Idempotency-Keys) completes each exactly once. Runs real server processes against the
test database, so it needs PostgreSQL (SQLite's test database lives in the test process)."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum

from conftest import ApiClient, RunServer, postgres_only, server_database_url
from kizuna.accounts.services import NewWorkspace
from kizuna.core.models import IdempotencyRecord
from kizuna.loyalty.models import Account, EntryType, LedgerEntry
from kizuna.loyalty.services.verify import verify
from kizuna.loyalty.tests.support import make_program
from kizuna.orders.models import Order

ROOT = Path(__file__).resolve().parents[3]
SENDERS = ("cust-a", "cust-b")
PER_SENDER = 12


def _orders() -> dict[str, dict[str, Any]]:
    """Each sender's orders, of 10.25, 11.50, 12.75...: each earns its whole dollars."""
    out = {}
    for customer in SENDERS:
        for i in range(PER_SENDER):
            external_id = f"{customer}-ord-{i}"
            out[external_id] = {
                "external_id": external_id,
                "customer_id": customer,
                "currency": "USD",
                "total": f"{10 + i}.{25 * (i % 4 + 1) % 100:02d}",
            }
    return out


def _points_of(body: dict[str, Any]) -> int:
    return int(body["total"].split(".")[0])


def _waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        # Activity statistics are a snapshot per transaction: refresh it on each look.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int(cursor.fetchone()[0])


def _wait_for(condition: Any, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(what)


def _check_every_stored_order_has_exactly_its_points(orders: dict[str, Any]) -> set[str]:
    """Each stored order earned its points once; no points without their order. Returns the
    ids of the orders stored."""
    stored = set(Order.objects.values_list("external_id", flat=True))
    earned = dict(
        LedgerEntry.objects.filter(type=EntryType.EARN, source_type="order")
        .values("source_id")
        .annotate(points=Sum("points"))
        .values_list("source_id", "points")
    )
    assert set(earned) == stored, "points without their order, or an order without its points"
    for external_id in stored:
        assert earned[external_id] == _points_of(orders[external_id]), external_id
    assert LedgerEntry.objects.filter(type=EntryType.EARN).count() == len(stored), (
        "each order earned once"
    )
    for account in Account.objects.select_related("customer"):
        mine = [o for o in stored if o.startswith(account.customer.external_id)]
        assert account.active == sum(_points_of(orders[o]) for o in mine)
        assert account.lifetime_earned == account.active
    return stored


def _verify_ledger_command() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "verify_ledger"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": server_database_url()},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@postgres_only
def test_a_server_killed_mid_earn_leaves_each_order_with_its_points_or_neither(
    workspace: NewWorkspace, servers: list[RunServer]
) -> None:
    make_program(ApiClient(workspace.server_key))
    key = workspace.server_key
    orders = _orders()
    first = RunServer()
    servers.append(first)
    answered: dict[str, tuple[int, Any]] = {}
    cut: dict[str, BaseException] = {}

    def send(customer: str) -> None:
        for external_id, body in orders.items():
            if body["customer_id"] != customer:
                continue
            try:
                answered[external_id] = first.post("/api/v1/orders", body, key, external_id)
            except Exception as exc:  # the connection dies with the server
                cut[external_id] = exc
                return

    senders = [threading.Thread(target=send, args=(c,)) for c in SENDERS]
    for sender in senders:
        sender.start()
    # Mid-stream: once some orders are in, the ledger is held, so that the next order of
    # each sender stops inside its transaction, with the order and the account written and
    # its ledger entry not yet; then the server is killed.
    _wait_for(lambda: Order.objects.count() >= 6, "the orders never came in")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {LedgerEntry._meta.db_table} IN EXCLUSIVE MODE")
        _wait_for(lambda: _waiting_on_locks() >= len(SENDERS), "no order reached its points")
        first.kill()
    for sender in senders:
        sender.join(timeout=30)

    assert sorted(cut) == sorted(f"{c}-ord-{_last_answered(answered, c) + 1}" for c in SENDERS)
    assert all(status == 201 for status, _ in answered.values()), answered
    for external_id, (_, body) in answered.items():
        effect = body["loyalty"][0]
        assert effect["points_earned"] == _points_of(orders[external_id])
    stored = _check_every_stored_order_has_exactly_its_points(orders)
    assert stored == set(answered), "the orders cut short left nothing"
    assert not IdempotencyRecord.objects.filter(key__in=list(cut)).exists(), "no claim is left"
    assert verify() == []
    checked = _verify_ledger_command()
    assert checked.returncode == 0, checked.stderr

    second = RunServer()
    servers.append(second)
    # Every order again, with the same Idempotency-Keys: the answered ones are replayed, the
    # others run now; each order earns once.
    again = {
        external_id: second.post("/api/v1/orders", body, key, external_id)
        for external_id, body in orders.items()
    }
    for external_id, (status, body) in again.items():
        assert status == 201, body
        if external_id in answered:
            assert body == answered[external_id][1], "a replay of the stored answer"
        assert body["loyalty"][0]["points_earned"] == _points_of(orders[external_id])
    assert _check_every_stored_order_has_exactly_its_points(orders) == set(orders)
    assert verify() == []
    checked = _verify_ledger_command()
    assert checked.returncode == 0, checked.stderr
    assert "agree" in checked.stdout


def _last_answered(answered: dict[str, Any], customer: str) -> int:
    """The index of the customer's last order answered (-1: none)."""
    sent = [int(o.rsplit("-", 1)[1]) for o in answered if o.startswith(f"{customer}-")]
    return max(sent, default=-1)
