"""Cashback, credited when the order it was used on is paid (docs/rewards.md, Cashback): an
orders participant named "cashback" (kizuna/orders/participants.py), so it runs inside the
order's transaction. A used cashback claim that names the order (the checkout stored the
order's external id on it) becomes store credit of the customer: a fixed amount, or a
percent of the order's total capped by `max_discount`. A refund reverses the credit pro rata,
a cancellation all of it, never taking the store credit below zero. One query per order
event when no claim names the order."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import F

from kizuna.core import audit
from kizuna.core import events as outbox
from kizuna.core.clock import now
from kizuna.core.money import format_amount, round_amount
from kizuna.rewards.events import CashbackCredited
from kizuna.rewards.models import Claim, ClaimState, RewardType
from kizuna.vouchers.models import EntryType
from kizuna.vouchers.services import balances, gift_cards

Effects = list[dict[str, Any]]


def cashback_amount(effect: dict[str, Any], order: Any) -> Decimal:
    """What a cashback claim credits for the order, in the order's currency (0 when its
    amount is in another currency)."""
    currency = order.currency
    if "amount" in effect:
        if effect.get("currency") != currency:
            return Decimal(0)
        return Decimal(effect["amount"])
    if effect.get("currency") not in (None, currency):
        return Decimal(0)
    amount = round_amount(Decimal(order.total) * Decimal(effect["percent"]) / 100, currency)
    if "max_discount" in effect:
        amount = min(amount, Decimal(effect["max_discount"]))
    return max(amount, Decimal(0))


def _claims(order: Any) -> list[Claim]:
    return list(
        Claim.objects.filter(
            workspace_id=order.workspace_id,
            order_external_id=order.external_id,
            type=RewardType.CASHBACK,
            state=ClaimState.USED,
        )
        .select_related("customer", "credit_card")
        .order_by("pk")
    )


def credit(order: Any) -> Effects:
    effects: Effects = []
    for claim in _claims(order):
        if claim.credit_card_id is not None:
            continue
        amount = cashback_amount(claim.effect, order)
        if amount <= 0:
            continue
        card = gift_cards.issue(
            order.workspace,
            {
                "kind": "store_credit",
                "amount": amount,
                "currency": order.currency,
                "customer_id": claim.customer.external_id,
                "reason": f"cashback of claim {claim.public_id} on order {order.external_id}",
            },
            audit.SYSTEM,
        )
        moved = Claim.objects.filter(pk=claim.pk, credit_card__isnull=True).update(
            credit_card=card, credited=amount, credit_currency=order.currency, updated_at=now()
        )
        if not moved:  # pragma: no cover - the order's lock orders its writers
            raise RuntimeError("A cashback was credited twice.")
        text = format_amount(amount, order.currency)
        outbox.emit(
            order.workspace,
            CashbackCredited(
                claim_id=claim.public_id,
                customer_id=claim.customer.external_id,
                order_id=order.external_id,
                amount=text,
                currency=order.currency,
            ),
        )
        effects.append(
            {
                "claim_id": claim.public_id,
                "amount": text,
                "currency": order.currency,
                "credited": text,
            }
        )
    return effects


def reverse(order: Any, fraction: Decimal, source: balances.Source) -> Effects:
    """Take back `fraction` of each credit (less what was taken back before), within what
    the store credit still holds."""
    effects: Effects = []
    for claim in _claims(order):
        if claim.credit_card is None or claim.credited <= 0:
            continue
        currency = claim.credit_currency
        due = round_amount(claim.credited * fraction, currency) - claim.reversed
        if due <= 0:
            continue
        card = balances.locked_card(order.workspace, claim.credit_card.code)
        taken = min(due, card.balance)
        if taken > 0:
            balances.post(
                card,
                EntryType.ADJUST,
                -taken,
                reason=f"cashback reversed: order {order.external_id}",
                source=source,
            )
            Claim.objects.filter(pk=claim.pk).update(
                reversed=F("reversed") + taken, updated_at=now()
            )
        text = format_amount(taken, currency)
        effects.append(
            {"claim_id": claim.public_id, "amount": text, "currency": currency, "reversed": text}
        )
    return effects


class CashbackParticipant:
    name = "cashback"

    def order_paid(self, order: Any, items: Sequence[Any]) -> Effects:
        return credit(order)

    def order_cancelled(self, order: Any) -> Effects:
        return reverse(order, Decimal(1), balances.Source("order_cancelled", order.external_id))

    def order_refunded(self, order: Any, refund: Any) -> Effects:
        if not order.total:
            return []
        fraction = min(Decimal(1), Decimal(order.refunded_total) / Decimal(order.total))
        return reverse(order, fraction, balances.Source("refund", refund.external_id))

    # The orders API presents the effects of the loyalty participant only; a claim shows
    # its cashback (GET /claims/{claim_id}), so stored orders cost no query here.
    def order_effects(self, orders: Sequence[Any]) -> dict[int, Effects]:
        return {}

    def refund_effects(self, refunds: Sequence[Any]) -> dict[int, Effects]:
        return {}


PARTICIPANT = CashbackParticipant()
