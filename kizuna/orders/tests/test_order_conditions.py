"""Conditions over one order and one item: in memory (an earning rule deciding for the order at
hand) and in SQL over orders and items (a backtest over past orders) select the same rows."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kizuna.accounts.services import NewWorkspace
from kizuna.core.conditions import (
    Context,
    InvalidCondition,
    compile_condition,
    evaluate,
    parse,
)
from kizuna.customers.conditions import customer_facts
from kizuna.orders.conditions import order_facts, order_histories
from kizuna.orders.models import Order, OrderItem

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC)


@pytest.fixture
def orders(api: Any, order_body: Any) -> list[Order]:
    """Five orders of two customers, in two currencies, channels and sets of items."""
    api.put("/customers/aiko", {"attributes": {"city": "Osaka"}, "locale": "ja-JP"})
    bodies = [
        order_body(external_id="o1", customer_id="aiko", metadata={"campaign": "spring"}),
        order_body(external_id="o2", customer_id="aiko", channel="store", location="Umeda"),
        order_body(
            external_id="o3",
            customer_id="ken",
            status="pending",
            channel="app",
            items=[{"sku": "TEA-2", "category": "tea", "quantity": 3, "unit_price": "10.00"}],
            metadata={"campaign": 5},
        ),
        order_body(
            external_id="o4",
            customer_id="ken",
            currency="JPY",
            subtotal="3000",
            discount_total="500",
            shipping_total="400",
            tax_total="200",
            total="3100",
            items=[{"sku": "CUP-1", "category": "", "quantity": 1, "unit_price": "3000"}],
        ),
        order_body(external_id="o5", customer_id="ken", items=[], subtotal="30.00"),
    ]
    for i, body in enumerate(bodies):
        body["occurred_at"] = (NOW - timedelta(days=10 * i)).isoformat()
        assert api.post("/orders", body).status_code == 201
    return list(Order.objects.select_related("customer", "workspace").order_by("pk"))


def order_context(order: Order, histories: dict[int, Any]) -> Context:
    return Context(
        now=NOW,
        **order_facts(order),
        **customer_facts(order.customer),
        customer_orders=histories[order.customer_id],
        workspace_currency=order.workspace.default_currency,
    )


LEAVES = [
    {"field": "order.total", "op": "gte", "value": "31.00"},
    {"field": "order.total", "op": "between", "value": ["30", "3100"]},
    {"field": "order.subtotal", "op": "lt", "value": "100"},
    {"field": "order.currency", "op": "eq", "value": "JPY"},
    {"field": "order.channel", "op": "in", "value": ["store", "app"]},
    {"field": "order.location", "op": "exists"},
    {"field": "order.location", "op": "ne", "value": "Umeda"},
    {"field": "order.status", "op": "eq", "value": "paid"},
    {"field": "order.occurred_at", "op": "within_last", "value": "15d"},
    {"field": "order.items[*].sku", "op": "any_in", "value": ["TEA-1", "TEA-2"]},
    {"field": "order.items[*].sku", "op": "all_in", "value": ["TEA-1", "CUP-1"]},
    {"field": "order.items[*].category", "op": "none_in", "value": ["ware"]},
    {"field": "order.items.quantity", "op": "gte", "value": 3},
    {"field": "order.metadata.campaign", "op": "eq", "value": "spring"},
    {"field": "order.metadata.campaign", "op": "not_exists"},
    {"field": "customer.attributes.city", "op": "eq", "value": "Osaka"},
    {"field": "customer.locale", "op": "starts_with", "value": "ja"},
    {"field": "customer.orders.count", "op": "gte", "value": 2},
    {"field": "customer.orders.total_spent", "within": "25d", "op": "gt", "value": "40"},
]

CONDITIONS = st.recursive(
    st.sampled_from(LEAVES),
    lambda children: st.one_of(
        st.builds(lambda c: {"all": c}, st.lists(children, max_size=3)),
        st.builds(lambda c: {"any": c}, st.lists(children, max_size=3)),
        st.builds(lambda c: {"not": c}, children),
    ),
    max_leaves=4,
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=CONDITIONS)
def test_orders_selected_in_sql_and_in_memory_agree(
    workspace: NewWorkspace, orders: list[Order], data: Any
) -> None:
    ws = workspace.workspace
    condition = parse(data, workspace=ws, subjects={"order", "customer"})
    histories = order_histories(ws, {o.customer_id for o in orders})
    q = compile_condition(condition, workspace=ws, scope="order", now=NOW)
    in_sql = set(Order.objects.for_workspace(ws).filter(q).values_list("pk", flat=True))
    in_memory = {o.pk for o in orders if evaluate(condition, order_context(o, histories))}
    assert in_sql == in_memory, data


ITEM_LEAVES = [
    {"field": "item.sku", "op": "starts_with", "value": "TEA"},
    {"field": "item.category", "op": "exists"},
    {"field": "item.quantity", "op": "gte", "value": 2},
    {"field": "item.unit_price", "op": "gt", "value": "10"},
    {"field": "order.channel", "op": "eq", "value": "online"},
]


@pytest.mark.parametrize(
    "data",
    [
        *ITEM_LEAVES,
        {"all": [ITEM_LEAVES[0], {"not": ITEM_LEAVES[4]}]},
        {"any": [ITEM_LEAVES[2], ITEM_LEAVES[3]]},
        {"not": ITEM_LEAVES[1]},
    ],
)
def test_items_selected_in_sql_and_in_memory_agree(
    workspace: NewWorkspace, orders: list[Order], data: Any
) -> None:
    ws = workspace.workspace
    condition = parse(data, workspace=ws, subjects={"item", "order"})
    q = compile_condition(condition, workspace=ws, scope="item", now=NOW)
    rows = list(OrderItem.objects.filter(order__workspace=ws).select_related("order"))
    in_sql = set(
        OrderItem.objects.filter(order__workspace=ws).filter(q).values_list("pk", flat=True)
    )
    in_memory = {
        item.pk
        for item in rows
        if evaluate(condition, Context(now=NOW, item=item, **order_facts(item.order)))
    }
    assert in_sql == in_memory, data
    assert in_sql  # the examples select something


def test_an_earning_rule_decides_for_the_order_at_hand(
    workspace: NewWorkspace, orders: list[Order]
) -> None:
    ws = workspace.workspace
    rule = parse(
        {
            "all": [
                {"field": "order.total", "op": "gte", "value": "30.00"},
                {"field": "order.items[*].category", "op": "any_in", "value": ["tea"]},
                {"field": "customer.orders.count", "op": "gte", "value": 2},
            ]
        },
        workspace=ws,
        subjects={"order", "customer"},
    )
    histories = order_histories(ws, {o.customer_id for o in orders})
    decided = {o.external_id: evaluate(rule, order_context(o, histories)) for o in orders}
    # Both customers have two paid orders (ken's pending o3 is not one of them, but the rule
    # does not ask about the order's own status); o4 and o5 hold no tea.
    assert decided == {"o1": True, "o2": True, "o3": True, "o4": False, "o5": False}


def test_item_fields_do_not_apply_to_a_whole_order(workspace: NewWorkspace) -> None:
    with pytest.raises(InvalidCondition) as info:
        parse(
            {"field": "item.sku", "op": "eq", "value": "TEA-1"},
            workspace=workspace.workspace,
            subjects={"order", "customer"},
        )
    assert info.value.field == "condition.field"
