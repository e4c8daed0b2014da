"""What the workspace owes on gift cards and store credit at a moment, computed from the
ledger alone (docs/vouchers.md, Liability): per currency and kind, the outstanding balance
(every entry before the moment, summed) and the movements that make it up (issued, topped
up, spent, refunded, expired, adjusted), since a start when one is given."""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from kizuna.core.models import Workspace
from kizuna.core.money import format_amount
from kizuna.vouchers.models import EntryType, GiftCardEntry

MOVEMENTS = {
    EntryType.ISSUE: "issued",
    EntryType.TOP_UP: "topped_up",
    EntryType.SPEND: "spent",
    EntryType.REFUND: "refunded",
    EntryType.EXPIRE: "expired",
    EntryType.ADJUST: "adjusted",
}


def liability(
    workspace: Workspace, at: datetime, since: datetime | None = None
) -> list[dict[str, Any]]:
    entries = GiftCardEntry.objects.for_workspace(workspace).filter(occurred_at__lt=at)
    rows = entries.values("currency", "card__kind", "type").annotate(
        total=Sum("amount"), cards=Count("card", distinct=True)
    )
    moved: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
    if since is not None:
        for row in (
            entries.filter(occurred_at__gte=since)
            .values("currency", "card__kind", "type")
            .annotate(total=Sum("amount"))
        ):
            moved[(row["currency"], row["card__kind"])][row["type"]] = row["total"]
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["currency"], row["card__kind"])
        group = groups.setdefault(key, {"outstanding": Decimal(0), "types": {}, "cards": 0})
        group["outstanding"] += row["total"]
        group["types"][row["type"]] = row["total"]
        if row["type"] == EntryType.ISSUE:
            group["cards"] = row["cards"]
    out = []
    for (currency, kind), group in sorted(groups.items()):
        totals = moved[(currency, kind)] if since is not None else group["types"]
        out.append(
            {
                "currency": currency,
                "kind": kind,
                "outstanding": format_amount(group["outstanding"], currency),
                "cards_issued": group["cards"],
                "movements": {
                    name: format_amount(abs(totals.get(type, Decimal(0))), currency)
                    for type, name in MOVEMENTS.items()
                    if type != EntryType.ADJUST
                }
                | {"adjusted": format_amount(totals.get(EntryType.ADJUST, Decimal(0)), currency)},
            }
        )
    return out
