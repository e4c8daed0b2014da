"""Write the demo plan into the database, and hand out the demo credentials.

The demo data is a seed of history, not live activity. Rows are inserted in bulk, exactly as the
customers services would have written them one by one (profiles checked by `check_profile`,
typed attributes with their definitions, consent and its history, orders checked by
`check_order` with their items, status changes, refunds, custom events, and one timeline entry
per fact in the shapes the services write), but **no outbox events are written**: seeding must
not fire webhooks, campaigns or segment updates for facts that happened "months ago"."""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.db.models import Count

from kizuna.accounts.models import ApiKey, Membership, Role, StaffUser
from kizuna.accounts.services import (
    create_staff,
    create_workspace,
    generate_password,
    issue_api_key,
)
from kizuna.core.models import Workspace
from kizuna.core.money import format_amount
from kizuna.customers.models import (
    AttributeDefinition,
    Consent,
    ConsentChange,
    Customer,
    CustomerImport,
    CustomEvent,
    TimelineEntry,
)
from kizuna.customers.services import profiles
from kizuna.demo import catalog
from kizuna.demo.generate import ATTRIBUTE_TYPES, CustomerPlan, DemoPlan, OrderPlan, plan_demo
from kizuna.orders.models import Order, OrderItem, Refund, RefundItem
from kizuna.orders.services import orders as order_services

Report = Callable[[str], None]
BATCH = 1000


class Progress:
    """Prints `label done/total (pct%)` each quarter of the way."""

    def __init__(self, report: Report, label: str, total: int) -> None:
        self.report, self.label, self.total = report, label, total
        self.next_quarter = 1

    def __call__(self, done: int) -> None:
        if self.total == 0:
            return
        quarter = done * 4 // self.total
        if quarter >= self.next_quarter or done == self.total:
            self.next_quarter = quarter + 1
            percent = done * 100 // self.total
            self.report(f"  {self.label:<16} {done}/{self.total} ({percent}%)")


def _bulk[M: models.Model](
    model: type[M], rows: Sequence[M], label: str, report: Report
) -> Sequence[M]:
    progress = Progress(report, label, len(rows))
    step = max(250, math.ceil(len(rows) / 4))
    for start in range(0, len(rows), step):
        model._default_manager.bulk_create(rows[start : start + step], batch_size=BATCH)
        progress(min(start + step, len(rows)))
    return rows


# ------------------------------------------------------------------ the workspace


def find_demo_workspace() -> Workspace | None:
    return Workspace.objects.filter(slug=catalog.WORKSPACE_SLUG).first()


def delete_demo_workspace(workspace: Workspace) -> None:
    """Delete the demo workspace and everything in it. Orders, refunds and events protect
    what they point at, so rows go children first."""
    orders = Order.objects.for_workspace(workspace)
    RefundItem.objects.filter(refund__in=Refund.objects.for_workspace(workspace)).delete()
    Refund.objects.for_workspace(workspace).delete()
    OrderItem.objects.filter(order__in=orders).delete()
    orders.delete()
    for model in (CustomEvent, TimelineEntry, ConsentChange, Consent, CustomerImport):
        model.objects.for_workspace(workspace).delete()
    Customer.objects.for_workspace(workspace).delete()
    AttributeDefinition.objects.for_workspace(workspace).delete()
    workspace.delete()


@dataclass(frozen=True)
class Counts:
    customers: int
    orders: int
    items: int
    refunds: int
    events: int
    consent_changes: int
    timeline: int

    @classmethod
    def of(cls, workspace: Workspace) -> "Counts":
        return cls(
            customers=Customer.objects.for_workspace(workspace).count(),
            orders=Order.objects.for_workspace(workspace).count(),
            items=OrderItem.objects.filter(
                order__in=Order.objects.for_workspace(workspace)
            ).count(),
            refunds=Refund.objects.for_workspace(workspace).count(),
            events=CustomEvent.objects.for_workspace(workspace).count(),
            consent_changes=ConsentChange.objects.for_workspace(workspace).count(),
            timeline=TimelineEntry.objects.for_workspace(workspace).count(),
        )


@dataclass(frozen=True)
class Credentials:
    email: str
    password: str
    role: str
    server_key: str
    publishable_key: str


@dataclass(frozen=True)
class Outcome:
    workspace: Workspace
    loaded: bool  # False: the demo data was there already
    counts: Counts
    credentials: Credentials
    sample_customer: str | None


