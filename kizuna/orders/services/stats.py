"""Per-customer order aggregates (`CustomerOrderStats`, ADR 0017), kept up to date in the
transaction of each write: one call per write path of the order services.

Only paid orders count. The counters move in the database (F() expressions, LEAST and
GREATEST for the dates), so concurrent orders of one customer never lose an update; the one
change that cannot be undone by arithmetic, a paid order cancelled, recomputes the row from
the customer's orders with the row locked."""

import itertools
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    DecimalField,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from kizuna.core.models import Workspace
from kizuna.customers.models import Customer
from kizuna.orders.models import CustomerOrderStats, Order, OrderStatus

_MONEY = DecimalField(max_digits=18, decimal_places=4)


def _add_paid(workspace: Workspace, order: Order) -> None:
    """One statement: insert the customer's row, or move its counters in the database (two
    orders of one customer at once never lose an update)."""
    in_spend = order.currency == workspace.default_currency
    table = CustomerOrderStats._meta.db_table
    least, greatest = ("LEAST", "GREATEST") if connection.vendor == "postgresql" else ("MIN", "MAX")
    ops = connection.ops
    at = ops.adapt_datetimefield_value(order.occurred_at)
    spent = ops.adapt_decimalfield_value(
        order.total - order.refunded_total if in_spend else Decimal(0), 18, 4
    )
    with connection.cursor() as cursor:
        cursor.execute(
            # Table and function names only are formatted in; every value is a parameter.
            f"INSERT INTO {table} AS s (customer_id, workspace_id, orders_count, "  # noqa: S608
            "first_order_at, last_order_at, spend_orders_count, total_spent) "
            "VALUES (%s, %s, 1, %s, %s, %s, %s) ON CONFLICT (customer_id) DO UPDATE SET "
            "orders_count = s.orders_count + 1, "
            f"first_order_at = {least}(COALESCE(s.first_order_at, excluded.first_order_at), "
            "excluded.first_order_at), "
            f"last_order_at = {greatest}(COALESCE(s.last_order_at, excluded.last_order_at), "
            "excluded.last_order_at), "
            "spend_orders_count = s.spend_orders_count + excluded.spend_orders_count, "
            "total_spent = s.total_spent + excluded.total_spent",
            [order.customer_id, workspace.pk, at, at, int(in_spend), spent],
        )


def order_recorded(workspace: Workspace, order: Order) -> None:
    """A new order was stored."""
    if order.status == OrderStatus.PAID:
        _add_paid(workspace, order)


def order_status_changed(workspace: Workspace, order: Order, previous: str) -> None:
    """An order moved from `previous` to its current status."""
    if order.status == OrderStatus.PAID and previous != OrderStatus.PAID:
        _add_paid(workspace, order)
    elif previous == OrderStatus.PAID and order.status != OrderStatus.PAID:
        recompute(workspace, order.customer_id)


def order_refunded(workspace: Workspace, order: Order, amount: Decimal) -> None:
    """`amount` of a paid order was refunded: the customer spent that much less."""
    if order.status != OrderStatus.PAID or order.currency != workspace.default_currency:
        return
    CustomerOrderStats.objects.filter(customer_id=order.customer_id).update(
        total_spent=F("total_spent") - amount
    )


def _aggregates(workspace: Workspace) -> dict[str, object]:
    spend = Q(currency=workspace.default_currency)
    return {
        "count": Count("id"),
        "first": Min("occurred_at"),
        "last": Max("occurred_at"),
        "spend_count": Coalesce(
            Sum(Case(When(spend, then=Value(1)), default=Value(0), output_field=IntegerField())),
            0,
        ),
        "spent": Coalesce(
            Sum(
                Case(
                    When(spend, then=F("total") - F("refunded_total")),
                    default=Value(Decimal(0)),
                    output_field=_MONEY,
                )
            ),
            Value(Decimal(0)),
            output_field=_MONEY,
        ),
    }


def recompute(workspace: Workspace, customer_id: int) -> None:
    """The customer's row, from its orders, with the row locked first: an order committed
    meanwhile is either seen by the UPDATE (a statement of its own, so a snapshot of its
    own) or adds itself once this commits."""
    row = CustomerOrderStats.objects.select_for_update().filter(customer_id=customer_id)
    if not list(row.values_list("customer_id", flat=True)):
        _fill(workspace, Order.objects.filter(workspace=workspace, customer_id=customer_id))
        return
    paid = Order.objects.filter(customer_id=OuterRef("customer_id"), status=OrderStatus.PAID)

    def one(aggregate: Any, output: Any) -> Subquery:
        return Subquery(
            paid.values("customer_id").annotate(v=aggregate).values("v"), output_field=output
        )

    totals = _aggregates(workspace)
    row.update(
        orders_count=Coalesce(one(totals["count"], IntegerField()), 0),
        first_order_at=one(totals["first"], DateTimeField()),
        last_order_at=one(totals["last"], DateTimeField()),
        spend_orders_count=Coalesce(one(totals["spend_count"], IntegerField()), 0),
        total_spent=Coalesce(one(totals["spent"], _MONEY), Value(Decimal(0)), output_field=_MONEY),
    )


def rebuild(workspace: Workspace) -> int:
    """Recompute every customer's row of the workspace from its orders, in two statements
    (for data loaded in bulk some other way: a benchmark, a restored dump, or after the
    workspace's default currency changed). Returns the number of customers with paid
    orders."""
    CustomerOrderStats.objects.filter(workspace=workspace).delete()
    return _fill(workspace, Order.objects.filter(workspace=workspace))


def orders_loaded(workspace: Workspace, customer_ids: Iterable[int]) -> None:
    """Orders of these customers were written in bulk (the history path): their rows are
    recomputed from their orders, a thousand customers a statement."""
    for batch in itertools.batched(sorted(set(customer_ids)), 1000):
        CustomerOrderStats.objects.filter(customer_id__in=batch).delete()
        _fill(workspace, Order.objects.filter(workspace=workspace, customer_id__in=batch))


def _fill(workspace: Workspace, orders: QuerySet[Order]) -> int:
    """INSERT ... SELECT the rows of the customers of `orders`, grouped in the database."""
    rows = (
        orders.filter(status=OrderStatus.PAID)
        .values("customer_id")
        .annotate(**_aggregates(workspace))
        .values_list(
            "customer_id",
            Value(workspace.pk, output_field=IntegerField()),
            "count",
            "first",
            "last",
            "spend_count",
            "spent",
        )
    )
    select_sql, params = rows.query.sql_with_params()
    table = CustomerOrderStats._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (customer_id, workspace_id, orders_count, first_order_at, "
            f"last_order_at, spend_orders_count, total_spent) {select_sql}",
            params,
        )
        return max(cursor.rowcount, 0)


def stats_of(customer: Customer) -> CustomerOrderStats:
    """The customer's row, or an empty one when the customer has no paid order."""
    row = CustomerOrderStats.objects.filter(customer=customer).first()
    return row or CustomerOrderStats(customer=customer, workspace_id=customer.workspace_id)
