"""The transactional outbox: emit inside the change's transaction, dispatch after commit, once,
and keep failures for a retry."""

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult
from pydantic import ValidationError

from kizuna.core import events
from kizuna.core.events import EventPayload
from kizuna.core.models import OutboxEvent, Workspace

pytestmark = pytest.mark.django_db

# Declared by the customers app; looked up by name so that the kernel imports no domain.
CUSTOMER_CREATED: Any = events.EVENT_TYPES["customer.created"]
CUSTOMER_UPDATED: Any = events.EVENT_TYPES["customer.updated"]


@pytest.fixture
def shop(db: None) -> Workspace:
    return Workspace.objects.create(slug="outbox-shop", name="Outbox shop")


def emit_created(workspace: Workspace, customer_id: str = "c-1") -> OutboxEvent:
    with transaction.atomic():
        return events.emit(workspace, CUSTOMER_CREATED(customer_id=customer_id, source="api"))


class Recorder:
    """A subscriber that writes a row of its own (to show its writes share the dispatch's
    fate) and can be told to fail."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.fail_with: Exception | None = None

    def __call__(self, event: OutboxEvent) -> None:
        Workspace.objects.create(slug=f"side-{len(self.seen)}-{event.pk.hex[:8]}", name="x")
        self.seen.append((event.type, event.payload))
        if self.fail_with is not None:
            raise self.fail_with


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    handler = Recorder()
    events.subscribe("customer.created", handler)
    yield handler
    events.unsubscribe("customer.created", handler)


@pytest.fixture
def catch_all() -> Iterator[list[str]]:
    seen: list[str] = []

    def handler(event: OutboxEvent) -> None:
        seen.append(event.type)

    events.subscribe("*", handler)
    yield seen
    events.unsubscribe("*", handler)


# ------------------------------------------------------------------ emit


@pytest.mark.django_db(transaction=True)
def test_emit_outside_a_transaction_raises(shop: Workspace) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        events.emit(shop, CUSTOMER_CREATED(customer_id="c-1", source="api"))

    assert OutboxEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_no_event_and_enqueues_nothing(shop: Workspace) -> None:
    """The outbox is the only record of the work pending: no task row, committed or not."""
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        events.emit(shop, CUSTOMER_CREATED(customer_id="c-1", source="api"))
        assert OutboxEvent.objects.count() == 1
        _ = 1 / 0

    assert OutboxEvent.objects.count() == 0
    assert DBTaskResult.objects.count() == 0

    event = emit_created(shop, "c-2")  # committed: stored, pending, and nothing else

    assert list(OutboxEvent.objects.values_list("pk", flat=True)) == [event.pk]
    assert OutboxEvent.objects.get().dispatched_at is None
    assert DBTaskResult.objects.count() == 0


def test_an_event_in_a_rolled_back_savepoint_leaves_no_row(shop: Workspace) -> None:
    with transaction.atomic():
        kept = events.emit(shop, CUSTOMER_CREATED(customer_id="kept", source="api"))
        with pytest.raises(ValueError, match="undo"), transaction.atomic():
            events.emit(shop, CUSTOMER_CREATED(customer_id="undone", source="api"))
            raise ValueError("undo")

    assert [(e.pk, e.payload["customer_id"]) for e in OutboxEvent.objects.all()] == [
        (kept.pk, "kept")
    ]


def test_the_stored_event_is_the_declared_payload(shop: Workspace) -> None:
    event = emit_created(shop)

    event.refresh_from_db()
    assert event.type == "customer.created"
    assert event.payload == {"customer_id": "c-1", "source": "api"}
    assert event.workspace_id == shop.pk
    assert event.dispatched_at is None
    assert event.attempts == 0
    assert event.last_error == ""


@pytest.mark.parametrize(
    "fields",
    [
        {"customer_id": "c-1", "source": "api", "colour": "red"},  # unknown field
        {"customer_id": "c-1", "source": "api", "event_name": "order.created"},
        {"customer_id": "c-1"},  # missing field
        {"customer_id": ["c-1"], "source": "api"},  # wrong type
    ],
)
def test_payloads_outside_their_schema_are_refused(shop: Workspace, fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        CUSTOMER_CREATED(**fields)

    assert OutboxEvent.objects.count() == 0


def test_payloads_are_frozen() -> None:
    payload = CUSTOMER_UPDATED(customer_id="c-1", changed=["email"])

    with pytest.raises(ValidationError):
        payload.customer_id = "c-2"


def test_undeclared_event_types_are_refused(shop: Workspace) -> None:
    class Undeclared(EventPayload):
        customer_id: str

    with pytest.raises(RuntimeError, match="not a declared event type"), transaction.atomic():
        events.emit(shop, Undeclared(customer_id="c-1"))
    with pytest.raises(RuntimeError, match="Unknown event type"):
        events.subscribe("customer.deleted_forever", lambda event: None)
    with pytest.raises(RuntimeError, match="declared twice"):
        events.event_type("customer.created")(Undeclared)

    assert events.EVENT_TYPES["customer.created"] is CUSTOMER_CREATED
    assert OutboxEvent.objects.count() == 0


# ------------------------------------------------------------------ dispatch


def test_dispatch_runs_the_subscribers_once(
    shop: Workspace, recorder: Recorder, catch_all: list[str]
) -> None:
    event = emit_created(shop)

    assert events.dispatch(str(event.pk)) is True
    assert events.dispatch(str(event.pk)) is False

    assert recorder.seen == [("customer.created", {"customer_id": "c-1", "source": "api"})]
    assert catch_all == ["customer.created"]
    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert event.attempts == 1
    assert event.last_error == ""


def test_subscribers_hear_only_their_type(
    shop: Workspace, recorder: Recorder, catch_all: list[str]
) -> None:
    with transaction.atomic():
        other = events.emit(shop, CUSTOMER_UPDATED(customer_id="c-1", changed=["email"]))

    assert events.dispatch(str(other.pk)) is True

    assert recorder.seen == []
    assert catch_all == ["customer.updated"]


def test_subscribing_twice_runs_once(shop: Workspace, recorder: Recorder) -> None:
    events.subscribe("customer.created", recorder)
    event = emit_created(shop)

    events.dispatch(str(event.pk))

    assert len(recorder.seen) == 1


def test_unsubscribed_handlers_are_not_called(shop: Workspace) -> None:
    handler = Recorder()
    events.subscribe("customer.created", handler)
    events.unsubscribe("customer.created", handler)
    events.unsubscribe("customer.created", handler)  # twice is harmless
    event = emit_created(shop)

    assert events.dispatch(str(event.pk)) is True
    assert handler.seen == []


def test_a_failing_subscriber_leaves_the_event_pending(shop: Workspace, recorder: Recorder) -> None:
    event = emit_created(shop)
    recorder.fail_with = ConnectionError("endpoint down")
    workspaces = Workspace.objects.count()

    with pytest.raises(ConnectionError, match="endpoint down"):
        events.dispatch(str(event.pk))

    event.refresh_from_db()
    assert event.dispatched_at is None
    assert event.attempts == 1
    assert event.last_error == "ConnectionError: endpoint down"
    assert Workspace.objects.count() == workspaces  # the subscriber's write was undone
    assert [i for _, i in events.pending_events()] == [str(event.pk)]

    recorder.fail_with = None
    assert events.dispatch(str(event.pk)) is True

    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert event.attempts == 2
    assert event.last_error == ""
    assert Workspace.objects.count() == workspaces + 1
    assert len(recorder.seen) == 2
    assert events.pending_events() == []


def test_the_recorded_error_is_bounded(shop: Workspace, recorder: Recorder) -> None:
    event = emit_created(shop)
    recorder.fail_with = ValueError("x" * 5000)

    with pytest.raises(ValueError):
        events.dispatch(str(event.pk))

    event.refresh_from_db()
    assert len(event.last_error) == 2000
    assert event.last_error.startswith("ValueError: xxx")


def test_dispatch_of_an_unknown_id_is_false() -> None:
    assert events.dispatch("00000000-0000-0000-0000-000000000000") is False


def test_pending_events_page_oldest_first_and_reach_every_event(shop: Workspace) -> None:
    emitted = [emit_created(shop, f"c-{i}") for i in range(5)]
    seen: list[str] = []
    page = events.pending_events(limit=2)
    while page:
        seen += [event_id for _, event_id in page]
        page = events.pending_events(limit=2, after=page[-1])
    expected = sorted(emitted, key=lambda e: (e.occurred_at, str(e.pk)))
    assert seen == [str(e.pk) for e in expected]


# ------------------------------------------------------------------ the sweep command


def run_sweep() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("dispatch_outbox", stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def test_dispatch_outbox_dispatches_what_is_pending(
    shop: Workspace, recorder: Recorder, catch_all: list[str]
) -> None:
    done = emit_created(shop, "already")
    events.dispatch(str(done.pk))
    pending = [emit_created(shop, f"c-{i}") for i in range(3)]
    with transaction.atomic():
        events.emit(shop, CUSTOMER_UPDATED(customer_id="c-0", changed=["email"]))

    assert run_sweep() == ("dispatched 4 event(s), 0 failure(s)", "")

    assert OutboxEvent.objects.filter(dispatched_at__isnull=True).count() == 0
    assert recorder.seen[0][1]["customer_id"] == "already"
    assert sorted(payload["customer_id"] for _, payload in recorder.seen[1:]) == [
        e.payload["customer_id"] for e in pending
    ]
    assert sorted(catch_all) == [*["customer.created"] * 4, "customer.updated"]
    assert run_sweep() == ("dispatched 0 event(s), 0 failure(s)", "")
    assert len(recorder.seen) == 4


def test_dispatch_outbox_goes_past_a_failing_event(shop: Workspace) -> None:
    def fussy(event: OutboxEvent) -> None:
        if event.payload["customer_id"] == "c-bad":
            raise RuntimeError("cannot deliver")

    events.subscribe("customer.created", fussy)
    try:
        bad = emit_created(shop, "c-bad")
        good = [emit_created(shop, f"c-{i}") for i in range(2)]

        out, err = run_sweep()
    finally:
        events.unsubscribe("customer.created", fussy)

    assert out == "dispatched 2 event(s), 1 failure(s)"
    assert err == f"event {bad.pk}: cannot deliver", "each pending event is tried once a run"
    for event in good:
        event.refresh_from_db()
        assert event.dispatched_at is not None
    bad.refresh_from_db()
    assert bad.dispatched_at is None
    assert bad.attempts == 1
    assert bad.last_error == "RuntimeError: cannot deliver"


def test_purge_idempotency_keys_deletes_only_expired_records(shop: Workspace) -> None:
    from datetime import timedelta

    from django.conf import settings

    from kizuna.core.clock import now
    from kizuna.core.models import IdempotencyRecord

    ttl = timedelta(hours=settings.KIZUNA_IDEMPOTENCY_TTL_HOURS)
    for key, age in (("old", ttl + timedelta(minutes=1)), ("recent", ttl - timedelta(minutes=1))):
        IdempotencyRecord.objects.create(
            workspace=shop,
            key=key,
            fingerprint="f",
            method="POST",
            path="/api/v1/orders",
            response_status=201,
            response_body=b"{}",
            response_content_type="application/json",
            created_at=now() - age,
        )
    out = StringIO()
    call_command("purge_idempotency_keys", stdout=out)
    assert out.getvalue().strip() == "deleted 1 expired key(s)"
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]


def test_the_sweep_reaches_events_behind_a_full_page_of_failures(shop: Workspace) -> None:
    def refuse(event: OutboxEvent) -> None:
        if event.payload["customer_id"].startswith("bad-"):
            raise RuntimeError("down")

    events.subscribe("customer.created", refuse)
    try:
        bad = [emit_created(shop, f"bad-{i}") for i in range(510)]
        good = emit_created(shop, "good")
        out, _ = run_sweep()
    finally:
        events.unsubscribe("customer.created", refuse)
    assert out == "dispatched 1 event(s), 510 failure(s)"
    good.refresh_from_db()
    assert good.dispatched_at is not None
    assert OutboxEvent.objects.filter(pk__in=[e.pk for e in bad], attempts=1).count() == 510
