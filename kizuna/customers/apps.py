from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "kizuna.customers"
    label = "customers"
    verbose_name = "Customers and events"

    def ready(self) -> None:
        from kizuna.customers import (
            events,  # noqa: F401  (declares the event types)
            jobs,
        )

        jobs.register()
