"""The embedded task backend for real: a committed change enqueues the dispatch of its outbox
event in the database, and the worker command runs it."""

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from conftest import ApiClient
from kizuna.core import events
from kizuna.core.models import OutboxEvent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def received() -> Iterator[list[str]]:
    seen: list[str] = []

    def handler(event: OutboxEvent) -> None:
        seen.append(event.type)

    events.subscribe("customer.created", handler)
    yield seen
    events.unsubscribe("customer.created", handler)


def test_commit_enqueues_dispatch_and_the_worker_runs_it(
    api: ApiClient, received: list[str]
) -> None:
    response = api.post("/customers", {"external_id": "c-1"})
    assert response.status_code == 201
    event = OutboxEvent.objects.get(type="customer.created")
    assert event.dispatched_at is None
    queued = DBTaskResult.objects.filter(args_kwargs__args=[str(event.pk)])
    assert queued.count() == 1

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert event.attempts == 1
    assert received == ["customer.created"]
    assert queued.get().status == "SUCCESSFUL"


def test_a_lost_enqueue_is_recovered_by_the_sweep(api: ApiClient, received: list[str]) -> None:
    api.post("/customers", {"external_id": "c-2"})
    DBTaskResult.objects.all().delete()  # the enqueue was lost (crash between commit and enqueue)

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert OutboxEvent.objects.filter(dispatched_at__isnull=True).count() == 1

    call_command("dispatch_outbox", verbosity=0)
    assert OutboxEvent.objects.filter(dispatched_at__isnull=True).count() == 0
    assert received == ["customer.created"]


def test_rolled_back_requests_enqueue_nothing(api: ApiClient) -> None:
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
