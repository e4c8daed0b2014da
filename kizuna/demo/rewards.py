"""The demo's rewards, vouchers, gift cards and referrals, lived through the year of the
loyalty history.

On the first day of the history a marketer sets up, through the services: a catalog of
rewards for Hoshi Stars (a discount, a percentage off with a gold price, free shipping, a
free matcha whisk, a gift card, a tumbler sent by post, cashback, and paying with stars),
a welcome voucher campaign, and a "bring a friend" referral program whose referee gets a
welcome code and whose referrer gets stars. Then, as the loyalty replay goes through the
history (`kizuna/demo/loyalty.py`), each step at its moment:

- some members join through a friend's referral code (attributed when they join; the
  referral converts at their first paid order of 20 dollars or more, which grants both
  rewards);
- some members receive a gift card;
- after a paid order, some members with enough stars claim the dearest reward they can
  afford; tumblers are shipped three days after the claim and delivered four days later;
- at a member's next paid order, an unused discount claim, and part of a gift card's
  balance, are redeemed at the checkout (`kizuna/rewards/services/redemptions.py`), as the
  shop's checkout would have asked before recording the order (the stored orders, written
  ahead of the replay, keep their own totals).

Every write goes through the services the API calls, with the clock at the step's moment,
so points spent on rewards come out of the ledger's lots as they would have, and
`verify_ledger` agrees. The events of this history are removed at the end, as loyalty's are."""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q

from kizuna.core import clock
from kizuna.core.audit import Actor
from kizuna.core.errors import KizunaError
from kizuna.core.models import OutboxEvent, Workspace
from kizuna.core.money import format_amount
from kizuna.loyalty.models import Account
from kizuna.orders.models import Order
from kizuna.referrals.services import attribution, codes, conversion
from kizuna.referrals.services import programs as referral_programs
from kizuna.rewards.models import Claim
from kizuna.rewards.services import catalog, claims, fulfilment, redemptions
from kizuna.vouchers.models import GiftCard
from kizuna.vouchers.services import campaigns, gift_cards

ACTOR = Actor("system", "demo")
PROGRAM_ID = "hoshi-stars"
CAMPAIGN_ID = "welcome-10"
REFERRAL_PROGRAM_ID = "bring-a-friend"


def _name(en: str, ja: str, ko: str) -> dict[str, str]:
    return {"default": en, "ja": ja, "ko": ko}


REWARDS: list[dict[str, Any]] = [
    {
        "id": "five-off",
        "name": _name("$5 off your order", "5ドル割引", "5달러 할인"),
        "type": "discount_amount",
        "value": {"amount": "5.00", "currency": "USD"},
        "cost_points": 500,
    },
    {
        "id": "ten-percent",
        "name": _name("10% off (up to $20)", "10%オフ(最大20ドル)", "10% 할인(최대 20달러)"),
        "type": "discount_percent",
        "value": {"percent": "10", "max_discount": "20.00", "currency": "USD"},
        "cost_points": 900,
        "tier_costs": {"gold": 800, "platinum": 700},
    },
    {
        "id": "free-shipping",
        "name": _name("Free shipping", "送料無料", "무료 배송"),
        "type": "free_shipping",
        "value": {},
        "cost_points": 300,
    },
    {
        "id": "free-whisk",
        "name": _name("A bamboo chasen whisk", "竹の茶筅", "대나무 차선"),
        "type": "free_product",
        "value": {"sku": "TW-CHS-BAM"},
        "cost_points": 1500,
    },
    {
        "id": "gift-card-10",
        "name": _name("A $10 gift card", "10ドルのギフトカード", "10달러 기프트 카드"),
        "type": "gift_card",
        "value": {"amount": "10.00", "currency": "USD"},
        "cost_points": 1000,
    },
    {
        "id": "tumbler",
        "name": _name("Hoshi tea tumbler", "星のタンブラー", "호시 텀블러"),
        "type": "material",
        "value": {},
        "cost_points": 2500,
        "stock": 40,
        "limits": [{"period": "all_time", "times": 1}],
    },
    {
        "id": "cashback-5",
        "name": _name("5% back as store credit", "5%をストアクレジットで還元", "5% 적립금 환급"),
        "type": "cashback",
        "value": {"percent": "5", "max_discount": "10.00", "currency": "USD"},
        "cost_points": 400,
    },
    {
        "id": "pay-with-stars",
        "name": _name("Pay with stars", "スターで支払う", "스타로 결제"),
        "type": "pay_with_points",
        "value": {"points_per_unit": 100},
        "cost_points": 0,
    },
]
# What members claim, dearest first; pay-with-stars is spent at the checkout, not claimed.
CLAIMABLE = sorted(
    (r for r in REWARDS if r["type"] != "pay_with_points"), key=lambda r: -int(r["cost_points"])
)
DISCOUNTS = ("discount_amount", "discount_percent", "free_shipping")
CAMPAIGN: dict[str, Any] = {
    "id": CAMPAIGN_ID,
    "name": "Welcome, 10% off your first order",
    "discount": {"type": "percent", "percent": 10, "max_discount": "15.00", "currency": "USD"},
    "code": {"pattern": "WELCOME-####-????"},
    "usage": {"per_code": 1},
}
REFERRAL_PROGRAM: dict[str, Any] = {
    "id": REFERRAL_PROGRAM_ID,
    "name": "Bring a friend",
    "loyalty_program_id": PROGRAM_ID,
    "referrer_reward": {"type": "points", "points": 500},
    "referee_reward": {"type": "voucher", "campaign_id": CAMPAIGN_ID},
    "conversion": {"type": "first_order", "min_total": "20.00", "currency": "USD"},
    "attribution": "both",
    "caps": [{"period": "month", "times": 5}],
    "code": {"prefix": "FRIEND-", "length": 6},
}
CLAIM_CHANCE = 0.35  # after a paid order, a member who can afford a reward claims one
REFERRED_EVERY = 7  # one member in this many joins through a friend's code
GIFTED_EVERY = 12  # one member in this many receives a gift card
GIFT_CARD_USE = 0.6  # at a paid order, a member with a gift card pays part with it
CENT = Decimal("0.01")


