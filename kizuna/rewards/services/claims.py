"""Claims: a customer turns points into a reward, in one transaction (docs/rewards.md,
Claims). The customer's loyalty account is locked first; then the reward is checked (status,
window, tier, eligibility condition), the price read (the tier's, else `cost_points`), the
balance checked, the per-period counters and the stock moved by conditional UPDATE, the
points spent through the loyalty ledger, and the reward issued. Anything refused raises, and
the transaction leaves nothing behind.

`grant` issues a reward without spending points (referral and survey rewards): once per
source."""

import secrets
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F, Q, QuerySet

from kizuna.core import audit
from kizuna.core import conditions as c
from kizuna.core import events as outbox
from kizuna.core.audit import Actor
from kizuna.core.clock import now
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.upsert import insert_once
from kizuna.customers.conditions import customer_facts
from kizuna.customers.models import Customer
from kizuna.customers.selectors import get_customer
from kizuna.loyalty.errors import InsufficientPoints, NotAMember
from kizuna.loyalty.locks import lock_account
from kizuna.loyalty.models import Account, LedgerEntry, ProgramStatus
from kizuna.loyalty.services import adjustments
from kizuna.loyalty.services.ledger import Source as LedgerSource
from kizuna.rewards.errors import (
    ClaimLimitReached,
    ClaimNotFound,
    ConditionsNotMet,
    OutOfStock,
    RewardEnded,
    RewardNotAvailable,
    RewardNotClaimable,
    RewardNotStarted,
    TierNotEligible,
)
from kizuna.rewards.events import RewardClaimed
from kizuna.rewards.models import (
    CARD_TYPES,
    CODE_TYPES,
    Claim,
    ClaimCount,
    ClaimState,
    Reward,
    RewardStatus,
    RewardType,
)
from kizuna.rewards.services.catalog import get_reward, window_state
from kizuna.vouchers.services import codes, gift_cards

SOURCE_TYPE = "reward_claim"
# Claim codes: RW-XXXX-XXXX of the unambiguous charset (no 0/O, 1/I/L): 31^8 codes.
CLAIM_CODE_SPEC = codes.CodeSpec("RW-", "", codes.DEFAULT_CHARSET, None, "****-****")


class GrantSource(Protocol):
    """What a grant is for: ("referral", "ref_123"), ("survey_response", "r-9")."""

    @property
    def type(self) -> str: ...

    @property
    def id(self) -> str: ...


def new_claim_id() -> str:
    return f"clm_{secrets.token_hex(10)}"


# ------------------------------------------------------------------ checks


def _zone(name: str) -> Any:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def check_issuable(reward: Reward) -> None:
    """A reward that may be issued now, by a claim or a grant: active, of an active
    program, and not a pay-with-points rate."""
    if reward.type == RewardType.PAY_WITH_POINTS:
        raise RewardNotClaimable(
            "A pay-with-points reward sets the rate points pay at checkout; it is not claimed.",
            field="reward_id",
        )
    if reward.status != RewardStatus.ACTIVE:
        raise RewardNotAvailable(f"The reward is {reward.status}.", field="reward_id")
    if reward.program.status != ProgramStatus.ACTIVE:
        raise RewardNotAvailable(
            f"The reward's program is {reward.program.status}.", field="reward_id"
        )


def check_available(reward: Reward, at: datetime) -> None:
    """A reward a customer may claim now: issuable, and within its window."""
    check_issuable(reward)
    window = window_state(reward, at)
    if window == "not_started":
        raise RewardNotStarted("The reward cannot be claimed yet.", field="reward_id")
    if window == "ended":
        raise RewardEnded("The reward can no longer be claimed.", field="reward_id")


def price_for(reward: Reward, account: Account) -> int:
    """The points the member pays: the price of their tier, else `cost_points`; refused
    when the reward is kept for tiers the member is not in."""
    tier = account.tier.key if account.tier_id is not None and account.tier else None
    if reward.tiers is not None and tier not in reward.tiers:
        raise TierNotEligible(
            "The reward is for members of the tiers " + ", ".join(reward.tiers) + ".",
            field="reward_id",
        )
    if tier is not None and tier in (reward.tier_costs or {}):
        return int(reward.tier_costs[tier])
    return reward.cost_points


