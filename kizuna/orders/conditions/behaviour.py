"""The order behaviour of a customer over all their orders (`customer.orders.*`), optionally
`within` a window.

Only paid orders count. Money sums (`total_spent`, `average_value`) are in the workspace's
default currency, net of refunds; orders in another currency are left out of them (not
converted). In memory they read the facts `customer_orders` (the customer's orders as
`OrderFacts`, see `order_histories`) and `workspace_currency`. In SQL, without `within`, they
read `CustomerOrderStats`; with it, the paid orders of the window (a covering index serves
them)."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Round
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
)

from kizuna.core import conditions as c
from kizuna.core.conditions import (
    MISSING,
    Context,
    FieldSpec,
    Getter,
    Leaf,
    SqlBuilder,
    SqlContext,
)
from kizuna.core.models import Workspace
from kizuna.orders.models import CustomerOrderStats, Order, OrderItem, OrderStatus

_MONEY = DecimalField(max_digits=30, decimal_places=10)


class OrderFacts(NamedTuple):
    """What the behaviour fields read of one order of the customer's history."""

    status: str
    currency: str
    total: Decimal
    refunded_total: Decimal
    occurred_at: datetime
    skus: frozenset[str]
    categories: frozenset[str]


def _paid_orders(ctx: Context, leaf: Leaf) -> list[OrderFacts] | Any:
    orders = ctx.get("customer_orders")
    if orders is MISSING:
        return MISSING
    since = leaf.within.before(ctx.now) if leaf.within is not None else None
    return [
        o
        for o in orders
        if o.status == OrderStatus.PAID and (since is None or o.occurred_at >= since)
    ]


def _spend(ctx: Context, orders: list[OrderFacts]) -> tuple[int, Decimal]:
    currency = ctx.get("workspace_currency")
    counted = [o for o in orders if o.currency == currency]
    return len(counted), sum((o.total - o.refunded_total for o in counted), Decimal(0))


def _behaviour_memory(
    measure: Callable[[Context, list[OrderFacts]], Any],
) -> Callable[[Leaf], Getter]:
    def in_memory(leaf: Leaf) -> Getter:
        def get(ctx: Context) -> Any:
            orders = _paid_orders(ctx, leaf)
            return MISSING if orders is MISSING else measure(ctx, orders)

        return get

    return in_memory


def _average(ctx: Context, orders: list[OrderFacts]) -> Any:
    count, spent = _spend(ctx, orders)
    return spent / count if count else MISSING


def _window_orders(leaf: Leaf, ctx: SqlContext) -> QuerySet[Order]:
    rows = Order.objects.filter(workspace=ctx.workspace, status=OrderStatus.PAID)
    if leaf.within is not None:
        rows = rows.filter(occurred_at__gte=leaf.within.before(ctx.now))
    return rows


def _spend_orders(leaf: Leaf, ctx: SqlContext) -> QuerySet[Order]:
    return _window_orders(leaf, ctx).filter(currency=ctx.workspace.default_currency)


def _net() -> Any:
    return Round(Sum(F("total") - F("refunded_total")), 4)


def _per_customer(
    leaf: Leaf, ctx: SqlContext, rows: QuerySet[Any], *, empty: Any = MISSING, **kw: Any
) -> Q:
    return c.per_row_q(
        leaf, ctx, rows, link="customer_id", ref=ctx.ref("customer"), empty=empty, **kw
    )


def _stats(ctx: SqlContext) -> QuerySet[Any, Any]:
    return CustomerOrderStats.objects.filter(workspace=ctx.workspace).values("customer_id")


def _count_sql(leaf: Leaf, ctx: SqlContext) -> Q:
    if leaf.within is None:
        return _per_customer(leaf, ctx, _stats(ctx).annotate(v=F("orders_count")), empty=0)
    rows = _window_orders(leaf, ctx).values("customer_id").annotate(v=Count("id"))
    return _per_customer(leaf, ctx, rows, empty=0)


def _spent_sql(leaf: Leaf, ctx: SqlContext) -> Q:
    if leaf.within is None:
        stats = _stats(ctx).annotate(v=Round(F("total_spent"), 4))
        return _per_customer(leaf, ctx, stats, empty=Decimal(0))
    rows = _spend_orders(leaf, ctx).values("customer_id").annotate(v=_net())
    return _per_customer(leaf, ctx, rows, empty=Decimal(0))


def _ratio_compare(leaf: Leaf, ctx: SqlContext) -> Q:
    """average op x, as sum op x * count (count > 0): exact on both databases, where a
    division would round differently."""

    def times_count(x: Decimal) -> Any:
        return Round(ExpressionWrapper(x * F("n"), output_field=_MONEY), 4)

    def positive(op: str, value: Any) -> Q:
        s = F("v")
        match op:
            case "eq":
                return Q(Exact(s, times_count(value)))
            case "gt":
                return Q(GreaterThan(s, times_count(value)))
            case "gte":
                return Q(GreaterThanOrEqual(s, times_count(value)))
            case "lt":
                return Q(LessThan(s, times_count(value)))
            case "lte":
                return Q(LessThanOrEqual(s, times_count(value)))
            case "between":
                low, high = value
                return Q(GreaterThanOrEqual(s, times_count(low))) & Q(
                    LessThanOrEqual(s, times_count(high))
                )
            case "in":
                q = c.FALSE
                for item in value:
                    q |= Q(Exact(s, times_count(item)))
                return q
        raise c.NotCompilable(f"No SQL for average {op}.")  # pragma: no cover

    op = leaf.op
    if op.negates is not None:
        return ~positive(op.negates, leaf.value)
    return positive(op.name, leaf.value)


