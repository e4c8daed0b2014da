"""Typed domain events and the transactional outbox.

Each app declares its event types as `EventPayload` subclasses decorated with `@event_type`;
the union of those declarations is the closed list. `emit()` validates the payload against its
schema (unknown fields are refused) and writes an `OutboxEvent` in the caller's transaction.
After commit a task dispatches it to the subscribers, which must be safe to run again."""

import logging
from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from django.db import connection, transaction
from django.db.models import Q
from pydantic import BaseModel, ConfigDict

from kizuna.core.clock import now
from kizuna.core.models import OutboxEvent, Workspace

logger = logging.getLogger(__name__)


class EventPayload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Set by @event_type on each declared class. A class variable, not a field: it is never
    # part of the payload, and passing it to the constructor is refused like any unknown field.
    event_name: ClassVar[str] = ""


EVENT_TYPES: dict[str, type[EventPayload]] = {}
Subscriber = Callable[[OutboxEvent], None]
_SUBSCRIBERS: dict[str, list[Subscriber]] = {}


def event_type[T: type[EventPayload]](name: str) -> Callable[[T], T]:
    def register(cls: T) -> T:
        if name in EVENT_TYPES and EVENT_TYPES[name] is not cls:
            raise RuntimeError(f"Event type {name} is declared twice.")
        EVENT_TYPES[name] = cls
        cls.event_name = name
        return cls

    return register


def subscribe(name: str, handler: Subscriber) -> None:
    """Register a handler for one event type, or for every type with '*'."""
    if name != "*" and name not in EVENT_TYPES:
        raise RuntimeError(f"Unknown event type {name}.")
    handlers = _SUBSCRIBERS.setdefault(name, [])
    if handler not in handlers:
        handlers.append(handler)


def unsubscribe(name: str, handler: Subscriber) -> None:
    handlers = _SUBSCRIBERS.get(name, [])
    if handler in handlers:
        handlers.remove(handler)


def emit(workspace: Workspace, payload: EventPayload) -> OutboxEvent:
    name = type(payload).event_name
    if EVENT_TYPES.get(name) is not type(payload):
        raise RuntimeError(f"{type(payload).__name__} is not a declared event type.")
    if not connection.in_atomic_block:
        raise RuntimeError("emit() must run inside the transaction of the change it records.")
    data = payload.model_dump(mode="json")
    event = OutboxEvent.objects.create(workspace=workspace, type=name, payload=data)
    event_id = str(event.pk)
    transaction.on_commit(lambda: _enqueue_dispatch(event_id))
    return event


def _enqueue_dispatch(event_id: str) -> None:
    from kizuna.core.tasks import dispatch_outbox_event

    try:
        dispatch_outbox_event.enqueue(event_id)
    except Exception:
        # The sweep (`manage.py dispatch_outbox`) picks up whatever was not enqueued.
        logger.exception("Could not enqueue the dispatch of outbox event %s", event_id)


def dispatch(event_id: str) -> bool:
    """Run the subscribers of one event. Returns False if it was already dispatched.

    A failing subscriber leaves the event pending (attempts and last_error recorded) and the
    error is raised again so the task backend can retry it."""
    error: Exception | None = None
    with transaction.atomic():
        event = (
            OutboxEvent.objects.select_for_update()
            .filter(pk=event_id, dispatched_at__isnull=True)
            .first()
        )
        if event is None:
            return False
        handlers = [*_SUBSCRIBERS.get(event.type, []), *_SUBSCRIBERS.get("*", [])]
        try:
            for handler in handlers:
                with transaction.atomic():
                    handler(event)
        except Exception as exc:
            error = exc
        event.attempts += 1
        if error is None:
            event.dispatched_at = now()
            event.last_error = ""
        else:
            event.last_error = f"{type(error).__name__}: {error}"[:2000]
        event.save(update_fields=["attempts", "dispatched_at", "last_error"])
    if error is not None:
        raise error
    return True


def pending_events(
    limit: int = 500, after: tuple[datetime, str] | None = None
) -> list[tuple[datetime, str]]:
    """One page of undispatched events, oldest first, as (occurred_at, id): pass the last
    pair back as `after` for the next page. Every pending event is reached, however many
    before it fail."""
    queryset = OutboxEvent.objects.filter(dispatched_at__isnull=True)
    if after is not None:
        moment, event_id = after
        queryset = queryset.filter(
            Q(occurred_at__gt=moment) | Q(occurred_at=moment, pk__gt=event_id)
        )
    rows = queryset.order_by("occurred_at", "pk").values_list("occurred_at", "pk")[:limit]
    return [(moment, str(pk)) for moment, pk in rows]
