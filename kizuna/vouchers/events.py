"""The vouchers app's event types (part of the closed list of domain events)."""

from kizuna.core.events import EventPayload, event_type


@event_type("gift_card.issued")
class GiftCardIssued(EventPayload):
    code: str
    kind: str
    currency: str
    amount: str
    customer_id: str | None
    expires_at: str | None


@event_type("gift_card.expired")
class GiftCardExpired(EventPayload):
    code: str
    kind: str
    currency: str
    amount: str
    customer_id: str | None


@event_type("voucher_codes.generated")
class VoucherCodesGenerated(EventPayload):
    campaign_id: str
    generation_id: str
    count: int
