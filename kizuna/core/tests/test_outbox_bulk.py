"""emit_many: many events in one change (a segment refresh), one INSERT and one dispatch task
per batch."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from kizuna.core import events
from kizuna.core.events import EventPayload
from kizuna.core.models import OutboxEvent, Workspace

CUSTOMER_CREATED: Any = events.EVENT_TYPES["customer.created"]


@pytest.fixture
def received() -> Iterator[list[str]]:
    seen: list[str] = []

    def handler(event: OutboxEvent) -> None:
        if event.payload["customer_id"] == "c-3":
            raise RuntimeError("subscriber down")
        seen.append(event.payload["customer_id"])

    events.subscribe("customer.created", handler)
    yield seen
    events.unsubscribe("customer.created", handler)


@pytest.mark.django_db(transaction=True)
def test_batches_are_written_and_dispatched_after_commit(received: list[str]) -> None:
    shop = Workspace.objects.create(slug="bulk-shop", name="Bulk")
    payloads = (CUSTOMER_CREATED(customer_id=f"c-{i}", source="api") for i in range(5))
    with transaction.atomic():
        assert events.emit_many(shop, payloads, batch_size=2) == 5
    assert OutboxEvent.objects.count() == 5
    assert DBTaskResult.objects.count() == 3  # batches of 2, 2 and 1

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    assert sorted(received) == ["c-0", "c-1", "c-2", "c-4"]
    pending = OutboxEvent.objects.filter(dispatched_at__isnull=True)
    assert [e.payload["customer_id"] for e in pending] == ["c-3"]  # left for the sweep
    assert pending.get().attempts == 1


@pytest.mark.django_db
def test_emit_many_refuses_undeclared_types_and_runs_only_in_a_transaction() -> None:
    shop = Workspace.objects.create(slug="bulk-shop-2", name="Bulk")

    class Stray(EventPayload):
        customer_id: str

    with pytest.raises(RuntimeError, match="not a declared event type"), transaction.atomic():
        events.emit_many(shop, [Stray(customer_id="x")])
    assert not OutboxEvent.objects.exists()


def test_emit_many_outside_a_transaction_is_refused(django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), pytest.raises(RuntimeError, match="inside the transaction"):
        events.emit_many(Workspace(pk=1), [])