def _average_sql(leaf: Leaf, ctx: SqlContext) -> Q:
    rows: QuerySet[Any, Any]
    if leaf.within is None:
        rows = (
            _stats(ctx)
            .filter(spend_orders_count__gt=0)
            .annotate(v=Round(F("total_spent"), 4), n=F("spend_orders_count"))
        )
    else:
        rows = _spend_orders(leaf, ctx).values("customer_id").annotate(v=_net(), n=Count("id"))
    return _per_customer(leaf, ctx, rows, compare=_ratio_compare)


def _moment_sql(column: str, aggregate: type[Min] | type[Max]) -> SqlBuilder:
    def in_sql(leaf: Leaf, ctx: SqlContext) -> Q:
        if leaf.within is None:
            return _per_customer(leaf, ctx, _stats(ctx).annotate(v=F(column)))
        rows = _window_orders(leaf, ctx).values("customer_id").annotate(v=aggregate("occurred_at"))
        return _per_customer(leaf, ctx, rows)

    return in_sql


def _bought_sql(element: str) -> SqlBuilder:
    def in_sql(leaf: Leaf, ctx: SqlContext) -> Q:
        rows = OrderItem.objects.filter(
            order__workspace=ctx.workspace, order__status=OrderStatus.PAID
        ).exclude(**{element: ""})
        if leaf.within is not None:
            rows = rows.filter(order__occurred_at__gte=leaf.within.before(ctx.now))
        return c.list_q(
            leaf, ctx, rows, link="order__customer_id", ref=ctx.ref("customer"), element=element
        )

    return in_sql


def _behaviour(
    name: str,
    vtype: c.ValueType,
    description: str,
    example: dict[str, Any],
    measure: Callable[[Context, list[OrderFacts]], Any],
    in_sql: SqlBuilder,
) -> FieldSpec:
    return FieldSpec(
        name=f"customer.orders.{name}",
        type=vtype,
        subject="customer",
        description=description,
        example={"field": f"customer.orders.{name}", **example},
        in_memory=_behaviour_memory(measure),
        in_sql=in_sql,
        extras=(c.WITHIN,),
    )


def _union(attribute: str) -> Callable[[Context, list[OrderFacts]], frozenset[str]]:
    def measure(ctx: Context, orders: list[OrderFacts]) -> frozenset[str]:
        result: set[str] = set()
        for order in orders:
            result |= getattr(order, attribute)
        return frozenset(result)

    return measure


BEHAVIOUR = (
    _behaviour(
        "count",
        c.INTEGER,
        "How many paid orders the customer placed (in any currency). 0 when none.",
        {"within": "12m", "op": "gte", "value": 5},
        lambda ctx, orders: len(orders),
        _count_sql,
    ),
    _behaviour(
        "total_spent",
        c.MONEY_TYPE,
        "What the customer paid over their paid orders, net of refunds, in the workspace's "
        "default currency (orders in other currencies are left out). 0 when none.",
        {"within": "90d", "op": "gt", "value": "100.00"},
        lambda ctx, orders: _spend(ctx, orders)[1],
        _spent_sql,
    ),
    _behaviour(
        "average_value",
        c.MONEY_TYPE,
        "total_spent divided by the number of paid orders in the workspace's default currency; "
        "missing when there is none.",
        {"op": "gte", "value": "50.00"},
        _average,
        _average_sql,
    ),
    _behaviour(
        "first_at",
        c.DATETIME_TYPE,
        "When the customer's first paid order happened; missing when none.",
        {"op": "within_last", "value": "30d"},
        lambda ctx, orders: min((o.occurred_at for o in orders), default=MISSING),
        _moment_sql("first_order_at", Min),
    ),
    _behaviour(
        "last_at",
        c.DATETIME_TYPE,
        "When the customer's last paid order happened; missing when none.",
        {"op": "not_within_last", "value": "6m"},
        lambda ctx, orders: max((o.occurred_at for o in orders), default=MISSING),
        _moment_sql("last_order_at", Max),
    ),
    _behaviour(
        "skus",
        c.list_of(c.STRING),
        "The SKUs of the items of the customer's paid orders (empty when none).",
        {"within": "1y", "op": "any_in", "value": ["TEA-1"]},
        _union("skus"),
        _bought_sql("sku"),
    ),
    _behaviour(
        "categories",
        c.list_of(c.STRING),
        "The categories of the items of the customer's paid orders (empty when none).",
        {"op": "all_in", "value": ["tea", "ware"]},
        _union("categories"),
        _bought_sql("category"),
    ),
)


def order_histories(
    workspace: Workspace, customer_ids: Iterable[int]
) -> dict[int, list[OrderFacts]]:
    """The order histories of many customers in two queries (every customer id is a key)."""
    ids = list(customer_ids)
    histories: dict[int, list[OrderFacts]] = {cid: [] for cid in ids}
    orders = list(
        Order.objects.for_workspace(workspace)
        .filter(customer_id__in=ids)
        .values_list(
            "pk", "customer_id", "status", "currency", "total", "refunded_total", "occurred_at"
        )
    )
    skus: dict[int, set[str]] = defaultdict(set)
    categories: dict[int, set[str]] = defaultdict(set)
    items = OrderItem.objects.filter(order_id__in=[row[0] for row in orders]).values_list(
        "order_id", "sku", "category"
    )
    for order_id, sku, category in items:
        if sku:
            skus[order_id].add(sku)
        if category:
            categories[order_id].add(category)
    for pk, customer_id, status, currency, total, refunded, occurred_at in orders:
        histories[customer_id].append(
            OrderFacts(
                status,
                currency,
                total,
                refunded,
                occurred_at,
                frozenset(skus[pk]),
                frozenset(categories[pk]),
            )
        )
    return histories