def meets_condition(reward: Reward, customer: Customer, at: datetime) -> bool:
    """The reward's eligibility condition for this customer, in memory (a field read only
    in SQL, such as a segment's membership, asks the database)."""
    if reward.condition is None:
        return True
    condition = c.parse(
        reward.condition, workspace=reward.workspace, subjects={"customer"}, root="condition"
    )
    zone = _zone(reward.program.timezone)
    try:
        return c.evaluate(condition, c.Context(now=at, tz=zone, **customer_facts(customer)))
    except c.NotEvaluableInMemory:
        return (
            Customer.objects.for_workspace(reward.workspace_id)
            .filter(
                c.compile_condition(condition, workspace=reward.workspace, now=at, tz=zone),
                pk=customer.pk,
            )
            .exists()
        )


def period_key(period: str, at: datetime, timezone: str) -> str:
    local = at.astimezone(_zone(timezone))
    if period == "day":
        return local.date().isoformat()
    if period == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{local.year}-{local.month:02d}"
    if period == "year":
        return str(local.year)
    return "all"


def _count_limits(reward: Reward, customer: Customer, at: datetime) -> list[list[str]]:
    """Count the claim in each of the reward's limits, or refuse it (422
    `claim_limit_reached`): insert the counter once, then a conditional UPDATE."""
    counted = []
    for limit in reward.limits or []:
        key = period_key(limit["period"], at, reward.program.timezone)
        natural = {"reward": reward, "customer": customer, "period": limit["period"]}
        insert_once(
            ClaimCount(workspace_id=reward.workspace_id, period_key=key, **natural),
            period_key=key,
            **natural,
        )
        moved = ClaimCount.objects.filter(
            period_key=key, count__lt=limit["times"], **natural
        ).update(count=F("count") + 1)
        if not moved:
            period = "in all" if limit["period"] == "all_time" else f"per {limit['period']}"
            raise ClaimLimitReached(
                f"The customer has claimed this reward {limit['times']} time(s) {period}, "
                "its limit.",
                field="reward_id",
            )
        counted.append([limit["period"], key])
    return counted


def take_stock(reward: Reward) -> None:
    """One unit of the reward's stock, by conditional UPDATE (never oversold)."""
    stocked = Q(stock__isnull=True)
    moved = Reward.objects.filter(stocked | Q(stock__gte=1), pk=reward.pk).update(
        stock=F("stock") - 1, claimed=F("claimed") + 1
    )
    if not moved:
        raise OutOfStock("The reward is out of stock.", field="reward_id")


def return_stock(reward: Reward) -> None:
    Reward.objects.filter(pk=reward.pk).update(stock=F("stock") + 1, claimed=F("claimed") - 1)


# ------------------------------------------------------------------ issuing


def _issue(
    reward: Reward,
    customer: Customer,
    public_id: str,
    *,
    actor: Actor,
    points: int,
    entry: LedgerEntry | None,
    counted: list[list[str]],
    source: GrantSource | None,
    at: datetime,
) -> Claim:
    """The claim row, with what it issues: a code, a gift card or store credit, or a
    fulfilment. Called inside the claim's transaction."""
    expires_at = at + timedelta(days=reward.validity_days) if reward.validity_days else None
    claim = Claim(
        workspace_id=reward.workspace_id,
        public_id=public_id,
        reward=reward,
        customer=customer,
        type=reward.type,
        effect=dict(reward.value),
        order_condition=reward.order_condition,
        points_spent=points,
        spend_entry=entry,
        counted=counted,
        source_type=source.type if source else "",
        source_id=source.id if source else "",
        expires_at=expires_at,
        created_at=at,
        updated_at=at,
    )
    if reward.type in CARD_TYPES:
        claim.state = ClaimState.ISSUED
        claim.gift_card = gift_cards.issue(
            reward.workspace,
            {
                "kind": reward.type,
                "amount": reward.value["amount"],
                "currency": reward.value["currency"],
                "customer_id": customer.external_id,
                "expires_at": expires_at,
                "reason": f"reward {reward.key}",
            },
            actor,
        )
        claim.save(force_insert=True)
        return claim
    if reward.type == RewardType.MATERIAL:
        claim.state = ClaimState.ORDERED
        claim.save(force_insert=True)
        return claim
    assert reward.type in CODE_TYPES
    claim.state = ClaimState.ISSUED
    for _ in range(5):  # a drawn code that exists is drawn again
        claim.code = codes.draw(CLAIM_CODE_SPEC, 1).pop()
        claim.pk = None
        stored, created = insert_once(claim, workspace_id=reward.workspace_id, code=claim.code)
        if created:
            return stored
    raise RuntimeError("Could not draw a free claim code.")


