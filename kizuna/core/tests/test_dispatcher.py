"""The outbox dispatcher for real: committed events are dispatched from the outbox alone (no
task row), at once on PostgreSQL where a commit wakes the dispatcher, failed ones again after
a backoff, and never twice however many dispatchers run."""

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from conftest import ApiClient, postgres_only
from kizuna.core import dispatcher, events
from kizuna.core.clock import now
from kizuna.core.models import OutboxEvent, Workspace

pytestmark = pytest.mark.django_db(transaction=True)

# Declared by the customers app; looked up by name so that the kernel imports no domain.
CUSTOMER_CREATED: Any = events.EVENT_TYPES["customer.created"]


@pytest.fixture
def received() -> Iterator[list[str]]:
    seen: list[str] = []
    lock = threading.Lock()

    def handler(event: OutboxEvent) -> None:
        with lock:
            seen.append(event.payload["customer_id"])

    events.subscribe("customer.created", handler)
    yield seen
    events.unsubscribe("customer.created", handler)


def _wait_for(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.05)
    return False


def test_a_committed_event_is_dispatched_from_the_outbox_alone(
    api: ApiClient, received: list[str]
) -> None:
    assert api.post("/customers", {"external_id": "c-1"}).status_code == 201
    event = OutboxEvent.objects.get(type="customer.created")
    assert event.dispatched_at is None
    assert DBTaskResult.objects.count() == 0

    counts = dispatcher.drain()

    assert (counts.dispatched, counts.failed) == (1, 0)
    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert event.attempts == 1
    assert received == ["c-1"]
    assert dispatcher.drain().dispatched == 0, "dispatched once"


def test_rolled_back_requests_leave_nothing_to_dispatch(api: ApiClient) -> None:
    response = api.post(
        "/orders",
        {
            "external_id": "o-1",
            "customer_id": "c-3",
            "currency": "USD",
            "total": "10.00",
            "subtotal": "11.00",
        },
    )
    assert response.status_code == 422
    assert OutboxEvent.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_a_failed_event_waits_for_its_backoff_and_the_sweep_tries_it_anyway(
    api: ApiClient,
) -> None:
    calls: list[str] = []

    def flaky(event: OutboxEvent) -> None:
        calls.append(event.payload["customer_id"])
        if len(calls) == 1:
            raise RuntimeError("receiver down")

    events.subscribe("customer.created", flaky)
    try:
        api.post("/customers", {"external_id": "c-flaky"})
        assert dispatcher.drain().failed == 1
        event = OutboxEvent.objects.get()
        assert event.dispatched_at is None
        assert event.last_error == "RuntimeError: receiver down"
        assert event.next_attempt_at > now()
        assert dispatcher.drain().dispatched == 0, "not due before its backoff"

        OutboxEvent.objects.update(next_attempt_at=now() - timedelta(seconds=1))
        assert dispatcher.drain().dispatched == 1
        assert calls == ["c-flaky", "c-flaky"]
    finally:
        events.unsubscribe("customer.created", flaky)


def test_the_sweep_tries_a_failed_event_before_its_backoff(api: ApiClient) -> None:
    def refuse(event: OutboxEvent) -> None:
        raise RuntimeError("no")

    events.subscribe("customer.created", refuse)
    try:
        api.post("/customers", {"external_id": "c-stuck"})
        dispatcher.drain()
        attempts = OutboxEvent.objects.get().attempts
        call_command("dispatch_outbox", verbosity=0, stderr=None)
        assert OutboxEvent.objects.get().attempts == attempts + 1
    finally:
        events.unsubscribe("customer.created", refuse)


def _follow_in_background(idle_seconds: float) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=dispatcher.follow, kwargs={"idle_seconds": idle_seconds, "stop": stop}
    )
    thread.start()
    return thread, stop


def test_the_follower_dispatches_what_is_committed(api: ApiClient, received: list[str]) -> None:
    # Committed before the follower starts: the in-memory SQLite test database cannot take
    # two writers at once. Commits that wake a waiting follower are tested on PostgreSQL.
    for i in range(3):
        assert api.post("/customers", {"external_id": f"c-{i}"}).status_code == 201
    thread, stop = _follow_in_background(idle_seconds=0.2)
    try:
        assert _wait_for(lambda: len(received) == 3, 30), received
    finally:
        stop.set()
        thread.join(30)
    assert sorted(received) == ["c-0", "c-1", "c-2"]
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()


@postgres_only
def test_a_commit_wakes_the_follower_at_once_on_postgresql(
    api: ApiClient, received: list[str]
) -> None:
    """The follower waits up to an hour between looks; only the notification sent by the
    commit can make it dispatch within the test's patience."""
    thread, stop = _follow_in_background(idle_seconds=3600)
    try:
        time.sleep(0.5)  # the follower has drained the empty outbox and waits
        assert api.post("/customers", {"external_id": "c-notified"}).status_code == 201
        assert _wait_for(lambda: received == ["c-notified"], 20), received
    finally:
        stop.set()
        with transaction.atomic():  # one more notification lets the follower see `stop`
            events.emit(
                Workspace.objects.get(), CUSTOMER_CREATED(customer_id="c-last", source="api")
            )
        thread.join(30)
    assert not thread.is_alive()


@postgres_only
def test_two_dispatchers_at_once_run_each_event_once(api: ApiClient, received: list[str]) -> None:
    for i in range(40):
        api.post("/customers", {"external_id": f"c-{i}"})
    barrier = threading.Barrier(2)
    results: list[dispatcher.Counts] = []

    def run() -> None:
        try:
            barrier.wait(10)
            results.append(dispatcher.drain())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(r.dispatched for r in results) == 40
    assert sorted(received) == sorted(f"c-{i}" for i in range(40))
