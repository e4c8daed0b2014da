from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "kizuna.orders"
    label = "orders"
    verbose_name = "Orders and refunds"

    def ready(self) -> None:
        from kizuna.orders import (
            conditions,
            customer_data,
            events,  # noqa: F401  (declares the event types)
        )

        customer_data.register()
        conditions.register()
