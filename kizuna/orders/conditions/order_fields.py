"""The fields of one order (`order.*`) and of one of its items (`item.*`).

In memory they read the facts `order` (an `Order`, or any object with the same attributes,
such as the checked order of a simulation), `order_items` (its items) and `item` (one item:
sku, category, quantity, unit_price). In SQL they compile over the scopes "order" and "item"."""

from collections.abc import Callable
from typing import Any

from django.db.models import Q, Sum
from django.db.models.lookups import Exact

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
from kizuna.orders.models import OrderItem


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


def order_field(
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


def items_list(element: str, description: str, example: str) -> FieldSpec:
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


def items_quantity() -> FieldSpec:
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


def metadata_pattern() -> FieldSpec:
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


def resolve_metadata(key: str, resolution: c.Resolution) -> FieldSpec | None:
    return metadata_field(key) if c.JSON_KEY.fullmatch(key) else None


def item_field(name: str, vtype: c.ValueType, description: str, example: Any) -> FieldSpec:
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
