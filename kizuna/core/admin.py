from django.contrib import admin

from kizuna.core.models import OutboxEvent, Workspace


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin[Workspace]):
    list_display = ("slug", "name", "default_currency", "created_at")
    fieldsets = (
        (None, {"fields": ("slug", "name", "default_currency", "default_locale", "timezone")}),
        ("Branding of survey pages", {"fields": ("brand_logo_url", "brand_color")}),
    )


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin[OutboxEvent]):
    list_display = ("type", "workspace", "occurred_at", "dispatched_at", "attempts")
    list_filter = ("type",)
