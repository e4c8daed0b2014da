"""Reads of the vouchers app, always scoped by workspace."""

from django.db.models import QuerySet

from kizuna.core.models import Workspace
from kizuna.core.pagination import keyset_page
from kizuna.vouchers.models import Campaign, GiftCard, GiftCardEntry, Voucher


def list_campaigns(
    workspace: Workspace, *, cursor: str | None, limit: int | None
) -> tuple[list[Campaign], str | None]:
    queryset: QuerySet[Campaign] = Campaign.objects.for_workspace(workspace).select_related(
        "customer"
    )
    return keyset_page(queryset, fields=("id",), descending=True, cursor=cursor, limit=limit)


def list_vouchers(
    workspace: Workspace, campaign: Campaign, *, cursor: str | None, limit: int | None
) -> tuple[list[Voucher], str | None]:
    queryset: QuerySet[Voucher] = (
        Voucher.objects.for_workspace(workspace)
        .filter(campaign=campaign)
        .select_related("campaign", "campaign__customer", "customer")
    )
    return keyset_page(queryset, fields=("id",), descending=False, cursor=cursor, limit=limit)


def list_entries(
    workspace: Workspace, card: GiftCard, *, cursor: str | None, limit: int | None
) -> tuple[list[GiftCardEntry], str | None]:
    """A card's ledger, newest first."""
    queryset: QuerySet[GiftCardEntry] = GiftCardEntry.objects.for_workspace(workspace).filter(
        card=card
    )
    return keyset_page(queryset, fields=("id",), descending=True, cursor=cursor, limit=limit)
