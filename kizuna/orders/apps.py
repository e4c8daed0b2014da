from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "kizuna.orders"
    label = "orders"
    verbose_name = "Orders and refunds"

    def ready(self) -> None:
        from kizuna.core.imports.kinds import register_import_kind
        from kizuna.customers.conditions import register_fact_provider
        from kizuna.orders import (
            conditions,
            customer_data,
            events,  # noqa: F401  (declares the event types)
            imports,
        )

        customer_data.register()
        register_import_kind(imports.KIND)
        conditions.register()
        register_fact_provider(conditions.customer_order_facts)
