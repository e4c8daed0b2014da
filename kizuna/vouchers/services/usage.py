"""Uses of voucher codes, for redemptions (docs/vouchers.md, Usage): every counter moves by
a conditional UPDATE in the database, never read-modify-write, so concurrent redemptions can
never use a code more often than its limit (`max_uses`) nor a customer a campaign more often
than `per_customer`. A hold reserves a use (a redemption with `reserve_for`) until it is
confirmed or released; holds count against the limits like uses.

Call these inside the redemption's transaction: a refused use raises and leaves nothing
changed (its own savepoint)."""

from typing import Any

from django.db import transaction
from django.db.models import F, Q

from kizuna.core.upsert import insert_once
from kizuna.vouchers.errors import CustomerLimitReached, VoucherUsedUp
from kizuna.vouchers.models import CampaignCustomerUse, Voucher


def _room(limit: int | None = None) -> Q:
    """Rows with a use to spare: uses + held below the row's (or the given) limit."""
    if limit is None:
        return Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses") - F("held"))
    return Q(uses__lt=limit - F("held"))


def _take(voucher: Voucher, customer_id: int | None, field: str) -> None:
    with transaction.atomic():
        taken = Voucher.objects.filter(_room(), pk=voucher.pk).update(**{field: F(field) + 1})
        if not taken:
            raise VoucherUsedUp("The code has no use left.", field="code")
        limit = voucher.campaign.per_customer
        if customer_id is None or limit is None:
            return
        insert_once(
            CampaignCustomerUse(
                workspace_id=voucher.workspace_id,
                campaign_id=voucher.campaign_id,
                customer_id=customer_id,
            ),
            campaign_id=voucher.campaign_id,
            customer_id=customer_id,
        )
        taken = CampaignCustomerUse.objects.filter(
            _room(limit), campaign_id=voucher.campaign_id, customer_id=customer_id
        ).update(**{field: F(field) + 1})
        if not taken:
            raise CustomerLimitReached(
                f"The customer has used this campaign's codes {limit} time(s), its limit.",
                field="customer_id",
            )


def use(voucher: Voucher, customer_id: int | None) -> None:
    """Count one use of the code (and of its campaign by the customer), or refuse it (422
    `voucher_used_up`, `customer_limit_reached`)."""
    _take(voucher, customer_id, "uses")


def hold(voucher: Voucher, customer_id: int | None) -> None:
    """Reserve one use, as `use` checks it."""
    _take(voucher, customer_id, "held")


def _move(voucher: Voucher, customer_id: int | None, changes: dict[str, Any], since: str) -> bool:
    with transaction.atomic():
        moved = Voucher.objects.filter(pk=voucher.pk, **{f"{since}__gt": 0}).update(**changes)
        if moved and customer_id is not None and voucher.campaign.per_customer is not None:
            CampaignCustomerUse.objects.filter(
                campaign_id=voucher.campaign_id, customer_id=customer_id, **{f"{since}__gt": 0}
            ).update(**changes)
        return bool(moved)


def confirm_hold(voucher: Voucher, customer_id: int | None) -> bool:
    """A held use becomes a use; False when nothing was held."""
    return _move(voucher, customer_id, {"held": F("held") - 1, "uses": F("uses") + 1}, "held")


def release_hold(voucher: Voucher, customer_id: int | None) -> bool:
    return _move(voucher, customer_id, {"held": F("held") - 1}, "held")


def give_back(voucher: Voucher, customer_id: int | None) -> bool:
    """Undo one use (a rolled-back redemption); False when the code had none."""
    return _move(voucher, customer_id, {"uses": F("uses") - 1}, "uses")
