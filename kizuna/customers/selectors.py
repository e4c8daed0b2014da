"""Reads. Every query is scoped with `for_workspace`."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Func, Prefetch, QuerySet, TextField, Value
from django.db.models.functions import Upper

from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.pagination import keyset_page
from kizuna.customers import participants
from kizuna.customers.errors import CustomerNotFound
from kizuna.customers.filters import customer_filter
from kizuna.customers.models import (
    AttributeDefinition,
    Consent,
    ConsentChange,
    Customer,
    CustomEvent,
    TimelineEntry,
    infer_attribute_type,
)


def customers_with_consents(workspace: Workspace) -> QuerySet[Customer]:
    return Customer.objects.for_workspace(workspace).prefetch_related(
        Prefetch("consents", queryset=Consent.objects.order_by("channel"))
    )


def listed_customers(workspace: Workspace) -> QuerySet[Customer]:
    """The customers that lists, searches and the file export show: not the erased ones,
    whose rows only keep the books (ADR 0012)."""
    return customers_with_consents(workspace).filter(erased_at__isnull=True)


def get_customer(workspace: Workspace, external_id: str) -> Customer:
    customer = one_or_none(customers_with_consents(workspace).filter(external_id=external_id))
    if customer is None:
        raise CustomerNotFound(f"No customer {external_id!r}.", field="customer_id")
    return customer


def customer_id_of(workspace: Workspace, external_id: str) -> int:
    """The primary key of the customer known as `external_id` (for lists filtered by it)."""
    pk = one_or_none(
        Customer.objects.for_workspace(workspace)
        .filter(external_id=external_id)
        .values_list("pk", flat=True)
    )
    if pk is None:
        raise CustomerNotFound(f"No customer {external_id!r}.", field="customer_id")
    return int(pk)


def list_customers(
    workspace: Workspace,
    *,
    q: str | None,
    segment: str | None,
    cursor: str | None,
    limit: int | None,
) -> tuple[list[Customer], str | None]:
    queryset = search_customers(listed_customers(workspace), q or "")
    if segment:
        by_segment = customer_filter("segment")
        if by_segment is None:
            raise ValidationFailed(
                f"No segment {segment!r} in this workspace.",
                code="segment_not_found",
                field="segment",
            )
        queryset = queryset.filter(by_segment(workspace, segment))
    return keyset_page(queryset, fields=("id",), descending=False, cursor=cursor, limit=limit)


class SearchText(Func):
    """What customer search looks in: the id, email, phone, names, and the whole name written
    both ways without a space, in capitals, separated by spaces (a search word has none, so
    it can only match inside one of them). PostgreSQL indexes this very expression with
    trigrams (migration customers.0002), so that a search never scans every customer."""

    template = "UPPER(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = TextField()

    def __init__(self) -> None:
        super().__init__(
            F("external_id"),
            F("email"),
            F("phone"),
            F("first_name"),
            F("last_name"),
            Func(F("last_name"), F("first_name"), template="%(expressions)s", arg_joiner=" || "),
            Func(F("first_name"), F("last_name"), template="%(expressions)s", arg_joiner=" || "),
        )


def search_customers(queryset: QuerySet[Customer], q: str) -> QuerySet[Customer]:
    """Customers matching every word of `q` in their id, email, phone or name. A word may also
    be a whole name written without a space, family name first (山田太郎, 김민준) or given
    name first."""
    terms = q.split()
    if not terms:
        return queryset
    queryset = queryset.alias(search_text=SearchText())
    for term in terms:
        queryset = queryset.filter(search_text__contains=Upper(Value(term)))
    return queryset


def list_timeline(
    workspace: Workspace, external_id: str, *, cursor: str | None, limit: int | None
) -> tuple[list[TimelineEntry], str | None]:
    queryset = TimelineEntry.objects.for_workspace(workspace).filter(
        customer_id=customer_id_of(workspace, external_id)
    )
    return keyset_page(
        queryset, fields=("occurred_at", "id"), descending=True, cursor=cursor, limit=limit
    )


def attribute_definitions(workspace: Workspace) -> list[AttributeDefinition]:
    return list(AttributeDefinition.objects.for_workspace(workspace).order_by("key"))


def list_attribute_definitions(
    workspace: Workspace, *, cursor: str | None, limit: int | None
) -> tuple[list[AttributeDefinition], str | None]:
    """The workspace's custom attributes with their types, by key."""
    queryset = AttributeDefinition.objects.for_workspace(workspace)
    return keyset_page(queryset, fields=("key",), descending=False, cursor=cursor, limit=limit)


def get_event(workspace: Workspace, event_id: int) -> CustomEvent:
    event = CustomEvent.objects.for_workspace(workspace).select_related("customer").get(pk=event_id)
    participants.attach([event])
    return event


# ------------------------------------------------------------------ data export


@dataclass(frozen=True)
class DataExportSection:
    """What one app holds about a customer, in the data export: a list under `name`, each
    item presented by `schema`, oldest first."""

    name: str
    description: str
    schema: type
    collect: Callable[[Workspace, Customer], list[Any]]


DATA_EXPORT_SECTIONS: dict[str, DataExportSection] = {}


def register_data_export_section(section: DataExportSection) -> None:
    """Each app that keeps facts about a customer registers a section at start-up, so that
    the data export stays complete without this app knowing the others."""
    if DATA_EXPORT_SECTIONS.get(section.name, section) != section:
        raise RuntimeError(f"Data export section {section.name} is registered twice.")
    DATA_EXPORT_SECTIONS[section.name] = section


@dataclass(frozen=True)
class CustomerData:
    """Everything held about one customer, each list oldest first."""

    exported_at: datetime
    customer: Customer
    attribute_types: dict[str, str]
    consent_history: list[ConsentChange]
    sections: dict[str, list[Any]]
    events: list[CustomEvent]
    timeline: list[TimelineEntry]


def _with_effects(events: list[CustomEvent]) -> list[CustomEvent]:
    participants.attach(events)
    return events


def customer_data(workspace: Workspace, external_id: str) -> CustomerData:
    """The whole of what the workspace holds about the customer, read in one go: a legal
    export is complete, so nothing is paged or capped, however long the history."""
    customer = get_customer(workspace, external_id)
    keys = list(customer.attributes)
    declared = dict(
        AttributeDefinition.objects.for_workspace(workspace)
        .filter(key__in=keys)
        .values_list("key", "type")
    )
    return CustomerData(
        exported_at=now(),
        customer=customer,
        attribute_types={
            key: declared.get(key) or infer_attribute_type(customer.attributes[key]) for key in keys
        },
        consent_history=list(
            ConsentChange.objects.for_workspace(workspace)
            .filter(customer=customer)
            .order_by("occurred_at", "id")
        ),
        sections={
            name: section.collect(workspace, customer)
            for name, section in DATA_EXPORT_SECTIONS.items()
        },
        events=_with_effects(
            list(
                CustomEvent.objects.for_workspace(workspace)
                .filter(customer=customer)
                .select_related("customer")
                .order_by("occurred_at", "id")
            )
        ),
        timeline=list(
            TimelineEntry.objects.for_workspace(workspace)
            .filter(customer=customer)
            .order_by("occurred_at", "id")
        ),
    )
