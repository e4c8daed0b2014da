"""Typed domain events and the transactional outbox.

Each app declares its event types as `EventPayload` subclasses decorated with `@event_type`;
the union of those declarations is the closed list. `emit()` validates the payload against its
schema (unknown fields are refused) and writes an `OutboxEvent` in the caller's transaction.
The outbox is the only record of the work pending: the dispatcher (`kizuna.core.dispatcher`,
`manage.py dispatch_outbox --follow`) reads it, woken on PostgreSQL by the notification that
each committed insert sends, and runs the subscribers, which must be safe to run again."""

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.db import connection, transaction
from django.db.models import CharField, DateTimeField, IntegerField, Q, QuerySet, Value
from django.db.models.functions import UUID4, JSONObject
from pydantic import BaseModel, ConfigDict

from kizuna.core.bulk import bulk_insert
from kizuna.core.clock import now
from kizuna.core.locks import lock_pending_event
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


def _event(workspace: Workspace, payload: EventPayload) -> OutboxEvent:
    name = type(payload).event_name
    if EVENT_TYPES.get(name) is not type(payload):
        raise RuntimeError(f"{type(payload).__name__} is not a declared event type.")
    if not connection.in_atomic_block:
        raise RuntimeError("emit() must run inside the transaction of the change it records.")
    return OutboxEvent(workspace=workspace, type=name, payload=payload.model_dump(mode="json"))


def emit(workspace: Workspace, payload: EventPayload) -> OutboxEvent:
    event = _event(workspace, payload)
    event.save(force_insert=True)
    return event


def emit_many(workspace: Workspace, payloads: Sequence[EventPayload]) -> list[OutboxEvent]:
    """Emit events in bulk (a bulk path that records news), in the order given."""
    return bulk_insert([_event(workspace, payload) for payload in payloads])


def emit_for_rows(
    workspace: Workspace,
    payload_type: type[EventPayload],
    rows: QuerySet[Any],
    payload: dict[str, Any],
) -> int:
    """Emit one event of `payload_type` per row of `rows`, in one INSERT ... SELECT inside
    the caller's transaction (a segment refresh announces every customer who entered, however
    many). `payload` maps each field of the type to an expression over the rows; the payload
    is built in SQL, so its field names are checked here, once, against the declared schema.
    Returns how many were emitted."""
    name = payload_type.event_name
    if EVENT_TYPES.get(name) is not payload_type:
        raise RuntimeError(f"{payload_type.__name__} is not a declared event type.")
    if set(payload) != set(payload_type.model_fields):
        raise RuntimeError(
            f"The payload of {name} has the fields {sorted(payload_type.model_fields)}; "
            f"got {sorted(payload)}."
        )
    if not connection.in_atomic_block:
        raise RuntimeError("emit_for_rows() must run inside the transaction of the change.")
    moment = Value(now(), output_field=DateTimeField())
    select = rows.values_list(
        UUID4(),
        Value(workspace.pk, output_field=IntegerField()),
        Value(name, output_field=CharField()),
        JSONObject(**payload),
        moment,
        moment,
    )
    select_sql, params = select.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {OutboxEvent._meta.db_table} "  # noqa: S608 (the table name only)
            "(id, workspace_id, type, payload, occurred_at, next_attempt_at, attempts, "
            f"last_error) SELECT s.*, 0, '' FROM ({select_sql}) s",
            params,
        )
        return max(cursor.rowcount, 0)


# Seconds before a failed event is tried again by the dispatcher: doubled with each attempt,
# up to an hour. The sweep (`manage.py dispatch_outbox`) tries every pending event regardless.
RETRY_BASE_SECONDS = 2
RETRY_MAX_SECONDS = 3600


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(RETRY_BASE_SECONDS ** min(attempts, 20), RETRY_MAX_SECONDS))


def dispatch(event_id: str, *, skip_locked: bool = False) -> bool:
    """Run the subscribers of one event. Returns False if it was already dispatched (or, with
    `skip_locked`, is being dispatched by another process).

    A failing subscriber leaves the event pending (attempts, last_error and the time of the
    next attempt recorded) and the error is raised again."""
    error: Exception | None = None
    with transaction.atomic():
        event = lock_pending_event(event_id, skip_locked=skip_locked)
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
            event.next_attempt_at = now() + retry_delay(event.attempts)
        event.save(update_fields=["attempts", "dispatched_at", "last_error", "next_attempt_at"])
    if error is not None:
        raise error
    return True


def pending_events(
    limit: int = 500, after: tuple[datetime, str] | None = None, *, due: bool = False
) -> list[tuple[datetime, str]]:
    """One page of undispatched events, oldest first, as (occurred_at, id): pass the last
    pair back as `after` for the next page. Every pending event is reached, however many
    before it fail. With `due`, only the events whose next attempt has come."""
    queryset = OutboxEvent.objects.filter(dispatched_at__isnull=True)
    if due:
        queryset = queryset.filter(next_attempt_at__lte=now())
    if after is not None:
        moment, event_id = after
        queryset = queryset.filter(
            Q(occurred_at__gt=moment) | Q(occurred_at=moment, pk__gt=event_id)
        )
    rows = queryset.order_by("occurred_at", "pk").values_list("occurred_at", "pk")[:limit]
    return [(moment, str(pk)) for moment, pk in rows]
