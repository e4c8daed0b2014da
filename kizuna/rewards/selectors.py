"""Reads of the reward catalog, its claims and a customer's wallet, always scoped by
workspace."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from kizuna.core.models import Workspace, one_or_none
from kizuna.core.pagination import keyset_page
from kizuna.customers.errors import CustomerNotFound
from kizuna.customers.models import Customer
from kizuna.customers.selectors import customer_id_of
from kizuna.rewards.models import Claim, Reward
from kizuna.vouchers.models import GiftCard, GiftCardKind, Voucher

# The wallet shows the newest this many of each kind; the claims have their own list.
WALLET_LIMIT = 100


def list_rewards(
    workspace: Workspace,
    *,
    program_id: str | None,
    status: str | None,
    cursor: str | None,
    limit: int | None,
) -> tuple[list[Reward], str | None]:
    queryset: QuerySet[Reward] = Reward.objects.for_workspace(workspace).select_related("program")
    if program_id is not None:
        queryset = queryset.filter(program__key=program_id)
    if status is not None:
        queryset = queryset.filter(status=status)
    return keyset_page(queryset, fields=("id",), descending=True, cursor=cursor, limit=limit)


def _claims(workspace: Workspace) -> QuerySet[Claim]:
    return Claim.objects.for_workspace(workspace).select_related(
        "reward", "customer", "gift_card", "credit_card"
    )


def list_claims(
    workspace: Workspace,
    customer_id: str,
    *,
    state: str | None,
    cursor: str | None,
    limit: int | None,
) -> tuple[list[Claim], str | None]:
    """A customer's claims, newest first."""
    queryset = _claims(workspace).filter(customer_id=customer_id_of(workspace, customer_id))
    if state is not None:
        queryset = queryset.filter(state=state)
    return keyset_page(queryset, fields=("id",), descending=True, cursor=cursor, limit=limit)


@dataclass(frozen=True)
class Wallet:
    customer_id: str
    vouchers: list[Voucher]
    gift_cards: list[GiftCard]
    store_credit: list[GiftCard]
    rewards: list[Claim]


def wallet(workspace: Workspace, customer_id: str) -> Wallet:
    """What the customer holds: voucher codes tied to them (or to a campaign of theirs),
    gift cards and store credit they own with their balances, and their claimed rewards:
    four queries whatever the size."""
    customer = one_or_none(
        Customer.objects.for_workspace(workspace).filter(external_id=customer_id)
    )
    if customer is None:
        raise CustomerNotFound(f"No customer {customer_id!r}.", field="customer_id")
    vouchers = list(
        Voucher.objects.for_workspace(workspace)
        .filter(Q(customer=customer) | Q(customer__isnull=True, campaign__customer=customer))
        .select_related("campaign")
        .order_by("-pk")[:WALLET_LIMIT]
    )
    cards = list(
        GiftCard.objects.for_workspace(workspace).filter(customer=customer).order_by("kind", "-pk")
    )
    claims = list(_claims(workspace).filter(customer=customer).order_by("-pk")[:WALLET_LIMIT])
    for claim in claims:
        claim.customer = customer
    for card in cards:
        card.customer = customer
    return Wallet(
        customer_id=customer.external_id,
        vouchers=vouchers,
        gift_cards=[card for card in cards if card.kind == GiftCardKind.GIFT_CARD][:WALLET_LIMIT],
        store_credit=[card for card in cards if card.kind == GiftCardKind.STORE_CREDIT][
            :WALLET_LIMIT
        ],
        rewards=claims,
    )
