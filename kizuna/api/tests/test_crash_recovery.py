"""Kill-and-restart: a server process killed in the middle of a request loses nothing and
writes nothing twice. Runs a real server process against the test database, so it needs
PostgreSQL (SQLite's test database lives in the test process's memory)."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, transaction

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self) -> None:
        self.port = _free_port()
        db = settings.DATABASES["default"]
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": (
                f"postgres://{quote(db['USER'])}"
                + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
                + f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
            ),
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "runserver",
                f"127.0.0.1:{self.port}",
                "--noreload",
                "--skip-checks",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        self.process.kill()
        raise RuntimeError("the server did not start")

    def post(self, path: str, body: dict[str, Any], key: str, idem: str) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {key}",
                "Content-Type": "application/json",
                "Idempotency-Key": idem,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


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
    servers: list[Server],
) -> None:
    keys = create_workspace("crash-shop", "Crash shop")
    first = Server()
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

    second = Server()
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
