"""The customers app's event types (part of the closed list of domain events)."""

from kizuna.core.events import EventPayload, event_type


@event_type("customer.created")
class CustomerCreated(EventPayload):
    customer_id: str
    source: str


@event_type("customer.updated")
class CustomerUpdated(EventPayload):
    customer_id: str
    changed: list[str]


@event_type("customer.consent_changed")
class ConsentChanged(EventPayload):
    customer_id: str
    channel: str
    status: str
    previous_status: str | None


@event_type("event.recorded")
class CustomEventRecorded(EventPayload):
    event_id: str
    name: str
    customer_id: str


@event_type("customer.erased")
class CustomerErased(EventPayload):
    """A customer's personal data was erased. No personal data, not even the erased id: the
    requester correlates by `erasure_id`, which the erase call answered (ADR 0012)."""

    erasure_id: str
    erased_at: str  # as the API writes times, e.g. 2026-05-01T01:00:00.123Z
