"""The balance ledger of gift cards and store credit (docs/vouchers.md, Ledger): every
movement is an entry, never edited, written with the card's cached balance in one
transaction, the card locked first. The CHECK constraints (balance >= 0) hold the last line.

`spend` and `refund_spend` are what redemptions call: a spend per source (a redemption, an
order) happens once, and so does its refund."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.money import MAX_AMOUNT, check_amount, format_amount
from kizuna.vouchers.errors import (
    CurrencyMismatch,
    GiftCardExpired,
    GiftCardNotFound,
    InsufficientBalance,
)
from kizuna.vouchers.locks import lock_gift_card
from kizuna.vouchers.models import EntryType, GiftCard, GiftCardEntry, GiftCardStatus
from kizuna.vouchers.services import codes


@dataclass(frozen=True)
class Source:
    """What caused a movement: ("redemption", "red_123"); a spend per source happens once."""

    type: str = ""
    id: str = ""


NO_SOURCE = Source()


def card_pk(workspace: Workspace, code: str) -> int:
    """The primary key of the workspace's card with this code (compared case-insensitively)."""
    pk = None
    if codes.is_code(code):
        pk = one_or_none(
            GiftCard.objects.for_workspace(workspace)
            .filter(code=codes.normalize(code))
            .values_list("pk", flat=True)
        )
    if pk is None:
        raise GiftCardNotFound(f"No gift card {codes.normalize(code)!r}.", field="code")
    return int(pk)


def locked_card(workspace: Workspace, code: str) -> GiftCard:
    card = lock_gift_card(card_pk(workspace, code))
    if card is None:  # deleted in between: cards are never deleted, but be exact
        raise GiftCardNotFound(f"No gift card {codes.normalize(code)!r}.", field="code")
    return card


def post(
    card: GiftCard,
    type: str,
    amount: Decimal,
    *,
    reason: str = "",
    source: Source = NO_SOURCE,
    occurred_at: datetime | None = None,
) -> GiftCardEntry:
    """Write one entry and the card's new balance. The card is locked by the caller, in
    the caller's transaction; the entry may not take the balance below zero."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A ledger entry is written in a transaction, its card locked.")
    balance = card.balance + amount
    if balance >= MAX_AMOUNT:
        raise ValidationFailed(
            "The card cannot hold that much.", code="amount_too_large", field="amount"
        )
    if balance < 0:
        raise InsufficientBalance(
            f"The card holds {format_amount(card.balance, card.currency)} {card.currency}.",
            field="amount",
        )
    entry = GiftCardEntry.objects.create(
        workspace_id=card.workspace_id,
        card=card,
        type=type,
        amount=amount,
        currency=card.currency,
        balance_after=balance,
        reason=reason,
        source_type=source.type,
        source_id=source.id,
        occurred_at=occurred_at or now(),
    )
    card.balance = balance
    card.updated_at = now()
    card.save(update_fields=["balance", "status", "updated_at"])
    return entry


def check_positive(value: object, currency: str, field: str = "amount") -> Decimal:
    amount = check_amount(value, currency, field=field)
    if amount <= 0:
        raise ValidationFailed("The amount is more than zero.", code="invalid_amount", field=field)
    return amount


def check_usable(card: GiftCard, at: datetime) -> None:
    if card.status == GiftCardStatus.EXPIRED or (
        card.expires_at is not None and card.expires_at <= at
    ):
        raise GiftCardExpired("The gift card has expired.", field="code")


def _previous(card: GiftCard, type: str, source: Source) -> GiftCardEntry | None:
    if not source.id:
        return None
    return one_or_none(
        GiftCardEntry.objects.filter(
            card=card, type=type, source_type=source.type, source_id=source.id
        )
    )


def spend(
    workspace: Workspace,
    code: str,
    amount: object,
    *,
    currency: str,
    source: Source = NO_SOURCE,
    reason: str = "",
) -> GiftCardEntry:
    """Take `amount` from the card: refused when the card holds less (422
    `insufficient_balance`), has expired, or is in another currency. The same source spends
    once: a second call returns the first entry."""
    with transaction.atomic():
        card = locked_card(workspace, code)
        earlier = _previous(card, EntryType.SPEND, source)
        if earlier is not None:
            return earlier
        if currency != card.currency:
            raise CurrencyMismatch(
                f"The card is in {card.currency}, not {currency}.", field="currency"
            )
        value = check_positive(amount, card.currency)
        check_usable(card, now())
        return post(card, EntryType.SPEND, -value, reason=reason, source=source)


def refund_spend(
    workspace: Workspace, code: str, source: Source, reason: str = ""
) -> GiftCardEntry:
    """Give back what the source's spend took, once (a rollback of a redemption); an
    expired card gets it back too, and the expiry job then expires it."""
    with transaction.atomic():
        card = locked_card(workspace, code)
        spent = _previous(card, EntryType.SPEND, source)
        if spent is None:
            raise ValidationFailed(
                "This source spent nothing from the card.", code="nothing_to_refund", field="code"
            )
        earlier = _previous(card, EntryType.REFUND, source)
        if earlier is not None:
            return earlier
        return post(card, EntryType.REFUND, -spent.amount, reason=reason, source=source)


def refund_part(
    workspace: Workspace, code: str, amount: Decimal, source: Source, reason: str = ""
) -> GiftCardEntry:
    """Give `amount` back to the card (a part of a spend: an order refunded pro rata, or what
    is left of a spend when a redemption is rolled back), once per source: a second call
    returns the first entry. The caller knows how much of the spend is still out."""
    with transaction.atomic():
        card = locked_card(workspace, code)
        earlier = _previous(card, EntryType.REFUND, source)
        if earlier is not None:
            return earlier
        value = check_positive(amount, card.currency)
        return post(card, EntryType.REFUND, value, reason=reason, source=source)
