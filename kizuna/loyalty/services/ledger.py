"""The points ledger: the only writer of ledger entries, lots and balances.

Every function here takes an account its caller has locked (`locks.lock_account`), writes
the entry, moves the lots and the cached balances in the same transaction, and returns the
entry. The invariants (`verify.py`, `manage.py verify_ledger`):

- an account's `active` and `pending` are the sums of its entries' `points` and
  `pending_points`; `lifetime_earned`, `spent` and `expired` are sums of entries by type;
- the pending lots hold the pending balance; the active lots hold the active balance when it
  is not negative (a negative balance, which only a clawback can cause and only where the
  program allows it, is a debt that the next points earned repay first);
- a lot's `remaining` is its `amount` less what its allocations took (an allocation that
  gives points back is negative).

Spends, expiries, clawbacks and negative adjustments take points from the active lots,
soonest-expiring first (lots that never expire last), and record one allocation per lot, so
that a rollback or a refund can give back exactly what was taken."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q

from kizuna.core.clock import now
from kizuna.customers.services import timeline
from kizuna.loyalty.locks import lock_lots
from kizuna.loyalty.models import (
    Account,
    EntryType,
    LedgerEntry,
    LotAllocation,
    PointLot,
)


@dataclass(frozen=True)
class Source:
    """What an entry is about: an order, a refund, an event, a redemption, a rule..."""

    type: str = ""
    id: str = ""


NO_SOURCE = Source()


def _entry(
    account: Account,
    type_: str,
    points: int,
    *,
    pending_points: int = 0,
    reason: str = "",
    source: Source = NO_SOURCE,
    rule_key: str = "",
    expires_at: datetime | None = None,
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """Write the entry and move the account's cached balances by it (in memory and in the
    database, with F() so that the row holds what the entries add up to)."""
    account.active += points
    account.pending += pending_points
    changes: dict[str, object] = {}
    if points:
        changes["active"] = F("active") + points
    if pending_points:
        changes["pending"] = F("pending") + pending_points
    for field, amount in _counters(type_, points).items():
        setattr(account, field, getattr(account, field) + amount)
        changes[field] = F(field) + amount
    moment = now()
    if type_ in (EntryType.EARN, EntryType.PENDING, EntryType.SPEND, EntryType.ADJUST):
        account.last_activity_at = moment
        changes["last_activity_at"] = moment
    if changes:
        Account.objects.filter(pk=account.pk).update(**changes)
    entry = LedgerEntry.objects.create(
        workspace_id=account.workspace_id,
        account=account,
        type=type_,
        points=points,
        pending_points=pending_points,
        balance_after=account.active,
        reason=reason,
        source_type=source.type,
        source_id=source.id,
        rule_key=rule_key,
        expires_at=expires_at,
        occurred_at=occurred_at or moment,
        created_at=moment,
    )
    timeline.entry_of(
        account.workspace_id,
        account.customer_id,
        "points",
        str(entry.pk),
        entry.occurred_at,
        points_summary(account, entry),
    ).save(force_insert=True)
    return entry


def points_summary(account: Account, entry: LedgerEntry) -> dict[str, object]:
    """The timeline summary of a ledger entry."""
    return {
        "program_id": account.program.key,
        "type": entry.type,
        "points": entry.points + entry.pending_points
        if entry.type != EntryType.ACTIVATE
        else entry.points,
        "balance": entry.balance_after,
        "reason": entry.reason,
    }


def _counters(type_: str, points: int) -> dict[str, int]:
    """How an entry of `type_` moving the active balance by `points` moves the totals."""
    if type_ in (EntryType.EARN, EntryType.ACTIVATE):
        return {"lifetime_earned": points}
    if type_ in (EntryType.REFUND_CLAWBACK, EntryType.CANCEL):
        return {"lifetime_earned": points}  # negative: what was taken back was never earned
    if type_ == EntryType.SPEND:
        return {"spent": -points}
    if type_ in (EntryType.ROLLBACK, EntryType.REFUND_RETURN):
        return {"spent": -points}  # negative: given back
    if type_ == EntryType.EXPIRE:
        return {"expired": -points}
    return {}


# ------------------------------------------------------------------ points in


@dataclass(frozen=True)
class Credit:
    """One rule's points of an earning, for `credit_all`."""

    points: int
    reason: str
    rule_key: str


