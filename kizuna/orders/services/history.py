"""The bulk path of orders: a history of orders, their status changes and refunds, written in
bulk as the single-order services would have written them one by one (the same checks, rows,
amounts and timeline entries), but without outbox events: history is not news, and must not
fire webhooks or campaigns for what happened months ago.

`record_order`, `change_order_status` and `refund_order` share their checks, row builders,
refund pricing and timeline summaries with this module, so the two paths cannot drift."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from kizuna.core.bulk import bulk_insert
from kizuna.core.errors import ValidationFailed
from kizuna.core.ids import check_external_id
from kizuna.core.models import Workspace
from kizuna.customers.models import Customer
from kizuna.customers.services import timeline
from kizuna.orders.models import Order, OrderItem, OrderStatus, Refund, RefundItem
from kizuna.orders.services import stats
from kizuna.orders.services.orders import (
    CheckedOrder,
    check_transition,
    item_rows,
    order_row,
    order_summary,
    status_summary,
)
from kizuna.orders.services.refund_pricing import RefundLine, apply_refund, price_refund
from kizuna.orders.services.refunds import refund_summary

BATCH_SIZE = 1000


@dataclass(frozen=True)
class StatusChangeRecord:
    status: str
    occurred_at: datetime


@dataclass(frozen=True)
class RefundRecord:
    """A refund by `items` ([{sku, quantity}]) or by `amount`, as `refund_order` takes it."""

    external_id: str
    items: Sequence[Mapping[str, Any]] | None
    amount: Decimal | str | None
    reason: str
    occurred_at: datetime
    recorded_at: datetime


@dataclass(frozen=True)
class OrderRecord:
    """An order of the past: as it was recorded (`checked`, with its first status), then what
    happened to it, in time order."""

    customer: Customer
    checked: CheckedOrder
    recorded_at: datetime
    changes: Sequence[StatusChangeRecord] = ()
    refunds: Sequence[RefundRecord] = ()


@dataclass
class _Written:
    order: Order
    items: list[OrderItem]
    entries: list[Any] = field(default_factory=list)
    refunds: list[tuple[Refund, list[RefundLine]]] = field(default_factory=list)


def bulk_insert_orders(workspace: Workspace, records: Sequence[OrderRecord]) -> list[Order]:
    """Write the orders of `records` with their items, status changes and refunds, checked
    as the services check them; nothing is written if one is refused. Returns the orders."""
    written = [_replay(workspace, record) for record in records]
    orders = bulk_insert([w.order for w in written], batch_size=BATCH_SIZE)
    for w in written:
        for item in w.items:
            item.order = w.order
    bulk_insert([i for w in written for i in w.items], batch_size=BATCH_SIZE)
    for w in written:
        for refund, _ in w.refunds:
            refund.order = w.order
    bulk_insert([r for w in written for r, _ in w.refunds], batch_size=BATCH_SIZE)
    bulk_insert(
        [
            RefundItem(
                refund=refund,
                order_item=w.items[index],
                sku=w.items[index].sku,
                quantity=quantity,
                amount=amount,
            )
            for w in written
            for refund, lines in w.refunds
            for index, quantity, amount in lines
        ],
        batch_size=BATCH_SIZE,
    )
    timeline.bulk_add([entry for w in written for entry in w.entries])
    stats.orders_loaded(workspace, [order.customer_id for order in orders])
    return orders


def _replay(workspace: Workspace, record: OrderRecord) -> _Written:
    """The rows of one order at the end of its history, built in memory."""
    checked = record.checked
    order = order_row(workspace, record.customer, checked)
    order.created_at = record.recorded_at
    items = item_rows(order, checked)
    entry = timeline.entry(
        record.customer,
        "order",
        order.external_id,
        order.occurred_at,
        order_summary(order, items, checked.status),
    )
    entry.created_at = record.recorded_at
    out = _Written(order, items, [entry])
    moments = [record.recorded_at]
    happenings: list[tuple[datetime, int, Any]] = [
        *((c.occurred_at, 0, c) for c in record.changes),
        *((r.occurred_at, 1, r) for r in record.refunds),
    ]
    for moment, _, happening in sorted(happenings, key=lambda h: (h[0], h[1])):
        if moment < order.occurred_at:
            raise ValidationFailed(
                f"Order {order.external_id}: something happened to it before it was placed.",
                code="invalid_history",
                field="occurred_at",
            )
        if isinstance(happening, StatusChangeRecord):
            check_transition(order.status, happening.status)
            out.entries.append(
                _at(
                    timeline.entry(
                        record.customer,
                        "order_status",
                        order.external_id,
                        moment,
                        status_summary(order.status, happening.status),
                    ),
                    moment,
                )
            )
            order.status = happening.status
            moments.append(moment)
        else:
            out.refunds.append(_refund(order, items, happening))
            out.entries.append(
                _at(
                    timeline.entry(
                        record.customer,
                        "refund",
                        happening.external_id,
                        moment,
                        refund_summary(order, out.refunds[-1][0].amount),
                    ),
                    moment,
                )
            )
            moments.append(happening.recorded_at)
    order.updated_at = max(moments)
    return out


def _refund(
    order: Order, items: list[OrderItem], record: RefundRecord
) -> tuple[Refund, list[RefundLine]]:
    check_external_id(record.external_id, "external_id")
    if order.status != OrderStatus.PAID:
        raise ValidationFailed(
            f"Only paid orders can be refunded; {order.external_id} is {order.status}.",
            code="order_not_paid",
        )
    lines, amount = price_refund(order, items, record.items, record.amount)
    apply_refund(order, items, lines, amount)
    refund = Refund(
        workspace_id=order.workspace_id,
        external_id=record.external_id,
        amount=amount,
        currency=order.currency,
        reason=record.reason,
        occurred_at=record.occurred_at,
        created_at=record.recorded_at,
    )
    return refund, lines


def _at(entry: Any, moment: datetime) -> Any:
    entry.created_at = moment
    return entry
