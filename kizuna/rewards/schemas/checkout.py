"""Request and response shapes of the checkout (API.md, "Rewards, vouchers, redemptions":
validations, qualifications, redemptions; docs/checkout.md)."""

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import BeforeValidator, Field, StrictInt

from kizuna.core.money import format_amount
from kizuna.core.schemas import DecimalString, ExternalId, InputSchema
from kizuna.orders.schemas import OrderIn
from kizuna.rewards.models.redemptions import GROUPS, LOCATION_MAX_LENGTH, REF_MAX_LENGTH

Code = Annotated[str, Field(min_length=1, max_length=REF_MAX_LENGTH)]
_DURATION = re.compile(
    r"P(?:(?P<d>[0-9]{1,3})D)?(?:T(?:(?P<h>[0-9]{1,4})H)?(?:(?P<m>[0-9]{1,6})M)?"
    r"(?:(?P<s>[0-9]{1,7})S)?)?"
)


def _seconds(value: Any) -> Any:
    """An ISO 8601 duration ("PT15M", "P1DT2H") or a number of seconds, as seconds."""
    if not isinstance(value, str):
        return value
    match = _DURATION.fullmatch(value.strip().upper())
    if match is None or value.strip().upper() in ("P", "PT"):
        raise ValueError('must be a duration such as "PT15M" or a number of seconds')
    parts = {k: int(v or 0) for k, v in match.groupdict().items()}
    return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


Duration = Annotated[
    StrictInt | str,
    BeforeValidator(_seconds),
    Field(examples=["PT15M", 900], description="How long to hold: ISO 8601 or seconds."),
]


class RedeemableIn(InputSchema):
    type: Literal["voucher", "points", "gift_card", "reward"]
    code: Code | None = Field(default=None, description="voucher and gift_card: the code.")
    program_id: ExternalId | None = Field(default=None, description="points: the program.")
    points: StrictInt | None = Field(default=None, ge=1, description="points: how many.")
    amount: DecimalString | None = Field(
        default=None, description="gift_card: how much (default: what the card holds)."
    )
    claim_id: Code | None = Field(default=None, description="reward: the claim.")


class CartOrderIn(OrderIn):
    """The order as in `POST /orders`; `external_id` is needed only to record it."""

    external_id: ExternalId | None = None  # type: ignore[assignment]
    customer_id: ExternalId | None = None  # type: ignore[assignment]


Policy = Literal["all_or_nothing", "partial"]
Redeemables = Annotated[list[RedeemableIn], Field(min_length=1, max_length=20)]


class ValidationIn(InputSchema):
    customer_id: ExternalId
    order: CartOrderIn
    redeemables: Redeemables
    policy: Policy = "all_or_nothing"


class RedemptionIn(ValidationIn):
    reserve_for: Duration | None = None
    record_order: bool = Field(
        default=False,
        description="Record the order in the same transaction, discounted by the stack and "
        "paid with its points and gift cards (needs order.external_id).",
    )


class QualificationIn(InputSchema):
    customer_id: ExternalId
    order: CartOrderIn | None = None
    redeemables: Annotated[list[RedeemableIn], Field(max_length=20)] = Field(
        default=[], description="Codes to consider beside the customer's own."
    )


class ScanIn(InputSchema):
    code: Code
    location: Annotated[str, Field(min_length=1, max_length=LOCATION_MAX_LENGTH)]
    customer_id: ExternalId | None = None
    order: CartOrderIn | None = None


class StackingRulesIn(InputSchema):
    max_redeemables: int = Field(default=5, ge=1, le=20)
    one_per_order: Annotated[list[Literal[GROUPS]], Field(max_length=4)] = []  # type: ignore[valid-type]
    never_together: Annotated[
        list[Annotated[list[Literal[GROUPS]], Field(min_length=2, max_length=2)]],  # type: ignore[valid-type]
        Field(max_length=12),
    ] = []


class StackingRulesOut(Schema):
    max_redeemables: int
    one_per_order: list[str]
    never_together: list[list[str]]


class VerdictOut(Schema):
    type: str
    status: Literal["applicable", "inapplicable"]
    code: str | None = None
    program_id: str | None = None
    claim_id: str | None = None
    id: str | None = None
    reason: str | None = None
    message: str | None = None
    discount: str
    amount: str
    points: int = 0


class PaidWithOut(Schema):
    type: str
    method: str
    code: str | None = None
    program_id: str | None = None
    amount: str
    points: int = 0


class OrderTotalsOut(Schema):
    currency: str
    total: str
    discount_total: str
    total_after_discounts: str
    amount_due: str
    paid_with: list[PaidWithOut]


class ValidationOut(Schema):
    valid: bool
    redeemables: list[VerdictOut]
    order: OrderTotalsOut


class QualificationOut(Schema):
    type: str
    id: str
    code: str | None = None
    program_id: str | None = None
    claim_id: str | None = None
    status: Literal["applicable", "inapplicable"]
    discount: str
    amount: str
    value: str
    points_cost: int | None = None
    reason: str | None = None
    message: str | None = None


class QualificationsOut(Schema):
    data: list[QualificationOut]


class LineOut(Schema):
    type: str
    ref: str
    state: str
    discount: str
    amount: str
    returned: str
    points: int


class ActorOut(Schema):
    type: str
    id: str


class RedemptionOut(Schema):
    id: str
    status: Literal["reserved", "redeemed", "released", "rolled_back"]
    customer_id: str | None
    policy: str
    redeemables: list[VerdictOut]
    order: OrderTotalsOut
    lines: list[LineOut]
    order_id: str | None
    order_recorded: bool
    channel: str
    location: str | None
    actor: ActorOut | None
    expires_at: datetime | None
    created_at: datetime
    confirmed_at: datetime | None
    released_at: datetime | None
    rolled_back_at: datetime | None

    @staticmethod
    def resolve_id(obj: Any) -> str:
        return str(obj.public_id)

    @staticmethod
    def resolve_customer_id(obj: Any) -> str | None:
        return obj.customer.external_id if obj.customer_id else None

    @staticmethod
    def resolve_redeemables(obj: Any) -> list[Any]:
        return list(obj.result.get("redeemables", []))

    @staticmethod
    def resolve_order(obj: Any) -> Any:
        return obj.result.get("order")

    @staticmethod
    def resolve_lines(obj: Any) -> list[dict[str, Any]]:
        return [
            {
                "type": line.type,
                "ref": line.ref,
                "state": line.state,
                "discount": format_amount(line.discount, obj.currency),
                "amount": format_amount(line.amount, obj.currency),
                "returned": format_amount(line.returned, obj.currency),
                "points": line.points,
            }
            for line in sorted(obj.lines.all(), key=lambda line: line.position)
        ]

    @staticmethod
    def resolve_order_id(obj: Any) -> str | None:
        return obj.order_id or None

    @staticmethod
    def resolve_location(obj: Any) -> str | None:
        return obj.location or None

    @staticmethod
    def resolve_actor(obj: Any) -> dict[str, str] | None:
        return {"type": obj.actor_type, "id": obj.actor_id} if obj.actor_type else None
