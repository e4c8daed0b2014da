"""Row locks of the reward catalog (docs/concepts.md, Locking). A claim locks the customer's
loyalty account first (through kizuna.loyalty), then moves the reward's stock by conditional
UPDATE; a change of a reward or of a claim's fulfilment locks that one row."""

from kizuna.core.models import one_or_none
from kizuna.rewards.models import Claim, Reward


def lock_reward(pk: int) -> Reward | None:
    return one_or_none(
        Reward.objects.select_for_update(of=("self",)).filter(pk=pk).select_related("program")
    )


def lock_claim(pk: int) -> Claim | None:
    return one_or_none(
        Claim.objects.select_for_update(of=("self",))
        .filter(pk=pk)
        .select_related("reward", "reward__program", "customer", "gift_card")
    )
