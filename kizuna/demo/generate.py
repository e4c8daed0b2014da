"""Plan the demo data in memory: pure functions of a seed and a moment, no database.

Each customer draws from a random stream of its own (seeded by the run's seed and the customer's
number), so one seed always gives the same people, baskets and amounts; times are laid out
backwards from the moment of the run, over the twelve months before it."""

import random
from collections.abc import Callable
from datetime import datetime

from faker import Faker

from kizuna.demo import catalog
from kizuna.demo.calendar import Calendar
from kizuna.demo.people import plan_consents, plan_profile
from kizuna.demo.plans import CustomerPlan, DemoPlan
from kizuna.demo.purchases import plan_events, plan_orders


def plan_demo(
    customers: int,
    seed: int,
    anchor: datetime,
    progress: Callable[[int], None] | None = None,
) -> DemoPlan:
    """Plan `customers` customers and their twelve months up to `anchor` (aware)."""
    calendar = Calendar(anchor)
    fakers = {lang: Faker(locale) for lang, locale in catalog.FAKER_LOCALES.items()}
    emails: set[str] = set()
    phones: set[str] = set()
    people: list[CustomerPlan] = []
    for number in range(customers):
        rng = random.Random(f"kizuna-demo:{seed}:{number}")  # noqa: S311 (not a secret)
        customer = plan_profile(rng, number, fakers, calendar, emails, phones)
        plan_consents(rng, customer, anchor)
        plan_orders(rng, customer, calendar)
        plan_events(rng, customer, calendar)
        people.append(customer)
        if progress is not None:
            progress(number + 1)

    people.sort(key=lambda c: (c.created_at, c.number))
    for n, customer in enumerate(people):
        customer.external_id = f"HT-{100001 + n}"

    orders = sorted(
        (o for c in people for o in c.orders), key=lambda o: (o.occurred_at, o.customer.number)
    )
    sequences: dict[str, int] = {}
    for order in orders:
        prefix = order.store_code or "WEB"
        sequences[prefix] = sequences.get(prefix, 0) + 1
        start = 1001 if order.store_code else 1_000_001
        order.external_id = f"{prefix}-{start + sequences[prefix] - 1}"

    refunds = sorted(
        ((o, r) for o in orders for r in o.refunds), key=lambda pair: pair[1].occurred_at
    )
    for n, (_, refund) in enumerate(refunds):
        refund.external_id = f"RF-{50001 + n}"

    events = sorted(
        ((c, e) for c in people for e in c.events), key=lambda pair: pair[1].occurred_at
    )
    for _, event in events:
        if event.order is not None:
            event.properties["order_id"] = event.order.external_id
    return DemoPlan(anchor=anchor, customers=people, orders=orders, refunds=refunds, events=events)
