from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "kizuna.rewards"
    label = "rewards"
    verbose_name = "Rewards and checkout redemption"

    def ready(self) -> None:
        from kizuna.orders import participants
        from kizuna.rewards import (  # noqa: F401  (redemption_events declares the event types)
            jobs,
            redeemables,
            redemption_events,
        )
        from kizuna.rewards.services import order_payments
        from kizuna.rewards.services.kinds import gift_cards, points, vouchers

        redeemables.register(vouchers.KIND)
        redeemables.register(points.KIND)
        redeemables.register(gift_cards.KIND)
        participants.register(order_payments.PARTICIPANT)
        jobs.register()
