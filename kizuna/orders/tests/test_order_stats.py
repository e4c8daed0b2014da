"""Per-customer order aggregates follow every order, status change and refund, and agree with a
rebuild from the orders."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from kizuna.accounts.services import NewWorkspace
from kizuna.core.clock import now
from kizuna.customers.models import Customer
from kizuna.orders.models import CustomerOrderStats
from kizuna.orders.services import stats

pytestmark = pytest.mark.django_db


def row(workspace: NewWorkspace, customer_id: str = "cust-1") -> dict[str, Any]:
    customer = Customer.objects.for_workspace(workspace.workspace).get(external_id=customer_id)
    found = CustomerOrderStats.objects.filter(customer=customer).values(
        "orders_count", "first_order_at", "last_order_at", "spend_orders_count", "total_spent"
    )
    values: dict[str, Any] = dict(found.get()) if found else {}
    if values:
        values["total_spent"] = Decimal(values["total_spent"]).quantize(Decimal("0.01"))
    return values


def rebuilt(workspace: NewWorkspace, customer_id: str = "cust-1") -> dict[str, Any]:
    stats.rebuild(workspace.workspace)
    return row(workspace, customer_id)


def when(days: int) -> str:
    return (now() - timedelta(days=days)).isoformat()


def test_paid_orders_count_and_add_up_pending_and_foreign_currency_do_not_spend(
    api: Any, workspace: NewWorkspace, order_body: Any
) -> None:
    api.post("/orders", order_body(external_id="o1", occurred_at=when(10)))
    api.post("/orders", order_body(external_id="o2", occurred_at=when(30)))
    api.post("/orders", order_body(external_id="o3", status="pending", occurred_at=when(1)))
    api.post(
        "/orders",
        order_body(
            external_id="o4",
            currency="JPY",
            subtotal="3000",
            discount_total="500",
            shipping_total="400",
            tax_total="200",
            total="3100",
            items=[],
            occurred_at=when(2),
        ),
    )
    values = row(workspace)
    assert values["orders_count"] == 3  # o1, o2 and the JPY o4; not the pending o3
    assert values["spend_orders_count"] == 2
    assert values["total_spent"] == Decimal("62.00")
    assert values["last_order_at"] > values["first_order_at"]
    assert values == rebuilt(workspace)


def test_status_changes_and_refunds_move_the_aggregates(
    api: Any, workspace: NewWorkspace, order_body: Any
) -> None:
    api.post("/orders", order_body(external_id="o1", occurred_at=when(10)))
    api.post("/orders", order_body(external_id="o2", status="pending", occurred_at=when(40)))
    assert row(workspace)["orders_count"] == 1

    assert api.post("/orders/o2/status", {"status": "paid"}).status_code == 200
    values = row(workspace)
    assert (values["orders_count"], values["total_spent"]) == (2, Decimal("62.00"))
    assert values == rebuilt(workspace)

    refund = api.post("/orders/o1/refunds", {"external_id": "r1", "amount": "11.00"})
    assert refund.status_code == 201, refund.data
    assert row(workspace)["total_spent"] == Decimal("51.00")
    assert row(workspace) == rebuilt(workspace)

    assert api.post("/orders/o2/status", {"status": "cancelled"}).status_code == 200
    values = row(workspace)
    assert (values["orders_count"], values["total_spent"]) == (1, Decimal("20.00"))
    assert values["first_order_at"] == values["last_order_at"]
    assert values == rebuilt(workspace)

    assert api.post("/orders/o1/status", {"status": "cancelled"}).status_code == 200
    values = row(workspace)
    assert values["orders_count"] == 0
    assert values["first_order_at"] is None and values["last_order_at"] is None
    assert values["total_spent"] == Decimal("0.00")


def test_a_replayed_order_counts_once(api: Any, workspace: NewWorkspace, order_body: Any) -> None:
    body = order_body(external_id="o1")
    api.post("/orders", body)
    api.post("/orders", body)
    api.post("/orders", body, **{"Idempotency-Key": "k1"})
    api.post("/orders", body, **{"Idempotency-Key": "k1"})
    assert row(workspace)["orders_count"] == 1


def test_the_rebuild_command_restores_aggregates_of_bulk_loaded_orders(
    api: Any,
    workspace: NewWorkspace,
    other_api: Any,
    other_workspace: NewWorkspace,
    order_body: Any,
) -> None:
    api.post("/orders", order_body(external_id="o1"))
    other_api.post("/orders", order_body(external_id="o1"))
    expected = row(workspace)
    CustomerOrderStats.objects.all().update(orders_count=99, total_spent=Decimal(0))
    call_command("rebuild_order_stats", "--workspace", workspace.workspace.slug, stdout=None)
    assert row(workspace) == expected
    assert row(other_workspace)["orders_count"] == 99  # only the workspace named
