"""The checkout's engine (docs/checkout.md, ADR 0036): what a stack of redeemables gives on a
cart. Pure: it reads (each kind resolves all its requests in one go) and writes nothing.

1. Resolve: the requests of each type go to their kind at once (`Kind.resolve`), which
   answers each with an offer or a refusal.
2. Stack, in request order: the same redeemable twice, more than the workspace's
   `max_redeemables`, a second of a group in `one_per_order`, or a group that never goes with
   one already taken (`never_together`) is refused `not_stackable`. Refused ones take no
   place.
3. Discounts, in the order of application: item discounts (`unit`, `free_product`), then
   amounts, then percentages, then free shipping; among equals, in request order. Item
   discounts, amounts and percentages come off the merchandise (the subtotal less the order's
   own discount), each from what the ones before left (a percentage of the rest, capped by
   its `max_discount`); free shipping takes the shipping. So discounts never exceed the
   order, and tax is left as it is.
4. Payments (points, gift cards), in request order, each paying up to its limit of what the
   discounts left; the points spent follow the amount paid at the program's rate (rounded
   up, never more than asked).

A discount that gives nothing on this cart, or a payment with nothing left to pay, is refused
`conditions_not_met`. Under `all_or_nothing` the stack is valid only when every redeemable
applies; under `partial`, the ones that apply are used."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from kizuna.core import conditions as c
from kizuna.core.money import MINOR_UNITS, format_amount, round_amount
from kizuna.rewards import redeemables
from kizuna.rewards.redeemables import Cart, Refusal, Resolved

ALL_OR_NOTHING = "all_or_nothing"
PARTIAL = "partial"
POLICIES = (ALL_OR_NOTHING, PARTIAL)
REF_FIELDS = {"voucher": "code", "gift_card": "code", "points": "program_id", "reward": "claim_id"}
# The order of application of discounts, by effect type (lower first).
DISCOUNT_RANK = {"unit": 0, "free_product": 0, "amount": 1, "percent": 2, "free_shipping": 3}
ZERO = Decimal(0)


@dataclass(frozen=True)
class Rules:
    """A workspace's stacking rules (`StackingRules`), as the engine reads them."""

    max_redeemables: int = 5
    one_per_order: frozenset[str] = frozenset()
    never_together: tuple[tuple[str, str], ...] = ()

    def apart(self, group: str, taken: set[str]) -> bool:
        return any(
            (group == a and b in taken) or (group == b and a in taken)
            for a, b in self.never_together
        )


@dataclass
class Verdict:
    """One requested redeemable: what it gives (discount off, amount paid, points spent) or
    why it does not apply (`reason`, one of `redeemables.REASONS`)."""

    index: int
    type: str
    ref: str
    request: Mapping[str, Any]
    resolved: Resolved | None = None
    reason: str | None = None
    message: str = ""
    discount: Decimal = ZERO
    amount: Decimal = ZERO
    points: int = 0

    @property
    def applicable(self) -> bool:
        return self.reason is None

    def refuse(self, reason: str, message: str) -> None:
        self.reason, self.message = reason, message
        self.discount, self.amount, self.points = ZERO, ZERO, 0


