from django.contrib import admin

from kizuna.core.models import OutboxEvent, Workspace


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin[Workspace]):
    list_display = ("slug", "name", "default_currency", "created_at")


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin[OutboxEvent]):
    list_display = ("type", "workspace", "occurred_at", "dispatched_at", "attempts")
    list_filter = ("type",)
