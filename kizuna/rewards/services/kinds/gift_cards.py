"""The `gift_card` kind: a gift card or store credit (kizuna.vouchers) paying part of the
order. Resolving reads the cards of a stack in one query; taking spends from the card (a
`spend` entry whose source is the redemption, the card locked, the balance never below zero),
for a hold too: releasing it, or rolling the redemption back, gives back what is still out
(`refund_part`), once. A refund of the order gives the value back pro rata
(`services/order_payments.py`)."""

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from kizuna.core.errors import ValidationFailed
from kizuna.core.money import check_amount, round_amount
from kizuna.rewards.redeemables import Cart, Offer, Refusal, Resolved
from kizuna.rewards.redemption_errors import Unavailable
from kizuna.vouchers.errors import CurrencyMismatch, GiftCardExpired, InsufficientBalance
from kizuna.vouchers.models import GiftCard, GiftCardKind, GiftCardStatus
from kizuna.vouchers.services import balances, codes
from kizuna.vouchers.services.balances import Source

SOURCE_TYPE = "redemption"
NOT_VALID = "This card is not valid."


def cards_by_code(cart: Cart, raw_codes: Sequence[str]) -> dict[str, GiftCard]:
    wanted = {codes.normalize(code) for code in raw_codes if codes.is_code(code)}
    if not wanted:
        return {}
    rows = GiftCard.objects.for_workspace(cart.workspace).filter(code__in=wanted)
    return {card.code: card for card in rows}


def requested_amount(request: Mapping[str, Any], currency: str) -> Decimal | None:
    """The amount asked for (None: as much as the card holds); 0 or less is refused."""
    raw = request.get("amount")
    if raw is None:
        return None
    try:
        return check_amount(raw, currency, field="amount")
    except ValidationFailed:
        return Decimal(-1)


class GiftCardsKind:
    type = "gift_card"

    def resolve(
        self, cart: Cart, requests: Sequence[Mapping[str, Any]]
    ) -> list[Resolved | Refusal]:
        found = cards_by_code(cart, [str(r.get("code") or "") for r in requests])
        out: list[Resolved | Refusal] = []
        for request in requests:
            raw = str(request.get("code") or "")
            card = found.get(codes.normalize(raw)) if codes.is_code(raw) else None
            out.append(self._one(cart, raw, request, card))
        return out

    def _one(
        self, cart: Cart, raw: str, request: Mapping[str, Any], card: GiftCard | None
    ) -> Resolved | Refusal:
        customer_pk = cart.customer.pk if cart.customer is not None else None
        if card is None or (
            card.kind == GiftCardKind.STORE_CREDIT and card.customer_id != customer_pk
        ):
            return Refusal(raw, "not_valid", NOT_VALID)
        if card.status == GiftCardStatus.EXPIRED or (
            card.expires_at is not None and card.expires_at <= cart.at
        ):
            return Refusal(raw, "expired", "The card has expired.")
        if cart.order is not None and card.currency != cart.order.currency:
            return Refusal(raw, "currency_mismatch", f"The card is in {card.currency}.")
        amount = requested_amount(request, card.currency)
        if amount is not None and amount <= 0:
            return Refusal(raw, "not_valid", "The amount is more than zero, in the currency.")
        limit = round_amount(card.balance, card.currency) if amount is None else amount
        if limit > card.balance or card.balance <= 0:
            return Refusal(raw, "insufficient_balance", "The card holds less than that.")
        return Resolved(
            ref=raw,
            offer=Offer(category="payment", limit=limit, group="gift_card"),
            target=card,
            details={"id": card.code, "kind": card.kind, "balance": str(card.balance)},
        )

    def take(self, cart: Cart, resolved: Resolved, line: Any, hold: bool) -> dict[str, Any]:
        card: GiftCard = resolved.target
        redemption = line.redemption
        try:
            entry = balances.spend(
                cart.workspace,
                card.code,
                line.amount,
                currency=redemption.currency,
                source=Source(SOURCE_TYPE, redemption.public_id),
                reason=f"Redemption {redemption.public_id}",
            )
        except InsufficientBalance as exc:
            raise Unavailable("insufficient_balance", exc.message, field="redeemables") from exc
        except GiftCardExpired as exc:
            raise Unavailable("expired", exc.message, field="redeemables") from exc
        except CurrencyMismatch as exc:
            raise Unavailable("currency_mismatch", exc.message, field="redeemables") from exc
        return {"card_code": card.code, "entry_id": entry.pk}

    def confirm(self, line: Any) -> None:
        """A hold is a spend already."""

    def release(self, line: Any) -> None:
        self.give_back(line)

    def give_back(self, line: Any) -> None:
        from kizuna.rewards.services import order_payments

        order_payments.return_rest(line, Source(SOURCE_TYPE, line.redemption.public_id))


KIND = GiftCardsKind()
