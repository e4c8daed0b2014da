"""Refunds and cancellations: the points an order earned are taken back, and the points spent
on it given back, pro rata to the value refunded (all of it for a cancellation).

Both are cumulative, so that rounding never drifts: after each refund, what is due back in
all is the order's earned points times the share of its total refunded so far, rounded half
up, and this refund takes the difference with what was due before; the same for the points
given back. Refunding the whole order, in any number of refunds, takes back exactly what it
earned and gives back exactly what was spent on it.

What was due before counts as settled even where it could not all be taken (no negative
balance allowed: the rest was forgiven, and is not taken later), and the order's own points
that expired count as taken back already (they are not taken a second time from other
points).

Entries are told apart by their source type and id together: a refund's id may equal another
order's external id."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import F, Q, Sum

from kizuna.loyalty.locks import lock_accounts, lock_lots
from kizuna.loyalty.models import Account, EntryType, LedgerEntry, LotAllocation, PointLot
from kizuna.loyalty.services import ledger
from kizuna.loyalty.services.ledger import Source


def _accounts_touched(order: Any) -> list[Account]:
    """The accounts the order earned or spent points on, locked in primary-key order."""
    ids = (
        LedgerEntry.objects.filter(
            workspace_id=order.workspace_id, source_type="order", source_id=order.external_id
        )
        .values_list("account_id", flat=True)
        .distinct()
    )
    return lock_accounts(Account.objects.filter(pk__in=list(ids)).select_related("program", "tier"))


def _sum_of(types: list[str]) -> Sum:
    """The points (pending ones included) of the entries of these types."""
    return Sum(F("points") + F("pending_points"), filter=Q(type__in=types))


def _sources(order: Any) -> list[str]:
    """The ids of the order's refunds (the sources of what its refunds did)."""
    return list(order.refunds.values_list("external_id", flat=True))


def _of_order(order: Any, prefix: str = "") -> Q:
    """The entries about the order: its own (source `order`) and its refunds' (source
    `refund`); never those of another order whose external id equals one of its refunds'."""
    return Q(**{f"{prefix}source_type": "order", f"{prefix}source_id": order.external_id}) | Q(
        **{f"{prefix}source_type": "refund", f"{prefix}source_id__in": _sources(order)}
    )


def _expired_from(lots: list[PointLot]) -> int:
    """The points of these lots that expired: gone already, so never taken again (points
    spent from a lot, given back after it expired and so expired again, count too: they
    were the lot's points)."""
    if not lots:
        return 0
    expired = LotAllocation.objects.filter(
        lot__in=[lot.pk for lot in lots], entry__type=EntryType.EXPIRE
    ).aggregate(points=Sum("points"))["points"]
    return int(expired or 0)


def _share(amount: int, fraction: Decimal) -> int:
    return int((amount * fraction).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _settle(
    account: Account,
    order: Any,
    fraction: Decimal,
    before: Decimal,
    source: Source,
    cancel: bool,
) -> dict[str, Any]:
    """Bring what the order took back and gave back on `account` from `before` up to
    `fraction` of it."""
    program = account.program
    sums = (
        LedgerEntry.objects.filter(account=account)
        .filter(_of_order(order))
        .aggregate(
            earned=_sum_of([EntryType.EARN, EntryType.PENDING]),
            spent=_sum_of([EntryType.SPEND, EntryType.ROLLBACK]),
            taken=_sum_of([EntryType.REFUND_CLAWBACK, EntryType.CANCEL]),
            given=_sum_of([EntryType.REFUND_RETURN]),
        )
    )
    earned, spent = sums["earned"] or 0, -(sums["spent"] or 0)
    taken, given = -(sums["taken"] or 0), sums["given"] or 0
    clawed = returned = 0
    if program.returns.get("clawback", True):
        own = list(
            lock_lots(
                PointLot.objects.filter(
                    account=account, source_type="order", source_id=order.external_id
                )
            ).order_by("pk")
        )
        settled = max(_share(earned, before), taken + _expired_from(own))
        due = _share(earned, fraction) - settled
        if due > 0:
            entry = ledger.claw_back(
                account,
                EntryType.CANCEL if cancel else EntryType.REFUND_CLAWBACK,
                due,
                own_lots=own,
                allow_negative=account.allow_negative,
                reason="order cancelled" if cancel else f"refund of order {order.external_id}",
                source=source,
            )
            clawed = -(entry.points + entry.pending_points) if entry else 0
    due_back = _share(spent, fraction) - given
    if due_back > 0:
        entry = ledger.give_back(
            account,
            EntryType.REFUND_RETURN,
            _returnable(account, order, due_back),
            reason="order cancelled" if cancel else f"refund of order {order.external_id}",
            source=source,
        )
        returned = entry.points if entry else 0
    return {
        "program_id": program.key,
        "points_clawed_back": clawed,
        "points_returned": returned,
        "balance": account.active,
    }


def _returnable(account: Account, order: Any, points: int) -> list[tuple[PointLot, int]]:
    """Which lots `points` spent on the order go back to: those the spends took from, the
    last taken first, each no more than was taken from it for the order and not yet given
    back."""
    allocations = list(
        LotAllocation.objects.filter(
            entry__account=account,
            entry__source_type="order",
            entry__source_id=order.external_id,
            entry__type__in=[EntryType.SPEND, EntryType.ROLLBACK],
        )
        .select_related("lot")
        .order_by("-entry_id", "-pk")
    )
    back: dict[int, int] = {}
    for allocation in LotAllocation.objects.filter(
        _of_order(order, "entry__"),
        entry__account=account,
        entry__type=EntryType.REFUND_RETURN,
    ):
        back[allocation.lot_id] = back.get(allocation.lot_id, 0) - allocation.points
    out: list[tuple[PointLot, int]] = []
    left = points
    taken: dict[int, int] = {}
    lots: dict[int, PointLot] = {}
    for allocation in allocations:
        taken[allocation.lot_id] = taken.get(allocation.lot_id, 0) + allocation.points
        lots[allocation.lot_id] = allocation.lot
    for lot_id, amount in taken.items():
        available = amount - back.get(lot_id, 0)
        give = min(available, left)
        if give > 0:
            out.append((lots[lot_id], give))
            left -= give
        if left == 0:
            break
    return out


def refund_order(order: Any, refund: Any) -> list[dict[str, Any]]:
    """A refund (already counted in the order's refunded_total)."""
    if not order.total:
        return []
    total = Decimal(order.total)
    fraction = min(Decimal(1), Decimal(order.refunded_total) / total)
    before = min(Decimal(1), (Decimal(order.refunded_total) - Decimal(refund.amount)) / total)
    source = Source("refund", refund.external_id)
    return [
        _settle(account, order, fraction, before, source, cancel=False)
        for account in _accounts_touched(order)
    ]


def cancel_order(order: Any) -> list[dict[str, Any]]:
    """A cancelled order takes back all it earned and gives back all spent on it."""
    source = Source("order", order.external_id)
    before = (
        min(Decimal(1), Decimal(order.refunded_total) / Decimal(order.total))
        if order.total
        else Decimal(0)
    )
    return [
        _settle(account, order, Decimal(1), before, source, cancel=True)
        for account in _accounts_touched(order)
    ]
