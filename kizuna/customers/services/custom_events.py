"""Custom events sent by integrators (a review posted, an app opened): stored once per
client id, on the customer's timeline."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from kizuna.core import events as outbox
from kizuna.core.bulk import bulk_insert
from kizuna.core.errors import ValidationFailed
from kizuna.core.ids import check_external_id
from kizuna.core.models import Workspace
from kizuna.core.times import check_occurred_at
from kizuna.core.upsert import insert_once
from kizuna.customers import events, participants
from kizuna.customers.models import Customer, CustomEvent
from kizuna.customers.services import timeline
from kizuna.customers.services.profiles import customer_for_fact

EVENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]{0,99}")


def check_event_name(name: str) -> str:
    if not EVENT_NAME.fullmatch(name):
        raise ValidationFailed(
            "Event names start with a letter and use letters, digits, '_', '.', ':' or '-'.",
            code="invalid_event_name",
            field="name",
        )
    return name


def record_event(workspace: Workspace, data: Mapping[str, Any]) -> tuple[CustomEvent, bool]:
    """Store an event once. A known id returns the stored event untouched."""
    name = check_event_name(data["name"])
    occurred_at = check_occurred_at(data.get("occurred_at"))
    stored = (
        CustomEvent.objects.for_workspace(workspace)
        .select_related("customer")
        .filter(client_id=data["id"])
    )
    with transaction.atomic(savepoint=False):
        customer = customer_for_fact(
            workspace, data["customer_id"], data.get("email"), "event", recorded=stored.exists
        )
        if customer is None:
            return stored.get(), False
        event, created = insert_once(
            CustomEvent(
                workspace=workspace,
                customer=customer,
                client_id=data["id"],
                name=name,
                properties=dict(data.get("properties") or {}),
                occurred_at=occurred_at,
            ),
            workspace=workspace,
            client_id=data["id"],
        )
        if not created:
            return stored.get(), False
        participants.event_recorded(event)
        timeline.add_entry(
            customer,
            "event",
            event.client_id,
            occurred_at,
            timeline.event_summary(name, event.properties),
        )
        outbox.emit(
            workspace,
            events.CustomEventRecorded(
                event_id=event.client_id, name=name, customer_id=customer.external_id
            ),
        )
    return event, True


@dataclass(frozen=True)
class EventRecord:
    """A custom event that happened in the past, for `bulk_insert_events`."""

    customer: Customer
    client_id: str
    name: str
    properties: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime


def bulk_insert_events(workspace: Workspace, records: Sequence[EventRecord]) -> None:
    """Write events as `record_event` writes each, in bulk and without outbox events (it is
    history): the event rows and their timeline entries."""
    events_: list[CustomEvent] = []
    entries = []
    for record in records:
        check_external_id(record.client_id, "id")
        check_event_name(record.name)
        check_occurred_at(record.occurred_at)
        events_.append(
            CustomEvent(
                workspace=workspace,
                customer=record.customer,
                client_id=record.client_id,
                name=record.name,
                properties=record.properties,
                occurred_at=record.occurred_at,
                created_at=record.recorded_at,
            )
        )
        entry = timeline.entry(
            record.customer,
            "event",
            record.client_id,
            record.occurred_at,
            timeline.event_summary(record.name, record.properties),
        )
        entry.created_at = record.recorded_at
        entries.append(entry)
    bulk_insert(events_)
    timeline.bulk_add(entries)
