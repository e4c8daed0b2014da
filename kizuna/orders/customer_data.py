"""What the orders app holds about a customer, as the customers app asks each app to say:
its timeline kinds, its part of the data export, and what an erasure clears."""

from datetime import datetime

from kizuna.customers.models import Customer
from kizuna.customers.selectors import DataExportSection, register_data_export_section
from kizuna.customers.services import erasure, timeline
from kizuna.orders.models import Order, Refund
from kizuna.orders.selectors import customer_orders


def erase_orders(customer: Customer, erased_at: datetime) -> None:
    """Orders and refunds are kept for the books, with their amounts; their free text (order
    metadata and location, refund reasons) goes. Every order changes: its customer_id is the
    generated one from now on."""
    orders = Order.objects.filter(customer=customer)
    orders.update(metadata={}, location="", updated_at=erased_at)
    Refund.objects.filter(order__in=orders).update(reason="")


def register() -> None:
    from kizuna.orders.schemas import OrderOut

    timeline.register_kind("order", "An order (summary: status, currency, total, items, channel).")
    timeline.register_kind(
        "order_status", "An order's status changed (summary: previous_status, status)."
    )
    timeline.register_kind("refund", "A refund (summary: order_id, currency, amount).")
    erasure.register_scrubber(erase_orders)
    register_data_export_section(
        DataExportSection(
            name="orders",
            description="Every order with its items and refunds, as GET "
            "/orders/{external_id}, oldest first.",
            schema=OrderOut,
            collect=customer_orders,
        )
    )