@dataclass
class Outcome:
    cart: Cart
    policy: str
    verdicts: list[Verdict]
    currency: str
    total: Decimal = ZERO
    discount_total: Decimal = ZERO
    paid: Decimal = ZERO
    paid_with: list[dict[str, Any]] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        if self.policy == ALL_OR_NOTHING:
            return all(v.applicable for v in self.verdicts)
        return any(v.applicable for v in self.verdicts) or not self.verdicts

    @property
    def applied(self) -> list[Verdict]:
        """What a redemption uses: the applicable ones, when the stack is valid."""
        return [v for v in self.verdicts if v.applicable] if self.valid else []

    @property
    def total_after_discounts(self) -> Decimal:
        return self.total - self.discount_total

    def money(self, amount: Decimal) -> str:
        return format_amount(amount, self.currency)

    def answer(self) -> dict[str, Any]:
        """The API's answer (API.md, `POST /validations`)."""
        return {
            "valid": self.valid,
            "redeemables": [self.verdict_answer(v) for v in self.verdicts],
            "order": {
                "currency": self.currency,
                "total": self.money(self.total),
                "discount_total": self.money(self.discount_total),
                "total_after_discounts": self.money(self.total_after_discounts),
                "paid_with": self.paid_with,
                "amount_due": self.money(self.total_after_discounts - self.paid),
            },
        }

    def verdict_answer(self, v: Verdict) -> dict[str, Any]:
        details = dict(v.resolved.details) if v.resolved is not None else {}
        return {
            **details,
            "type": v.type,
            "status": "applicable" if v.applicable else "inapplicable",
            "code": v.request.get("code"),
            "program_id": v.request.get("program_id"),
            "claim_id": v.request.get("claim_id"),
            "reason": v.reason,
            "message": v.message or None,
            "discount": self.money(v.discount),
            "amount": self.money(v.amount),
            "points": v.points,
        }


def ref_of(request: Mapping[str, Any]) -> str:
    return str(request.get(REF_FIELDS.get(str(request.get("type")), "code")) or "")


def resolve(cart: Cart, requests: Sequence[Mapping[str, Any]]) -> list[Verdict]:
    """Each request's kind resolves it: one call per type, whatever the number of requests."""
    verdicts = [
        Verdict(index=i, type=str(r.get("type")), ref=ref_of(r), request=r)
        for i, r in enumerate(requests)
    ]
    by_type: dict[str, list[Verdict]] = {}
    for verdict in verdicts:
        by_type.setdefault(verdict.type, []).append(verdict)
    for type_, group in by_type.items():
        kind = redeemables.kind(type_)
        if kind is None:
            for verdict in group:
                verdict.refuse("not_valid", f"Nothing of the type {type_!r} can be redeemed.")
            continue
        answers = kind.resolve(cart, [v.request for v in group])
        for verdict, answer in zip(group, answers, strict=True):
            if isinstance(answer, Refusal):
                verdict.refuse(answer.reason, answer.message)
            else:
                verdict.resolved = answer
    return verdicts


def stack(verdicts: Sequence[Verdict], rules: Rules) -> None:
    """Refuse, in request order, what the stacking rules do not let in."""
    seen: set[tuple[str, Any]] = set()
    groups: set[str] = set()
    taken = 0
    for verdict in verdicts:
        resolved = verdict.resolved
        if resolved is None or not verdict.applicable:
            continue
        group = resolved.offer.group or verdict.type
        target = getattr(resolved.target, "pk", None) or resolved.ref.upper()
        if (verdict.type, target) in seen:
            verdict.refuse("not_stackable", "This redeemable is in the order once already.")
        elif taken >= rules.max_redeemables:
            verdict.refuse(
                "not_stackable", f"An order takes at most {rules.max_redeemables} redeemable(s)."
            )
        elif group in rules.one_per_order and group in groups:
            verdict.refuse("not_stackable", f"An order takes one {group} at most.")
        elif rules.apart(group, groups):
            verdict.refuse("not_stackable", f"A {group} does not combine with what is before it.")
        else:
            seen.add((verdict.type, target))
            groups.add(group)
            taken += 1


def matching_items(cart: Cart, condition: Any) -> list[Any]:
    """The cart's items that an item condition (`item.*` fields) holds for."""
    items = list(cart.order.items)
    if condition is None:
        return items
    parsed = c.parse(condition, workspace=cart.workspace, subjects=("item",))
    base = c.Context(now=cart.at, order=cart.order, order_items=items)
    return [it for it in items if c.evaluate(parsed, base.with_facts(item=it))]


