"""Where orders and events meet loyalty: the facts they make for the earning engine, and what
loyalty does inside their transaction when the orders and customers apps call it (through
the registries they offer, registered in `kizuna/loyalty/participation.py`).

Each function returns the effects for the response of the call that caused it, one per
program: for an order or event `{program_id, points_earned, points_pending, balance, tier}`,
for a refund or a cancellation `{program_id, points_clawed_back, points_returned, balance}`."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from kizuna.core.clock import now
from kizuna.customers.conditions import customer_facts
from kizuna.customers.models import Customer, CustomEvent
from kizuna.loyalty.models import Account
from kizuna.loyalty.services import (
    accounts,
    adjustments,
    earning,
    milestones,
    payments,
    pending,
    returns,
    tiers,
)
from kizuna.loyalty.services.earning import Fact, Outcome
from kizuna.loyalty.services.ledger import Source
from kizuna.loyalty.services.setup import live_setups
from kizuna.orders.conditions import order_facts

# Payment methods whose value earns nothing: it was paid with points or stored value.
NON_EARNING_METHODS = frozenset({"points", "gift_card", "store_credit"})


def earnable_share(order: Any) -> Fraction:
    """The share of the order's total that may earn points (API.md: value paid with points,
    gift cards or store credit earns nothing)."""
    total = Decimal(order.total)
    if total <= 0:
        return Fraction(0)
    excluded = sum(
        (
            Decimal(p["amount"])
            for p in (order.payments or [])
            if p["method"] in NON_EARNING_METHODS
        ),
        Decimal(0),
    )
    return max(Fraction(0), Fraction(total - excluded) / Fraction(total))


def customer_fact(
    trigger: str,
    source: Source,
    customer: Customer,
    occurred_at: datetime | None = None,
    **extra: Any,
) -> Fact:
    return Fact(
        trigger=trigger,
        source=source,
        customer=customer,
        occurred_at=occurred_at or now(),
        facts=customer_facts(customer),
        **extra,
    )


def order_fact(order: Any, items: Sequence[Any]) -> Fact:
    facts = {**customer_facts(order.customer), **order_facts(order), "order_items": list(items)}
    return Fact(
        trigger="order_paid",
        source=Source("order", order.external_id),
        customer=order.customer,
        occurred_at=order.occurred_at,
        facts=facts,
        order=order,
        items=items,
        earnable=earnable_share(order),
    )


def event_fact(event: CustomEvent) -> Fact:
    facts = {**customer_facts(event.customer), "event": event}
    return Fact(
        trigger="event",
        source=Source("event", event.client_id),
        customer=event.customer,
        occurred_at=event.occurred_at,
        facts=facts,
        event_name=event.name,
    )


def _earned_effect(outcome: Outcome, account: Account, spent: int = 0) -> dict[str, Any]:
    return {
        "program_id": outcome.program.key,
        "points_earned": 0 if outcome.pending else outcome.points,
        "points_pending": outcome.points if outcome.pending else 0,
        "balance": account.active,
        "tier": account.tier_key,
        "points_spent": spent,
        "points_returned": 0,
    }


def _earn_everywhere(workspace_id: int, customer: Customer, fact: Fact) -> list[dict[str, Any]]:
    effects = []
    setups = live_setups(workspace_id)
    spends = payments.points_payments(fact.order, setups) if fact.order is not None else {}
    locked = accounts.lock_memberships(customer, [setup.program for setup in setups])
    for setup in setups:
        program = setup.program
        account = accounts.member_for_fact(program, customer, locked)
        spent = spends.get(program.pk, 0)
        if account is None:
            if spent:
                raise payments.not_a_member(program.key, spent)
            continue
        if spent:
            adjustments.spend(
                program,
                account,
                spent,
                fact.source,
                reason=f"Paid with points: order {fact.source.id}",
                field="payments",
            )
        outcome = earning.earn(program, account, fact, setup.rules_for(fact.trigger))
        if setup.milestones:
            ctx = earning.context_of(fact, program)
            milestones.track(program, account, setup.milestones, fact, ctx)
        if setup.tiers:
            tiers.review_after_earning(program, account, setup.tiers)
        effects.append(_earned_effect(outcome, account, spent))
    return effects


def order_paid(order: Any, items: Sequence[Any]) -> list[dict[str, Any]]:
    """A paid order (recorded paid, or pending then paid) earns in every live program."""
    return _earn_everywhere(order.workspace_id, order.customer, order_fact(order, items))


def event_recorded(event: CustomEvent) -> list[dict[str, Any]]:
    """An event earns by the event rules, and may activate points waiting for it."""
    effects = _earn_everywhere(event.workspace_id, event.customer, event_fact(event))
    pending.activate_for_event(event)
    return effects


def order_cancelled(order: Any) -> list[dict[str, Any]]:
    return returns.cancel_order(order)


def order_refunded(order: Any, refund: Any) -> list[dict[str, Any]]:
    return returns.refund_order(order, refund)
