"""Pending points becoming active: when their return window ends (a scheduled job), or when
the event the program waits for arrives for their order."""

from collections import defaultdict
from typing import Any

from django.db import transaction

from kizuna.core.clock import now
from kizuna.customers.models import CustomEvent
from kizuna.loyalty.locks import lock_accounts, lock_lots
from kizuna.loyalty.models import Account, PointLot
from kizuna.loyalty.services import ledger, policies, tiers
from kizuna.loyalty.services.setup import setup_of

BATCH = 1000


def _activate(lots_by_account: dict[int, list[int]]) -> int:
    """Activate the given pending lots, account by account (accounts locked in primary-key
    order, then their lots re-read under the lock: a lot another job activated is skipped)."""
    done = 0
    accounts = lock_accounts(
        Account.objects.filter(pk__in=list(lots_by_account)).select_related(
            "program", "program__workspace", "tier", "customer"
        )
    )
    for account in accounts:
        lots = list(
            lock_lots(
                PointLot.objects.filter(
                    pk__in=lots_by_account[account.pk], account=account, pending=True
                )
            ).order_by("pk")
        )
        if not lots:
            continue
        program = account.program
        moment = now()
        expires_at = policies.expires_at(program.expiry, moment, program.timezone)
        ledger.activate(account, lots, expires_at)
        if policies.resets_on_activity(program.expiry):
            ledger.reset_expiry(account, expires_at)
        # Activated points count toward tiers from now: a member who qualifies moves up.
        tiers.review_after_earning(program, account, setup_of(program).tiers)
        done += sum(lot.remaining for lot in lots)
    return done


def activate_due(limit: int = BATCH) -> int:
    """One batch of the pending lots whose time has come; returns the points activated (0
    when none were due). Safe when several run at once."""
    due = list(
        PointLot.objects.filter(pending=True, activates_at__lte=now())
        .order_by("activates_at", "pk")
        .values_list("pk", "account_id")[:limit]
    )
    by_account: dict[int, list[int]] = defaultdict(list)
    for lot_id, account_id in due:
        by_account[account_id].append(lot_id)
    if not by_account:
        return 0
    with transaction.atomic():
        return _activate(by_account)


def activate_for_event(event: CustomEvent) -> int:
    """Points of the event's customer waiting for an event of this name on the order the
    event names (`properties.order_id`) become active."""
    order_id: Any = (event.properties or {}).get("order_id")
    if not isinstance(order_id, str):
        return 0
    lots = list(
        PointLot.objects.filter(
            account__customer=event.customer,
            account__program__pending__until_event=event.name,
            pending=True,
            activates_at__isnull=True,
            source_type="order",
            source_id=order_id,
        ).values_list("pk", "account_id")
    )
    by_account: dict[int, list[int]] = defaultdict(list)
    for lot_id, account_id in lots:
        by_account[account_id].append(lot_id)
    return _activate(by_account) if by_account else 0
