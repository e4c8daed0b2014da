"""The earning engine: which rules a fact (a paid order, an event, an enrolment, a birthday, a
tier reached) satisfies, and the points each gives, written to the ledger in the fact's own
transaction, or only computed (a simulation).

For one program and one fact, the rules whose trigger matches run in priority order (lower
first, then by id): a rule applies when it is active, the fact falls in its window and
schedule (in the program's time zone) and its condition holds. Fixed and proportional rules
give points, times the member's tier multiplier, within the rule's limits and budget; a rule
with `stop_after` that gave points ends the run. Multiplier rules then add, each, the points
given so far times (factor - 1). Each rule's points are one ledger entry, unique per
(account, fact, rule): the same fact never earns twice."""

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Sum

from kizuna.core import conditions as c
from kizuna.core import events as outbox
from kizuna.core.clock import now
from kizuna.customers.models import Customer
from kizuna.loyalty import events
from kizuna.loyalty.locks import lock_rule
from kizuna.loyalty.models import Account, EarningRule, EntryType, LedgerEntry, Program
from kizuna.loyalty.services import ledger, policies
from kizuna.loyalty.services.ledger import Source
from kizuna.loyalty.services.periods import next_start, period_start
from kizuna.loyalty.services.rules import local_time


def _rounded(value: Fraction, effect: dict[str, Any]) -> int:
    rounding = effect["rounding"]
    if rounding == "up":
        return math.ceil(value)
    if rounding == "nearest":  # half up
        return math.floor(value + Fraction(1, 2))
    return math.floor(value)


@dataclass
class Fact:
    """Something that may earn points, with what its rules' conditions read."""

    trigger: str
    source: Source
    customer: Customer
    occurred_at: datetime
    facts: dict[str, Any]
    order: Any = None  # kizuna.orders.models.Order, for order facts
    items: Sequence[Any] = ()
    event_name: str | None = None
    tier_key: str | None = None
    # The share of the order's value that may earn (the rest was paid with points, gift
    # cards or store credit).
    earnable: Fraction = Fraction(1)


@dataclass
class Award:
    rule: EarningRule
    points: int
    reason: str


@dataclass
class Outcome:
    """What one fact earned in one program."""

    program: Program
    account: Account | None
    awards: list[Award] = field(default_factory=list)
    pending: bool = False

    @property
    def points(self) -> int:
        return sum(a.points for a in self.awards)


def context_of(fact: Fact, program: Program) -> c.Context:
    """What the conditions of `program` read about `fact`: its facts, as of its time."""
    return c.Context(now=fact.occurred_at, tz=ZoneInfo(program.timezone), **fact.facts)


def _applies_now(rule: EarningRule, fact: Fact, program: Program) -> bool:
    if rule.active_from and fact.occurred_at < rule.active_from:
        return False
    if rule.active_until and fact.occurred_at >= rule.active_until:
        return False
    if rule.schedule:
        day, moment = local_time(fact.occurred_at, program.timezone)
        schedule = rule.schedule
        if day not in schedule.get("days", []):
            return False
        if "from" in schedule and moment.strftime("%H:%M") < schedule["from"]:
            return False
        if "until" in schedule and moment.strftime("%H:%M") >= schedule["until"]:
            return False
    return True


def _triggered(rule: EarningRule, fact: Fact) -> bool:
    trigger = rule.trigger
    if trigger["type"] != fact.trigger:
        return False
    if fact.trigger == "event":
        return bool(trigger.get("event") == fact.event_name)
    if fact.trigger == "tier_reached":
        return bool(trigger.get("tier_id") == fact.tier_key)
    return True


_PARSED: dict[tuple[int, str], c.Condition] = {}


def parsed(program: Program, condition: dict[str, Any], root: str) -> c.Condition:
    """The condition, parsed once per workspace and text (a rule's condition is read on
    every fact it might apply to)."""
    key = (program.workspace_id, json.dumps(condition, sort_keys=True))
    found = _PARSED.get(key)
    if found is None:
        if len(_PARSED) > 10_000:
            _PARSED.clear()
        found = _PARSED[key] = c.parse(condition, workspace=program.workspace, root=root)
    return found


