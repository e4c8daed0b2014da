from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "kizuna.orders"
    label = "orders"
    verbose_name = "Orders and refunds"

    def ready(self) -> None:
        from kizuna.core.imports.kinds import register_import_kind
        from kizuna.orders import (
            conditions,
            customer_data,
            events,  # noqa: F401  (declares the event types)
            imports,
        )

        customer_data.register()
        register_import_kind(imports.KIND)
        conditions.register()
