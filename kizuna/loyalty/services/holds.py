"""Points taken by a redemption at a checkout, and given back (docs/checkout.md, ADR 0036).

A redemption spends points with a `spend` entry whose source is the redemption; a
reservation is such a spend too (the points are gone from the active balance while held, so
no other spend can take them), which confirming leaves as it is. Releasing a hold or rolling
back a redemption writes one `rollback` entry that returns to each lot exactly what the spend
took from it, once per source however often it is asked (the lots keep their expiry).

Both run in their caller's transaction (a redemption's), without a savepoint of their own: a
refusal fails that transaction, as the redemption fails whole."""

from django.db import transaction

from kizuna.core.models import Workspace
from kizuna.loyalty.errors import NotAMember
from kizuna.loyalty.locks import lock_account
from kizuna.loyalty.models import Account, EntryType, LedgerEntry, LotAllocation, Program
from kizuna.loyalty.services import adjustments, ledger
from kizuna.loyalty.services.ledger import Source


def spend_for(
    program: Program, customer_id: int, points: int, source: Source, reason: str
) -> LedgerEntry:
    """Spend (or hold) `points` of the customer's account, locked first; refused when the
    customer is no member (404 `not_a_member`) or has fewer active points (422
    `insufficient_points`)."""
    with transaction.atomic(savepoint=False):
        account = lock_account(program, customer_id)
        if account is None:
            raise NotAMember(f"The customer is not a member of {program.key!r}.", field="points")
        earlier = LedgerEntry.objects.filter(
            account=account, type=EntryType.SPEND, source_type=source.type, source_id=source.id
        ).first()
        if earlier is not None:
            return earlier
        return adjustments.spend(program, account, points, source, reason=reason)


def give_back(workspace: Workspace | int, account_id: int, source: Source, reason: str) -> int:
    """Return what the source's spend took, to the lots it took it from, once: the points
    returned (0 when nothing was spent, or it was returned already)."""
    with transaction.atomic(savepoint=False):
        found = (
            Account.objects.for_workspace(workspace)
            .filter(pk=account_id)
            .select_related("program")
            .first()
        )
        account = lock_account(found.program, found.customer_id) if found else None
        if account is None:
            return 0
        entries = LedgerEntry.objects.filter(
            account=account, source_type=source.type, source_id=source.id
        )
        if entries.filter(type=EntryType.ROLLBACK).exists():
            return 0
        allocations = [
            (allocation.lot, allocation.points)
            for allocation in LotAllocation.objects.filter(
                entry__in=entries.filter(type=EntryType.SPEND)
            )
            .select_related("lot")
            .order_by("pk")
        ]
        entry = ledger.give_back(
            account, EntryType.ROLLBACK, allocations, reason=reason, source=source
        )
        return entry.points if entry is not None else 0