def credit_all(
    account: Account,
    credits: Sequence[Credit],
    *,
    expires_at: datetime | None,
    pending: bool,
    pending_until: datetime | None,
    source: Source,
    occurred_at: datetime,
) -> list[LedgerEntry]:
    """The earn (or pending) entries of one fact, written together: one update of the
    account and one insert each for the entries, their lots and their timeline rows, however
    many rules awarded. A negative balance to repay goes the one-by-one way (`credit`)."""
    if len(credits) < 2 or (not pending and account.active < 0):
        return [
            credit(
                account,
                EntryType.EARN,
                c.points,
                expires_at=expires_at,
                pending=pending,
                pending_until=pending_until,
                reason=c.reason,
                source=source,
                rule_key=c.rule_key,
                occurred_at=occurred_at,
            )
            for c in credits
        ]
    if any(c.points <= 0 for c in credits):
        raise ValueError("A credit is of a positive number of points.")
    moment = now()
    total = sum(c.points for c in credits)
    entries = []
    for c in credits:
        if pending:
            account.pending += c.points
        else:
            account.active += c.points
        entries.append(
            LedgerEntry(
                workspace_id=account.workspace_id,
                account=account,
                type=EntryType.PENDING if pending else EntryType.EARN,
                points=0 if pending else c.points,
                pending_points=c.points if pending else 0,
                balance_after=account.active,
                reason=c.reason,
                source_type=source.type,
                source_id=source.id,
                rule_key=c.rule_key,
                expires_at=None if pending else expires_at,
                occurred_at=occurred_at,
                created_at=moment,
            )
        )
    changes: dict[str, object] = {"last_activity_at": moment}
    if pending:
        changes["pending"] = F("pending") + total
    else:
        changes["active"] = F("active") + total
        account.lifetime_earned += total
        changes["lifetime_earned"] = F("lifetime_earned") + total
    account.last_activity_at = moment
    Account.objects.filter(pk=account.pk).update(**changes)
    LedgerEntry.objects.bulk_create(entries)
    timeline.bulk_add(
        [
            timeline.entry_of(
                account.workspace_id,
                account.customer_id,
                "points",
                str(entry.pk),
                entry.occurred_at,
                points_summary(account, entry),
            )
            for entry in entries
        ]
    )
    PointLot.objects.bulk_create(
        [
            PointLot(
                workspace_id=account.workspace_id,
                account=account,
                entry=entry,
                amount=c.points,
                remaining=c.points,
                pending=pending,
                activates_at=pending_until if pending else None,
                expires_at=None if pending else expires_at,
                source_type=source.type,
                source_id=source.id,
            )
            for entry, c in zip(entries, credits, strict=True)
        ]
    )
    return entries


