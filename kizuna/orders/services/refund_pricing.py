"""What a refund gives back: refunded units priced at what the customer paid for them (their
share of the discount and tax included, shipping excluded), without rounding drift."""

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from kizuna.core.errors import ValidationFailed
from kizuna.core.money import round_amount
from kizuna.orders.errors import RefundExceedsOrder
from kizuna.orders.models import Order, OrderItem

# (the order's line, units refunded from it, amount given back for them)
RefundLine = tuple[OrderItem, int, Decimal]


def price_refund_items(
    order: Order, order_items: Sequence[OrderItem], items_in: list[Mapping[str, Any]]
) -> list[RefundLine]:
    """Spread the refunded quantities over the order's lines with that SKU, and price the
    units at what the customer paid for them (their share of the discount and tax included).

    A line's amount is what all units refunded so far cost, rounded, minus what the units
    refunded before it cost, rounded: the rounding never drifts, and refunding every unit (in
    any number of refunds) gives back exactly what was paid for the goods."""
    goods_paid = order.total - order.shipping_total

    def paid_for(listed: Decimal) -> Decimal:
        """What the customer paid for goods listed at `listed` before discount and tax."""
        if not order.subtotal:
            return Decimal(0)
        return round_amount(listed * goods_paid / order.subtotal, order.currency)

    listed_refunded = sum(
        (item.unit_price * item.refunded_quantity for item in order_items), Decimal(0)
    )
    left = {item.pk: item.quantity - item.refunded_quantity for item in order_items}
    lines: list[RefundLine] = []
    for i, wanted in enumerate(items_in):
        matching = [item for item in order_items if item.sku == wanted["sku"]]
        if not matching:
            raise ValidationFailed(
                f"The order has no item with SKU {wanted['sku']!r}.",
                code="unknown_sku",
                field=f"items[{i}].sku",
            )
        quantity = wanted["quantity"]
        available = sum(left[item.pk] for item in matching)
        if quantity > available:
            raise RefundExceedsOrder(
                f"Only {available} of SKU {wanted['sku']!r} can still be refunded.",
                field=f"items[{i}].quantity",
            )
        for item in matching:
            take = min(quantity, left[item.pk])
            if take == 0:
                continue
            left[item.pk] -= take
            quantity -= take
            before = listed_refunded
            listed_refunded += item.unit_price * take
            lines.append((item, take, paid_for(listed_refunded) - paid_for(before)))
            if quantity == 0:
                break
    return lines


def cap_refund_lines(lines: list[RefundLine], cap: Decimal, currency: str) -> list[RefundLine]:
    """Scale the lines' amounts down so that they add up to `cap` (less than their sum), as
    `price_refund_items` prices them: a line gets the scaled running total up to it, rounded,
    minus the scaled running total before it, rounded. The last running total is `cap`
    itself, so the lines add up to it exactly, and none is negative."""
    total = sum((line[2] for line in lines), Decimal(0))
    capped: list[RefundLine] = []
    running = Decimal(0)
    before = Decimal(0)
    for item, quantity, amount in lines:
        running += amount
        upto = round_amount(running * cap / total, currency)
        capped.append((item, quantity, upto - before))
        before = upto
    return capped
