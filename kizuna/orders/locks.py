"""Row locks of the orders app, in primary-key order (docs/concepts.md, Locking: a customer
before its orders, an order before its items)."""

from kizuna.core.models import Workspace, one_or_none
from kizuna.customers.models import Customer
from kizuna.orders.models import Order, OrderItem


def lock_order(workspace: Workspace, external_id: str) -> Order | None:
    """The order, its row locked (not its customer's), or None. The customer is read after
    the lock, in a statement of its own, so that it is the committed one: after waiting on
    the lock (behind an erasure, say), a customer joined to the locking query would be the
    version seen before."""
    order = one_or_none(
        Order.objects.for_workspace(workspace)
        .select_for_update(of=("self",))
        .filter(external_id=external_id)
    )
    if order is not None:
        order.customer = Customer.objects.for_workspace(workspace).get(pk=order.customer_id)
    return order


def lock_order_items(order: Order) -> list[OrderItem]:
    """The order's items, locked in primary-key order."""
    return list(OrderItem.objects.select_for_update().filter(order=order).order_by("pk"))
