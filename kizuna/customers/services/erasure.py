"""Erasure of a customer's personal data (ADR 0012).

The customers app erases what it holds; every other app that keeps personal data about a
customer registers a scrubber (`register_scrubber`) that erases its own, in the same
transaction, and its timeline kinds say what of them is personal (`timeline.register_kind`).
A new app takes part without editing this module."""

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from kizuna.core import events as outbox
from kizuna.core.clock import now
from kizuna.core.models import OutboxEvent, Workspace
from kizuna.customers import events
from kizuna.customers.errors import CustomerNotFound
from kizuna.customers.locks import lock_customer_for_facts
from kizuna.customers.models import (
    PROFILE_STRING_FIELDS,
    Consent,
    ConsentChange,
    Customer,
    CustomerErasure,
    CustomerImport,
    CustomEvent,
    TimelineEntry,
)
from kizuna.customers.services import timeline

ERASED_ID_PREFIX = "erased-"
ERASED_IMPORT_ERROR_MESSAGE = "Removed: the customer's personal data was erased."

# A scrubber erases what one app holds about the customer: called with the customer (its
# external_id still the erased one) and the time of the erasure, inside its transaction.
Scrubber = Callable[[Customer, datetime], None]
_SCRUBBERS: list[Scrubber] = []


def register_scrubber(scrubber: Scrubber) -> None:
    if scrubber not in _SCRUBBERS:
        _SCRUBBERS.append(scrubber)


def external_id_sha256(external_id: str) -> str:
    """What an erasure keeps of the erased id: enough to recognise a repeated request."""
    return hashlib.sha256(external_id.encode("utf-8")).hexdigest()


def erase_customer(workspace: Workspace, external_id: str) -> tuple[CustomerErasure, bool]:
    """Erase the personal data of the customer known as `external_id` (ADR 0012). Returns
    (erasure, erased now). Idempotent: for an id already erased (found by the SHA-256 of the
    id, or for the anonymised row's own id) it returns the earlier erasure and writes
    nothing. An id never seen is CustomerNotFound.

    Erased here: the profile, attributes, consents and their history (with their timeline
    entries), custom-event properties (also in the timeline), the id in import reports and
    in the outbox; the registered scrubbers erase the rest (order metadata and location,
    refund reasons...). Kept, on the anonymised row under a generated id: orders, items and
    refunds with every amount, events with their names and times, and the other timeline
    entries."""
    with transaction.atomic(savepoint=False):
        # FOR NO KEY UPDATE: waits for the orders and events being recorded for the customer
        # (ensure_customer takes the same lock), but not for refunds or status changes of
        # its orders, which only reference the row.
        customer = lock_customer_for_facts(workspace, external_id)
        if customer is not None and customer.erased_at is not None:
            earlier = customer.erasures.order_by("-erased_at").first()
            if earlier is not None:
                return earlier, False
        if customer is None:
            earlier = (
                CustomerErasure.objects.for_workspace(workspace)
                .filter(external_id_sha256=external_id_sha256(external_id))
                .order_by("-erased_at")
                .first()
            )
            if earlier is None:
                raise CustomerNotFound(f"No customer {external_id!r}.", field="customer_id")
            return earlier, False
        return _erase(workspace, customer), True


def _erase(workspace: Workspace, customer: Customer) -> CustomerErasure:
    erased_at = now()
    original_id = customer.external_id
    # The other apps' rows first: a refund or status change in progress holds its order and
    # then references the customer row (KEY SHARE), which the lock taken so far allows; the
    # customer's new external_id below needs the row's strongest lock, taken once no such
    # writer can be left (they all wait on the rows the scrubbers now hold).
    for scrubber in _SCRUBBERS:
        scrubber(customer, erased_at)
    CustomEvent.objects.filter(customer=customer).update(properties={})
    Consent.objects.filter(customer=customer).delete()
    ConsentChange.objects.filter(customer=customer).delete()
    _scrub_timeline(customer)

    customer.external_id = f"{ERASED_ID_PREFIX}{secrets.token_hex(12)}"
    for name in PROFILE_STRING_FIELDS:
        setattr(customer, name, "")
    customer.birthdate = None
    customer.attributes = {}
    customer.erased_at = erased_at
    customer.updated_at = erased_at
    customer.save()
    _erase_id_from_outbox(workspace, original_id, customer.external_id)
    _erase_id_from_import_reports(workspace, original_id)

    erasure = CustomerErasure.objects.create(
        workspace=workspace,
        customer=customer,
        external_id_sha256=external_id_sha256(original_id),
        erased_at=erased_at,
    )
    timeline.add_entry(customer, "erasure", str(erasure.pk), erased_at, {})
    # The time as the API writes it (milliseconds, Z), so it equals the erase call's answer.
    time = DjangoJSONEncoder().default(erased_at)
    outbox.emit(workspace, events.CustomerErased(erasure_id=str(erasure.pk), erased_at=time))
    return erasure


def _scrub_timeline(customer: Customer) -> None:
    """Delete the entries that are personal as a whole; empty the personal keys of the
    others, as their kinds were registered."""
    entries = TimelineEntry.objects.filter(customer=customer)
    entries.filter(kind__in=[k.name for k in timeline.KINDS.values() if k.personal]).delete()
    keyed = {k.name: k.personal_keys for k in timeline.KINDS.values() if k.personal_keys}
    scrubbed: list[TimelineEntry] = []
    for entry in entries.filter(kind__in=list(keyed)).iterator():
        keys = [key for key in keyed[entry.kind] if entry.summary.get(key)]
        if keys:
            entry.summary = {**entry.summary, **{key: {} for key in keys}}
            scrubbed.append(entry)
    TimelineEntry.objects.bulk_update(scrubbed, ["summary"], batch_size=500)


def _erase_id_from_outbox(workspace: Workspace, original_id: str, new_id: str) -> None:
    """Earlier events name the customer by the erased id; they name the anonymised row now
    (dispatched ones stay in the outbox, and pending ones have not been sent yet)."""
    types = [name for name, cls in outbox.EVENT_TYPES.items() if "customer_id" in cls.model_fields]
    stored = OutboxEvent.objects.for_workspace(workspace).filter(
        type__in=types, payload__customer_id=original_id
    )
    rewritten = []
    for event in stored.only("id", "payload").iterator():
        event.payload = {**event.payload, "customer_id": new_id}
        rewritten.append(event)
    OutboxEvent.objects.bulk_update(rewritten, ["payload"], batch_size=500)


def _erase_id_from_import_reports(workspace: Workspace, original_id: str) -> None:
    """A rejected import row is reported with its id, and its message may quote the value
    refused: such entries keep their row, field and code only."""
    runs = CustomerImport.objects.for_workspace(workspace).filter(rejected_count__gt=0)
    for run in runs.only("id", "errors").iterator():
        if not any(error.get("external_id") == original_id for error in run.errors):
            continue
        run.errors = [
            {**error, "external_id": None, "message": ERASED_IMPORT_ERROR_MESSAGE}
            if error.get("external_id") == original_id
            else error
            for error in run.errors
        ]
        run.save(update_fields=["errors"])
