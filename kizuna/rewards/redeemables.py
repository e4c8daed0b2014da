"""The contract between the checkout (validations, qualifications, redemptions) and the kinds
of thing a customer redeems on a cart (API.md, Rewards: `voucher`, `points`, `gift_card`,
`reward`).

The checkout owns the order of application, stacking and the arithmetic of totals; a kind
only knows its own objects. A kind registers once, from `AppConfig.ready()`, and offers:

- `resolve(cart, requests)`: pure. Finds and checks every request of its type in a cart, in
  one query (or a fixed few) for all of them, and answers for each either a `Resolved` (what
  it offers, before stacking) or a `Refusal` (a machine reason from `REASONS`).
- `take(cart, resolved, line, hold)`: inside the redemption's transaction, uses (or, with
  `hold`, reserves) what the line needs: a code use, points, gift-card value, a claim. It
  locks and re-checks what it touches, raising a `KizunaError` whose `code` is one of
  `REASONS` when it can no longer give it; it returns the facts to store on the line (ledger
  entry ids and the like) as a JSON object.
- `confirm(line)`, `release(line)`, `give_back(line)`: a hold becomes a use; a hold is let
  go; a use is undone (a rolled-back redemption). Each is safe to call twice: it acts once.
- optionally `candidates(cart)`: the requests (`{"type": ..., ...}`) of this type that the
  cart's customer holds and `POST /qualifications` should consider (claimed rewards), read in a
  fixed few queries. Kinds whose candidates the checkout finds itself (vouchers, gift cards,
  points) have none.

`line` is a redemption line as the checkout stores it; kinds read only these attributes:
`line.ref` (the code, claim id or program id as requested), `line.discount` and
`line.amount` (Decimal, in the cart's currency: the money off the order and the money paid),
`line.points` (int, points spent or held, 0 for other kinds), `line.data` (the object `take`
returned), `line.redemption.public_id`, `line.redemption.customer_id` (the customer's pk) and
`line.redemption.workspace_id`."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from kizuna.core.models import Workspace

REASONS = (
    "not_valid",
    "expired",
    "not_started",
    "usage_limit_reached",
    "conditions_not_met",
    "insufficient_points",
    "insufficient_balance",
    "not_stackable",
    "currency_mismatch",
)


@dataclass(frozen=True)
class Cart:
    """The order being checked out: `order` is the orders app's `CheckedOrder` (items with
    sku, category, quantity, unit_price; total, subtotal, shipping_total, currency), `customer`
    the customer (a `Customer`), `at` the moment of the check."""

    workspace: Workspace
    customer: Any
    order: Any
    at: datetime


@dataclass(frozen=True)
class Offer:
    """What one redeemable would give before stacking.

    A `discount` takes value off the order: `effect` has the shape of a voucher discount
    (`{"type": "amount"|"percent"|"unit"|"free_shipping", ...}`, see
    `kizuna/vouchers/services/discounts.py`) or `{"type": "free_product", "sku"}`. A `payment`
    pays part of what is left after the discounts, at most `limit` in the cart's currency
    (a gift card's requested amount within its balance; points at the program's rate)."""

    category: str  # "discount" or "payment"
    effect: Mapping[str, Any] | None = None
    limit: Decimal | None = None
    points: int = 0  # points a payment with points spends for `limit`
    points_per_unit: Decimal | None = None  # the rate, to spend fewer points for less
    group: str = ""  # the stacking group: "voucher", "reward", "points", "gift_card"


@dataclass
class Resolved:
    ref: str
    offer: Offer
    target: Any = None  # the kind's own object, handed back to `take`
    details: dict[str, Any] = field(default_factory=dict)  # extra fields for the answer


@dataclass(frozen=True)
class Refusal:
    ref: str
    reason: str
    message: str


class Kind(Protocol):
    type: str

    def resolve(
        self, cart: Cart, requests: Sequence[Mapping[str, Any]]
    ) -> list[Resolved | Refusal]: ...

    def take(self, cart: Cart, resolved: Resolved, line: Any, hold: bool) -> dict[str, Any]: ...

    def confirm(self, line: Any) -> None: ...

    def release(self, line: Any) -> None: ...

    def give_back(self, line: Any) -> None: ...


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    existing = _KINDS.get(kind.type)
    if existing is not None and existing is not kind:
        raise RuntimeError(f"Redeemable kind {kind.type} is registered twice.")
    _KINDS[kind.type] = kind


def kind(type: str) -> Kind | None:
    return _KINDS.get(type)


def types() -> tuple[str, ...]:
    return tuple(_KINDS)


# Points pay at the rate of the program's pay-with-points reward (API.md, Rewards: `type:
# "pay_with_points"`, `value.points_per_unit`): the catalog registers the lookup.
PointsRate = Callable[[Any], Decimal | None]
_POINTS_RATE: list[PointsRate] = []


def register_points_rate(lookup: PointsRate) -> None:
    _POINTS_RATE[:] = [lookup]


def points_per_unit(program: Any) -> Decimal | None:
    """Points per one unit of the program's currency, or None when points cannot pay."""
    return _POINTS_RATE[0](program) if _POINTS_RATE else None
