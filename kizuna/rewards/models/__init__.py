"""The rewards app's tables: the catalog and its claims (`catalog`), redemptions at a
checkout and the stacking rules (`redemptions`)."""

from kizuna.rewards.models.catalog import (
    CARD_TYPES,
    CODE_TYPES,
    Claim,
    ClaimCount,
    ClaimState,
    Reward,
    RewardStatus,
    RewardType,
)
from kizuna.rewards.models.redemptions import Redemption, RedemptionLine, StackingRules

__all__ = [
    "CARD_TYPES",
    "CODE_TYPES",
    "Claim",
    "ClaimCount",
    "ClaimState",
    "Redemption",
    "RedemptionLine",
    "Reward",
    "RewardStatus",
    "RewardType",
    "StackingRules",
]
