"""Row locks of the vouchers app (docs/concepts.md, Locking): gift cards in primary-key
order, so that two writers that touch the same cards never wait on each other in a cycle."""

from collections.abc import Iterable

from django.db.models import QuerySet

from kizuna.core.models import one_or_none
from kizuna.vouchers.models import Campaign, CodeGeneration, GiftCard


def lock_campaign(campaigns: QuerySet[Campaign]) -> Campaign | None:
    return one_or_none(campaigns.select_for_update(of=("self",)).select_related("customer"))


def lock_gift_cards(pks: Iterable[int]) -> dict[int, GiftCard]:
    """The cards, locked one after another in primary-key order, by primary key."""
    cards = (
        GiftCard.objects.select_for_update(of=("self",))
        .filter(pk__in=set(pks))
        .select_related("workspace", "customer")
        .order_by("pk")
    )
    return {card.pk: card for card in cards}


def lock_gift_card(pk: int) -> GiftCard | None:
    return lock_gift_cards([pk]).get(pk)


def lock_generation(pk: int) -> CodeGeneration | None:
    return one_or_none(CodeGeneration.objects.select_for_update().filter(pk=pk))
