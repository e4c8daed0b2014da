from django.contrib import admin

from kizuna.accounts.models import ApiKey, Membership, StaffUser


@admin.register(StaffUser)
class StaffUserAdmin(admin.ModelAdmin[StaffUser]):
    list_display = ("email", "full_name", "is_active", "is_staff", "date_joined")
    search_fields = ("email", "full_name")
    exclude = ("password",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ("user", "workspace", "role")
    list_filter = ("role",)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    list_display = ("prefix", "workspace", "kind", "name", "created_at", "last_used_at")
    readonly_fields = ("key_hash", "prefix")
