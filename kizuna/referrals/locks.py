"""Row locks of the referrals app (docs/concepts.md, Locking). An attribution locks the
referrer's code row before it counts the referrer's referrals against the program's caps,
so that two attributions to one referrer are decided one after the other."""

from kizuna.core.models import one_or_none
from kizuna.referrals.models import ReferralCode, ReferralProgram


def lock_program(workspace_id: int, key: str) -> ReferralProgram | None:
    return one_or_none(
        ReferralProgram.objects.select_for_update(of=("self",))
        .filter(workspace_id=workspace_id, key=key)
        .select_related("loyalty_program")
    )


def lock_code(pk: int) -> ReferralCode | None:
    return one_or_none(ReferralCode.objects.select_for_update().filter(pk=pk))
