"""Per-customer order aggregates (`CustomerOrderStats`, ADR 0017), kept up to date in the
transaction of each write: one call per write path of the order services.

Only paid orders count. The counters move in the database (F() expressions, LEAST and
GREATEST for the dates), so concurrent orders of one customer never lose an update; the one
change that cannot be undone by arithmetic, a paid order cancelled, recomputes the row from
the customer's orders with the row locked."""

from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    IntegerField,
    Max,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least

from kizuna.core.models import Workspace
from kizuna.customers.models import Customer
from kizuna.orders.models import CustomerOrderStats, Order, OrderStatus

_MONEY = DecimalField(max_digits=18, decimal_places=4)


def _ensure_row(order: Order) -> None:
    CustomerOrderStats.objects.bulk_create(
        [CustomerOrderStats(customer_id=order.customer_id, workspace_id=order.workspace_id)],
        ignore_conflicts=True,
    )


def _add_paid(workspace: Workspace, order: Order) -> None:
    _ensure_row(order)
    moment = Value(order.occurred_at)
    in_spend = order.currency == workspace.default_currency
    changes = {
        "orders_count": F("orders_count") + 1,
        "first_order_at": Least(Coalesce(F("first_order_at"), moment), moment),
        "last_order_at": Greatest(Coalesce(F("last_order_at"), moment), moment),
    }
    if in_spend:
        changes["spend_orders_count"] = F("spend_orders_count") + 1
        changes["total_spent"] = F("total_spent") + (order.total - order.refunded_total)
    CustomerOrderStats.objects.filter(customer_id=order.customer_id).update(**changes)


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
    meanwhile is either seen here or adds itself once this commits."""
    list(CustomerOrderStats.objects.select_for_update().filter(customer_id=customer_id))
    totals = Order.objects.filter(customer_id=customer_id, status=OrderStatus.PAID).aggregate(
        **_aggregates(workspace)
    )
    CustomerOrderStats.objects.update_or_create(
        customer_id=customer_id,
        defaults={
            "workspace": workspace,
            "orders_count": totals["count"],
            "first_order_at": totals["first"],
            "last_order_at": totals["last"],
            "spend_orders_count": totals["spend_count"],
            "total_spent": totals["spent"],
        },
    )


def rebuild(workspace: Workspace) -> int:
    """Recompute every customer's row of the workspace from its orders, in two statements
    (for data loaded in bulk: the demo, a benchmark, an import of history). Returns the
    number of customers with paid orders."""
    CustomerOrderStats.objects.filter(workspace=workspace).delete()
    rows = (
        Order.objects.filter(workspace=workspace, status=OrderStatus.PAID)
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
