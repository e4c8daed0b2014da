"""The gift-card ledger's invariants, checked for every card at once (registered with
`manage.py verify_ledger`): the cached balance equals the sum of the card's entries and the
`balance_after` of its last entry, and every entry is in the card's currency."""

from decimal import Decimal
from typing import Any

from django.db.models import F, Max, Sum

from kizuna.core.money import format_amount
from kizuna.vouchers.models import GiftCard, GiftCardEntry


def verify_gift_cards() -> list[str]:
    """One sentence per difference (none when every card agrees with its ledger)."""
    sums = {
        row["card_id"]: row
        for row in GiftCardEntry.objects.values("card_id").annotate(
            total=Sum("amount"), last=Max("id")
        )
    }
    last_balance = dict(
        GiftCardEntry.objects.filter(pk__in=[row["last"] for row in sums.values()]).values_list(
            "card_id", "balance_after"
        )
    )
    problems: list[str] = []
    for card in GiftCard.objects.order_by("pk").iterator(2000):
        row: Any = sums.get(card.pk, {})
        total = row.get("total") or Decimal(0)
        name = f"gift card {card.pk} ({card.workspace_id}/{card.code})"
        if card.balance != total:
            problems.append(
                f"{name}: balance is {format_amount(card.balance, card.currency)}, the ledger "
                f"says {format_amount(total, card.currency)}"
            )
        last = last_balance.get(card.pk)
        if last is not None and last != card.balance:
            problems.append(
                f"{name}: balance is {format_amount(card.balance, card.currency)}, its last "
                f"entry left {format_amount(last, card.currency)}"
            )
    for card_id, currency, code in (
        GiftCardEntry.objects.exclude(currency=F("card__currency"))
        .values_list("card_id", "currency", "card__code")
        .distinct()
    ):
        problems.append(f"gift card {card_id} ({code}): an entry is in {currency}")
    return problems
