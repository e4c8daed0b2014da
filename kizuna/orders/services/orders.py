"""Orders: checked, stored once per external_id, and moved through their statuses."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from kizuna.core import events as outbox
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace, set_prefetched
from kizuna.core.money import MAX_AMOUNT, check_amount, check_currency, format_amount
from kizuna.core.times import check_occurred_at
from kizuna.core.upsert import insert_once
from kizuna.customers.models import Customer
from kizuna.customers.services import timeline
from kizuna.customers.services.profiles import customer_for_fact
from kizuna.orders import events, participants
from kizuna.orders.errors import InvalidStatusTransition, OrderNotFound, TotalsMismatch
from kizuna.orders.locks import lock_order
from kizuna.orders.models import Order, OrderItem, OrderStatus, PaymentMethod
from kizuna.orders.services import stats


@dataclass(frozen=True)
class CheckedItem:
    sku: str
    name: str
    category: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class CheckedOrder:
    external_id: str
    customer_id: str
    email: str | None
    status: str
    currency: str
    total: Decimal
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    prices_include_tax: bool
    channel: str
    location: str
    occurred_at: datetime
    items: list[CheckedItem]
    metadata: dict[str, Any]
    payments: list[dict[str, str]] = field(default_factory=list)


def check_order(data: Mapping[str, Any]) -> CheckedOrder:
    currency = check_currency(data.get("currency"))

    def amount(name: str, default: str | None = "0") -> Decimal:
        value = data.get(name)
        return check_amount(default if value is None else value, currency, field=name)

    total = amount("total", None)
    discount = amount("discount_total")
    shipping = amount("shipping_total")
    tax = amount("tax_total")
    include_tax = bool(data.get("prices_include_tax", False))
    items = []
    for i, item in enumerate(data.get("items") or []):
        items.append(
            CheckedItem(
                sku=item["sku"],
                name=item.get("name", ""),
                category=item.get("category", ""),
                quantity=item["quantity"],
                unit_price=check_amount(
                    item["unit_price"], currency, field=f"items[{i}].unit_price"
                ),
            )
        )
    items_sum = sum((it.unit_price * it.quantity for it in items), Decimal(0))
    if data.get("subtotal") is not None:
        subtotal = amount("subtotal")
        if items and subtotal != items_sum:
            raise TotalsMismatch(
                f"subtotal {format_amount(subtotal, currency)} is not the sum of the items "
                f"({format_amount(items_sum, currency)}).",
                field="subtotal",
            )
    elif items:
        subtotal = items_sum
    else:
        subtotal = total + discount - shipping - (Decimal(0) if include_tax else tax)
        if subtotal < 0:
            raise TotalsMismatch("total is less than shipping and tax.", field="total")
    if subtotal >= MAX_AMOUNT:
        raise ValidationFailed(
            "The subtotal is too large.",
            code="amount_too_large",
            field="subtotal" if data.get("subtotal") is not None or not items else "items",
        )
    if discount > subtotal:
        raise TotalsMismatch("discount_total exceeds the subtotal.", field="discount_total")
    expected = subtotal - discount + shipping + (Decimal(0) if include_tax else tax)
    if expected != total:
        formula = "subtotal - discount_total + shipping_total" + (
            "" if include_tax else " + tax_total"
        )
        raise TotalsMismatch(
            f"total {format_amount(total, currency)} does not equal {formula} "
            f"({format_amount(expected, currency)}).",
            field="total",
        )
    payments = _check_payments(data.get("payments") or [], currency, total)
    return CheckedOrder(
        external_id=data["external_id"],
        customer_id=data["customer_id"],
        email=data.get("email"),
        status=data.get("status") or OrderStatus.PAID,
        currency=currency,
        total=total,
        subtotal=subtotal,
        discount_total=discount,
        shipping_total=shipping,
        tax_total=tax,
        prices_include_tax=include_tax,
        channel=data.get("channel") or "online",
        location=data.get("location") or "",
        occurred_at=check_occurred_at(data.get("occurred_at")),
        items=items,
        metadata=dict(data.get("metadata") or {}),
        payments=payments,
    )


def _points_paid(payment: Mapping[str, Any], i: int) -> dict[str, Any]:
    """A payment with points names how many (and, optionally, of which program); loyalty
    spends them when the order is paid."""
    points = payment.get("points")
    if payment["method"] != PaymentMethod.POINTS:
        if points is not None or payment.get("program_id") is not None:
            raise ValidationFailed(
                "Only a payment with the method points names points or a program.",
                code="invalid_payment",
                field=f"payments[{i}].points",
            )
        return {}
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        raise ValidationFailed(
            "A payment with points says how many: a whole number of at least 1.",
            code="invalid_points",
            field=f"payments[{i}].points",
        )
    program = payment.get("program_id")
    if program is not None and not isinstance(program, str):
        raise ValidationFailed(
            "program_id is a program's id.",
            code="invalid_payment",
            field=f"payments[{i}].program_id",
        )
    return {"points": points, **({"program_id": program} if program is not None else {})}


def _check_payments(payments: list[Any], currency: str, total: Decimal) -> list[dict[str, str]]:
    """How the order was paid: each method known, each amount in the currency, together no
    more than the total."""
    clean = []
    paid = Decimal(0)
    for i, payment in enumerate(payments):
        if not isinstance(payment, Mapping) or payment.get("method") not in PaymentMethod.values:
            raise ValidationFailed(
                f"The method is one of {', '.join(PaymentMethod.values)}.",
                code="invalid_payment_method",
                field=f"payments[{i}].method",
            )
        amount = check_amount(payment.get("amount"), currency, field=f"payments[{i}].amount")
        paid += amount
        clean.append(
            {
                "method": payment["method"],
                "amount": format_amount(amount, currency),
                **_points_paid(payment, i),
            }
        )
    if paid > total:
        raise TotalsMismatch(
            f"The payments ({format_amount(paid, currency)}) exceed the total "
            f"({format_amount(total, currency)}).",
            field="payments",
        )
    return clean


def order_row(workspace: Workspace, customer: Customer, checked: CheckedOrder) -> Order:
    """The unsaved row of a checked order (the single and the bulk paths share it)."""
    return Order(
        workspace=workspace,
        customer=customer,
        external_id=checked.external_id,
        status=checked.status,
        currency=checked.currency,
        total=checked.total,
        subtotal=checked.subtotal,
        discount_total=checked.discount_total,
        shipping_total=checked.shipping_total,
        tax_total=checked.tax_total,
        prices_include_tax=checked.prices_include_tax,
        channel=checked.channel,
        location=checked.location,
        occurred_at=checked.occurred_at,
        metadata=checked.metadata,
        payments=checked.payments,
    )


def item_rows(order: Order, checked: CheckedOrder) -> list[OrderItem]:
    return [
        OrderItem(
            order=order,
            position=i,
            sku=it.sku,
            name=it.name,
            category=it.category,
            quantity=it.quantity,
            unit_price=it.unit_price,
        )
        for i, it in enumerate(checked.items)
    ]


def order_summary(order: Order, items: list[OrderItem], status: str) -> dict[str, Any]:
    """The timeline summary of a new order (`status`: the one it was recorded with)."""
    return {
        "status": status,
        "currency": order.currency,
        "total": format_amount(order.total, order.currency),
        "items": sum(it.quantity for it in items),
        "channel": order.channel,
    }


def record_order(workspace: Workspace, data: Mapping[str, Any]) -> tuple[Order, bool]:
    """Store an order once. A known external_id returns the stored order untouched. A new
    order comes back with its customer, items and (no) refunds in hand, ready to present."""
    checked = check_order(data)
    stored = Order.objects.for_workspace(workspace).filter(external_id=checked.external_id)
    with transaction.atomic(savepoint=False):
        customer = customer_for_fact(
            workspace, checked.customer_id, checked.email, "order", recorded=stored.exists
        )
        if customer is None:
            return stored.get(), False
        order, created = insert_once(
            order_row(workspace, customer, checked),
            workspace=workspace,
            external_id=checked.external_id,
        )
        if not created:
            return order, False
        items = OrderItem.objects.bulk_create(item_rows(order, checked))
        set_prefetched(order, "items", items)
        set_prefetched(order, "refunds", [])
        stats.order_recorded(workspace, order)
        if order.status == OrderStatus.PAID:
            participants.order_paid(order, items)
        timeline.add_entry(
            customer,
            "order",
            order.external_id,
            order.occurred_at,
            order_summary(order, items, order.status),
        )
        outbox.emit(
            workspace,
            events.OrderCreated(
                order_id=order.external_id,
                customer_id=customer.external_id,
                status=order.status,
                currency=order.currency,
                total=format_amount(order.total, order.currency),
            ),
        )
    return order, True


def status_summary(previous: str, status: str) -> dict[str, Any]:
    return {"previous_status": previous, "status": status}


def check_transition(current: str, status: str) -> None:
    if status not in ALLOWED_TRANSITIONS[OrderStatus(current)]:
        raise InvalidStatusTransition(
            f"An order that is {current} cannot become {status}.", field="status"
        )


ALLOWED_TRANSITIONS = {
    OrderStatus.PENDING: {OrderStatus.PAID, OrderStatus.CANCELLED},
    OrderStatus.PAID: {OrderStatus.CANCELLED},
    OrderStatus.CANCELLED: set(),
}


def change_order_status(workspace: Workspace, external_id: str, status: str) -> tuple[Order, bool]:
    with transaction.atomic(savepoint=False):
        order = lock_order(workspace, external_id)
        if order is None:
            raise OrderNotFound(f"No order {external_id!r}.")
        if order.status == status:
            return order, False
        check_transition(order.status, status)
        previous = order.status
        order.status = status
        order.updated_at = now()
        order.save(update_fields=["status", "updated_at"])
        stats.order_status_changed(workspace, order, previous)
        if status == OrderStatus.PAID:
            participants.order_paid(order, list(order.items.all()))
        elif previous == OrderStatus.PAID:
            participants.order_cancelled(order)
        timeline.add_entry(
            order.customer,
            "order_status",
            order.external_id,
            order.updated_at,
            status_summary(previous, status),
        )
        outbox.emit(
            workspace,
            events.OrderStatusChanged(
                order_id=order.external_id,
                customer_id=order.customer.external_id,
                previous_status=previous,
                status=status,
            ),
        )
    return order, True
