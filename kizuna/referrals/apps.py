from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "kizuna.referrals"
    label = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        from kizuna.referrals import (  # noqa: F401  (events declares the event types)
            customer_data,
            events,
            participation,
        )

        participation.register()
        customer_data.register()
