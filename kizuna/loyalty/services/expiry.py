"""Points expiring: a scheduled job expires, batch by batch, every active lot whose time has
come, with one `expire` entry per account and batch and one allocation per lot.

Safe when two jobs run at once: each batch locks the accounts (in primary-key order, as every
writer does), then re-reads their due lots under the lock, so a lot another job expired
first is skipped and each lot expires once.

On PostgreSQL a batch is one statement after the locks: data-modifying common table
expressions empty the lots, move the accounts' balances and write the entries, allocations,
timeline rows and outbox events together, so a million lots expire in seconds rather than in
a million round trips. Elsewhere (SQLite) the same writes go through the ORM in bulk. The
same tests run both paths (the suite runs on each database)."""

from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from django.db import connection, connections, transaction
from django.db.models import F

from kizuna.core import events as outbox
from kizuna.core.clock import now
from kizuna.core.models import OutboxEvent
from kizuna.customers.models import Customer, TimelineEntry
from kizuna.customers.services import timeline
from kizuna.loyalty import events
from kizuna.loyalty.locks import lock_account_ids, lock_accounts, lock_lots
from kizuna.loyalty.models import (
    Account,
    EntryType,
    LedgerEntry,
    LotAllocation,
    PointLot,
    Program,
)
from kizuna.loyalty.services import ledger

BATCH = 5000
Part = tuple[int, int]  # (index, parts): the accounts whose key is index modulo parts
WHOLE: Part = (0, 1)


def _due(moment: datetime, limit: int, part: Part) -> list[tuple[int, int]]:
    lots = PointLot.objects.filter(pending=False, remaining__gt=0, expires_at__lte=moment)
    index, parts = part
    if parts > 1:
        lots = lots.annotate(part=F("account_id") % parts).filter(part=index)
    return list(
        # By the partial index of expiring lots: in key order, each batch would walk past
        # every lot the batches before it emptied.
        lots.order_by("expires_at", "pk").values_list("pk", "account_id")[:limit]
    )


def expire_batch(limit: int = BATCH, moment: datetime | None = None, part: Part = WHOLE) -> int:
    """Expire one batch of due lots in one transaction; returns the number of lots expired
    (0 when none were due). With `part` (i, n), only lots of accounts whose key is i modulo
    n: parts share no account, so n workers expire side by side without waiting on each
    other's locks."""
    moment = moment or now()
    with transaction.atomic():
        due = _due(moment, limit, part)
        if not due:
            return 0
        if connection.vendor == "postgresql":
            lock_account_ids({account for _, account in due})
            return _expire_in_sql([lot for lot, _ in due], moment)
        accounts = {
            a.pk: a
            for a in lock_accounts(
                Account.objects.filter(pk__in={account for _, account in due}).select_related(
                    "program", "customer"
                )
            )
        }
        lots = list(
            lock_lots(
                PointLot.objects.filter(
                    pk__in=[lot for lot, _ in due], pending=False, remaining__gt=0
                )
            )
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


def expire_due(moment: datetime | None = None, batch: int = BATCH, workers: int = 1) -> int:
    """Expire everything due, batch after batch; returns the number of lots expired. With
    `workers` over 1 (PostgreSQL), that many threads, each on its own connection and its own
    part of the accounts, so the database's cores share the work. Inside a transaction the
    work stays on this connection, the only one that sees the transaction's rows."""
    moment = moment or now()
    if workers <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        return _expire_part(moment, batch, WHOLE)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        counts = pool.map(
            lambda index: _in_thread(_expire_part, moment, batch, (index, workers)),
            range(workers),
        )
        return sum(counts)


def _expire_part(moment: datetime, batch: int, part: Part) -> int:
    total = 0
    while expired := expire_batch(batch, moment, part):
        total += expired
    return total


def _in_thread(func: Callable[..., int], *args: Any) -> int:
    try:
        return func(*args)
    finally:
        connections.close_all()


def _expire_in_sql(lot_ids: list[int], moment: datetime) -> int:
    """Expire the lots (their accounts locked by the caller) in one statement; returns the
    number of lots expired. Writes exactly what the ORM path writes."""
    tables = {
        "lot": PointLot._meta.db_table,
        "account": Account._meta.db_table,
        "entry": LedgerEntry._meta.db_table,
        "allocation": LotAllocation._meta.db_table,
        "timeline": TimelineEntry._meta.db_table,
        "outbox": OutboxEvent._meta.db_table,
        "program": Program._meta.db_table,
        "customer": Customer._meta.db_table,
    }
    sql = """
    WITH old AS (
        SELECT id, account_id, remaining FROM {lot}
        WHERE id = ANY(%(lots)s) AND NOT pending AND remaining > 0 AND expires_at <= %(moment)s
        FOR UPDATE
    ), lots AS (
        UPDATE {lot} AS l SET remaining = 0 FROM old WHERE l.id = old.id
        RETURNING old.id, old.account_id, old.remaining
    ), per_account AS (
        SELECT account_id, SUM(remaining) AS points FROM lots GROUP BY account_id
    ), accounts AS (
        UPDATE {account} AS a
        SET active = a.active - p.points, expired = a.expired + p.points
        FROM per_account p WHERE a.id = p.account_id
        RETURNING a.id, a.workspace_id, a.program_id, a.customer_id, a.active, p.points
    ), entries AS (
        INSERT INTO {entry} (workspace_id, account_id, type, points, pending_points,
            balance_after, reason, source_type, source_id, rule_key, expires_at, occurred_at,
            created_at)
        SELECT workspace_id, id, %(type)s, -points, 0, active, %(reason)s, '', '', '', NULL,
            %(moment)s, %(created)s
        FROM accounts
        RETURNING id, account_id
    ), allocations AS (
        INSERT INTO {allocation} (entry_id, lot_id, points)
        SELECT e.id, l.id, l.remaining FROM lots l JOIN entries e ON e.account_id = l.account_id
    ), timeline AS (
        INSERT INTO {timeline} (workspace_id, customer_id, kind, object_id, occurred_at,
            summary, created_at)
        SELECT a.workspace_id, a.customer_id, 'points', e.id::text, %(moment)s,
            jsonb_build_object('program_id', p.key, 'type', %(type)s, 'points', -a.points,
                'balance', a.active, 'reason', %(reason)s),
            %(created)s
        FROM accounts a
        JOIN entries e ON e.account_id = a.id
        JOIN {program} p ON p.id = a.program_id
    ), outbox AS (
        INSERT INTO {outbox} (id, workspace_id, type, payload, occurred_at, next_attempt_at,
            attempts, last_error)
        SELECT gen_random_uuid(), a.workspace_id, %(event)s,
            jsonb_build_object('program_id', p.key, 'customer_id', c.external_id,
                'points', a.points, 'balance', a.active),
            %(created)s, %(created)s, 0, ''
        FROM accounts a
        JOIN {program} p ON p.id = a.program_id
        JOIN {customer} c ON c.id = a.customer_id
    )
    SELECT COUNT(*) FROM lots
    """.format(**tables)  # noqa: S608 (table names only; values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "lots": lot_ids,
                "moment": moment,
                "created": now(),
                "type": EntryType.EXPIRE.value,
                "reason": "expired",
                "event": events.PointsExpired.event_name,
            },
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0
