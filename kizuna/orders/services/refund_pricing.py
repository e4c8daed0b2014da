"""What a refund gives back: refunded units priced at what the customer paid for them (their
share of the discount and tax included, shipping excluded), without rounding drift; an amount
checked against what is left to refund.

The functions read an order and its lines through the attributes the models have, so that
they price stored orders (`refunds.refund_order`) and orders being written in bulk alike."""

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

from kizuna.core.errors import ValidationFailed
from kizuna.core.money import check_amount, format_amount, round_amount
from kizuna.orders.errors import RefundExceedsOrder


class PricedOrder(Protocol):
    currency: str
    total: Decimal
    subtotal: Decimal
    shipping_total: Decimal
    refunded_total: Decimal


class PricedLine(Protocol):
    sku: str
    quantity: int
    unit_price: Decimal
    refunded_quantity: int


# (the index of the order's line, units refunded from it, amount given back for them)
RefundLine = tuple[int, int, Decimal]


def price_refund(
    order: PricedOrder,
    lines: Sequence[PricedLine],
    items_in: Sequence[Mapping[str, Any]] | None,
    amount_in: Any,
) -> tuple[list[RefundLine], Decimal]:
    """The refunded lines (none for a refund by amount) and the amount given back, for a
    refund of `items_in` ([{sku, quantity}]) or of `amount_in` (one of the two). `lines` are
    the order's lines in their order. Raises when the refund asks for more than is left."""
    remaining = order.total - order.refunded_total
    if items_in is not None:
        refunded = _price_items(order, lines, items_in)
        if remaining <= 0:
            raise RefundExceedsOrder(
                f"The whole order ({format_amount(order.total, order.currency)} "
                f"{order.currency}) has been refunded already; nothing is left to refund.",
                field="items",
            )
        amount = sum((line[2] for line in refunded), Decimal(0))
        if amount > remaining:
            return _cap(refunded, remaining, order.currency), remaining
        return refunded, amount
    amount = check_amount(amount_in, order.currency, field="amount")
    if amount <= 0:
        raise ValidationFailed(
            "A refund amount must be positive.", code="invalid_amount", field="amount"
        )
    if amount > remaining:
        raise RefundExceedsOrder(
            f"Only {format_amount(remaining, order.currency)} {order.currency} is left to refund.",
            field="amount",
        )
    return [], amount


def _price_items(
    order: PricedOrder, lines: Sequence[PricedLine], items_in: Sequence[Mapping[str, Any]]
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

    listed_refunded = sum((line.unit_price * line.refunded_quantity for line in lines), Decimal(0))
    left = [line.quantity - line.refunded_quantity for line in lines]
    refunded: list[RefundLine] = []
    for i, wanted in enumerate(items_in):
        matching = [n for n, line in enumerate(lines) if line.sku == wanted["sku"]]
        if not matching:
            raise ValidationFailed(
                f"The order has no item with SKU {wanted['sku']!r}.",
                code="unknown_sku",
                field=f"items[{i}].sku",
            )
        quantity = wanted["quantity"]
        available = sum(left[n] for n in matching)
        if quantity > available:
            raise RefundExceedsOrder(
                f"Only {available} of SKU {wanted['sku']!r} can still be refunded.",
                field=f"items[{i}].quantity",
            )
        for n in matching:
            take = min(quantity, left[n])
            if take == 0:
                continue
            left[n] -= take
            quantity -= take
            before = listed_refunded
            listed_refunded += lines[n].unit_price * take
            refunded.append((n, take, paid_for(listed_refunded) - paid_for(before)))
            if quantity == 0:
                break
    return refunded


def _cap(refunded: list[RefundLine], cap: Decimal, currency: str) -> list[RefundLine]:
    """Scale the lines' amounts down so that they add up to `cap` (less than their sum), as
    `_price_items` prices them: a line gets the scaled running total up to it, rounded, minus
    the scaled running total before it, rounded. The last running total is `cap` itself, so
    the lines add up to it exactly, and none is negative."""
    total = sum((line[2] for line in refunded), Decimal(0))
    capped: list[RefundLine] = []
    running = Decimal(0)
    before = Decimal(0)
    for index, quantity, amount in refunded:
        running += amount
        upto = round_amount(running * cap / total, currency)
        capped.append((index, quantity, upto - before))
        before = upto
    return capped


def apply_refund(
    order: PricedOrder, lines: Sequence[PricedLine], refunded: list[RefundLine], amount: Decimal
) -> None:
    """Count a priced refund on the order and its lines, in memory (the bulk path writes the
    rows as they end up; the single path moves the same counters in the database)."""
    order.refunded_total += amount
    for index, quantity, _ in refunded:
        lines[index].refunded_quantity += quantity