def _cart(order: Order) -> dict[str, Any]:
    """The order as a checkout sends it (the stored order is the one it became)."""
    money = ("total", "subtotal", "discount_total", "shipping_total", "tax_total")
    return {
        "external_id": order.external_id,
        "currency": order.currency,
        **{name: format_amount(getattr(order, name), order.currency) for name in money},
        "prices_include_tax": order.prices_include_tax,
        "items": [
            {
                "sku": item.sku,
                "name": item.name,
                "category": item.category,
                "quantity": item.quantity,
                "unit_price": format_amount(item.unit_price, order.currency),
            }
            for item in order.items.all()
        ],
    }


def set_up_rewards(workspace: Workspace, moment: datetime) -> None:
    """The catalog, the welcome campaign and the referral program, as a marketer would set
    them up on the first day of the history (the loyalty program exists)."""
    with clock.at(moment):
        for reward in REWARDS:
            catalog.create_reward(workspace, {**reward, "program_id": PROGRAM_ID}, ACTOR)
        campaigns.create_campaign(workspace, CAMPAIGN, ACTOR)
        referral_programs.create_program(workspace, REFERRAL_PROGRAM, ACTOR)


@dataclass
class RewardsHistory:
    """The rewards' side of the replay: `after_step` runs after each loyalty step, with the
    clock at its moment."""

    workspace: Workspace
    seed: int = 7
    members: list[str] = field(default_factory=list)
    open_claims: dict[int, list[str]] = field(default_factory=dict)  # customer pk -> claim ids
    cards: dict[int, str] = field(default_factory=dict)  # customer pk -> gift card code
    shipments: list[tuple[datetime, str, str]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"kizuna-demo-rewards:{self.seed}")  # noqa: S311 (not a secret)

    def after_step(self, kind: str, key: str, moment: datetime, target: Any) -> None:
        self._ship(moment)
        if kind == "enrol":
            self._joined(key)
        elif kind == "paid" and isinstance(target, Order):
            self._paid(target)

    def _joined(self, customer_id: str) -> None:
        index = len(self.members)
        self.members.append(customer_id)
        if index >= 5 and index % REFERRED_EVERY == 3:
            referrer = self.members[self.rng.randrange(index)]
            try:
                code = codes.code_of(self.workspace, referrer, REFERRAL_PROGRAM_ID)
                attribution.attribute(
                    self.workspace, {"code": code.code, "customer_id": customer_id}
                )
                self.counts["referrals"] += 1
            except KizunaError:
                self.counts["referrals refused"] += 1
        if index % GIFTED_EVERY == 5:
            amount = self.rng.choice(("25.00", "50.00", "100.00"))
            card = gift_cards.issue(
                self.workspace,
                {
                    "amount": amount,
                    "currency": "USD",
                    "customer_id": customer_id,
                    "reason": "A gift from a friend",
                },
                ACTOR,
            )
            self.cards[card.customer_id or 0] = card.code
            self.counts["gift cards"] += 1

    def _paid(self, order: Order) -> None:
        if order.currency != "USD":
            return
        self.counts["referrals converted"] += sum(
            1 for e in conversion.order_paid(order) if e.get("status") == "converted"
        )
        self._redeem(order)
        if self.rng.random() < CLAIM_CHANCE:
            self._claim(order)

    def _redeem(self, order: Order) -> None:
        """At the checkout of this order: an unused discount claim, and part of a gift card."""
        redeemables: list[dict[str, Any]] = []
        waiting = self.open_claims.get(order.customer_id) or []
        if waiting:
            redeemables.append({"type": "reward", "claim_id": waiting.pop(0)})
        code = self.cards.get(order.customer_id)
        if code is not None and self.rng.random() < GIFT_CARD_USE:
            balance = (
                GiftCard.objects.for_workspace(self.workspace)
                .filter(code=code)
                .values_list("balance", flat=True)
                .first()
            ) or Decimal(0)
            amount = min(balance, (order.total / 2).quantize(CENT, rounding=ROUND_DOWN))
            if amount > 0:
                redeemables.append({"type": "gift_card", "code": code, "amount": str(amount)})
        if not redeemables:
            return
        body = {
            "customer_id": order.customer.external_id,
            "order": _cart(order),
            "redeemables": redeemables,
            "policy": "partial",
        }
        try:
            with transaction.atomic():  # a refusal undoes only this attempt
                redemptions.redeem(self.workspace, body, ACTOR)
            self.counts["redemptions"] += 1
        except KizunaError as exc:
            self.counts[f"redemptions refused ({exc.code})"] += 1

    def _claim(self, order: Order) -> None:
        account = (
            Account.objects.filter(program__workspace=self.workspace, program__key=PROGRAM_ID)
            .filter(customer_id=order.customer_id)
            .values("active")
            .first()
        )
        if account is None:
            return
        affordable = [r for r in CLAIMABLE if int(r["cost_points"]) <= account["active"]]
        if not affordable:
            return
        reward = affordable[0] if self.rng.random() < 0.5 else self.rng.choice(affordable)
        try:
            with transaction.atomic():  # a refusal undoes only this attempt
                claim = claims.claim_reward(
                    self.workspace, order.customer.external_id, reward["id"], ACTOR
                )
        except KizunaError:
            self.counts["claims refused"] += 1
            return
        self.counts["claims"] += 1
        if reward["type"] in DISCOUNTS:
            self.open_claims.setdefault(order.customer_id, []).append(claim.public_id)
        if reward["type"] == "material":
            self.shipments.append((clock.now() + timedelta(days=3), claim.public_id, "shipped"))

    def _ship(self, moment: datetime) -> None:
        due = [s for s in self.shipments if s[0] <= moment]
        if not due:
            return
        self.shipments = [s for s in self.shipments if s[0] > moment]
        for when, claim_id, status in due:
            with clock.at(when):
                fulfilment.change_fulfilment(
                    self.workspace,
                    claim_id,
                    {"status": status, "tracking": f"1Z{claim_id[-8:].upper()}"}
                    if status == "shipped"
                    else {"status": status},
                    ACTOR,
                )
            if status == "shipped":
                self.shipments.append((when + timedelta(days=4), claim_id, "delivered"))
            self.counts[f"tumblers {status}"] += 1

    def finish(self, moment: datetime) -> None:
        self._ship(moment)
        OutboxEvent.objects.filter(workspace=self.workspace).filter(
            Q(type__startswith="reward")
            | Q(type__startswith="referral.")
            | Q(type__startswith="gift_card.")
            | Q(type__startswith="redemption")
            | Q(type__startswith="voucher")
        ).delete()

    def summary(self) -> str:
        claimed = Claim.objects.for_workspace(self.workspace).count()
        parts = [f"{claimed} rewards claimed"]
        parts += [f"{n} {label}" for label, n in sorted(self.counts.items()) if label != "claims"]
        return ", ".join(parts)
