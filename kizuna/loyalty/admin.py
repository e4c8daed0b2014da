from django.contrib import admin

from kizuna.loyalty.models import Account, EarningRule, Program


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin[Program]):
    list_display = ("key", "name", "workspace", "status", "currency")
    list_filter = ("status", "workspace")


@admin.register(EarningRule)
class EarningRuleAdmin(admin.ModelAdmin[EarningRule]):
    list_display = ("key", "name", "program", "status", "priority")
    list_filter = ("status",)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin[Account]):
    list_display = ("program", "customer", "active", "pending", "tier")
    raw_id_fields = ("customer",)
