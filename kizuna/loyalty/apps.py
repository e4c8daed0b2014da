from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "kizuna.loyalty"
    label = "loyalty"
    verbose_name = "Loyalty"

    def ready(self) -> None:
        from kizuna.loyalty import customer_data, events, participation  # noqa: F401

        customer_data.register()
        participation.register()
