"""Gift-card value paid for an order that a redemption recorded, given back when the order is
refunded (pro rata to the share of its total refunded so far) or cancelled (all that is still
out). Registered with the orders app as the participant `gift_cards`
(kizuna/orders/participants.py), so it runs in the refund's transaction. Points paid are
loyalty's to return (`kizuna/loyalty/services/returns.py`).

What a line gave back is kept on it (`returned`), moved in the database, so that refunds,
a cancellation and a rollback together never give back more than the line paid; each
movement is a `refund` entry on the card, once per source."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import F

from kizuna.core.models import Workspace
from kizuna.core.money import format_amount, round_amount
from kizuna.orders.participants import Effects
from kizuna.rewards.models import RedemptionLine
from kizuna.rewards.models.redemptions import LineState
from kizuna.rewards.redemption_locks import lock_redemptions
from kizuna.vouchers.services import balances
from kizuna.vouchers.services.balances import Source


def give(
    workspace: Workspace, line: RedemptionLine, amount: Decimal, source: Source, currency: str
) -> Decimal:
    """Give `amount` of the line's payment back to its card (no more than is still out)."""
    amount = round_amount(min(amount, line.amount - line.returned), currency)
    if amount <= 0:
        return Decimal(0)
    balances.refund_part(
        workspace, line.data["card_code"], amount, source, reason=f"Back from {source.type}"
    )
    RedemptionLine.objects.filter(pk=line.pk).update(returned=F("returned") + amount)
    line.returned += amount
    return amount


def return_rest(line: Any, source: Source) -> Decimal:
    """What the line's payment still has out, back to the card (a rollback or a release)."""
    redemption = line.redemption
    return give(
        redemption.workspace, line, line.amount - line.returned, source, redemption.currency
    )


def _paid_with_cards(order: Any) -> bool:
    return any(p.get("method") == "gift_card" for p in order.payments or [])


def _settle(order: Any, fraction: Decimal, source: Source) -> Effects:
    lines = list(
        RedemptionLine.objects.filter(
            type="gift_card",
            state=LineState.USED,
            redemption__workspace_id=order.workspace_id,
            redemption__order_id=order.external_id,
            redemption__order_recorded=True,
        ).order_by("pk")
    )
    if not lines:
        return []
    lock_redemptions({line.redemption_id for line in lines})
    effects = []
    for line in RedemptionLine.objects.filter(pk__in=[x.pk for x in lines]).order_by("pk"):
        currency = order.currency
        due = round_amount(line.amount * fraction, currency) - line.returned
        given = give(order.workspace, line, due, source, currency)
        effects.append(
            {
                "code": line.data["card_code"],
                "amount_returned": format_amount(given, currency),
                "currency": currency,
            }
        )
    return effects


class GiftCardPayments:
    name = "gift_cards"

    def order_paid(self, order: Any, items: Sequence[Any]) -> Effects:
        return []

    def order_cancelled(self, order: Any) -> Effects:
        if not _paid_with_cards(order):
            return []
        return _settle(order, Decimal(1), Source("order_cancel", str(order.pk)))

    def order_refunded(self, order: Any, refund: Any) -> Effects:
        if not _paid_with_cards(order) or not order.total:
            return []
        fraction = min(Decimal(1), Decimal(order.refunded_total) / Decimal(order.total))
        return _settle(order, fraction, Source("order_refund", str(refund.pk)))

    def order_effects(self, orders: Sequence[Any]) -> dict[int, Effects]:
        return {}

    def refund_effects(self, refunds: Sequence[Any]) -> dict[int, Effects]:
        return {}


PARTICIPANT = GiftCardPayments()