def _holds(condition: dict[str, Any] | None, program: Program, ctx: c.Context) -> bool:
    if not condition:
        return True
    return c.evaluate(parsed(program, condition, "condition"), ctx)


def _base_points(
    rule: EarningRule, fact: Fact, program: Program, ctx: c.Context
) -> tuple[int, str]:
    effect = rule.effect
    if effect["type"] == "fixed":
        return effect["points"], f"{effect['points']} points"
    order = fact.order
    if order is None:
        return 0, "no order"
    base = effect["base"]
    if base in ("total", "subtotal", "items_value") and order.currency != program.currency:
        return 0, f"the order is in {order.currency}, the program in {program.currency}"
    items = list(fact.items)
    if effect.get("item_condition"):
        matcher = parsed(program, effect["item_condition"], "item_condition")
        items = [item for item in items if c.evaluate(matcher, ctx.with_facts(item=item))]
    # Exact fractions, rounded once: 99.84 paid 89.84 in points earns on 10.00, not 9.99...
    value: Fraction
    if base == "items_quantity":
        value = Fraction(sum(item.quantity for item in items))
    elif base == "items_value":
        value = Fraction(sum((item.unit_price * item.quantity for item in items), Decimal(0)))
        value *= fact.earnable
    else:
        value = Fraction(Decimal(getattr(order, base))) * fact.earnable
    points = _rounded(value * effect["points"] / Fraction(Decimal(effect["per"])), effect)
    reason = f"{effect['points']} per {effect['per']} of {base}"
    if effect.get("max_points") is not None and points > effect["max_points"]:
        points = effect["max_points"]
        reason += f", at most {points}"
    return max(points, 0), reason


def _within_limits(
    rule: EarningRule, account: Account | None, fact: Fact, program: Program, points: int
) -> int:
    """`points` cut to what the rule's limits still allow the member."""
    if account is None or not rule.limits:
        return points
    for limit in rule.limits:
        entries = LedgerEntry.objects.filter(
            account=account,
            rule_key=rule.key,
            type__in=[EntryType.EARN, EntryType.PENDING],
        ).exclude(source_type="milestone")  # a milestone's entries carry its id, maybe the same
        start = period_start(limit["period"], fact.occurred_at, program.timezone)
        if start is not None:
            # The period of the fact only: a back-filled fact is not counted against the
            # entries of later periods.
            entries = entries.filter(
                occurred_at__gte=start, occurred_at__lt=next_start(limit["period"], start)
            )
        used = entries.aggregate(times=Count("id"), points=Sum("points") + Sum("pending_points"))
        if "times" in limit and used["times"] >= limit["times"]:
            return 0
        if "points" in limit:
            points = min(points, limit["points"] - (used["points"] or 0))
    return max(points, 0)


def _within_budget(rule: EarningRule, points: int, dry_run: bool) -> int:
    """`points` cut to what is left of the rule's budget; the budget's meter moves (under
    the rule's row lock) unless this is a simulation."""
    if rule.budget_points is None or points <= 0:
        return points
    if dry_run:  # the meter as it stands (the rule itself may come from the setup cache)
        awarded = EarningRule.objects.filter(pk=rule.pk).values_list("points_awarded", flat=True)
        return max(0, min(points, rule.budget_points - (awarded.first() or 0)))
    locked = lock_rule(rule.pk)
    assert locked is not None
    granted = min(points, (locked.budget_points or 0) - locked.points_awarded)
    if granted > 0:
        EarningRule.objects.filter(pk=rule.pk).update(
            points_awarded=locked.points_awarded + granted
        )
    return max(granted, 0)


def active_rules(program: Program, trigger: str) -> list[EarningRule]:
    """The program's active rules for the trigger, in priority order (from the setup cache)."""
    from kizuna.loyalty.services.setup import setup_of

    return setup_of(program).rules_for(trigger)


