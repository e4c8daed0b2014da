"""Row locks of the checkout (docs/concepts.md, Locking): redemptions in primary-key order.
A redemption is locked before its lines' kinds lock what they touch (voucher rows by
conditional UPDATE, loyalty accounts, gift cards), so confirm, release, rollback and a
refund of its order never act on it twice at once."""

from collections.abc import Iterable

from kizuna.core.models import Workspace, one_or_none
from kizuna.rewards.models import Redemption, StackingRules


def lock_redemption(workspace: Workspace, public_id: str) -> Redemption | None:
    return one_or_none(
        Redemption.objects.for_workspace(workspace)
        .select_for_update(of=("self",))
        .filter(public_id=public_id)
        .select_related("customer")
    )


def lock_redemptions(pks: Iterable[int]) -> list[Redemption]:
    return list(
        Redemption.objects.select_for_update(of=("self",)).filter(pk__in=set(pks)).order_by("pk")
    )


def lock_stacking_rules(workspace: Workspace) -> StackingRules | None:
    return one_or_none(StackingRules.objects.for_workspace(workspace).select_for_update())
