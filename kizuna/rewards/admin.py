"""Operators look at the reward catalog and its claims here; they change them only through
the API and the services, which check every change and keep points and stock together."""

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from kizuna.rewards.models import Claim, Reward


class ReadOnlyAdmin[M: Model](admin.ModelAdmin[M]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Reward)
class RewardAdmin(ReadOnlyAdmin[Reward]):
    list_display = ("key", "type", "program", "cost_points", "stock", "claimed", "status")
    list_filter = ("type", "status", "workspace")
    search_fields = ("key",)


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin[Claim]):
    list_display = ("public_id", "reward", "customer", "type", "state", "points_spent")
    list_filter = ("type", "state")
    search_fields = ("public_id", "code")
