"""emit_for_rows: one event per row of a query, written by one INSERT ... SELECT (a segment
refresh announces everyone who entered), then dispatched like any other event."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.db.models import CharField, F, Value

from kizuna.core import dispatcher, events
from kizuna.core.events import EventPayload
from kizuna.core.models import OutboxEvent, Workspace

# Declared by the customers app; looked up by name so that the kernel imports no domain.
CUSTOMER_CREATED: Any = events.EVENT_TYPES["customer.created"]
API = Value("api", output_field=CharField())


@pytest.fixture
def received() -> Iterator[list[str]]:
    seen: list[str] = []

    def handler(event: OutboxEvent) -> None:
        if event.payload["customer_id"] == "bulk-3":
            raise RuntimeError("subscriber down")
        seen.append(event.payload["customer_id"])

    events.subscribe("customer.created", handler)
    yield seen
    events.unsubscribe("customer.created", handler)


def shops(count: int) -> Any:
    for i in range(count):
        Workspace.objects.create(slug=f"bulk-{i}", name="Bulk")
    return Workspace.objects.filter(slug__startswith="bulk-").order_by("slug")


@pytest.mark.django_db(transaction=True)
def test_one_event_per_row_each_dispatched(received: list[str]) -> None:
    rows = shops(5)
    owner = rows.first()
    assert owner is not None
    with transaction.atomic():
        emitted = events.emit_for_rows(
            owner, CUSTOMER_CREATED, rows, {"customer_id": F("slug"), "source": API}
        )
        assert emitted == 5
    stored = OutboxEvent.objects.order_by("payload__customer_id")
    assert [e.payload for e in stored] == [
        {"customer_id": f"bulk-{i}", "source": "api"} for i in range(5)
    ]
    assert {e.type for e in stored} == {"customer.created"}
    assert {e.workspace_id for e in stored} == {owner.pk}
    assert len({e.pk for e in stored}) == 5
    assert all(e.next_attempt_at == e.occurred_at and e.attempts == 0 for e in stored)

    counts = dispatcher.drain()

    assert (counts.dispatched, counts.failed) == (4, 1)
    assert sorted(received) == ["bulk-0", "bulk-1", "bulk-2", "bulk-4"]
    pending = OutboxEvent.objects.filter(dispatched_at__isnull=True)
    assert [e.payload["customer_id"] for e in pending] == ["bulk-3"]  # tried again later


@pytest.mark.django_db
def test_the_payload_must_match_the_declared_schema() -> None:
    rows = shops(1)
    owner = rows.get()

    class Stray(EventPayload):
        customer_id: str

    with transaction.atomic():
        with pytest.raises(RuntimeError, match="not a declared event type"):
            events.emit_for_rows(owner, Stray, rows, {"customer_id": F("slug")})
        with pytest.raises(RuntimeError, match="has the fields"):
            events.emit_for_rows(owner, CUSTOMER_CREATED, rows, {"customer_id": F("slug")})
        with pytest.raises(RuntimeError, match="has the fields"):
            payload = {"customer_id": F("slug"), "source": API, "extra": API}
            events.emit_for_rows(owner, CUSTOMER_CREATED, rows, payload)
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_is_refused() -> None:
    rows = shops(1)
    with pytest.raises(RuntimeError, match="inside the transaction"):
        events.emit_for_rows(
            rows.get(), CUSTOMER_CREATED, rows, {"customer_id": F("slug"), "source": API}
        )
