from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "kizuna.orders"
    label = "orders"
    verbose_name = "Orders and refunds"

    def ready(self) -> None:
        from kizuna.customers.conditions import register_fact_provider
        from kizuna.orders import (
            conditions,
            customer_data,
            events,  # noqa: F401  (declares the event types)
        )

        customer_data.register()
        conditions.register()
        register_fact_provider(conditions.customer_order_facts)
