"""Points expiring: a scheduled job expires, batch by batch, every active lot whose time has
come, with one `expire` entry per account and batch and one allocation per lot.

Safe when two jobs run at once: each batch locks the accounts (in primary-key order, as every
writer does), then re-reads their due lots under the lock, so a lot another job expired
first is skipped and each lot expires once."""

from collections import defaultdict
from datetime import datetime

from django.db import transaction
from django.db.models import F

from kizuna.core import events as outbox
from kizuna.core.clock import now
from kizuna.customers.services import timeline
from kizuna.loyalty import events
from kizuna.loyalty.locks import lock_accounts
from kizuna.loyalty.models import Account, EntryType, LedgerEntry, LotAllocation, PointLot
from kizuna.loyalty.services import ledger

BATCH = 5000


def _due(moment: datetime, limit: int) -> list[tuple[int, int]]:
    return list(
        PointLot.objects.filter(pending=False, remaining__gt=0, expires_at__lte=moment)
        .order_by("pk")
        .values_list("pk", "account_id")[:limit]
    )


def expire_batch(limit: int = BATCH, moment: datetime | None = None) -> int:
    """Expire one batch of due lots in one transaction; returns the number of lots expired
    (0 when none were due)."""
    moment = moment or now()
    with transaction.atomic():
        due = _due(moment, limit)
        if not due:
            return 0
        accounts = {
            a.pk: a
            for a in lock_accounts(
                Account.objects.filter(pk__in={account for _, account in due}).select_related(
                    "program", "customer"
                )
            )
        }
        lots = list(
            PointLot.objects.select_for_update()
            .filter(pk__in=[lot for lot, _ in due], pending=False, remaining__gt=0)
            .filter(expires_at__lte=moment)
            .order_by("pk")
            .values_list("pk", "account_id", "remaining")
        )
        by_account: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for lot_id, account_id, remaining in lots:
            by_account[account_id].append((lot_id, remaining))
        entries = []
        for account_id, taken in by_account.items():
            account = accounts[account_id]
            points = sum(remaining for _, remaining in taken)
            account.active -= points
            account.expired += points
            entries.append(
                LedgerEntry(
                    workspace_id=account.workspace_id,
                    account=account,
                    type=EntryType.EXPIRE,
                    points=-points,
                    balance_after=account.active,
                    reason="expired",
                    occurred_at=moment,
                    created_at=now(),
                )
            )
        LedgerEntry.objects.bulk_create(entries, batch_size=1000)
        entry_of = {entry.account_id: entry for entry in entries}
        timeline.bulk_add(
            [
                timeline.entry_of(
                    entry.workspace_id,
                    accounts[entry.account_id].customer_id,
                    "points",
                    str(entry.pk),
                    moment,
                    ledger.points_summary(accounts[entry.account_id], entry),
                )
                for entry in entries
            ]
        )
        LotAllocation.objects.bulk_create(
            [
                LotAllocation(entry=entry_of[account_id], lot_id=lot_id, points=remaining)
                for lot_id, account_id, remaining in lots
            ],
            batch_size=2000,
        )
        PointLot.objects.filter(pk__in=[lot_id for lot_id, _, _ in lots]).update(remaining=0)
        for account_id, taken in by_account.items():
            points = sum(remaining for _, remaining in taken)
            Account.objects.filter(pk=account_id).update(
                active=F("active") - points, expired=F("expired") + points
            )
            account = accounts[account_id]
            outbox.emit(
                account.program.workspace,
                events.PointsExpired(
                    program_id=account.program.key,
                    customer_id=account.customer.external_id,
                    points=points,
                    balance=account.active,
                ),
            )
        return len(lots)


def expire_due(moment: datetime | None = None, batch: int = BATCH) -> int:
    """Expire everything due, batch after batch; returns the number of lots expired."""
    total = 0
    while expired := expire_batch(batch, moment):
        total += expired
    return total
