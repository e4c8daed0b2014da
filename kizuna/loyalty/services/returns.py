"""Refunds and cancellations: the points an order earned are taken back, and the points spent
on it given back, pro rata to the value refunded (all of it for a cancellation).

Both are cumulative, so that rounding never drifts: after each refund, what is due back in
all is the order's earned points times the share of its total refunded so far, rounded half
up, and this refund takes the difference with what was due before; the same for the points
given back. Refunding the whole order, in any number of refunds, takes back exactly what it
earned (less what could not be taken where a balance may not go negative: that part is
forgiven for good, never taken by a later refund) and gives back exactly what was spent on
it."""

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
    """Bring what the order took back and gave back on `account` from `before` (the share
    refunded before) up to `fraction` of it. What is due back is reckoned on the shares, not
    on what earlier refunds could take: points forgiven then stay forgiven."""
    program = account.program
    sums = (
        LedgerEntry.objects.filter(account=account)
        .filter(
            Q(source_type="order", source_id=order.external_id)
            | Q(source_type="refund", source_id__in=_sources(order))
        )
        .aggregate(
            earned=_sum_of([EntryType.EARN, EntryType.PENDING]),
            spent=_sum_of([EntryType.SPEND, EntryType.ROLLBACK]),
            given=_sum_of([EntryType.REFUND_RETURN]),
        )
    )
    earned, spent = sums["earned"] or 0, -(sums["spent"] or 0)
    given = sums["given"] or 0
    clawed = returned = 0
    if program.returns.get("clawback", True):
        due = _share(earned, fraction) - _share(earned, before)
        if due > 0:
            own = list(
                lock_lots(
                    PointLot.objects.filter(
                        account=account, source_type="order", source_id=order.external_id
                    )
                ).order_by("pk")
            )
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
        entry__account=account,
        entry__type=EntryType.REFUND_RETURN,
        entry__source_id__in=[order.external_id, *_sources(order)],
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