def load_demo(customers: int, seed: int, anchor: datetime, reset: bool, report: Report) -> Outcome:
    """Create (or, with `reset`, recreate) the demo workspace with its data, in one transaction,
    and issue credentials. A demo workspace that holds customers already is left as it is."""
    with transaction.atomic():
        workspace = find_demo_workspace()
        if workspace is not None and reset:
            report(f"Deleting workspace {workspace.slug} ...")
            delete_demo_workspace(workspace)
            workspace = None
        keys: tuple[str, str] | None = None
        if workspace is None:
            created = create_workspace(
                catalog.WORKSPACE_SLUG, catalog.WORKSPACE_NAME, currency=catalog.WORKSPACE_CURRENCY
            )
            workspace = created.workspace
            workspace.default_locale = catalog.WORKSPACE_LOCALE
            workspace.timezone = catalog.WORKSPACE_TIMEZONE
            workspace.save(update_fields=["default_locale", "timezone"])
            keys = (created.server_key, created.publishable_key)
        loaded = not Customer.objects.for_workspace(workspace).exists()
        if loaded:
            report(f"Planning {customers} customers (seed {seed}) ...")
            plan = plan_demo(customers, seed, anchor, Progress(report, "planning", customers))
            report("Writing ...")
            write_plan(workspace, plan, report)
        credentials = issue_credentials(workspace, keys)
    return Outcome(
        workspace=workspace,
        loaded=loaded,
        counts=Counts.of(workspace),
        credentials=credentials,
        sample_customer=_busiest_customer(workspace),
    )


def _busiest_customer(workspace: Workspace) -> str | None:
    row = (
        Order.objects.for_workspace(workspace)
        .values("customer__external_id")
        .annotate(n=Count("id"))
        .order_by("-n", "customer__external_id")
        .first()
    )
    return row["customer__external_id"] if row else None


def issue_credentials(workspace: Workspace, keys: tuple[str, str] | None) -> Credentials:
    """The staff owner with a fresh password, and API keys: the ones a new workspace came with,
    or freshly issued ones (keys are stored hashed, so earlier ones cannot be shown again)."""
    if keys is None:
        server = issue_api_key(workspace, ApiKey.Kind.SERVER, name="demo").secret
        publishable = issue_api_key(workspace, ApiKey.Kind.PUBLISHABLE, name="demo").secret
        keys = (server, publishable)
    user = StaffUser.objects.filter(email=catalog.STAFF_EMAIL).first()
    if user is None:
        user, password = create_staff(catalog.STAFF_EMAIL, workspace, Role.OWNER)
    else:
        password = generate_password()
        user.set_password(password)
        Membership.objects.update_or_create(
            workspace=workspace, user=user, defaults={"role": Role.OWNER}
        )
    # The Django admin is the operators' tool and sees every workspace, so only superusers
    # may use it. The demo install is a one-workspace sandbox whose owner also operates it.
    user.is_staff = True
    user.is_superuser = True
    user.is_active = True
    user.full_name = user.full_name or catalog.STAFF_NAME
    user.save()
    return Credentials(catalog.STAFF_EMAIL, password, Role.OWNER, keys[0], keys[1])


# ------------------------------------------------------------------ writing the plan


def write_plan(workspace: Workspace, plan: DemoPlan, report: Report) -> None:
    earliest = min((c.created_at for c in plan.customers), default=plan.anchor)
    Workspace.objects.filter(pk=workspace.pk).update(created_at=earliest)
    AttributeDefinition.objects.bulk_create(
        AttributeDefinition(workspace=workspace, key=key, type=kind, created_at=earliest)
        for key, kind in ATTRIBUTE_TYPES.items()
    )
    customers = _bulk(
        Customer, [_customer(workspace, c) for c in plan.customers], "customers", report
    )
    by_plan = {id(p): row for p, row in zip(plan.customers, customers, strict=True)}

    consents: list[Consent] = []
    changes: list[ConsentChange] = []
    for person, row in zip(plan.customers, customers, strict=True):
        final: dict[str, Any] = {}
        for step in person.consents:
            changes.append(
                ConsentChange(
                    workspace=workspace,
                    customer=row,
                    channel=step.channel,
                    status=step.status,
                    previous_status=step.previous_status or "",
                    source=step.source,
                    occurred_at=step.occurred_at,
                    recorded_at=step.occurred_at,
                )
            )
            final[step.channel] = step
        consents += [
            Consent(
                workspace=workspace,
                customer=row,
                channel=channel,
                status=step.status,
                updated_at=step.occurred_at,
            )
            for channel, step in final.items()
        ]
    _bulk(Consent, consents, "consents", report)
    _bulk(ConsentChange, changes, "consent history", report)

    orders = _bulk(Order, [_order(workspace, o, by_plan) for o in plan.orders], "orders", report)
    order_rows = {id(p): row for p, row in zip(plan.orders, orders, strict=True)}
    items = [
        OrderItem(
            order=row,
            position=position,
            sku=item.sku,
            name=item.name,
            category=item.category,
            quantity=item.quantity,
            unit_price=item.unit_price,
            refunded_quantity=item.refunded_quantity,
        )
        for order, row in zip(plan.orders, orders, strict=True)
        for position, item in enumerate(order.items)
    ]
    _bulk(OrderItem, items, "order items", report)
    item_rows = {(row.order_id, row.position): row for row in items}

    refunds = [
        Refund(
            workspace=workspace,
            order=order_rows[id(order)],
            external_id=refund.external_id,
            amount=refund.amount,
            currency=order.currency,
            reason=refund.reason,
            occurred_at=refund.occurred_at,
            created_at=refund.recorded_at,
        )
        for order, refund in plan.refunds
    ]
    _bulk(Refund, refunds, "refunds", report)
    refund_items = [
        RefundItem(
            refund=row,
            order_item=item_rows[(row.order_id, line.position)],
            sku=line.sku,
            quantity=line.quantity,
            amount=line.amount,
        )
        for (_, refund), row in zip(plan.refunds, refunds, strict=True)
        for line in refund.lines
    ]
    _bulk(RefundItem, refund_items, "refund items", report)

    events = [
        CustomEvent(
            workspace=workspace,
            customer=by_plan[id(person)],
            client_id=event.client_id,
            name=event.name,
            properties=event.properties,
            occurred_at=event.occurred_at,
            created_at=event.recorded_at,
        )
        for person, event in plan.events
    ]
    _bulk(CustomEvent, events, "custom events", report)
    _bulk(TimelineEntry, _timeline(workspace, plan, by_plan), "timeline", report)


