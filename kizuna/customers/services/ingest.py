"""The bulk path of facts about customers from a file (ADR 0023): the customers that orders
and events name, found or created in bulk as `customer_for_fact` finds or creates each, and
custom events written through `bulk_insert_events`."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kizuna.core import events as outbox
from kizuna.core.clock import now
from kizuna.core.errors import KizunaError
from kizuna.core.models import Workspace
from kizuna.core.times import check_occurred_at
from kizuna.customers import events
from kizuna.customers.locks import lock_customers_for_facts
from kizuna.customers.models import Customer, CustomEvent
from kizuna.customers.services.custom_events import (
    EventRecord,
    bulk_insert_events,
    check_event_name,
)
from kizuna.customers.services.profiles import check_customer_id, check_not_erased, check_profile


@dataclass(frozen=True)
class FactCustomers:
    """The customers a batch of facts names: each id's customer, or why it cannot have
    facts; and the customers the batch created."""

    by_id: dict[str, Customer | KizunaError]
    created: list[Customer]


def customers_for_facts(
    workspace: Workspace, wanted: Sequence[tuple[str, str | None]], prefix: str = ""
) -> FactCustomers:
    """The customers of (customer_id, email) pairs, locked for facts in primary-key order;
    unknown ones are created (with the first email given), as `ensure_customer` creates one,
    in bulk. An erased customer or an id no customer may have is a KizunaError."""
    emails: dict[str, str | None] = {}
    for customer_id, email in wanted:
        emails.setdefault(customer_id, email)
    by_id: dict[str, Customer | KizunaError] = {}
    for customer in lock_customers_for_facts(workspace, list(emails)):
        try:
            check_not_erased(customer, prefix + "customer_id")
            by_id[customer.external_id] = customer
        except KizunaError as exc:
            by_id[customer.external_id] = exc
    new: list[Customer] = []
    for customer_id, email in emails.items():
        if customer_id in by_id:
            continue
        try:
            check_customer_id(customer_id, prefix + "customer_id")
            profile = check_profile({"email": email} if email else {}, prefix)
        except KizunaError as exc:
            by_id[customer_id] = exc
            continue
        new.append(Customer(workspace=workspace, external_id=customer_id, **profile))
    created: list[Customer] = []
    if new:
        # A customer created meanwhile by a request is kept as it is (the unique constraint
        # decides), then read and locked with the others.
        Customer.objects.bulk_create(new, ignore_conflicts=True)
        for customer in lock_customers_for_facts(workspace, [c.external_id for c in new]):
            by_id[customer.external_id] = customer
            created.append(customer)
    return FactCustomers(by_id, created)


def emit_customers_created(workspace: Workspace, customers: list[Customer], source: str) -> None:
    outbox.emit_many(
        workspace,
        [events.CustomerCreated(customer_id=c.external_id, source=source) for c in customers],
    )


def ingest_events(
    workspace: Workspace, bodies: Sequence[Mapping[str, Any]], *, emit_events: bool
) -> list[str | KizunaError]:
    """Write events (bodies as `record_event` takes them, checked by its schema) in bulk:
    per body, "created", "unchanged" (its id is stored already) or why it was refused."""
    ids = [body["id"] for body in bodies]
    stored = set(
        CustomEvent.objects.for_workspace(workspace)
        .filter(client_id__in=ids)
        .values_list("client_id", flat=True)
    )
    outcome: list[str | KizunaError] = []
    fresh: list[tuple[int, Mapping[str, Any], datetime]] = []
    for index, body in enumerate(bodies):
        if body["id"] in stored:
            outcome.append("unchanged")
            continue
        try:
            check_event_name(body["name"])
            occurred_at = check_occurred_at(body.get("occurred_at"))
        except KizunaError as exc:
            outcome.append(exc)
            continue
        outcome.append("created")
        fresh.append((index, body, occurred_at))
    customers = customers_for_facts(
        workspace, [(body["customer_id"], body.get("email")) for _, body, _ in fresh]
    )
    moment = now()
    records = []
    for index, body, occurred_at in fresh:
        customer = customers.by_id[body["customer_id"]]
        if isinstance(customer, KizunaError):
            outcome[index] = customer
            continue
        records.append(
            EventRecord(
                customer=customer,
                client_id=body["id"],
                name=body["name"],
                properties=dict(body.get("properties") or {}),
                occurred_at=occurred_at,
                recorded_at=moment,
            )
        )
    bulk_insert_events(workspace, records)
    if emit_events:
        emit_customers_created(workspace, customers.created, "event")
        outbox.emit_many(
            workspace,
            [
                events.CustomEventRecorded(
                    event_id=r.client_id, name=r.name, customer_id=r.customer.external_id
                )
                for r in records
            ],
        )
    return outcome
