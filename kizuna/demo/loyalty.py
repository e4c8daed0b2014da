"""The demo's loyalty program, "Hoshi Stars", and its twelve months of ledger history.

Hoshi Stars is the US shop's program (in dollars; customers join it, as US customers of the
shop do in the demo at their first purchase of the year); Japanese and Korean customers are
not members. The program, its rules, tiers and milestones are created through the loyalty
services as a marketer would, dated at the start of the history. The history is then
replayed: every member's paid
order, status change, refund and rewarded event goes, in the order it happened, through the
same loyalty services the API calls, with the clock set to its moment (`kizuna.core.clock.at`),
and the scheduled jobs (activation, expiry, tier review) run each day of it. So the
ledger is the one the product would have written, balances, tiers, pending and expiring points
included, and `manage.py verify_ledger` agrees with it. The events the replay emits are
removed at the end: history is not news."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q

from kizuna.core import clock
from kizuna.core.audit import Actor
from kizuna.core.models import OutboxEvent, Workspace
from kizuna.customers.models import CustomEvent
from kizuna.demo.plans import DemoPlan
from kizuna.loyalty.models import Account, PointLot
from kizuna.loyalty.services import (
    expiry,
    facts,
    milestones,
    pending,
    programs,
    rules,
    tiers,
)
from kizuna.orders.models import Order, OrderStatus, Refund

ACTOR = Actor("system", "demo")
PROGRAM_ID = "hoshi-stars"
PROGRAM: dict[str, Any] = {
    "id": PROGRAM_ID,
    "name": "Hoshi Stars",
    "points_name": {"default": "stars", "ja": "スター", "ko": "스타"},
    "currency": "USD",
    "timezone": "America/Los_Angeles",
    "status": "active",
    "enrolment": "explicit",
    "pending": {"days": 14},
    "expiry": {"policy": "rolling", "months": 9, "reset_on_activity": False},
    "returns": {"clawback": True, "allow_negative": False},
}
TEA = ["green tea", "black tea", "matcha", "oolong", "herbal"]
RULES: list[dict[str, Any]] = [
    {
        "id": "star-per-dollar",
        "name": "A star per dollar",
        "trigger": {"type": "order_paid"},
        "effect": {"type": "proportional", "points": 1, "per": "1.00", "base": "total"},
        "priority": 10,
        "tier_multipliers": {"gold": "1.25", "platinum": "1.5"},
    },
    {
        "id": "tea-counts-double",
        "name": "Tea counts double",
        "trigger": {"type": "order_paid"},
        "effect": {
            "type": "proportional",
            "points": 1,
            "per": "1.00",
            "base": "items_value",
            "item_condition": {"field": "item.category", "op": "in", "value": TEA},
        },
        "priority": 20,
    },
    {
        "id": "review",
        "name": "Thanks for your review",
        "trigger": {"type": "event", "event": "review_written"},
        "effect": {"type": "fixed", "points": 50},
        "limits": [{"period": "week", "times": 2}],
        "priority": 30,
    },
    {
        "id": "store-visit",
        "name": "Store visit",
        "trigger": {"type": "event", "event": "store_visit"},
        "effect": {"type": "fixed", "points": 10},
        "limits": [{"period": "day", "times": 1}],
        "priority": 40,
    },
    {
        "id": "welcome",
        "name": "Welcome to Hoshi Stars",
        "trigger": {"type": "enrolment"},
        "effect": {"type": "fixed", "points": 100},
        "priority": 50,
    },
]
TIERS: list[dict[str, Any]] = [
    {
        "id": "green",
        "name": "Green",
        "rank": 1,
        "qualify": {"metric": "points_earned", "threshold": 150, "window": "calendar_year"},
        "grace_days": 30,
        "benefits": ["Free shipping on orders over $35"],
    },
    {
        "id": "gold",
        "name": "Gold",
        "rank": 2,
        "qualify": {"metric": "points_earned", "threshold": 600, "window": "calendar_year"},
        "grace_days": 30,
        "benefits": ["1.25 stars per dollar", "Early access to first-flush teas"],
    },
    {
        "id": "platinum",
        "name": "Platinum",
        "rank": 3,
        "qualify": {"metric": "points_earned", "threshold": 1500, "window": "calendar_year"},
        "grace_days": 30,
        "benefits": ["1.5 stars per dollar", "A tasting set each season"],
    },
]
MILESTONES: list[dict[str, Any]] = [
    {
        "id": "regular",
        "name": "Regular",
        "goal": {"type": "count", "trigger": {"type": "order_paid"}, "target": 3, "within": "90d"},
        "points": 150,
        "badge": {"name": "Regular", "image_url": "https://static.example/badges/regular.png"},
        "repeat": "per_period",
    },
    {
        "id": "monthly-ritual",
        "name": "Monthly ritual",
        "goal": {
            "type": "streak",
            "trigger": {"type": "order_paid"},
            "period": "month",
            "target": 3,
        },
        "points": 200,
        "badge": {
            "name": "Monthly ritual",
            "image_url": "https://static.example/badges/ritual.png",
        },
        "repeat": "once",
    },
]
MEMBER_MARKET = "US"
# The US customers who order first join, up to this many: a tenth of the default demo's
# customers, as an explicit program's sign-up rate would be, and a replay that stays quick.
MEMBER_LIMIT = 300
# The events the program rewards; the others are not replayed (they earn nothing).
REWARDED_EVENTS = ("review_written", "store_visit")


@dataclass(frozen=True, order=True)
class _Step:
    moment: datetime
    seq: int
    kind: str  # enrol | paid | cancelled | refunded | event
    key: str  # the order's or event's id
    refund: str = ""


def set_up_program(workspace: Workspace, moment: datetime) -> None:
    """The program as a marketer would set it up, on the first day of the history."""
    with clock.at(moment):
        programs.create_program(workspace, PROGRAM, ACTOR)
        for tier in TIERS:
            tiers.create_tier(workspace, PROGRAM_ID, tier, ACTOR)
        for rule in RULES:
            rules.create_rule(workspace, PROGRAM_ID, rule, ACTOR)
        for milestone in MILESTONES:
            milestones.create_milestone(workspace, PROGRAM_ID, milestone, ACTOR)


def history_steps(plan: DemoPlan) -> list[_Step]:
    """What the replay goes through, in the order it happened: each member (the first
    MEMBER_LIMIT US customers to order) joins a minute before their first order of the
    history, then their orders, refunds and rewarded events."""
    steps: list[_Step] = []
    seq = iter(range(1 << 30))
    earliest: dict[str, datetime] = {}
    for order in plan.orders:
        if order.customer.market == MEMBER_MARKET:
            key = order.customer.external_id
            earliest[key] = min(earliest.get(key, order.recorded_at), order.recorded_at)
    members = set(sorted(earliest, key=lambda k: (earliest[k], k))[:MEMBER_LIMIT])
    first: dict[int, tuple[datetime, str]] = {}
    for order in plan.orders:
        person = order.customer
        if person.external_id not in members:
            continue
        if order.initial_status == OrderStatus.PAID:
            steps.append(_Step(order.recorded_at, next(seq), "paid", order.external_id))
        for change in order.changes:
            if change.status == OrderStatus.PAID:
                steps.append(_Step(change.occurred_at, next(seq), "paid", order.external_id))
            elif change.status == OrderStatus.CANCELLED and change.previous_status == "paid":
                steps.append(_Step(change.occurred_at, next(seq), "cancelled", order.external_id))
        for refund in order.refunds:
            key = order.external_id
            steps.append(_Step(refund.recorded_at, next(seq), "refunded", key, refund.external_id))
        if id(person) not in first or order.recorded_at < first[id(person)][0]:
            first[id(person)] = (order.recorded_at, person.external_id)
    for moment, customer_id in first.values():
        steps.append(_Step(moment - timedelta(minutes=1), next(seq), "enrol", customer_id))
    for person, event in plan.events:
        joined = first.get(id(person))
        if event.name in REWARDED_EVENTS and joined and event.recorded_at > joined[0]:
            steps.append(_Step(event.recorded_at, next(seq), "event", event.client_id))
    return sorted(steps)


def _run_jobs(workspace: Workspace, moment: datetime) -> None:
    """The scheduled jobs as they would have run at `moment` (skipped when nothing is due:
    the program has no birthday rule, so due lots and tiers are all there is)."""
    lots = PointLot.objects.for_workspace(workspace)
    due = Q(pending=True, activates_at__lte=moment) | Q(
        pending=False, remaining__gt=0, expires_at__lte=moment
    )
    tiers_due = Account.objects.for_workspace(workspace).filter(
        tier__isnull=False, tier_until__lte=moment
    )
    if not lots.filter(due).exists() and not tiers_due.exists():
        return
    with clock.at(moment):
        while pending.activate_due():
            pass
        expiry.expire_due()
        while tiers.review_due():
            pass


def _days(start: datetime, end: datetime) -> Iterable[datetime]:
    day = start.replace(hour=12, minute=0, second=0, microsecond=0)
    while day < end:
        yield day
        day += timedelta(days=1)


def replay_history(
    workspace: Workspace,
    plan: DemoPlan,
    steps: list[_Step],
    progress: Callable[[int], None] | None = None,
    after_step: Callable[[str, str, datetime, Any], None] | None = None,
) -> None:
    """Replay `steps` (`history_steps(plan)`) through the loyalty services, each at its
    moment, with the daily jobs between days. `after_step(kind, key, moment, order)` runs
    after each step, at its moment (the rewards' history: `kizuna/demo/rewards.py`)."""
    orders = {
        o.external_id: o
        for o in Order.objects.for_workspace(workspace)
        .select_related("customer", "workspace")
        .prefetch_related("items")
    }
    refunds: dict[str, Refund] = {r.external_id: r for r in Refund.objects.for_workspace(workspace)}
    refunded_so_far: dict[str, Decimal] = defaultdict(Decimal)
    events = {
        e.client_id: e
        for e in CustomEvent.objects.for_workspace(workspace)
        .filter(name__in=REWARDED_EVENTS)
        .select_related("customer", "workspace")
    }
    days = iter(_days(steps[0].moment, plan.anchor) if steps else ())
    next_day = next(days, None)
    for done, step in enumerate(steps, start=1):
        while next_day is not None and next_day <= step.moment:
            _run_jobs(workspace, next_day)
            next_day = next(days, None)
        with clock.at(step.moment):
            order = None
            if step.kind == "enrol":
                programs.enrol(workspace, PROGRAM_ID, step.key)
            elif step.kind == "event":
                facts.event_recorded(events[step.key])
            else:
                order = orders[step.key]
                if step.kind == "paid":
                    order.status = OrderStatus.PAID
                    facts.order_paid(order, list(order.items.all()))
                elif step.kind == "cancelled":
                    order.status = OrderStatus.CANCELLED
                    facts.order_cancelled(order)
                else:
                    refund = refunds[step.refund]
                    refunded_so_far[order.external_id] += refund.amount
                    order.refunded_total = refunded_so_far[order.external_id]
                    facts.order_refunded(order, refund)
            if after_step is not None:
                after_step(step.kind, step.key, step.moment, order)
        if progress is not None:
            progress(done)
    while next_day is not None:
        _run_jobs(workspace, next_day)
        next_day = next(days, None)
    _run_jobs(workspace, plan.anchor)
    OutboxEvent.objects.filter(workspace=workspace, type__startswith="loyalty.").delete()
