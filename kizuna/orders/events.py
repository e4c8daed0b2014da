"""The orders app's event types (part of the closed list of domain events)."""

from kizuna.core.events import EventPayload, event_type


@event_type("order.created")
class OrderCreated(EventPayload):
    order_id: str
    customer_id: str
    status: str
    currency: str
    total: str


@event_type("order.status_changed")
class OrderStatusChanged(EventPayload):
    order_id: str
    customer_id: str
    previous_status: str
    status: str


@event_type("order.refunded")
class OrderRefunded(EventPayload):
    order_id: str
    refund_id: str
    customer_id: str
    currency: str
    amount: str
    refunded_total: str
