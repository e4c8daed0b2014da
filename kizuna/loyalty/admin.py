"""Operators look at loyalty objects here; they change them only through the API and the
services, which check every change, audit it and keep the ledger and its cached balances
together."""

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from kizuna.loyalty.models import Account, EarningRule, Program


class ReadOnlyAdmin[M: Model](admin.ModelAdmin[M]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Program)
class ProgramAdmin(ReadOnlyAdmin[Program]):
    list_display = ("key", "name", "workspace", "status", "currency")
    list_filter = ("status", "workspace")


@admin.register(EarningRule)
class EarningRuleAdmin(ReadOnlyAdmin[EarningRule]):
    list_display = ("key", "name", "program", "status", "priority")
    list_filter = ("status",)


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin[Account]):
    list_display = ("program", "customer", "active", "pending", "tier")
    raw_id_fields = ("customer",)