def compute(
    program: Program,
    account: Account | None,
    fact: Fact,
    rules: Iterable[EarningRule],
    *,
    dry_run: bool,
) -> list[Award]:
    """The awards of `fact` in `program` (limits counted against `account`'s ledger)."""
    ctx = context_of(fact, program)
    tier = account.tier_key if account is not None else None
    awards: list[Award] = []
    multipliers: list[EarningRule] = []
    for rule in rules:
        if not _triggered(rule, fact) or not _applies_now(rule, fact, program):
            continue
        if not _holds(rule.condition, program, ctx):
            continue
        if rule.effect["type"] == "multiplier":
            multipliers.append(rule)
            continue
        points, reason = _base_points(rule, fact, program, ctx)
        if tier and tier in rule.tier_multipliers:
            factor = Decimal(rule.tier_multipliers[tier])
            points = int((points * factor).quantize(Decimal(1), rounding=ROUND_FLOOR))
            reason += f", x{factor} for {tier}"
        points = _within_budget(rule, _within_limits(rule, account, fact, program, points), dry_run)
        if points > 0:
            awards.append(Award(rule, points, reason))
            if rule.stop_after:
                break
    base = sum(a.points for a in awards)
    for rule in multipliers:
        factor = Decimal(rule.effect["factor"])
        extra = int((base * (factor - 1)).quantize(Decimal(1), rounding=ROUND_FLOOR))
        extra = _within_budget(rule, _within_limits(rule, account, fact, program, extra), dry_run)
        if extra > 0:
            awards.append(Award(rule, extra, f"x{factor} of {base}"))
            if rule.stop_after:
                break
    return awards


def would_be_pending(program: Program, fact: Fact, moment: datetime | None = None) -> bool:
    """Whether what the fact earns waits (order facts under a pending policy, until the
    return window ends or the named event comes)."""
    if fact.trigger != "order_paid" or not program.pending:
        return False
    until = policies.pending_until(program.pending, fact.occurred_at)
    return until is None or until > (moment or now())


def record(program: Program, account: Account, fact: Fact, awards: list[Award]) -> Outcome:
    """Write the awards to the ledger: active at once, or pending (order facts under a
    pending policy)."""
    outcome = Outcome(program, account, awards)
    if not awards:
        return outcome
    moment = now()
    pending = would_be_pending(program, fact, moment)
    until: datetime | None = None
    if pending:
        until = policies.pending_until(program.pending, fact.occurred_at)
    expires_at = None if pending else policies.expires_at(program.expiry, moment, program.timezone)
    ledger.credit_all(
        account,
        [
            ledger.Credit(award.points, f"{award.rule.name}: {award.reason}", award.rule.key)
            for award in awards
        ],
        expires_at=expires_at,
        pending=pending,
        pending_until=until,
        source=fact.source,
        occurred_at=fact.occurred_at,
    )
    outcome.pending = pending
    if not pending and policies.resets_on_activity(program.expiry):
        ledger.reset_expiry(account, expires_at)
    outbox.emit(
        program.workspace,
        events.PointsEarned(
            program_id=program.key,
            customer_id=fact.customer.external_id,
            points=outcome.points,
            pending=pending,
            source_type=fact.source.type,
            source_id=fact.source.id,
            balance=account.active,
        ),
    )
    return outcome


def earn(
    program: Program, account: Account, fact: Fact, rules: Sequence[EarningRule] | None = None
) -> Outcome:
    """Compute and write what `fact` earns in `program` on `account` (locked), by `rules`
    (the program's active rules for the fact's trigger, read if not given)."""
    if rules is None:
        rules = active_rules(program, fact.trigger)
    awards = compute(program, account, fact, rules, dry_run=False)
    return record(program, account, fact, awards)


def on_enrolment(program: Program, account: Account, customer: Customer) -> Outcome | None:
    """The enrolment rules of an active program, for an account just opened."""
    if program.status != "active":
        return None
    from kizuna.loyalty.services.facts import customer_fact

    fact = customer_fact("enrolment", Source("enrolment", program.key), customer)
    return earn(program, account, fact)
