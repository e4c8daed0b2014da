"""The order fields of the condition language, registered at start-up by `OrdersConfig.ready()`:
one order (`order.*`), one of its items (`item.*`), and a customer's order behaviour over all
their orders (`customer.orders.*`). docs/conditions.md is the reference."""

from typing import Any

from kizuna.core import conditions as c
from kizuna.orders.conditions.behaviour import BEHAVIOUR, OrderFacts, order_histories
from kizuna.orders.conditions.order_fields import (
    item_field,
    items_list,
    items_quantity,
    metadata_pattern,
    order_field,
    resolve_metadata,
)
from kizuna.orders.models import Order, OrderChannel, OrderStatus


def order_facts(order: Order) -> dict[str, Any]:
    """The facts of one stored order, its items loaded only if read."""
    return {"order": order, "order_items": c.Lazy(lambda: list(order.items.all()))}


def register(registry: c.Registry = c.registry) -> None:
    c.register_scope("order", {"order": "", "customer": "customer__"})
    c.register_scope("item", {"item": "", "order": "order__", "customer": "order__customer__"})
    for spec in (
        order_field("total", c.MONEY_TYPE, "The order's total, in its currency.", ("gte", "50.00")),
        order_field(
            "subtotal",
            c.MONEY_TYPE,
            "The sum of the items before discount, shipping and tax, in the order's currency.",
            ("gte", "50.00"),
        ),
        order_field("currency", c.STRING, "ISO 4217 currency code.", ("eq", "JPY")),
        order_field(
            "channel",
            c.STRING,
            "Where the order was placed.",
            ("in", ["store", "app"]),
            choices=tuple(OrderChannel.values),
        ),
        order_field(
            "location",
            c.STRING,
            "The store or site, as the integrator names it.",
            ("eq", "Osaka Umeda"),
            blank_is_missing=True,
        ),
        order_field(
            "status",
            c.STRING,
            "pending, paid or cancelled.",
            ("eq", "paid"),
            choices=tuple(OrderStatus.values),
        ),
        order_field(
            "occurred_at", c.DATETIME_TYPE, "When the order was placed.", ("within_last", "1d")
        ),
        items_list("sku", "The SKUs of the order's items.", "TEA-1"),
        items_list("category", "The categories of the order's items.", "tea"),
        items_quantity(),
        item_field("sku", c.STRING, "The item's SKU (conditions on one item).", "TEA-1"),
        item_field("category", c.STRING, "The item's category.", "tea"),
        item_field("quantity", c.INTEGER, "How many units of the item.", 2),
        item_field(
            "unit_price", c.MONEY_TYPE, "The price of one unit, in the order's currency.", "10.00"
        ),
        *BEHAVIOUR,
    ):
        registry.register(spec)
    registry.register_family(
        c.FieldFamily(
            prefix="order.metadata.",
            placeholder="<key>",
            subject="order",
            description="A key of the order's metadata, compared as a string.",
            resolve=resolve_metadata,
            listing=lambda resolution: [metadata_pattern()],
            unknown="{name!r} is not a metadata key a condition can read.",
        )
    )


__all__ = ["OrderFacts", "order_facts", "order_histories", "register"]
