"""Kill-and-restart: a server process killed in the middle of a request loses nothing and
writes nothing twice. Runs a real server process against the test database, so it needs
PostgreSQL (SQLite's test database lives in the test process's memory)."""

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from conftest import RunServer
from kizuna.accounts.services import create_workspace
from kizuna.core.models import IdempotencyRecord
from kizuna.customers.models import Customer
from kizuna.orders.models import Order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs a database shared with a server process; runs in the PostgreSQL pass")


ORDER = {
    "external_id": "ord-crash",
    "customer_id": "cust-crash",
    "currency": "USD",
    "total": "20.00",
    "items": [{"sku": "A", "quantity": 2, "unit_price": "10.00"}],
}


def _wait_until_blocked_on_a_lock() -> None:
    deadline = time.monotonic() + 20
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Activity statistics are a snapshot per transaction: refresh it on each look.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] > 0:
                return
            time.sleep(0.05)
    raise AssertionError("the request never reached the order insert")


def test_a_server_killed_mid_request_loses_nothing_and_the_retry_writes_once(
    servers: list[RunServer],
) -> None:
    keys = create_workspace("crash-shop", "Crash shop")
    first = RunServer()
    servers.append(first)

    outcome: dict[str, Any] = {}

    def send() -> None:
        try:
            outcome["response"] = first.post("/api/v1/orders", ORDER, keys.server_key, "retry-1")
        except Exception as exc:  # the connection dies with the server
            outcome["error"] = exc

    with transaction.atomic():
        # Hold the order table so the request stops inside its transaction, after it has
        # taken the Idempotency-Key and created the customer.
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE orders_order IN EXCLUSIVE MODE")
        sender = threading.Thread(target=send)
        sender.start()
        _wait_until_blocked_on_a_lock()
        first.kill()
    sender.join(timeout=10)

    assert "response" not in outcome, "the killed server cannot have answered"
    assert Order.objects.count() == 0
    assert Customer.objects.count() == 0, "the half-done request was rolled back"
    assert not IdempotencyRecord.objects.filter(key="retry-1").exists(), "no claim is left"

    second = RunServer()
    servers.append(second)
    # The killed request's key went with its connection: the retry runs at once.
    status, body = second.post("/api/v1/orders", ORDER, keys.server_key, "retry-1")

    assert status == 201
    assert body["external_id"] == "ord-crash"
    assert Order.objects.count() == 1
    assert Customer.objects.count() == 1

    replay_status, replay_body = second.post("/api/v1/orders", ORDER, keys.server_key, "retry-1")
    assert (replay_status, replay_body) == (201, body)
    assert Order.objects.count() == 1
