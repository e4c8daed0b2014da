"""The fulfilment of material rewards (docs/rewards.md, Fulfilment): a claim is `ordered`,
then `shipped`, then `delivered`; before delivery it may be `cancelled`, which gives the
points back through the loyalty ledger (to the lots they came from), the unit back to the
stock and the claim back to the customer's per-period limits, once however often it is
asked. Asking for the state a claim is in already changes nothing (a retry)."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import F

from kizuna.core import audit
from kizuna.core import events as outbox
from kizuna.core.audit import Actor
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace
from kizuna.loyalty.locks import lock_account
from kizuna.loyalty.models import EntryType, LotAllocation
from kizuna.loyalty.services import ledger
from kizuna.rewards.errors import ClaimNotFound, InvalidTransition, NotAMaterialClaim
from kizuna.rewards.events import FulfilmentChanged
from kizuna.rewards.locks import lock_claim
from kizuna.rewards.models import Claim, ClaimCount, ClaimState, RewardType
from kizuna.rewards.models.catalog import TRACKING_MAX_LENGTH
from kizuna.rewards.services.claims import SOURCE_TYPE, get_claim, return_stock

STATUSES = (ClaimState.SHIPPED, ClaimState.DELIVERED, ClaimState.CANCELLED)
NEXT: dict[str, frozenset[str]] = {
    ClaimState.ORDERED: frozenset({ClaimState.SHIPPED, ClaimState.CANCELLED}),
    ClaimState.SHIPPED: frozenset({ClaimState.DELIVERED, ClaimState.CANCELLED}),
    ClaimState.DELIVERED: frozenset(),
    ClaimState.CANCELLED: frozenset(),
}
STAMPS: dict[str, str] = {
    ClaimState.SHIPPED: "shipped_at",
    ClaimState.DELIVERED: "delivered_at",
    ClaimState.CANCELLED: "cancelled_at",
}


def check_fulfilment(data: Mapping[str, Any]) -> tuple[str, str | None, str]:
    status = data.get("status")
    if status not in STATUSES:
        raise ValidationFailed(
            "status is shipped, delivered or cancelled.", code="invalid_status", field="status"
        )
    tracking = data.get("tracking")
    if tracking is not None and (
        not isinstance(tracking, str) or len(tracking) > TRACKING_MAX_LENGTH
    ):
        raise ValidationFailed(
            f"tracking is text of at most {TRACKING_MAX_LENGTH} characters.",
            code="invalid_tracking",
            field="tracking",
        )
    reason = data.get("reason") or ""
    if not isinstance(reason, str) or len(reason) > 500:
        raise ValidationFailed(
            "reason is text of at most 500 characters.", code="invalid_reason", field="reason"
        )
    return status, tracking.strip() if tracking else tracking, reason.strip()


def _give_points_back(claim: Claim, account: Any) -> int:
    """Return the claim's points to the lots the spend took them from (a `rollback`)."""
    if claim.spend_entry_id is None:
        return 0
    allocations = [
        (allocation.lot, allocation.points)
        for allocation in LotAllocation.objects.filter(entry_id=claim.spend_entry_id)
        .select_related("lot")
        .order_by("pk")
    ]
    entry = ledger.give_back(
        account,
        EntryType.ROLLBACK,
        allocations,
        reason=f"reward {claim.reward.key} cancelled",
        source=ledger.Source(SOURCE_TYPE, claim.public_id),
    )
    return entry.points if entry is not None else 0


def _uncount(claim: Claim) -> None:
    for period, key in claim.counted or []:
        ClaimCount.objects.filter(
            reward_id=claim.reward_id,
            customer_id=claim.customer_id,
            period=period,
            period_key=key,
            count__gt=0,
        ).update(count=F("count") - 1)


def change_fulfilment(
    workspace: Workspace, public_id: str, data: Mapping[str, Any], actor: Actor
) -> Claim:
    status, tracking, reason = check_fulfilment(data)
    with transaction.atomic(savepoint=False):
        found = get_claim(workspace, public_id)
        if found.type != RewardType.MATERIAL:
            raise NotAMaterialClaim(
                "Only a material reward's claim has a fulfilment.", field="claim_id"
            )
        # The account first, as a claim locks it (docs/concepts.md, Locking), then the claim.
        account = None
        if found.points_spent:
            account = lock_account(found.reward.program, found.customer_id)
        claim = lock_claim(found.pk)
        if claim is None:
            raise ClaimNotFound(f"No claim {public_id!r}.", field="claim_id")
        if claim.state == status and (tracking is None or tracking == claim.tracking):
            return claim
        if claim.state != status and status not in NEXT[claim.state]:
            raise InvalidTransition(
                f"A claim {claim.state} cannot become {status}.", field="status"
            )
        before = {"status": claim.state, "tracking": claim.tracking}
        moment = now()
        returned = 0
        if claim.state != status:
            if status == ClaimState.CANCELLED:
                if account is not None:
                    returned = _give_points_back(claim, account)
                return_stock(claim.reward)
                _uncount(claim)
                claim.points_returned = returned
            setattr(claim, STAMPS[status], moment)
            claim.state = status
        if tracking is not None:
            claim.tracking = tracking
        claim.updated_at = moment
        claim.save()
        audit.record(
            workspace,
            actor,
            "reward_claim.fulfilment_changed",
            "reward_claim",
            claim.public_id,
            before=before,
            after={"status": claim.state, "tracking": claim.tracking, "points_returned": returned},
            reason=reason,
        )
        outbox.emit(
            workspace,
            FulfilmentChanged(
                claim_id=claim.public_id,
                reward_id=claim.reward.key,
                customer_id=claim.customer.external_id,
                status=claim.state,
                points_returned=returned,
            ),
        )
    return claim
