"""What the referrals app holds about a customer, as the customers app asks each app to say:
its part of the data export. An erasure clears nothing here: codes and referrals name no
personal data (the customers are rows whose profile the erasure empties)."""

from typing import Any

from django.db.models import Q

from kizuna.core.models import Workspace
from kizuna.customers.models import Customer
from kizuna.customers.selectors import DataExportSection, register_data_export_section
from kizuna.referrals.models import Referral, ReferralCode


def codes_of(workspace: Workspace, customer: Customer) -> list[Any]:
    return list(
        ReferralCode.objects.filter(workspace=workspace, customer=customer)
        .select_related("program", "customer")
        .order_by("created_at", "pk")
    )


def referrals_of(workspace: Workspace, customer: Customer) -> list[Any]:
    return list(
        Referral.objects.filter(workspace=workspace)
        .filter(Q(referrer=customer) | Q(referee=customer))
        .select_related("program", "code", "referrer", "referee")
        .order_by("attributed_at", "pk")
    )


def register() -> None:
    from kizuna.referrals.schemas import ReferralCodeOut, ReferralOut

    register_data_export_section(
        DataExportSection(
            name="referral_codes",
            description="The customer's referral codes, one per referral program, oldest first.",
            schema=ReferralCodeOut,
            collect=codes_of,
        )
    )
    register_data_export_section(
        DataExportSection(
            name="referrals",
            description="The referrals in which the customer is the referrer or the referee, "
            "rejected ones included, oldest first.",
            schema=ReferralOut,
            collect=referrals_of,
        )
    )
