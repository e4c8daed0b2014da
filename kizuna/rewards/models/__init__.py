"""The rewards app's tables: the catalog and its claims (`catalog`)."""

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

__all__ = [
    "CARD_TYPES",
    "CODE_TYPES",
    "Claim",
    "ClaimCount",
    "ClaimState",
    "Reward",
    "RewardStatus",
    "RewardType",
]
