"""Consent per channel: the current status, and its append-only history."""

from collections.abc import Mapping
from typing import Any

from kizuna.core import events as outbox
from kizuna.core.errors import ValidationFailed
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


def apply_consents(
    customer: Customer, consents: Mapping[str, dict[str, Any]], source: str
) -> list[str]:
    """Record the checked consents that change something (news older than what is held is
    ignored). Returns the changed fields, as `consents.<channel>`."""
    changed = []
    current = {c.channel: c for c in Consent.objects.filter(customer=customer)}
    for channel, wanted in consents.items():
        existing = current.get(channel)
        if existing is not None and (
            existing.status == wanted["status"] or existing.updated_at > wanted["updated_at"]
        ):
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
            {"channel": channel, "status": wanted["status"], "previous_status": previous},
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
