"""Refunds of paid orders, by items or by amount, once per refund external_id."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F

from kizuna.core import events as outbox
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace, one_or_none, set_prefetched
from kizuna.core.money import format_amount
from kizuna.core.times import check_occurred_at
from kizuna.core.upsert import insert_once
from kizuna.customers.services import timeline
from kizuna.orders import events, participants
from kizuna.orders.errors import OrderNotFound, RefundConflict
from kizuna.orders.locks import lock_order, lock_order_items
from kizuna.orders.models import Order, OrderItem, OrderStatus, Refund, RefundItem
from kizuna.orders.services import stats
from kizuna.orders.services.refund_pricing import RefundLine, price_refund


def refund_order(
    workspace: Workspace, order_external_id: str, data: Mapping[str, Any]
) -> tuple[Refund, bool]:
    """Refund items or an amount of a paid order, once per refund external_id. A new refund
    comes back with its order and items in hand, ready to present."""
    items_in = data.get("items")
    amount_in = data.get("amount")
    if (items_in is None) == (amount_in is None):
        raise ValidationFailed(
            "Send either items or amount, not both and not neither.",
            code="refund_items_or_amount",
            field="items" if items_in is not None else "amount",
        )
    occurred_at = check_occurred_at(data.get("occurred_at"))
    with transaction.atomic(savepoint=False):
        order = lock_order(workspace, order_external_id)
        if order is None:
            raise OrderNotFound(f"No order {order_external_id!r}.")
        existing = one_or_none(
            Refund.objects.for_workspace(workspace).filter(external_id=data["external_id"])
        )
        if existing is not None:
            if existing.order_id != order.pk:
                raise RefundConflict(
                    "This refund external_id belongs to another order.", field="external_id"
                )
            return existing, False
        if order.status != OrderStatus.PAID:
            raise ValidationFailed(
                f"Only paid orders can be refunded; this one is {order.status}.",
                code="order_not_paid",
            )
        currency = data.get("currency")
        if currency is not None and currency != order.currency:
            raise ValidationFailed(
                f"The order is in {order.currency}.", code="currency_mismatch", field="currency"
            )
        order_items = (
            sorted(lock_order_items(order), key=lambda item: item.position)
            if items_in is not None
            else []
        )
        refunded, amount = price_refund(order, order_items, items_in, amount_in)
        refund, created = insert_once(
            Refund(
                workspace=workspace,
                order=order,
                external_id=data["external_id"],
                amount=amount,
                currency=order.currency,
                # No free text about an erased customer (ADR 0012).
                reason="" if order.customer.erased_at else data.get("reason") or "",
                occurred_at=occurred_at,
            ),
            workspace=workspace,
            external_id=data["external_id"],
        )
        if not created:
            raise RefundConflict(
                "This refund external_id was just used by another request.",
                field="external_id",
            )
        set_prefetched(refund, "items", _write_lines(refund, order_items, refunded))
        # The order is locked: its new total is computed here, in decimals (an F() sum runs in
        # floating point on SQLite, where 3.16 + 3.73 exceeds 6.89 and breaks the CHECK).
        order.refunded_total += amount
        order.updated_at = now()
        Order.objects.filter(pk=order.pk).update(
            refunded_total=order.refunded_total, updated_at=order.updated_at
        )
        stats.order_refunded(workspace, order, amount)
        participants.order_refunded(order, refund)
        timeline.add_entry(
            order.customer, "refund", refund.external_id, occurred_at, refund_summary(order, amount)
        )
        outbox.emit(
            workspace,
            events.OrderRefunded(
                order_id=order.external_id,
                refund_id=refund.external_id,
                customer_id=order.customer.external_id,
                currency=order.currency,
                amount=format_amount(amount, order.currency),
                refunded_total=format_amount(order.refunded_total, order.currency),
            ),
        )
    return refund, True


def refund_summary(order: Order, amount: Decimal) -> dict[str, Any]:
    return {
        "order_id": order.external_id,
        "currency": order.currency,
        "amount": format_amount(amount, order.currency),
    }


def _write_lines(
    refund: Refund, order_items: list[OrderItem], refunded: list[RefundLine]
) -> list[RefundItem]:
    written = []
    for index, quantity, line_amount in refunded:
        item = order_items[index]
        written.append(
            RefundItem.objects.create(
                refund=refund,
                order_item=item,
                sku=item.sku,
                quantity=quantity,
                amount=line_amount,
            )
        )
        OrderItem.objects.filter(pk=item.pk).update(
            refunded_quantity=F("refunded_quantity") + quantity
        )
    return written
