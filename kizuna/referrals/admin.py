"""Operators look at referral programs, codes and referrals here; they change them only
through the API and the services, which check every change."""

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from kizuna.referrals.models import Referral, ReferralCode, ReferralProgram


class ReadOnlyAdmin[M: Model](admin.ModelAdmin[M]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReferralProgram)
class ReferralProgramAdmin(ReadOnlyAdmin[ReferralProgram]):
    list_display = ("key", "name", "status", "attribution", "workspace")
    list_filter = ("status", "workspace")


@admin.register(ReferralCode)
class ReferralCodeAdmin(ReadOnlyAdmin[ReferralCode]):
    list_display = ("code", "program", "customer", "created_at")
    search_fields = ("code",)


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin[Referral]):
    list_display = ("pk", "program", "referrer", "referee", "status", "reason", "attributed_at")
    list_filter = ("status", "reason", "channel")