def _emit(workspace: Workspace, claim: Claim, granted: bool) -> None:
    outbox.emit(
        workspace,
        RewardClaimed(
            claim_id=claim.public_id,
            reward_id=claim.reward.key,
            customer_id=claim.customer.external_id,
            type=claim.type,
            points_spent=claim.points_spent,
            granted=granted,
        ),
    )


def claim_reward(
    workspace: Workspace, customer_id: str, reward_key: str, actor: Actor = audit.SYSTEM
) -> Claim:
    """The customer claims the reward with their points (see the module's docstring)."""
    with transaction.atomic(savepoint=False):
        reward = get_reward(workspace, reward_key)
        reward.workspace = workspace
        customer = get_customer(workspace, customer_id)
        program = reward.program
        account = lock_account(program, customer.pk)
        if account is None:
            raise NotAMember(
                f"{customer_id!r} is not a member of {program.key!r}.", field="customer_id"
            )
        moment = now()
        check_available(reward, moment)
        points = price_for(reward, account)
        if not meets_condition(reward, customer, moment):
            raise ConditionsNotMet(
                "The customer does not meet the reward's condition.", field="reward_id"
            )
        if points > account.active:
            raise InsufficientPoints(
                f"The member has {max(account.active, 0)} active points; {points} are needed.",
                field="reward_id",
            )
        counted = _count_limits(reward, customer, moment)
        take_stock(reward)
        public_id = new_claim_id()
        entry = None
        if points:
            entry = adjustments.spend(
                program,
                account,
                points,
                LedgerSource(SOURCE_TYPE, public_id),
                reason=f"reward {reward.key}",
                field="reward_id",
            )
        claim = _issue(
            reward,
            customer,
            public_id,
            actor=actor,
            points=points,
            entry=entry,
            counted=counted,
            source=None,
            at=moment,
        )
        _emit(workspace, claim, granted=False)
    return claim


def grant(
    workspace: Workspace,
    customer: Customer,
    reward_key: str,
    source: GrantSource,
    actor: Actor = audit.SYSTEM,
) -> Claim:
    """Issue the reward to the customer without spending points (a referral's or a survey's
    reward). The reward must be active and in stock; its window, tiers, condition and
    per-customer limits are for claims, not grants. Once per source: a second grant for the
    same source returns the first claim."""
    if not source.id:
        raise ValueError("A grant names its source.")
    with transaction.atomic(savepoint=False):
        reward = get_reward(workspace, reward_key)
        reward.workspace = workspace
        earlier = one_or_none(
            Claim.objects.for_workspace(workspace)
            .filter(reward=reward, source_type=source.type, source_id=source.id)
            .select_related("reward", "customer", "gift_card")
        )
        if earlier is not None:
            return earlier
        check_issuable(reward)
        take_stock(reward)
        claim = _issue(
            reward,
            customer,
            new_claim_id(),
            actor=actor,
            points=0,
            entry=None,
            counted=[],
            source=source,
            at=now(),
        )
        _emit(workspace, claim, granted=True)
    return claim


# ------------------------------------------------------------------ reads and expiry


def claims_of(workspace: Workspace) -> QuerySet[Claim]:
    return Claim.objects.for_workspace(workspace).select_related(
        "reward", "customer", "gift_card", "credit_card"
    )


def get_claim(workspace: Workspace, public_id: str) -> Claim:
    claim = one_or_none(claims_of(workspace).filter(public_id=public_id))
    if claim is None:
        raise ClaimNotFound(f"No claim {public_id!r}.", field="claim_id")
    return claim


def expire_claims(limit: int = 1000) -> str:
    """Mark issued claims whose time has come as expired (a job; the checkout refuses them
    by their time already). Safe to run again."""
    moment = now()
    due = list(
        Claim.objects.filter(state=ClaimState.ISSUED, expires_at__lte=moment)
        .order_by("expires_at")
        .values_list("pk", flat=True)[:limit]
    )
    expired = Claim.objects.filter(pk__in=due, state=ClaimState.ISSUED).update(
        state=ClaimState.EXPIRED, updated_at=moment
    )
    return f"expired {expired} claim(s)"
