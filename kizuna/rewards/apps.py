from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "kizuna.rewards"
    label = "rewards"
    verbose_name = "Rewards and checkout redemption"

    def ready(self) -> None:
        pass
