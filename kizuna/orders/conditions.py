"""The order fields of the condition language, registered at start-up by `OrdersConfig.ready()`:
one order (`order.*`), one of its items (`item.*`), and a customer's order behaviour over all
their orders (`customer.orders.*`, optionally `within` a window).

In memory they read these facts of a `Context`:
- `order`: the order (an `Order`, or any object with the same attributes, such as the checked
  order of a simulation), and `order_items`: its items;
- `item`: one item (sku, category, quantity, unit_price);
- `customer_orders`: the customer's orders as `OrderFacts` (see `order_histories`), and
  `workspace_currency`: the currency the spend fields sum.

Behaviour fields count paid orders only. Money sums (`total_spent`, `average_value`) are in
the workspace's default currency, net of refunds; orders in another currency are left out of
them (not converted). Without `within`, SQL reads `CustomerOrderStats`; with it, the paid orders
of the window."""

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
from kizuna.orders.models import (
    CustomerOrderStats,
    Order,
    OrderChannel,
    OrderItem,
    OrderStatus,
)

_MONEY = DecimalField(max_digits=30, decimal_places=10)


# ------------------------------------------------------------------ one order, one item


def _order_value(name: str, *, blank_is_missing: bool = False) -> Callable[[Leaf], Getter]:
    def in_memory(leaf: Leaf) -> Getter:
        def get(ctx: Context) -> Any:
            order = ctx.get("order")
            if order is MISSING:
                return MISSING
            value = getattr(order, name)
            return MISSING if value is None or (blank_is_missing and value == "") else value

        return get

    return in_memory


def _order_column(name: str, *, blank_is_missing: bool = False) -> SqlBuilder:
    def in_sql(leaf: Leaf, ctx: SqlContext) -> Q:
        path = ctx.path("order", name)
        present = ~Q(**{path: ""}) if blank_is_missing else c.TRUE
        return c.scalar_q(leaf, ctx, path, present)

    return in_sql


def _order_field(
    name: str,
    vtype: c.ValueType,
    description: str,
    example: tuple[str, Any],
    *,
    blank_is_missing: bool = False,
    choices: tuple[str, ...] | None = None,
) -> FieldSpec:
    op, value = example
    return FieldSpec(
        name=f"order.{name}",
        type=vtype,
        subject="order",
        description=description,
        example={"field": f"order.{name}", "op": op, "value": value},
        in_memory=_order_value(name, blank_is_missing=blank_is_missing),
        in_sql=_order_column(name, blank_is_missing=blank_is_missing),
        choices=choices,
    )


def _items_list(element: str, description: str, example: str) -> FieldSpec:
    name = f"order.items[*].{element}"

    def in_memory(leaf: Leaf) -> Getter:
        def get(ctx: Context) -> Any:
            items = ctx.get("order_items")
            if items is MISSING:
                return MISSING
            return frozenset(v for v in (getattr(it, element) for it in items) if v != "")

        return get

    def in_sql(leaf: Leaf, ctx: SqlContext) -> Q:
        rows = OrderItem.objects.filter(order__workspace=ctx.workspace).exclude(**{element: ""})
        return c.list_q(leaf, ctx, rows, link="order_id", ref=ctx.ref("order"), element=element)

    return FieldSpec(
        name=name,
        type=c.list_of(c.STRING),
        subject="order",
        description=description,
        example={"field": name, "op": "any_in", "value": [example]},
        in_memory=in_memory,
        in_sql=in_sql,
    )


def _items_quantity() -> FieldSpec:
    def in_memory(leaf: Leaf) -> Getter:
        def get(ctx: Context) -> Any:
            items = ctx.get("order_items")
            return MISSING if items is MISSING else sum(it.quantity for it in items)

        return get

    def in_sql(leaf: Leaf, ctx: SqlContext) -> Q:
        rows = (
            OrderItem.objects.filter(order__workspace=ctx.workspace)
            .values("order_id")
            .annotate(v=Sum("quantity"))
        )
        return c.per_row_q(leaf, ctx, rows, link="order_id", ref=ctx.ref("order"), empty=0)

    return FieldSpec(
        name="order.items.quantity",
        type=c.INTEGER,
        subject="order",
        description="How many units the order holds, over all its items.",
        example={"field": "order.items.quantity", "op": "gte", "value": 3},
        in_memory=in_memory,
        in_sql=in_sql,
    )


