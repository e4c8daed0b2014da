"""What the reward catalog holds about a customer, as the customers app asks each app to
say: its part of the data export (the customer's claims). Claims keep no personal text, so
an erasure leaves them: they are the record of points spent, like the ledger."""

from typing import Any

from kizuna.core.models import Workspace
from kizuna.customers.models import Customer
from kizuna.customers.selectors import DataExportSection, register_data_export_section
from kizuna.rewards.models import Claim


def claims_of(workspace: Workspace, customer: Customer) -> list[Any]:
    claims = list(
        Claim.objects.filter(workspace=workspace, customer=customer)
        .select_related("reward", "gift_card", "credit_card")
        .order_by("created_at", "pk")
    )
    for claim in claims:
        claim.customer = customer
    return claims


def register() -> None:
    from kizuna.rewards.schemas.catalog import ClaimOut

    register_data_export_section(
        DataExportSection(
            name="reward_claims",
            description="The rewards the customer claimed or was granted, with what each "
            "issued and its state, oldest first.",
            schema=ClaimOut,
            collect=claims_of,
        )
    )
