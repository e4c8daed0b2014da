"""Consent per channel: the current status, and its append-only history."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kizuna.core import events as outbox
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace
from kizuna.core.times import check_occurred_at
from kizuna.customers import events
from kizuna.customers.models import (
    Consent,
    ConsentChange,
    ConsentChannel,
    ConsentStatus,
    Customer,
)
from kizuna.customers.services import timeline


def check_consents(consents: Mapping[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    clean: dict[str, dict[str, Any]] = {}
    for channel, consent in consents.items():
        field = f"{prefix}consents.{channel}"
        if channel not in ConsentChannel.values:
            raise ValidationFailed(
                f"Unknown consent channel; use one of {', '.join(ConsentChannel.values)}.",
                code="unknown_consent_channel",
                field=field,
            )
        status = consent.get("status") if isinstance(consent, Mapping) else None
        if status not in ConsentStatus.values:
            raise ValidationFailed(
                "Consent status is granted, denied or pending.",
                code="invalid_consent_status",
                field=f"{field}.status",
            )
        updated_at = check_occurred_at(consent.get("updated_at"), f"{field}.updated_at")
        clean[channel] = {"status": status, "updated_at": updated_at}
    return clean


def is_news(existing: Consent | None, wanted: Mapping[str, Any]) -> bool:
    """Whether a checked consent changes what is held: a new status, not older than it."""
    return existing is None or (
        existing.status != wanted["status"] and existing.updated_at <= wanted["updated_at"]
    )


def apply_consents(
    customer: Customer, consents: Mapping[str, dict[str, Any]], source: str
) -> list[str]:
    """Record the checked consents that change something (news older than what is held is
    ignored). Returns the changed fields, as `consents.<channel>`."""
    changed = []
    current = {c.channel: c for c in Consent.objects.filter(customer=customer)}
    for channel, wanted in consents.items():
        existing = current.get(channel)
        if not is_news(existing, wanted):
            continue  # no change, or older news than what we hold
        previous = existing.status if existing else None
        if existing is None:
            Consent.objects.create(
                workspace_id=customer.workspace_id,
                customer=customer,
                channel=channel,
                status=wanted["status"],
                updated_at=wanted["updated_at"],
            )
        else:
            existing.status = wanted["status"]
            existing.updated_at = wanted["updated_at"]
            existing.save(update_fields=["status", "updated_at"])
        ConsentChange.objects.create(
            workspace_id=customer.workspace_id,
            customer=customer,
            channel=channel,
            status=wanted["status"],
            previous_status=previous or "",
            source=source,
            occurred_at=wanted["updated_at"],
        )
        timeline.add_entry(
            customer,
            "consent",
            channel,
            wanted["updated_at"],
            timeline.consent_summary(channel, wanted["status"], previous),
        )
        outbox.emit(
            customer.workspace,
            events.ConsentChanged(
                customer_id=customer.external_id,
                channel=channel,
                status=wanted["status"],
                previous_status=previous,
            ),
        )
        changed.append(f"consents.{channel}")
    return changed


@dataclass(frozen=True)
class ConsentRecord:
    """A consent change that happened in the past, for `bulk_insert_consents`."""

    customer: Customer
    channel: str
    status: str
    previous_status: str | None
    source: str
    occurred_at: datetime


def bulk_insert_consents(workspace: Workspace, records: Sequence[ConsentRecord]) -> None:
    """Write a history of consent changes (in time order per customer and channel) as
    `apply_consents` writes each, in bulk and without events (it is history): the change
    rows, each customer's current consent per channel, and the timeline entries."""
    changes = []
    entries = []
    current: dict[tuple[int, str], ConsentRecord] = {}
    for record in records:
        check_consents(
            {record.channel: {"status": record.status, "updated_at": record.occurred_at}}
        )
        changes.append(
            ConsentChange(
                workspace=workspace,
                customer=record.customer,
                channel=record.channel,
                status=record.status,
                previous_status=record.previous_status or "",
                source=record.source,
                occurred_at=record.occurred_at,
                recorded_at=record.occurred_at,
            )
        )
        entry = timeline.entry(
            record.customer,
            "consent",
            record.channel,
            record.occurred_at,
            timeline.consent_summary(record.channel, record.status, record.previous_status),
        )
        entry.created_at = record.occurred_at
        entries.append(entry)
        current[(record.customer.pk, record.channel)] = record
    Consent.objects.bulk_create(
        [
            Consent(
                workspace=workspace,
                customer=record.customer,
                channel=record.channel,
                status=record.status,
                updated_at=record.occurred_at,
            )
            for record in current.values()
        ],
        batch_size=1000,
        # A customer's history may come in several calls: the latest change is current.
        update_conflicts=True,
        unique_fields=["customer", "channel"],
        update_fields=["status", "updated_at"],
    )
    ConsentChange.objects.bulk_create(changes, batch_size=1000)
    timeline.bulk_add(entries)
