"""The checkout's event types (part of the closed list of domain events): a redemption made
(redeemed or reserved), confirmed, released (its hold expired) or rolled back."""

from typing import Any

from kizuna.core.events import EventPayload, event_type


class RedemptionEvent(EventPayload):
    redemption_id: str
    customer_id: str | None
    status: str
    currency: str
    discount_total: str
    order_id: str | None
    channel: str


@event_type("redemption.created")
class RedemptionCreated(RedemptionEvent):
    pass


@event_type("redemption.confirmed")
class RedemptionConfirmed(RedemptionEvent):
    pass


@event_type("redemption.released")
class RedemptionReleased(RedemptionEvent):
    pass


@event_type("redemption.rolled_back")
class RedemptionRolledBack(RedemptionEvent):
    pass


def payload(redemption: Any) -> dict[str, Any]:
    customer = redemption.customer
    return {
        "redemption_id": redemption.public_id,
        "customer_id": customer.external_id if customer is not None else None,
        "status": redemption.status,
        "currency": redemption.currency,
        "discount_total": redemption.result.get("order", {}).get("discount_total", "0"),
        "order_id": redemption.order_id or None,
        "channel": redemption.channel,
    }
