from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "kizuna.loyalty"
    label = "loyalty"
    verbose_name = "Loyalty"

    def ready(self) -> None:
        from kizuna.customers.conditions import register_fact_provider
        from kizuna.loyalty import (  # noqa: F401  (events declares the event types)
            conditions,
            customer_data,
            events,
            jobs,
            participation,
        )

        customer_data.register()
        jobs.register()
        participation.register()
        conditions.register()
        register_fact_provider(conditions.loyalty_facts)