def _customer(workspace: Workspace, person: CustomerPlan) -> Customer:
    profile = profiles.check_profile(
        {
            "email": person.email,
            "phone": person.phone,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "locale": person.lang,
            "timezone": person.city.timezone,
            "birthdate": person.birthdate,
        }
    )
    return Customer(
        workspace=workspace,
        external_id=person.external_id,
        attributes=person.attributes,
        created_at=person.created_at,
        updated_at=person.updated_at,
        **profile,
    )


def _order(workspace: Workspace, order: OrderPlan, customers: dict[int, Customer]) -> Order:
    """The row `services.record_order` would store, built from what `check_order` accepts."""
    checked = order_services.check_order(
        {
            "external_id": order.external_id,
            "customer_id": order.customer.external_id,
            "status": order.initial_status,
            "currency": order.currency,
            "subtotal": order.subtotal,
            "discount_total": order.discount_total,
            "shipping_total": order.shipping_total,
            "tax_total": order.tax_total,
            "total": order.total,
            "prices_include_tax": order.prices_include_tax,
            "channel": order.channel,
            "location": order.location,
            "occurred_at": order.occurred_at,
            "metadata": order.metadata,
            "items": [
                {
                    "sku": it.sku,
                    "name": it.name,
                    "category": it.category,
                    "quantity": it.quantity,
                    "unit_price": it.unit_price,
                }
                for it in order.items
            ],
        }
    )
    return Order(
        workspace=workspace,
        customer=customers[id(order.customer)],
        external_id=checked.external_id,
        status=order.status,
        currency=checked.currency,
        total=checked.total,
        subtotal=checked.subtotal,
        discount_total=checked.discount_total,
        shipping_total=checked.shipping_total,
        tax_total=checked.tax_total,
        prices_include_tax=checked.prices_include_tax,
        refunded_total=order.refunded_total,
        channel=checked.channel,
        location=checked.location,
        metadata=checked.metadata,
        occurred_at=checked.occurred_at,
        created_at=order.recorded_at,
        updated_at=order.updated_at,
    )


def _timeline(
    workspace: Workspace, plan: DemoPlan, customers: dict[int, Customer]
) -> list[TimelineEntry]:
    """One entry per fact, with the kind, object id and summary the services write."""
    entries: list[TimelineEntry] = []

    def add(
        person: CustomerPlan,
        kind: str,
        object_id: str,
        occurred_at: datetime,
        summary: dict[str, Any],
        recorded_at: datetime | None = None,
    ) -> None:
        entries.append(
            TimelineEntry(
                workspace=workspace,
                customer=customers[id(person)],
                kind=kind,
                object_id=object_id,
                occurred_at=occurred_at,
                summary=summary,
                created_at=recorded_at or occurred_at,
            )
        )

    for person in plan.customers:
        for step in person.consents:
            summary: dict[str, Any] = {
                "channel": step.channel,
                "status": step.status,
                "previous_status": step.previous_status,
            }
            add(person, "consent", step.channel, step.occurred_at, summary)
    for order in plan.orders:
        person = order.customer
        summary = {
            "status": order.initial_status,
            "currency": order.currency,
            "total": format_amount(order.total, order.currency),
            "items": sum(it.quantity for it in order.items),
            "channel": order.channel,
        }
        add(person, "order", order.external_id, order.occurred_at, summary, order.recorded_at)
        for change in order.changes:
            summary = {"previous_status": change.previous_status, "status": change.status}
            add(person, "order_status", order.external_id, change.occurred_at, summary)
    for order, refund in plan.refunds:
        summary = {
            "order_id": order.external_id,
            "currency": order.currency,
            "amount": format_amount(refund.amount, order.currency),
        }
        add(order.customer, "refund", refund.external_id, refund.occurred_at, summary)
    for person, event in plan.events:
        summary = {"name": event.name, "properties": event.properties}
        add(person, "event", event.client_id, event.occurred_at, summary, event.recorded_at)
    entries.sort(key=lambda e: e.occurred_at)
    return entries
