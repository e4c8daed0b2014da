"""The customer's timeline: one entry per fact, written in the transaction of the fact.

Each app registers the kinds of entry it writes (`register_kind`), with what of them is
personal data, so that an erasure can scrub every kind without knowing the apps: a kind may
be personal as a whole (deleted by an erasure) or hold personal data under some keys of its
summary (emptied by an erasure)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kizuna.core.bulk import bulk_insert
from kizuna.customers.models import Customer, TimelineEntry


@dataclass(frozen=True)
class TimelineKind:
    name: str
    description: str
    # The whole entry is personal data (an erasure deletes it).
    personal: bool = False
    # Keys of the summary that may hold personal data (an erasure empties them).
    personal_keys: tuple[str, ...] = ()


KINDS: dict[str, TimelineKind] = {}


def register_kind(
    name: str, description: str, *, personal: bool = False, personal_keys: tuple[str, ...] = ()
) -> TimelineKind:
    kind = TimelineKind(name, description, personal, personal_keys)
    if KINDS.get(name, kind) != kind:
        raise RuntimeError(f"Timeline kind {name} is registered twice.")
    KINDS[name] = kind
    return kind


def entry(
    customer: Customer, kind: str, object_id: str, occurred_at: datetime, summary: dict[str, Any]
) -> TimelineEntry:
    """An unsaved entry (bulk writers save many at once)."""
    return entry_of(customer.workspace_id, customer.pk, kind, object_id, occurred_at, summary)


def entry_of(
    workspace_id: int,
    customer_id: int,
    kind: str,
    object_id: str,
    occurred_at: datetime,
    summary: dict[str, Any],
) -> TimelineEntry:
    """An unsaved entry of the customer with this id."""
    if kind not in KINDS:
        raise RuntimeError(f"Timeline kind {kind} is not registered.")
    return TimelineEntry(
        workspace_id=workspace_id,
        customer_id=customer_id,
        kind=kind,
        object_id=object_id,
        occurred_at=occurred_at,
        summary=summary,
    )


def consent_summary(channel: str, status: str, previous_status: str | None) -> dict[str, Any]:
    return {"channel": channel, "status": status, "previous_status": previous_status}


def event_summary(name: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "properties": properties}


def bulk_add(entries: list[TimelineEntry], batch_size: int = 1000) -> None:
    """Save entries made with `entry` (a bulk path that writes history sets their times)."""
    bulk_insert(entries, batch_size=batch_size)


def add_entry(
    customer: Customer, kind: str, object_id: str, occurred_at: datetime, summary: dict[str, Any]
) -> TimelineEntry:
    row = entry(customer, kind, object_id, occurred_at, summary)
    row.save(force_insert=True)
    return row


register_kind(
    "consent",
    "A consent changed (summary: channel, status, previous_status).",
    personal=True,
)
register_kind(
    "event",
    "A custom event (summary: name, properties).",
    personal_keys=("properties",),
)
register_kind("erasure", "The customer's personal data was erased.")
