"""The reward catalog's event types (part of the closed list of domain events)."""

from kizuna.core.events import EventPayload, event_type


@event_type("reward.claimed")
class RewardClaimed(EventPayload):
    claim_id: str
    reward_id: str
    customer_id: str
    type: str
    points_spent: int
    granted: bool


@event_type("reward_claim.fulfilment_changed")
class FulfilmentChanged(EventPayload):
    claim_id: str
    reward_id: str
    customer_id: str
    status: str
    points_returned: int


@event_type("reward_claim.cashback_credited")
class CashbackCredited(EventPayload):
    claim_id: str
    customer_id: str
    order_id: str
    amount: str
    currency: str
