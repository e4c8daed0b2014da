"""The insights app's event types (part of the closed list of domain events)."""

from kizuna.core.events import EventPayload, event_type


@event_type("segment.entered")
class SegmentEntered(EventPayload):
    """A customer entered a materialized segment at a refresh."""

    segment_id: str
    customer_id: str
    entered_at: str  # as the API writes times


@event_type("segment.left")
class SegmentLeft(EventPayload):
    """A customer left a materialized segment at a refresh."""

    segment_id: str
    customer_id: str
    left_at: str
