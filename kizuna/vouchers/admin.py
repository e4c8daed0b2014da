"""Operators look at campaigns, codes and gift cards here; they change them only through
the API and the services, which check every change and keep each card's balance and ledger
together."""

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from kizuna.vouchers.models import Campaign, GiftCard, GiftCardEntry, Voucher


class ReadOnlyAdmin[M: Model](admin.ModelAdmin[M]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin[Campaign]):
    list_display = ("key", "name", "workspace", "status", "valid_from", "valid_until")
    list_filter = ("status", "workspace")


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin[Voucher]):
    list_display = ("code", "campaign", "uses", "held", "max_uses", "source")
    search_fields = ("code",)


@admin.register(GiftCard)
class GiftCardAdmin(ReadOnlyAdmin[GiftCard]):
    list_display = ("code", "kind", "currency", "balance", "status", "expires_at", "workspace")
    list_filter = ("kind", "status", "currency")
    search_fields = ("code",)


@admin.register(GiftCardEntry)
class GiftCardEntryAdmin(ReadOnlyAdmin[GiftCardEntry]):
    list_display = ("card", "type", "amount", "currency", "balance_after", "occurred_at")
    list_filter = ("type", "currency")
