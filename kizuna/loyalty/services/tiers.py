"""Tiers: ordered levels a member qualifies for by points earned, money spent or orders, in
the calendar year, the last 12 months or ever.

A member moves up as soon as they qualify (after each earning); they keep a tier until the
end of the period it qualified them for (the calendar year, 12 months after it was reached
or last confirmed; lifetime tiers forever), plus the tier's grace days. The review job then
confirms it or moves them down to the tier they still qualify for. Every change is a
`TierChange`, an outbox event, and a fact for `tier_reached` rules."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q, Sum

from kizuna.core import audit
from kizuna.core import events as outbox
from kizuna.core.audit import Actor
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.ids import check_object_id, new_object_id
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.money import check_amount, format_amount
from kizuna.core.upsert import insert_new
from kizuna.loyalty import events
from kizuna.loyalty.errors import TierExists, TierNotFound
from kizuna.loyalty.locks import lock_accounts
from kizuna.loyalty.models import (
    Account,
    EntryType,
    LedgerEntry,
    Program,
    ProgramStatus,
    Tier,
    TierChange,
)
from kizuna.loyalty.services import setup
from kizuna.loyalty.services.periods import period_start
from kizuna.loyalty.services.programs import check_name, get_program
from kizuna.orders.models import Order, OrderStatus

METRICS = ("points_earned", "amount_spent", "orders")
EARNED_TYPES = [EntryType.EARN, EntryType.ACTIVATE, EntryType.REFUND_CLAWBACK, EntryType.CANCEL]
WINDOWS = ("calendar_year", "rolling_12_months", "lifetime")
TIER_FIELDS = ("name", "rank", "qualify", "grace_days", "benefits")


def check_tier(data: Mapping[str, Any], current: Tier | None, currency: str) -> dict[str, Any]:
    merged: dict[str, Any] = {n: getattr(current, n) for n in TIER_FIELDS} if current else {}
    merged.update({k: v for k, v in data.items() if k in TIER_FIELDS})
    rank = merged.get("rank")
    if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= 100:
        raise ValidationFailed(
            "rank is a whole number from 1 (the lowest) to 100.", code="invalid_tier", field="rank"
        )
    qualify = merged.get("qualify")
    if not isinstance(qualify, Mapping) or qualify.get("metric") not in METRICS:
        raise ValidationFailed(
            f"qualify.metric is one of {', '.join(METRICS)}.",
            code="invalid_tier",
            field="qualify.metric",
        )
    window = qualify.get("window", "calendar_year")
    if window not in WINDOWS:
        raise ValidationFailed(
            f"qualify.window is one of {', '.join(WINDOWS)}.",
            code="invalid_tier",
            field="qualify.window",
        )
    threshold = qualify.get("threshold")
    try:
        value = Decimal(str(threshold)) if not isinstance(threshold, bool) else None
    except ArithmeticError:
        value = None
    if value is None or not value.is_finite() or value < 0 or value > Decimal(10) ** 12:
        raise ValidationFailed(
            "qualify.threshold is a number from 0.", code="invalid_tier", field="qualify.threshold"
        )
    if qualify["metric"] == "amount_spent":
        # An amount in the program's currency (no more decimals than it has), kept formatted.
        value = check_amount(str(value), currency, field="qualify.threshold")
    elif value != value.to_integral_value():
        raise ValidationFailed(
            "Points and orders are whole numbers.", code="invalid_tier", field="qualify.threshold"
        )
    grace = merged.get("grace_days", 0)
    if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= 3650:
        raise ValidationFailed(
            "grace_days is from 0 to 3650.", code="invalid_tier", field="grace_days"
        )
    benefits = merged.get("benefits") or []
    if not isinstance(benefits, list | Mapping):
        raise ValidationFailed(
            "benefits is a list or an object.", code="invalid_tier", field="benefits"
        )
    return {
        "name": check_name(merged.get("name")),
        "rank": rank,
        "qualify": {
            "metric": qualify["metric"],
            "threshold": format_amount(value, currency)
            if qualify["metric"] == "amount_spent"
            else int(value),
            "window": window,
        },
        "grace_days": grace,
        "benefits": benefits,
    }


def snapshot(tier: Tier) -> dict[str, Any]:
    return {"id": tier.key, **{n: getattr(tier, n) for n in TIER_FIELDS}}


def get_tier(program: Program, key: str) -> Tier:
    tier = one_or_none(Tier.objects.filter(program=program, key=key))
    if tier is None:
        raise TierNotFound(f"No tier {key!r} in program {program.key!r}.", field="tier_id")
    return tier


def _rank_taken(program: Program, rank: int, other: Tier | None) -> None:
    taken = Tier.objects.filter(program=program, rank=rank)
    if other is not None:
        taken = taken.exclude(pk=other.pk)
    if taken.exists():
        raise ValidationFailed(
            f"Rank {rank} is taken by another tier.", code="rank_taken", field="rank"
        )


def create_tier(
    workspace: Workspace, program_key: str, data: Mapping[str, Any], actor: Actor
) -> Tier:
    program = get_program(workspace, program_key)
    key = check_object_id(data["id"]) if data.get("id") else new_object_id("tier")
    clean = check_tier(data, None, program.currency)
    with transaction.atomic(savepoint=False):
        _rank_taken(program, clean["rank"], None)
        tier = insert_new(
            TierExists(f"A tier {key!r} exists already.", field="id"),
            Tier(workspace=workspace, program=program, key=key, **clean),
            program=program,
            key=key,
        )
        audit.record(
            workspace, actor, "tier.created", "tier", f"{program.key}/{key}", after=snapshot(tier)
        )
        setup.touch(program)
    return tier


def update_tier(
    workspace: Workspace, program_key: str, key: str, data: Mapping[str, Any], actor: Actor
) -> Tier:
    program = get_program(workspace, program_key)
    with transaction.atomic(savepoint=False):
        tier = get_tier(program, key)
        clean = check_tier(data, tier, program.currency)
        _rank_taken(program, clean["rank"], tier)
        before = snapshot(tier)
        for name, value in clean.items():
            setattr(tier, name, value)
        if snapshot(tier) != before:
            tier.updated_at = now()
            tier.save()
            audit.record(
                workspace,
                actor,
                "tier.updated",
                "tier",
                f"{program.key}/{key}",
                before=before,
                after=snapshot(tier),
            )
            setup.touch(program)
    return tier


# ------------------------------------------------------------------ qualification


def window_start(window: str, moment: datetime, tz: str) -> datetime | None:
    if window == "calendar_year":
        return period_start("year", moment, tz)
    if window == "rolling_12_months":
        return moment - timedelta(days=365)
    return None


def metric_value(
    account: Account, program: Program, qualify: Mapping[str, Any], moment: datetime
) -> Decimal:
    """The member's value of the tier's metric over its window, as of `moment`."""
    start = window_start(qualify["window"], moment, program.timezone)
    metric = qualify["metric"]
    if metric == "points_earned":
        # Earned points that are active (pending ones count once they activate), net of
        # what refunds took back: the account's lifetime_earned, or its entries in a window.
        if start is None:
            return Decimal(account.lifetime_earned)
        entries = LedgerEntry.objects.filter(
            account=account, type__in=EARNED_TYPES, occurred_at__gte=start
        )
        return Decimal(entries.aggregate(p=Sum("points"))["p"] or 0)
    orders = Order.objects.filter(
        workspace_id=account.workspace_id, customer_id=account.customer_id, status=OrderStatus.PAID
    )
    if start is not None:
        orders = orders.filter(occurred_at__gte=start)
    if metric == "orders":
        return Decimal(orders.aggregate(n=Count("id"))["n"])
    spent = orders.filter(currency=program.currency).aggregate(
        v=Sum(F("total") - F("refunded_total"))
    )["v"]
    return Decimal(spent or 0)


@dataclass
class Standing:
    qualified: Tier | None
    values: dict[str, Decimal]


def standing(
    account: Account, program: Program, tiers: Sequence[Tier], moment: datetime
) -> Standing:
    """The highest tier the member qualifies for now, and their metric values by tier (each
    metric and window read once)."""
    values: dict[str, Decimal] = {}
    read: dict[tuple[str, str], Decimal] = {}
    qualified = None
    for tier in sorted(tiers, key=lambda t: t.rank):
        key = (tier.qualify["metric"], tier.qualify["window"])
        if key not in read:
            read[key] = metric_value(account, program, tier.qualify, moment)
        value = read[key]
        values[tier.key] = value
        if value >= Decimal(str(tier.qualify["threshold"])):
            qualified = tier
    return Standing(qualified, values)


def _kept_until(tier: Tier, program: Program, moment: datetime) -> datetime | None:
    window = tier.qualify["window"]
    if window == "lifetime":
        return None
    if window == "calendar_year":
        start = period_start("year", moment, program.timezone)
        assert start is not None
        end = start.replace(year=start.year + 1)
    else:
        end = moment + timedelta(days=365)
    return end + timedelta(days=tier.grace_days)


def _move(
    account: Account, program: Program, tier: Tier | None, reason: str, moment: datetime
) -> None:
    previous = account.tier
    change = TierChange.objects.create(
        workspace_id=account.workspace_id,
        account=account,
        previous=previous,
        tier=tier,
        reason=reason,
        occurred_at=moment,
    )
    account.tier = tier
    account.tier_since = moment if tier else None
    account.tier_until = _kept_until(tier, program, moment) if tier else None
    account.save(update_fields=["tier", "tier_since", "tier_until"])
    outbox.emit(
        program.workspace,
        events.TierChanged(
            program_id=program.key,
            customer_id=account.customer.external_id,
            previous_tier=previous.key if previous else None,
            tier=tier.key if tier else None,
        ),
    )
    moved_up = tier is not None and (previous is None or tier.rank > previous.rank)
    # Only an active program earns: a paused or draft one still moves tiers at its review.
    if tier is not None and moved_up and program.status == ProgramStatus.ACTIVE:
        from kizuna.loyalty.services import earning
        from kizuna.loyalty.services.facts import customer_fact
        from kizuna.loyalty.services.ledger import Source

        fact = customer_fact(
            "tier_reached",
            Source("tier_change", str(change.pk)),
            account.customer,
            tier_key=tier.key,
        )
        earning.earn(program, account, fact)


def review_after_earning(program: Program, account: Account, tiers: Sequence[Tier]) -> None:
    """Move the member up at once if they now qualify for a higher tier."""
    if not tiers or (account.tier is not None and account.tier.rank >= max(t.rank for t in tiers)):
        return
    moment = now()
    found = standing(account, program, tiers, moment).qualified
    current_rank = account.tier.rank if account.tier is not None else 0
    if found is not None and found.rank > current_rank:
        _move(account, program, found, "upgrade", moment)


def review_due(limit: int = 500) -> int:
    """The periodic review: members whose tier's time is over keep it if they still qualify
    (for another period) or move down. Returns the number of members reviewed."""
    moment = now()
    due_now = Q(tier__isnull=False, tier_until__lte=moment)
    due = list(Account.objects.filter(due_now).order_by("pk").values_list("pk", flat=True)[:limit])
    if not due:
        return 0
    with transaction.atomic():
        # Locked, then read again: a member another review took meanwhile is not due.
        accounts = lock_accounts(
            Account.objects.filter(due_now, pk__in=due).select_related(
                "program", "tier", "customer"
            )
        )
        for account in accounts:
            program = account.program
            found = standing(account, program, list(program.tiers.all()), moment).qualified
            assert account.tier is not None
            if found is not None and found.rank >= account.tier.rank:
                if found.pk == account.tier_id:
                    account.tier_until = _kept_until(found, program, moment)
                    account.save(update_fields=["tier_until"])
                else:
                    _move(account, program, found, "upgrade", moment)
            else:
                _move(account, program, found, "downgrade", moment)
    return len(due)


def progress(account: Account, program: Program, tiers: list[Tier]) -> dict[str, Any] | None:
    """The member's tier and their way to the next one."""
    current = account.tier
    ranked = sorted(tiers, key=lambda t: t.rank)
    above = [t for t in ranked if current is None or t.rank > current.rank]
    next_tier = above[0] if above else None
    out: dict[str, Any] = {
        "id": current.key if current else None,
        "name": current.name if current else None,
        "since": account.tier_since,
        "until": account.tier_until,
        "next_tier": next_tier.key if next_tier else None,
        "progress": None,
    }
    if next_tier is not None:
        qualify = next_tier.qualify
        value = metric_value(account, program, qualify, now())
        money = qualify["metric"] == "amount_spent"
        out["progress"] = {
            "metric": qualify["metric"],
            # Money as the API gives amounts: with exactly the currency's decimals.
            "current": format_amount(value, program.currency) if money else int(value),
            "target": format_amount(Decimal(str(qualify["threshold"])), program.currency)
            if money
            else int(qualify["threshold"]),
        }
    return out
