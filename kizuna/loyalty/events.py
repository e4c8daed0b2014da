"""The loyalty app's event types (part of the closed list of domain events)."""

from kizuna.core.events import EventPayload, event_type


@event_type("loyalty.points_earned")
class PointsEarned(EventPayload):
    program_id: str
    customer_id: str
    points: int
    pending: bool
    source_type: str
    source_id: str
    balance: int


@event_type("loyalty.points_expired")
class PointsExpired(EventPayload):
    program_id: str
    customer_id: str
    points: int
    balance: int


@event_type("loyalty.tier_changed")
class TierChanged(EventPayload):
    program_id: str
    customer_id: str
    previous_tier: str | None
    tier: str | None


@event_type("loyalty.milestone_achieved")
class MilestoneAchieved(EventPayload):
    program_id: str
    customer_id: str
    milestone_id: str
    period: str
