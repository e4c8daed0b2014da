from kizuna.rewards.models.redemptions import Redemption, RedemptionLine, StackingRules  # noqa: F401
