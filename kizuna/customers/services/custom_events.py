"""Custom events sent by integrators (a review posted, an app opened): stored once per
client id, on the customer's timeline."""

import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from kizuna.core import events as outbox
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace
from kizuna.core.times import check_occurred_at
from kizuna.core.upsert import insert_once
from kizuna.customers import events
from kizuna.customers.models import CustomEvent
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
        timeline.add_entry(
            customer,
            "event",
            event.client_id,
            occurred_at,
            {"name": name, "properties": event.properties},
        )
        outbox.emit(
            workspace,
            events.CustomEventRecorded(
                event_id=event.client_id, name=name, customer_id=customer.external_id
            ),
        )
    return event, True
