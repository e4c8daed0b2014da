from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "kizuna.loyalty"
    label = "loyalty"
    verbose_name = "Loyalty"

    def ready(self) -> None:
        from kizuna.customers.conditions import register_fact_provider
        from kizuna.loyalty import conditions, customer_data, events, participation  # noqa: F401

        customer_data.register()
        participation.register()
        conditions.register()
        register_fact_provider(conditions.loyalty_facts)