def credit(
    account: Account,
    type_: str,
    points: int,
    *,
    expires_at: datetime | None,
    pending_until: datetime | None = None,
    pending: bool = False,
    reason: str = "",
    source: Source = NO_SOURCE,
    rule_key: str = "",
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """Points in: an `earn`, an `adjust` or a `refund_return` (active), or a `pending` earn
    (`pending=True`, active from `pending_until`, or from an event when it is None). A new
    active lot first repays a negative balance."""
    if points <= 0:
        raise ValueError("A credit is of a positive number of points.")
    if pending:
        entry = _entry(
            account,
            EntryType.PENDING,
            0,
            pending_points=points,
            reason=reason,
            source=source,
            rule_key=rule_key,
            occurred_at=occurred_at,
        )
        PointLot.objects.create(
            workspace_id=account.workspace_id,
            account=account,
            entry=entry,
            amount=points,
            remaining=points,
            pending=True,
            activates_at=pending_until,
            source_type=source.type,
            source_id=source.id,
        )
        return entry
    debt = max(0, -account.active)
    entry = _entry(
        account,
        type_,
        points,
        reason=reason,
        source=source,
        rule_key=rule_key,
        expires_at=expires_at,
        occurred_at=occurred_at,
    )
    lot = PointLot.objects.create(
        workspace_id=account.workspace_id,
        account=account,
        entry=entry,
        amount=points,
        remaining=points - min(points, debt),
        expires_at=expires_at,
        source_type=source.type,
        source_id=source.id,
    )
    if debt:
        LotAllocation.objects.create(entry=entry, lot=lot, points=min(points, debt))
    return entry


def activate(
    account: Account, lots: Iterable[PointLot], expires_at: datetime | None
) -> LedgerEntry | None:
    """Pending lots become active (locked by the caller, still pending): one `activate`
    entry for them all. Their points first repay a negative balance."""
    lots = [lot for lot in lots if lot.pending]
    points = sum(lot.remaining for lot in lots)
    if not lots:
        return None
    debt = max(0, -account.active)
    entry = _entry(
        account,
        EntryType.ACTIVATE,
        points,
        pending_points=-points,
        source=Source(lots[0].source_type, lots[0].source_id) if len(lots) == 1 else NO_SOURCE,
        expires_at=expires_at,
    )
    for lot in lots:
        repay = min(lot.remaining, debt)
        debt -= repay
        PointLot.objects.filter(pk=lot.pk).update(
            pending=False, remaining=lot.remaining - repay, expires_at=expires_at
        )
        if repay:
            LotAllocation.objects.create(entry=entry, lot=lot, points=repay)
    return entry


# ------------------------------------------------------------------ points out


def active_lots(account: Account) -> list[PointLot]:
    """The account's active lots with points left, in the order they are spent: soonest
    expiring first, never-expiring last, oldest first among equals. Locked."""
    return list(
        lock_lots(
            PointLot.objects.filter(account=account, pending=False, remaining__gt=0)
        ).order_by(F("expires_at").asc(nulls_last=True), "pk")
    )


def _take(entry: LedgerEntry, lots: list[PointLot], points: int) -> int:
    """Take up to `points` from `lots` in their order; returns what was taken."""
    taken = 0
    for lot in lots:
        if taken == points:
            break
        take = min(lot.remaining, points - taken)
        if take <= 0:
            continue
        lot.remaining -= take
        PointLot.objects.filter(pk=lot.pk).update(remaining=F("remaining") - take)
        LotAllocation.objects.create(entry=entry, lot=lot, points=take)
        taken += take
    return taken


def debit(
    account: Account,
    type_: str,
    points: int,
    *,
    reason: str = "",
    source: Source = NO_SOURCE,
    allow_negative: bool = False,
) -> LedgerEntry:
    """Points out of the active balance: a `spend` or a negative `adjust`. The caller has
    checked that the balance covers it (unless `allow_negative`)."""
    if points <= 0:
        raise ValueError("A debit is of a positive number of points.")
    if points > max(account.active, 0) and not allow_negative:
        raise ValueError("The balance does not cover the debit.")
    lots = active_lots(account)
    entry = _entry(account, type_, -points, reason=reason, source=source)
    _take(entry, lots, points)
    return entry


def claw_back(
    account: Account,
    type_: str,
    points: int,
    *,
    own_lots: list[PointLot],
    allow_negative: bool,
    reason: str = "",
    source: Source = NO_SOURCE,
) -> LedgerEntry | None:
    """Take back up to `points` earned by a fact that was refunded or cancelled: from the
    fact's own lots first (pending ones lower the pending balance), then from the other
    active lots; what is still missing makes the balance negative where the program allows
    it, and is forgiven otherwise. Returns None when nothing could be taken."""
    pending_lots = [lot for lot in own_lots if lot.pending and lot.remaining > 0]
    from_pending = min(points, sum(lot.remaining for lot in pending_lots))
    own_active = [lot for lot in own_lots if not lot.pending and lot.remaining > 0]
    others = [lot for lot in active_lots(account) if lot.pk not in {x.pk for x in own_lots}]
    rest = points - from_pending
    available = sum(lot.remaining for lot in own_active) + sum(lot.remaining for lot in others)
    from_active = min(rest, available)
    into_debt = rest - from_active if allow_negative else 0
    if from_pending + from_active + into_debt == 0:
        return None
    entry = _entry(
        account,
        type_,
        -(from_active + into_debt),
        pending_points=-from_pending,
        reason=reason,
        source=source,
    )
    _take(entry, pending_lots, from_pending)
    _take(entry, own_active + others, from_active)
    return entry


def give_back(
    account: Account,
    type_: str,
    allocations: list[tuple[PointLot, int]],
    *,
    reason: str = "",
    source: Source = NO_SOURCE,
) -> LedgerEntry | None:
    """Return points to the lots they were taken from (a `rollback` of a spend, or a
    `refund_return` of points spent on a refunded order): each lot gets back its share, and
    keeps its expiry; points returned to a lot that has expired since expire again at once."""
    points = sum(amount for _, amount in allocations if amount > 0)
    if points <= 0:
        return None
    # A negative balance (a clawback under allow_negative) is repaid first: those points go
    # to the debt, not back into lots.
    repay = min(points, max(0, -account.active))
    entry = _entry(account, type_, points, reason=reason, source=source)
    moment = now()
    expired = 0
    for lot, returned in allocations:
        amount = returned - min(repay, max(returned, 0))
        repay -= returned - amount if returned > 0 else 0
        if amount <= 0:
            continue
        PointLot.objects.filter(pk=lot.pk).update(remaining=F("remaining") + amount)
        LotAllocation.objects.create(entry=entry, lot=lot, points=-amount)
        if lot.expires_at is not None and lot.expires_at <= moment:
            expired += amount
    if expired:
        expire_lots(account, [lot for lot, _ in allocations], reason="expired before the return")
    return entry


def expire_lots(account: Account, lots: list[PointLot], reason: str = "") -> LedgerEntry | None:
    """Expire what is left of the given lots whose time has come (locked by the caller)."""
    moment = now()
    due = list(
        lock_lots(
            PointLot.objects.filter(pk__in=[lot.pk for lot in lots], pending=False, remaining__gt=0)
        )
        .filter(Q(expires_at__lte=moment))
        .order_by("pk")
    )
    points = sum(lot.remaining for lot in due)
    if not points:
        return None
    entry = _entry(account, EntryType.EXPIRE, -points, reason=reason)
    _take(entry, due, points)
    return entry


def reset_expiry(account: Account, expires_at: datetime | None) -> None:
    """Activity renews every active point of the account (a rolling expiry reset on
    activity): they all expire at `expires_at` now."""
    PointLot.objects.filter(account=account, pending=False, remaining__gt=0).update(
        expires_at=expires_at
    )
