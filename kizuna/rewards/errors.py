"""Errors of the reward catalog and its claims: each a status and a stable code
(docs/rewards.md, Error codes)."""

from kizuna.core.errors import Conflict, NotFound, ValidationFailed


class RewardNotFound(NotFound):
    code = "reward_not_found"


class RewardExists(Conflict):
    code = "reward_exists"


class ClaimNotFound(NotFound):
    code = "claim_not_found"


class RewardNotAvailable(ValidationFailed):
    """The reward is not active (inactive or draft)."""

    code = "reward_not_available"


class RewardNotStarted(ValidationFailed):
    code = "reward_not_started"


class RewardEnded(ValidationFailed):
    code = "reward_ended"


class RewardNotClaimable(ValidationFailed):
    """A pay-with-points reward sets a rate for checkout; it is not claimed."""

    code = "reward_not_claimable"


class TierNotEligible(ValidationFailed):
    code = "tier_not_eligible"


class ConditionsNotMet(ValidationFailed):
    code = "conditions_not_met"


class OutOfStock(ValidationFailed):
    code = "out_of_stock"


class ClaimLimitReached(ValidationFailed):
    code = "claim_limit_reached"


class NotAMaterialClaim(ValidationFailed):
    code = "not_a_material_claim"


class InvalidTransition(Conflict):
    code = "invalid_fulfilment_transition"