def metadata_field(key: str) -> FieldSpec:
    name = f"order.metadata.{key}"

    def in_memory(leaf: Leaf) -> Getter:
        def get(ctx: Context) -> Any:
            order = ctx.get("order")
            if order is MISSING:
                return MISSING
            value = (order.metadata or {}).get(key, MISSING)
            return value if isinstance(value, str) else MISSING

        return get

    def in_sql(leaf: Leaf, ctx: SqlContext) -> Q:
        column = ctx.path("order", "metadata")
        present = Q(Exact(c.JsonKind(column, key), "string"))
        return c.scalar_q(leaf, ctx, c.JsonText(column, key), present)

    return FieldSpec(
        name=name,
        type=c.STRING,
        subject="order",
        description=f"The order's metadata key {key} (a string value; others are missing).",
        example={"field": name, "op": "eq", "value": "spring-sale"},
        in_memory=in_memory,
        in_sql=in_sql,
    )


def _metadata_pattern() -> FieldSpec:
    """How GET /conditions/fields shows the family: any key may be read."""
    spec = metadata_field("key")
    return FieldSpec(
        name="order.metadata.<key>",
        type=spec.type,
        subject=spec.subject,
        description="A key of the order's metadata: a string value (others are missing).",
        example={"field": "order.metadata.campaign", "op": "eq", "value": "spring-sale"},
        in_memory=spec.in_memory,
        in_sql=spec.in_sql,
    )


def _resolve_metadata(key: str, resolution: c.Resolution) -> FieldSpec | None:
    return metadata_field(key) if c.JSON_KEY.fullmatch(key) else None


def _item_field(name: str, vtype: c.ValueType, description: str, example: Any) -> FieldSpec:
    def in_memory(leaf: Leaf) -> Getter:
        def get(ctx: Context) -> Any:
            item = ctx.get("item")
            if item is MISSING:
                return MISSING
            value = getattr(item, name)
            return MISSING if value == "" else value

        return get

    def in_sql(leaf: Leaf, ctx: SqlContext) -> Q:
        path = ctx.path("item", name)
        present = ~Q(**{path: ""}) if vtype == c.STRING else c.TRUE
        return c.scalar_q(leaf, ctx, path, present)

    op = "eq" if vtype == c.STRING else "gte"
    return FieldSpec(
        name=f"item.{name}",
        type=vtype,
        subject="item",
        description=description,
        example={"field": f"item.{name}", "op": op, "value": example},
        in_memory=in_memory,
        in_sql=in_sql,
    )


# ------------------------------------------------------------------ behaviour over all orders


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


# ------------------------------------------------------------------ facts and registration


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


def order_facts(order: Order) -> dict[str, Any]:
    """The facts of one stored order, its items loaded only if read."""
    return {"order": order, "order_items": c.Lazy(lambda: list(order.items.all()))}


def register(registry: c.Registry = c.registry) -> None:
    c.register_scope("order", {"order": "", "customer": "customer__"})
    c.register_scope("item", {"item": "", "order": "order__", "customer": "order__customer__"})
    for spec in (
        _order_field(
            "total", c.MONEY_TYPE, "The order's total, in its currency.", ("gte", "50.00")
        ),
        _order_field(
            "subtotal",
            c.MONEY_TYPE,
            "The sum of the items before discount, shipping and tax, in the order's currency.",
            ("gte", "50.00"),
        ),
        _order_field("currency", c.STRING, "ISO 4217 currency code.", ("eq", "JPY")),
        _order_field(
            "channel",
            c.STRING,
            "Where the order was placed.",
            ("in", ["store", "app"]),
            choices=tuple(OrderChannel.values),
        ),
        _order_field(
            "location",
            c.STRING,
            "The store or site, as the integrator names it.",
            ("eq", "Osaka Umeda"),
            blank_is_missing=True,
        ),
        _order_field(
            "status",
            c.STRING,
            "pending, paid or cancelled.",
            ("eq", "paid"),
            choices=tuple(OrderStatus.values),
        ),
        _order_field(
            "occurred_at", c.DATETIME_TYPE, "When the order was placed.", ("within_last", "1d")
        ),
        _items_list("sku", "The SKUs of the order's items.", "TEA-1"),
        _items_list("category", "The categories of the order's items.", "tea"),
        _items_quantity(),
        _item_field("sku", c.STRING, "The item's SKU (conditions on one item).", "TEA-1"),
        _item_field("category", c.STRING, "The item's category.", "tea"),
        _item_field("quantity", c.INTEGER, "How many units of the item.", 2),
        _item_field(
            "unit_price", c.MONEY_TYPE, "The price of one unit, in the order's currency.", "10.00"
        ),
        *BEHAVIOUR,
    ):
        registry.register(spec)
    registry.register_family(
        c.FieldFamily(
            prefix="order.metadata.",
            placeholder="<key>",
            subject="order",
            description="A key of the order's metadata, compared as a string.",
            resolve=_resolve_metadata,
            listing=lambda resolution: [_metadata_pattern()],
            unknown="{name!r} is not a metadata key a condition can read.",
        )
    )


__all__ = ["OrderFacts", "order_facts", "order_histories", "register"]
