from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "kizuna.rewards"
    label = "rewards"
    verbose_name = "Rewards and checkout redemption"

    def ready(self) -> None:
        # The catalog and its claims (docs/rewards.md).
        from kizuna.core.schedule import register_job
        from kizuna.orders import participants
        from kizuna.rewards import customer_data, redeemables
        from kizuna.rewards import events as _events  # noqa: F401  (declares the event types)
        from kizuna.rewards.services import cashback, catalog, claim_kind, claims

        redeemables.register(claim_kind.KIND)
        redeemables.register_points_rate(catalog.points_per_unit)
        participants.register(cashback.PARTICIPANT)
        customer_data.register()
        register_job(
            "claims_expiry", claims.expire_claims, "1h", "Marks claims past their time expired."
        )

        # The checkout (docs/checkout.md).
        from kizuna.rewards import (  # noqa: F401  (redemption_events declares the event types)
            jobs,
            redemption_events,
        )
        from kizuna.rewards.services import order_payments
        from kizuna.rewards.services.kinds import gift_cards, points, vouchers

        redeemables.register(vouchers.KIND)
        redeemables.register(points.KIND)
        redeemables.register(gift_cards.KIND)
        participants.register(order_payments.PARTICIPANT)
        jobs.register()
