"""Gift cards and store credit expire by a scheduled job (`vouchers_expire_gift_cards`):
each card whose `expires_at` has passed gets an `expire` entry for what it still held
(dated at its expiry, so that the liability at any date is right) and the status expired.
Safe when two run at once: each batch locks its cards and re-reads them."""

from datetime import datetime

from django.db import transaction

from kizuna.core import events as outbox
from kizuna.core.clock import now
from kizuna.core.money import format_amount
from kizuna.vouchers.events import GiftCardExpired
from kizuna.vouchers.locks import lock_gift_cards
from kizuna.vouchers.models import EntryType, GiftCard, GiftCardStatus
from kizuna.vouchers.services import balances

BATCH = 500


def expire_batch(moment: datetime, limit: int = BATCH) -> int:
    """Expire up to `limit` due cards; how many were expired."""
    due = list(
        GiftCard.objects.filter(status=GiftCardStatus.ACTIVE, expires_at__lte=moment)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not due:
        return 0
    done = 0
    with transaction.atomic():
        for card in lock_gift_cards(due).values():
            if card.status != GiftCardStatus.ACTIVE or card.expires_at is None:
                continue  # another run took it
            if card.expires_at > moment:
                continue
            card.status = GiftCardStatus.EXPIRED
            if card.balance > 0:
                outbox.emit(
                    card.workspace,
                    GiftCardExpired(
                        code=card.code,
                        kind=card.kind,
                        currency=card.currency,
                        amount=format_amount(card.balance, card.currency),
                        customer_id=card.customer.external_id if card.customer else None,
                    ),
                )
                balances.post(
                    card,
                    EntryType.EXPIRE,
                    -card.balance,
                    reason="Expired.",
                    occurred_at=card.expires_at,
                )
            else:
                card.save(update_fields=["status"])
            done += 1
    return done


def expire_due(moment: datetime | None = None) -> int:
    moment = moment or now()
    total = 0
    while expired := expire_batch(moment):
        total += expired
    return total
