"""What the loyalty app holds about a customer, as the customers app asks each app to say:
its timeline kind, its part of the data export, and what an erasure clears."""

from datetime import datetime
from typing import Any

from kizuna.core.models import Workspace
from kizuna.customers.models import Customer
from kizuna.customers.selectors import DataExportSection, register_data_export_section
from kizuna.customers.services import erasure, timeline
from kizuna.loyalty.models import Account, EntryType, LedgerEntry


def erase_loyalty(customer: Customer, erased_at: datetime) -> None:
    """Points stay (they are a liability of the business, like orders); what staff wrote by
    hand about the person (adjustment reasons) goes."""
    LedgerEntry.objects.filter(account__customer=customer, type=EntryType.ADJUST).update(reason="")


def accounts_of(workspace: Workspace, customer: Customer) -> list[Any]:
    accounts = Account.objects.filter(workspace=workspace, customer=customer).select_related(
        "program", "tier"
    )
    out = []
    for account in accounts.order_by("pk"):
        entries = LedgerEntry.objects.filter(account=account).order_by("created_at", "pk")
        setattr(account, "transactions", list(entries))  # noqa: B010  (presented, not stored)
        out.append(account)
    return out


def register() -> None:
    from kizuna.loyalty.schemas import LoyaltyExportOut

    timeline.register_kind(
        "points",
        "A movement of loyalty points (summary: program_id, type, points, balance, reason).",
        personal_keys=("reason",),
    )
    erasure.register_scrubber(erase_loyalty)
    register_data_export_section(
        DataExportSection(
            name="loyalty",
            description="Every loyalty account with its balances and its whole ledger, "
            "oldest first.",
            schema=LoyaltyExportOut,
            collect=accounts_of,
        )
    )
