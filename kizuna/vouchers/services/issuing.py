"""Issuing one code of a campaign to one customer (a referral's reward): drawn from the
campaign's code spec and tied to the customer. The caller runs it inside its own
transaction."""

from django.db import transaction

from kizuna.core.upsert import insert_once
from kizuna.customers.models import Customer
from kizuna.vouchers.errors import CodeSpaceTooSmall
from kizuna.vouchers.models import Campaign, Voucher, VoucherSource
from kizuna.vouchers.services import codes

# Draws before giving up: with the space at least SPACE_FACTOR times the codes, a draw
# collides with a stored code rarely, and eight in a row almost never.
MAX_DRAWS = 8


def issue_code(campaign: Campaign, customer: Customer) -> Voucher:
    """A new code of the campaign for the customer, with the campaign's per-code limit."""
    spec = codes.check_spec(campaign.code_spec)
    with transaction.atomic(savepoint=False):
        for _ in range(MAX_DRAWS):
            (code,) = codes.draw(spec, 1)
            voucher, created = insert_once(
                Voucher(
                    workspace_id=campaign.workspace_id,
                    campaign=campaign,
                    code=code,
                    customer=customer,
                    max_uses=campaign.per_code,
                    source=VoucherSource.GENERATED,
                ),
                workspace_id=campaign.workspace_id,
                code=code,
            )
            if created:
                return voucher
    raise CodeSpaceTooSmall(
        f"Campaign {campaign.key!r} has no free code left to issue; use a longer length or "
        "pattern.",
        field="campaign_id",
    )
