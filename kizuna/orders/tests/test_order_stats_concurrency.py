"""Orders of one customer posted at the same moment: the aggregates lose no update.
PostgreSQL only (SQLite runs one writer at a time)."""

from decimal import Decimal
from typing import Any

from conftest import POSTGRES_ONLY, send_together
from kizuna.accounts.services import NewWorkspace
from kizuna.orders.tests.test_order_stats import rebuilt, row

pytestmark = POSTGRES_ONLY


def test_concurrent_orders_refunds_and_cancellations_lose_no_update(
    workspace: NewWorkspace, order_body: Any
) -> None:
    responses = send_together(
        workspace.server_key,
        [("POST", "/orders", order_body(external_id=f"o{i}")) for i in range(6)],
    )
    assert [r.status_code for r in responses] == [201] * 6
    values = row(workspace)
    assert (values["orders_count"], values["total_spent"]) == (6, Decimal("186.00"))

    responses = send_together(
        workspace.server_key,
        [
            ("POST", "/orders", order_body(external_id="o6")),
            ("POST", "/orders/o0/refunds", {"external_id": "r0", "amount": "1.00"}),
            ("POST", "/orders/o1/status", {"status": "cancelled"}),
            ("POST", "/orders/o2/refunds", {"external_id": "r2", "amount": "2.00"}),
        ],
    )
    assert [r.status_code for r in responses] == [201, 201, 200, 201]
    values = row(workspace)
    assert (values["orders_count"], values["total_spent"]) == (6, Decimal("183.00"))
    assert values == rebuilt(workspace)
