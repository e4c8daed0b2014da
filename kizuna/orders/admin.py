from django.contrib import admin

from kizuna.orders.models import Order


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin[Order]):
    list_display = ("external_id", "customer", "status", "currency", "total", "occurred_at")
    list_filter = ("status", "channel", "workspace")
    search_fields = ("external_id",)
    raw_id_fields = ("customer",)
