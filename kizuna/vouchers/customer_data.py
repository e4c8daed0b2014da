"""What the vouchers app holds about a customer, as the customers app asks each app to say:
its part of the data export, and what an erasure clears."""

from datetime import datetime
from typing import Any

from django.db.models import Q

from kizuna.core.models import Workspace
from kizuna.customers.models import Customer
from kizuna.customers.selectors import DataExportSection, register_data_export_section
from kizuna.customers.services import erasure
from kizuna.vouchers.models import EntryType, GiftCard, GiftCardEntry, Voucher


def erase_vouchers(customer: Customer, erased_at: datetime) -> None:
    """Balances and codes stay (value the business owes, like points); what staff wrote by
    hand about the person (adjustment reasons) goes."""
    GiftCardEntry.objects.filter(card__customer=customer, type=EntryType.ADJUST).update(reason="")


def cards_of(workspace: Workspace, customer: Customer) -> list[Any]:
    out = []
    cards = GiftCard.objects.filter(workspace=workspace, customer=customer)
    for card in cards.select_related("customer").order_by("created_at", "pk"):
        entries = GiftCardEntry.objects.filter(card=card).order_by("occurred_at", "pk")
        setattr(card, "transactions", list(entries))  # noqa: B010  (presented, not stored)
        out.append(card)
    return out


def vouchers_of(workspace: Workspace, customer: Customer) -> list[Any]:
    return list(
        Voucher.objects.filter(workspace=workspace)
        .filter(Q(customer=customer) | Q(customer__isnull=True, campaign__customer=customer))
        .select_related("campaign")
        .order_by("created_at", "pk")
    )


def register() -> None:
    from kizuna.vouchers.schemas import GiftCardExportOut, VoucherExportOut

    erasure.register_scrubber(erase_vouchers)
    register_data_export_section(
        DataExportSection(
            name="gift_cards",
            description="The customer's gift cards and store credit, each with its whole "
            "ledger, oldest first.",
            schema=GiftCardExportOut,
            collect=cards_of,
        )
    )
    register_data_export_section(
        DataExportSection(
            name="vouchers",
            description="The voucher codes that belong to the customer, oldest first.",
            schema=VoucherExportOut,
            collect=vouchers_of,
        )
    )
