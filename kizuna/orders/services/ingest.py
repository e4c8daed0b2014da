"""The bulk path of new orders from a file (ADR 0023): checked orders written in bulk through
`history.bulk_insert_orders`, as `record_order` writes each (the same rows), for customers
found or created in bulk. An order whose external_id is stored already is left as it is.
Outbox events only on request: a history import is not news."""

from collections.abc import Sequence

from kizuna.core import events as outbox
from kizuna.core.clock import now
from kizuna.core.errors import KizunaError
from kizuna.core.models import Workspace
from kizuna.core.money import format_amount
from kizuna.customers.services.ingest import customers_for_facts, emit_customers_created
from kizuna.orders import events
from kizuna.orders.models import Order
from kizuna.orders.services.history import OrderRecord, bulk_insert_orders
from kizuna.orders.services.orders import CheckedOrder


def ingest_orders(
    workspace: Workspace, orders: Sequence[CheckedOrder], *, emit_events: bool
) -> list[str | KizunaError]:
    """Per order: "created", "unchanged" (stored already) or why it was refused."""
    stored = set(
        Order.objects.for_workspace(workspace)
        .filter(external_id__in=[o.external_id for o in orders])
        .values_list("external_id", flat=True)
    )
    outcome: list[str | KizunaError] = [
        "unchanged" if o.external_id in stored else "created" for o in orders
    ]
    fresh = [i for i, o in enumerate(orders) if o.external_id not in stored]
    customers = customers_for_facts(
        workspace, [(orders[i].customer_id, orders[i].email) for i in fresh]
    )
    moment = now()
    records = []
    for i in fresh:
        customer = customers.by_id[orders[i].customer_id]
        if isinstance(customer, KizunaError):
            outcome[i] = customer
        else:
            records.append(OrderRecord(customer=customer, checked=orders[i], recorded_at=moment))
    written = bulk_insert_orders(workspace, records)
    if emit_events:
        emit_customers_created(workspace, customers.created, "order")
        outbox.emit_many(
            workspace,
            [
                events.OrderCreated(
                    order_id=order.external_id,
                    customer_id=order.customer.external_id,
                    status=order.status,
                    currency=order.currency,
                    total=format_amount(order.total, order.currency),
                )
                for order in written
            ],
        )
    return outcome
