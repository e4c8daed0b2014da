"""Write the demo plan into the database, and hand out the demo credentials.

The demo data is a seed of history, not live activity. It is written through the bulk paths of
the services (`profiles.bulk_insert_customers`, `consents.bulk_insert_consents`,
`history.bulk_insert_orders`, `custom_events.bulk_insert_events`), which check and write what
the services would have written one by one, but **no outbox events**: seeding must not fire
webhooks, campaigns or segment updates for facts that happened "months ago"."""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
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
from kizuna.customers.models import (
    AttributeDefinition,
    Consent,
    ConsentChange,
    Customer,
    CustomerImport,
    CustomEvent,
    TimelineEntry,
)
from kizuna.customers.services import attributes, consents, custom_events, profiles
from kizuna.demo import catalog
from kizuna.demo import loyalty as demo_loyalty
from kizuna.demo import rewards as demo_rewards
from kizuna.demo.feedback import add_feedback
from kizuna.demo.generate import plan_demo
from kizuna.demo.people import ATTRIBUTE_TYPES
from kizuna.demo.plans import CustomerPlan, DemoPlan, OrderPlan
from kizuna.demo.segments import add_segments
from kizuna.feedback.models import Response, Survey
from kizuna.loyalty.models import (
    Account,
    LedgerEntry,
    LotAllocation,
    MilestoneAward,
    MilestoneHit,
    PointLot,
    TierChange,
)
from kizuna.orders.models import Order, OrderItem, Refund, RefundItem
from kizuna.orders.services import history
from kizuna.orders.services import orders as order_services
from kizuna.referrals.models import Referral, ReferralCode, ReferralProgram
from kizuna.rewards.models import Claim, ClaimCount, Redemption, Reward, StackingRules
from kizuna.vouchers.models import (
    Campaign,
    CampaignCustomerUse,
    CodeGeneration,
    GiftCard,
    GiftCardEntry,
    Voucher,
)

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
    Survey.objects.for_workspace(workspace).delete()  # with its versions, responses, answers
    for stored in (
        Redemption,
        StackingRules,
        Referral,
        ReferralCode,
        ReferralProgram,
        ClaimCount,
        Claim,
        Reward,
        GiftCardEntry,
        GiftCard,
        CampaignCustomerUse,
        Voucher,
        CodeGeneration,
        Campaign,
    ):
        stored.objects.for_workspace(workspace).delete()
    LotAllocation.objects.filter(lot__workspace=workspace).delete()
    PointLot.objects.for_workspace(workspace).delete()
    LedgerEntry.objects.for_workspace(workspace).delete()
    MilestoneHit.objects.for_workspace(workspace).delete()
    MilestoneAward.objects.for_workspace(workspace).delete()
    TierChange.objects.for_workspace(workspace).delete()
    Account.objects.for_workspace(workspace).delete()
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
    survey_responses: int

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
            survey_responses=Response.objects.for_workspace(workspace).count(),
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
            add_loyalty(workspace, plan, report)
            add_feedback(workspace, plan, seed, report)
            add_segments(workspace, report)
        credentials = issue_credentials(workspace, keys)
    return Outcome(
        workspace=workspace,
        loaded=loaded,
        counts=Counts.of(workspace),
        credentials=credentials,
        sample_customer=_busiest_customer(workspace),
    )


def add_loyalty(workspace: Workspace, plan: DemoPlan, report: Report) -> None:
    """The loyalty program and its history (kizuna/demo/loyalty.py)."""
    steps = demo_loyalty.history_steps(plan)
    start = (steps[0].moment if steps else plan.anchor) - timedelta(days=1)
    demo_loyalty.set_up_program(workspace, start)
    demo_rewards.set_up_rewards(workspace, start)
    history = demo_rewards.RewardsHistory(workspace)
    report(
        f"Replaying {len(steps)} orders, refunds and events through the loyalty program, "
        "with rewards, gift cards and referrals ..."
    )
    demo_loyalty.replay_history(
        workspace,
        plan,
        steps,
        Progress(report, "loyalty history", len(steps)),
        after_step=history.after_step,
    )
    history.finish(plan.anchor)
    report(f"  rewards: {history.summary()}")


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


def _in_parts[T](
    rows: Sequence[T], label: str, report: Report, write: Callable[[Sequence[T]], Any]
) -> None:
    """Write `rows` through a service's bulk path in four parts, reporting progress."""
    progress = Progress(report, label, len(rows))
    step = max(250, math.ceil(len(rows) / 4))
    for start in range(0, len(rows), step):
        write(rows[start : start + step])
        progress(min(start + step, len(rows)))


def write_plan(workspace: Workspace, plan: DemoPlan, report: Report) -> None:
    """Write the plan through the services' bulk paths: the rows the services write, checked
    as they check them, without outbox events (history is not news)."""
    earliest = min((c.created_at for c in plan.customers), default=plan.anchor)
    Workspace.objects.filter(pk=workspace.pk).update(created_at=earliest)
    attributes.declare_attributes(workspace, ATTRIBUTE_TYPES, earliest)
    rows: list[Customer] = []
    _in_parts(
        [_customer(c) for c in plan.customers],
        "customers",
        report,
        lambda part: rows.extend(profiles.bulk_insert_customers(workspace, part)),
    )
    by_plan = {id(p): row for p, row in zip(plan.customers, rows, strict=True)}
    _in_parts(
        [
            consents.ConsentRecord(
                customer=by_plan[id(person)],
                channel=step.channel,
                status=step.status,
                previous_status=step.previous_status,
                source=step.source,
                occurred_at=step.occurred_at,
            )
            for person in plan.customers
            for step in person.consents
        ],
        "consent history",
        report,
        lambda part: consents.bulk_insert_consents(workspace, part),
    )
    _in_parts(
        [_order(order, by_plan) for order in plan.orders],
        "orders",
        report,
        lambda part: history.bulk_insert_orders(workspace, part),
    )
    _in_parts(
        [
            custom_events.EventRecord(
                customer=by_plan[id(person)],
                client_id=event.client_id,
                name=event.name,
                properties=event.properties,
                occurred_at=event.occurred_at,
                recorded_at=event.recorded_at,
            )
            for person, event in plan.events
        ],
        "custom events",
        report,
        lambda part: custom_events.bulk_insert_events(workspace, part),
    )


def _customer(person: CustomerPlan) -> profiles.CustomerRecord:
    return profiles.CustomerRecord(
        external_id=person.external_id,
        profile={
            "email": person.email,
            "phone": person.phone,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "locale": person.lang,
            "timezone": person.city.timezone,
            "birthdate": person.birthdate,
        },
        attributes=person.attributes,
        created_at=person.created_at,
        updated_at=person.updated_at,
    )


def _order(order: OrderPlan, customers: dict[int, Customer]) -> history.OrderRecord:
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
    return history.OrderRecord(
        customer=customers[id(order.customer)],
        checked=checked,
        recorded_at=order.recorded_at,
        changes=[history.StatusChangeRecord(c.status, c.occurred_at) for c in order.changes],
        refunds=[
            history.RefundRecord(
                external_id=r.external_id,
                items=r.items,
                amount=None if r.items is not None else r.amount,
                reason=r.reason,
                occurred_at=r.occurred_at,
                recorded_at=r.recorded_at,
            )
            for r in order.refunds
        ],
    )
