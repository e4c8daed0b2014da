from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "kizuna.customers"
    label = "customers"
    verbose_name = "Customers and events"

    def ready(self) -> None:
        from kizuna.core.imports.kinds import register_import_kind
        from kizuna.customers import (
            conditions,
            events,  # noqa: F401  (declares the event types)
            jobs,
        )
        from kizuna.customers.imports import events as event_imports

        conditions.register()
        jobs.register()
        register_import_kind(event_imports.KIND)
