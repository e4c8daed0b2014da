from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "kizuna.orders"
    label = "orders"
    verbose_name = "Orders and refunds"

    def ready(self) -> None:
        from kizuna.orders import events  # noqa: F401  (declares the event types)
        from kizuna.orders.services import customer_data

        customer_data.register()
