"""Reads of orders and refunds. Every query is scoped with `for_workspace`."""

from django.db.models import Prefetch, QuerySet

from kizuna.core.models import Workspace, one_or_none
from kizuna.core.pagination import keyset_page
from kizuna.customers.models import Customer
from kizuna.customers.selectors import customer_id_of
from kizuna.orders import participants
from kizuna.orders.errors import OrderNotFound
from kizuna.orders.models import Order, OrderItem, Refund


def orders_with_details(workspace: Workspace) -> QuerySet[Order]:
    return (
        Order.objects.for_workspace(workspace)
        .select_related("customer")
        .prefetch_related(
            Prefetch("items", queryset=OrderItem.objects.order_by("position")),
            Prefetch(
                "refunds",
                queryset=Refund.objects.order_by("created_at", "id").prefetch_related("items"),
            ),
        )
    )


def get_order(workspace: Workspace, external_id: str) -> Order:
    order = one_or_none(orders_with_details(workspace).filter(external_id=external_id))
    if order is None:
        raise OrderNotFound(f"No order {external_id!r}.")
    participants.attach([order])
    return order


def list_orders(
    workspace: Workspace, *, customer_id: str | None, cursor: str | None, limit: int | None
) -> tuple[list[Order], str | None]:
    queryset = orders_with_details(workspace)
    if customer_id:
        queryset = queryset.filter(customer_id=customer_id_of(workspace, customer_id))
    rows, next_cursor = keyset_page(
        queryset, fields=("occurred_at", "id"), descending=True, cursor=cursor, limit=limit
    )
    participants.attach(rows)
    return rows, next_cursor


def customer_orders(workspace: Workspace, customer: Customer) -> list[Order]:
    """Every order of the customer with its items and refunds, oldest first."""
    orders = list(
        orders_with_details(workspace).filter(customer=customer).order_by("occurred_at", "id")
    )
    participants.attach(orders)
    return orders


def get_refund(workspace: Workspace, refund_id: int) -> Refund:
    refund = (
        Refund.objects.for_workspace(workspace)
        .select_related("order")
        .prefetch_related("items")
        .get(pk=refund_id)
    )
    participants.attach_refunds([refund])
    return refund
