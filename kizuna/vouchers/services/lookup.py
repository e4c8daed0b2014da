"""Looking a code up (docs/vouchers.md, Lookups): its state for a server key; for a
publishable key, only whether the visitor may use it, with one answer (404 `not_valid`)
for every code it may not use, so that nothing about other codes can be learnt."""

from dataclasses import dataclass
from datetime import datetime

from kizuna.core.clock import now
from kizuna.core.models import Workspace, one_or_none
from kizuna.customers.models import Customer
from kizuna.vouchers.errors import NotValid, VoucherNotFound
from kizuna.vouchers.models import Campaign, CampaignStatus, Voucher
from kizuna.vouchers.services import codes
from kizuna.vouchers.services.campaigns import window_state

ACTIVE = "active"


@dataclass(frozen=True)
class Found:
    voucher: Voucher
    campaign: Campaign
    # active, inactive (campaign paused), not_started, expired or used_up.
    status: str
    owner: Customer | None

    @property
    def uses_left(self) -> int | None:
        if self.voucher.max_uses is None:
            return None
        return max(0, self.voucher.max_uses - self.voucher.uses - self.voucher.held)


def find_voucher(workspace: Workspace, code: str) -> Voucher | None:
    """The workspace's voucher with this code, compared case-insensitively (None if no code
    could be spelled so)."""
    if not codes.is_code(code):
        return None
    return one_or_none(
        Voucher.objects.for_workspace(workspace)
        .filter(code=codes.normalize(code))
        .select_related("campaign", "campaign__customer", "customer")
    )


def status_of(voucher: Voucher, at: datetime) -> str:
    campaign = voucher.campaign
    if campaign.status != CampaignStatus.ACTIVE:
        return "inactive"
    window = window_state(campaign, at)
    if window is not None:
        return window
    if voucher.max_uses is not None and voucher.uses + voucher.held >= voucher.max_uses:
        return "used_up"
    return ACTIVE


def found(voucher: Voucher, at: datetime | None = None) -> Found:
    owner = voucher.customer or voucher.campaign.customer
    return Found(voucher, voucher.campaign, status_of(voucher, at or now()), owner)


def lookup(
    workspace: Workspace,
    code: str,
    *,
    publishable: bool,
    customer_id: str | None = None,
    at: datetime | None = None,
) -> Found:
    voucher = find_voucher(workspace, code)
    if voucher is None:
        if publishable:
            raise NotValid()
        raise VoucherNotFound(f"No voucher {codes.normalize(code)!r}.", field="code")
    result = found(voucher, at)
    owner = result.owner
    if publishable and (
        result.status != ACTIVE or (owner is not None and owner.external_id != customer_id)
    ):
        raise NotValid()
    return result
