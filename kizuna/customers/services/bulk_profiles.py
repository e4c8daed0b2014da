"""The bulk path of `upsert_customer` (the customer import, ADR 0023): a batch of rows
decided in memory by the same checks, in file order, then written in a few statements.

`BulkUpsert` locks the batch's existing customers (FOR UPDATE, in primary-key order) and
reads their consents once. `add` decides one row as `upsert_customer` would: the same
checks (`check_customer_id`, `check_customer_changes`, `check_not_erased`), the same merge of
attributes (types as the rows before it declared them), the same rule for consent news, the
same events in the same order; a refused row raises and leaves nothing. `write` then inserts
the new customers, updates the changed ones, declares the new attribute types and writes
consents, their history, timeline entries and outbox events in bulk. Should the database
disagree with what was decided (a concurrent writer defined an attribute with another type,
or created one of the customers), `write` raises `Conflict` and the caller runs the batch
again row by row."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kizuna.core import events as outbox
from kizuna.core.bulk import bulk_insert
from kizuna.core.clock import now
from kizuna.core.events import EventPayload
from kizuna.core.models import Workspace
from kizuna.customers import events
from kizuna.customers.locks import lock_customers
from kizuna.customers.models import (
    AttributeDefinition,
    Consent,
    ConsentChange,
    Customer,
)
from kizuna.customers.services import timeline
from kizuna.customers.services.attributes import merge_attributes_known
from kizuna.customers.services.consents import is_news
from kizuna.customers.services.profiles import (
    check_customer_changes,
    check_customer_id,
    check_not_erased,
)

_UPDATABLE = ("email", "phone", "first_name", "last_name", "birthdate", "locale", "timezone")


class Conflict(Exception):
    """The database changed under the batch: run it row by row."""


@dataclass
class _Writes:
    new: list[Customer] = field(default_factory=list)
    changed: dict[int, Customer] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    consents_new: list[Consent] = field(default_factory=list)
    consents_changed: list[Consent] = field(default_factory=list)
    changes: list[ConsentChange] = field(default_factory=list)
    entries: list[tuple[Customer, str, datetime, dict[str, Any]]] = field(default_factory=list)
    events: list[EventPayload] = field(default_factory=list)


class BulkUpsert:
    def __init__(
        self,
        workspace: Workspace,
        external_ids: list[str],
        source: str,
        definitions: dict[str, str],
    ) -> None:
        self.workspace = workspace
        self.source = source
        # The attribute types as known so far: the caller's map, which the accepted rows'
        # new attributes extend (later rows are read and checked against them).
        self.definitions = definitions
        self.customers = {
            c.external_id: c
            for c in lock_customers(
                Customer.objects.for_workspace(workspace).filter(external_id__in=external_ids)
            )
        }
        self.consents: dict[int, dict[str, Consent]] = {}
        for consent in Consent.objects.filter(customer__in=list(self.customers.values())):
            self.consents.setdefault(consent.customer_id, {})[consent.channel] = consent
        self.writes = _Writes()

    def add(self, external_id: str, data: Mapping[str, Any]) -> tuple[bool, list[str]]:
        """Decide one row; (created, changed fields) as `upsert_customer` returns them.
        Raises the row's KizunaError, having changed nothing."""
        check_customer_id(external_id, "customer_id")
        changes = check_customer_changes(data)
        customer = self.customers.get(external_id)
        if customer is None:
            attributes: dict[str, Any] = {}
            types: dict[str, str] = {}
            if changes.attributes:
                attributes, types = merge_attributes_known({}, changes.attributes, self.definitions)
            customer = Customer(
                workspace=self.workspace,
                external_id=external_id,
                attributes=attributes,
                **changes.profile,
            )
            self._declare(types)
            self.writes.new.append(customer)
            self.customers[external_id] = customer
            self.writes.events.append(
                events.CustomerCreated(customer_id=external_id, source=self.source)
            )
            if changes.consents:
                self._consents(customer, changes.consents)
            return True, []
        check_not_erased(customer, "customer_id")
        merged: dict[str, Any] = customer.attributes
        types = {}
        if changes.attributes is not None:
            merged, types = merge_attributes_known(
                customer.attributes, changes.attributes, self.definitions
            )
        changed = [n for n, v in changes.profile.items() if getattr(customer, n) != v]
        if merged != customer.attributes:
            changed.append("attributes")
        for name in changed:
            if name != "attributes":
                setattr(customer, name, changes.profile[name])
        customer.attributes = merged
        self._declare(types)
        if changes.consents:
            changed += self._consents(customer, changes.consents)
        if changed:
            customer.updated_at = now()
            if customer.pk is not None:
                self.writes.changed[customer.pk] = customer
            self.writes.events.append(
                events.CustomerUpdated(customer_id=external_id, changed=changed)
            )
        return False, changed

    def _declare(self, types: dict[str, str]) -> None:
        self.definitions.update(types)
        self.writes.definitions.update(types)

    def _consents(self, customer: Customer, consents: Mapping[str, dict[str, Any]]) -> list[str]:
        """As `apply_consents`: the consents that are news, with their history."""
        held = self.consents.setdefault(id(customer) if customer.pk is None else customer.pk, {})
        changed = []
        for channel, wanted in consents.items():
            existing = held.get(channel)
            if not is_news(existing, wanted):
                continue
            previous = existing.status if existing else None
            if existing is None:
                consent = Consent(
                    workspace=self.workspace,
                    customer=customer,
                    channel=channel,
                    status=wanted["status"],
                    updated_at=wanted["updated_at"],
                )
                held[channel] = consent
                self.writes.consents_new.append(consent)
            else:
                existing.status = wanted["status"]
                existing.updated_at = wanted["updated_at"]
                if existing.pk is not None:
                    self.writes.consents_changed.append(existing)
            self.writes.changes.append(
                ConsentChange(
                    workspace=self.workspace,
                    customer=customer,
                    channel=channel,
                    status=wanted["status"],
                    previous_status=previous or "",
                    source=self.source,
                    occurred_at=wanted["updated_at"],
                )
            )
            # Made in `write`, once a new customer has its key.
            self.writes.entries.append(
                (
                    customer,
                    channel,
                    wanted["updated_at"],
                    timeline.consent_summary(channel, wanted["status"], previous),
                )
            )
            self.writes.events.append(
                events.ConsentChanged(
                    customer_id=customer.external_id,
                    channel=channel,
                    status=wanted["status"],
                    previous_status=previous,
                )
            )
            changed.append(f"consents.{channel}")
        return changed

    def write(self) -> None:
        """Write what the accepted rows decided (inside the caller's transaction)."""
        w = self.writes
        if w.definitions:
            keys = sorted(w.definitions)
            AttributeDefinition.objects.bulk_create(
                [
                    AttributeDefinition(workspace=self.workspace, key=key, type=w.definitions[key])
                    for key in keys
                ],
                ignore_conflicts=True,
            )
            stored = dict(
                AttributeDefinition.objects.for_workspace(self.workspace)
                .filter(key__in=keys)
                .values_list("key", "type")
            )
            if stored != {key: w.definitions[key] for key in keys}:
                raise Conflict("an attribute was defined with another type meanwhile")
        if w.new:
            ids = [c.external_id for c in w.new]
            if Customer.objects.for_workspace(self.workspace).filter(external_id__in=ids).exists():
                raise Conflict("a customer of the batch was created meanwhile")
            bulk_insert(w.new)
        if w.changed:
            Customer.objects.bulk_update(
                list(w.changed.values()), [*_UPDATABLE, "attributes", "updated_at"]
            )
        bulk_insert(w.consents_new)
        if w.consents_changed:
            Consent.objects.bulk_update(w.consents_changed, ["status", "updated_at"])
        bulk_insert(w.changes)
        bulk_insert(
            [
                timeline.entry(c, "consent", channel, at, summary)
                for c, channel, at, summary in w.entries
            ]
        )
        outbox.emit_many(self.workspace, w.events)
