from django.contrib import admin

from kizuna.customers.models import Customer, CustomEvent


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin[Customer]):
    list_display = ("external_id", "email", "first_name", "last_name", "workspace", "created_at")
    search_fields = ("external_id", "email", "first_name", "last_name")
    list_filter = ("workspace",)


@admin.register(CustomEvent)
class CustomEventAdmin(admin.ModelAdmin[CustomEvent]):
    list_display = ("client_id", "name", "customer", "occurred_at")
    list_filter = ("name", "workspace")
    raw_id_fields = ("customer",)