def discount_of(cart: Cart, effect: Mapping[str, Any], room: Decimal, shipping: Decimal) -> Decimal:
    """What one discount takes off, given what the ones before left (`room` of the
    merchandise, `shipping`)."""
    currency = cart.order.currency
    kind = effect.get("type")
    if kind == "free_shipping":
        return shipping
    if kind == "amount":
        value = Decimal(str(effect["amount"]))
    elif kind == "percent":
        value = round_amount(room * Decimal(str(effect["percent"])) / 100, currency)
        if effect.get("max_discount") is not None:
            value = min(value, Decimal(str(effect["max_discount"])))
    elif kind == "unit":
        each = Decimal(str(effect["amount"]))
        value = sum(
            (
                min(each, it.unit_price) * it.quantity
                for it in matching_items(cart, effect.get("item_condition"))
            ),
            ZERO,
        )
    elif kind == "free_product":
        prices = [it.unit_price for it in cart.order.items if it.sku == effect.get("sku")]
        value = prices[0] if prices else ZERO
    else:
        value = ZERO
    return min(max(value, ZERO), room)


def points_for(amount: Decimal, rate: Decimal | None, asked: int, limit: Decimal) -> int:
    """The points that pay `amount` at `rate` points a unit: all that were asked when they
    pay their whole limit, else the amount's worth rounded up."""
    if rate is None or amount >= limit:
        return asked
    return min(asked, int((amount * rate).to_integral_value(rounding=ROUND_CEILING)))


def payment_limit(points: int, rate: Decimal, currency: str) -> Decimal:
    """The money `points` pay at `rate` points a unit, rounded down to the minor unit."""
    return (Decimal(points) / rate).quantize(
        Decimal(1).scaleb(-MINOR_UNITS[currency]), rounding=ROUND_FLOOR
    )


def apply(cart: Cart, verdicts: Sequence[Verdict], outcome: Outcome) -> None:
    """Discounts, then payments, onto the cart's order; fills the verdicts and the totals."""
    order = cart.order
    live = [v for v in verdicts if v.applicable and v.resolved is not None]
    discounts = [v for v in live if v.resolved and v.resolved.offer.category == "discount"]
    discounts.sort(
        key=lambda v: (
            DISCOUNT_RANK.get(str((v.resolved.offer.effect or {}).get("type")), 9),  # type: ignore[union-attr]
            v.index,
        )
    )
    room = max(ZERO, order.subtotal - order.discount_total)
    shipping = order.shipping_total
    for verdict in discounts:
        effect = verdict.resolved.offer.effect or {}  # type: ignore[union-attr]
        value = discount_of(cart, effect, room, shipping)
        if value <= 0:
            verdict.refuse("conditions_not_met", "It takes nothing off this order.")
            continue
        if effect.get("type") == "free_shipping":
            shipping -= value
        else:
            room -= value
        verdict.discount = value
    outcome.total = order.total
    outcome.discount_total = sum((v.discount for v in verdicts), ZERO)
    left = outcome.total_after_discounts
    for verdict in live:
        offer = verdict.resolved.offer  # type: ignore[union-attr]
        if offer.category != "payment" or not verdict.applicable:
            continue
        limit = offer.limit if offer.limit is not None else left
        amount = min(limit, left)
        if amount <= 0:
            verdict.refuse("conditions_not_met", "Nothing is left to pay.")
            continue
        verdict.amount = amount
        verdict.points = points_for(amount, offer.points_per_unit, offer.points, limit)
        left -= amount
    outcome.paid = sum((v.amount for v in verdicts), ZERO)
    outcome.paid_with = [
        {
            "type": v.type,
            "method": v.type,
            "code": v.request.get("code"),
            "program_id": v.request.get("program_id"),
            "amount": outcome.money(v.amount),
            "points": v.points,
        }
        for v in verdicts
        if v.amount > 0
    ]


def check(
    cart: Cart,
    requests: Sequence[Mapping[str, Any]],
    policy: str,
    rules: Rules,
) -> Outcome:
    """The verdict on a stack of redeemables for a cart. A cart without an order (a code
    scanned at a store) gets verdicts without amounts."""
    currency = cart.order.currency if cart.order is not None else cart.workspace.default_currency
    verdicts = resolve(cart, requests)
    stack(verdicts, rules)
    outcome = Outcome(cart=cart, policy=policy, verdicts=verdicts, currency=currency)
    if cart.order is not None:
        apply(cart, verdicts, outcome)
    return outcome
