"""Request and response shapes of the reward catalog, claims and the wallet (API.md,
Rewards). Values, prices, limits and conditions are checked by the services, which name
every fault by its path; the shapes here document them for clients."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field, WithJsonSchema

from kizuna.core.clock import now
from kizuna.core.money import format_amount
from kizuna.core.schemas import InputSchema, IsoDateTime
from kizuna.rewards.models import CARD_TYPES, ClaimState, RewardType
from kizuna.rewards.models.catalog import TRACKING_MAX_LENGTH
from kizuna.vouchers.schemas import GiftCardOut
from kizuna.vouchers.services.lookup import status_of

Json = dict[str, Any]
ObjectId = Annotated[
    str,
    Field(
        json_schema_extra={
            "minLength": 1,
            "maxLength": 64,
            "pattern": r"^[a-z0-9][a-z0-9_-]{0,63}$",
        }
    ),
]
# Checked by the services, so that a wrong number gets the documented code and path.
Points = Annotated[Any, WithJsonSchema({"type": "integer", "minimum": 0})]
Stock = Annotated[Any, WithJsonSchema({"type": ["integer", "null"], "minimum": 0})]
Days = Annotated[Any, WithJsonSchema({"type": ["integer", "null"], "minimum": 1, "maximum": 3650})]
Names = Annotated[
    Any,
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "string"},
                {"type": "object", "additionalProperties": {"type": "string"}},
            ],
            "examples": [{"default": "Free coffee", "ja": "無料コーヒー", "ko": "무료 커피"}],
        }
    ),
]
RewardTypeName = Literal[
    "discount_amount",
    "discount_percent",
    "free_shipping",
    "free_product",
    "gift_card",
    "store_credit",
    "cashback",
    "material",
    "pay_with_points",
]
Status = Literal["active", "inactive", "draft"]
VALUE_DOC = (
    "By type: discount_amount, gift_card, store_credit {amount, currency?}; discount_percent "
    "{percent, max_discount?, currency?}; free_shipping {}; free_product {sku}; cashback "
    "{amount, currency?} or {percent, max_discount?, currency?}; material {sku?}; "
    "pay_with_points {points_per_unit} (points per one unit of the program's currency). "
    "currency defaults to the program's."
)


class RewardIn(InputSchema):
    id: ObjectId | None = None
    name: Names = Field(description='{"default", "ja"?, "ko"?} or one text.')
    description: str | None = Field(default=None, max_length=2000)
    program_id: ObjectId
    type: RewardTypeName
    value: Json | None = Field(default=None, description=VALUE_DOC)
    cost_points: Points = Field(default=None, description="Required but for pay_with_points.")
    tier_costs: dict[str, Points] | None = Field(
        default=None, description='The price per tier: {"gold": 800}.'
    )
    tiers: list[str] | None = Field(
        default=None, description="Only members of these tiers may claim (null: all)."
    )
    stock: Stock = Field(default=None, description="Units left to claim (null: unlimited).")
    limits: list[Json] | None = Field(
        default=None,
        description='Claims per customer: [{"period": "day"|"week"|"month"|"year"|"all_time", '
        '"times": 1}].',
    )
    available_from: IsoDateTime | None = None
    available_until: IsoDateTime | None = None
    condition: Json | None = Field(
        default=None, description="Who may claim: a customer condition (docs/conditions.md)."
    )
    order_condition: Json | None = Field(
        default=None,
        description="The orders a claimed discount applies to: customer and order fields.",
    )
    validity_days: Days = Field(default=None, description="A claim expires after (null: never).")
    status: Status | None = Field(default=None, description="active (default), inactive, draft.")


class RewardPatch(InputSchema):
    name: Names = None
    description: str | None = Field(default=None, max_length=2000)
    program_id: ObjectId | None = Field(default=None, description="Cannot change.")
    type: RewardTypeName | None = Field(default=None, description="Cannot change.")
    value: Json | None = None
    cost_points: Points = None
    tier_costs: dict[str, Points] | None = None
    tiers: list[str] | None = None
    stock: Stock = None
    limits: list[Json] | None = None
    available_from: IsoDateTime | None = None
    available_until: IsoDateTime | None = None
    condition: Json | None = None
    order_condition: Json | None = None
    validity_days: Days = None
    status: Status | None = None


class LimitOut(Schema):
    period: str
    times: int


class RewardOut(Schema):
    id: str = Field(alias="key")
    name: dict[str, str]
    description: str
    program_id: str = Field(alias="program.key")
    type: str
    value: Json
    cost_points: int
    tier_costs: dict[str, int]
    tiers: list[str] | None
    stock: int | None = Field(description="Units left to claim (null: unlimited).")
    claimed: int
    limits: list[LimitOut]
    available_from: datetime | None
    available_until: datetime | None
    condition: Json | None
    order_condition: Json | None
    validity_days: int | None
    status: str
    created_at: datetime
    updated_at: datetime


class IssuedOut(Schema):
    """What the claim issued: a code redeemed at checkout as {"type": "reward", "claim_id"}
    (discounts, free shipping, free product, cashback), a gift card or store credit (its
    code and amount), or nothing yet for a material reward (its fulfilment)."""

    type: str = Field(description="The reward's type.")
    code: str | None = None
    amount: str | None = None
    currency: str | None = None
    percent: str | None = None
    max_discount: str | None = None
    sku: str | None = None
    expires_at: datetime | None = None


class FulfilmentOut(Schema):
    status: str = Field(description="ordered, shipped, delivered or cancelled.")
    tracking: str
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None


class CashbackOut(Schema):
    order_id: str | None
    credited: str
    reversed: str
    currency: str | None
    store_credit_code: str | None


class SourceOut(Schema):
    type: str
    id: str


def _issued(claim: Any) -> dict[str, Any]:
    if claim.type in CARD_TYPES and claim.gift_card is not None:
        card = claim.gift_card
        return {
            "type": claim.type,
            "code": card.code,
            "amount": format_amount(card.initial_amount, card.currency),
            "currency": card.currency,
            "expires_at": card.expires_at,
        }
    out: dict[str, Any] = {
        "type": claim.type,
        "code": claim.code or None,
        "expires_at": claim.expires_at,
    }
    for key in ("amount", "currency", "percent", "max_discount", "sku"):
        if key in claim.effect:
            out[key] = claim.effect[key]
    return out


def state_of(claim: Any) -> str:
    """The claim's state, an issued claim past its time shown as expired."""
    expires_at = claim.expires_at
    if claim.state == ClaimState.ISSUED and expires_at is not None and expires_at <= now():
        return ClaimState.EXPIRED
    return str(claim.state)


class ClaimOut(Schema):
    claim_id: str = Field(alias="public_id")
    reward_id: str = Field(alias="reward.key")
    customer_id: str = Field(alias="customer.external_id")
    type: str
    state: str = Field(
        description="A code: issued, held, used or expired; a gift card or store credit: "
        "issued; a material reward: ordered, shipped, delivered or cancelled."
    )
    points_spent: int
    points_returned: int
    issued: IssuedOut
    fulfilment: FulfilmentOut | None
    cashback: CashbackOut | None
    source: SourceOut | None = Field(description="What granted it (null: claimed with points).")
    redemption_id: str | None
    order_id: str | None
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_state(claim: Any) -> str:
        return state_of(claim)

    @staticmethod
    def resolve_issued(claim: Any) -> dict[str, Any]:
        return _issued(claim)

    @staticmethod
    def resolve_fulfilment(claim: Any) -> Any:
        if claim.type != RewardType.MATERIAL:
            return None
        return {
            "status": claim.state,
            "tracking": claim.tracking,
            "shipped_at": claim.shipped_at,
            "delivered_at": claim.delivered_at,
            "cancelled_at": claim.cancelled_at,
        }

    @staticmethod
    def resolve_cashback(claim: Any) -> Any:
        if claim.type != RewardType.CASHBACK:
            return None
        currency = claim.credit_currency or None
        card = claim.credit_card
        return {
            "order_id": claim.order_external_id or None,
            "credited": format_amount(claim.credited, currency) if currency else "0",
            "reversed": format_amount(claim.reversed, currency) if currency else "0",
            "currency": currency,
            "store_credit_code": card.code if card is not None else None,
        }

    @staticmethod
    def resolve_source(claim: Any) -> Any:
        if not claim.source_id:
            return None
        return {"type": claim.source_type, "id": claim.source_id}

    @staticmethod
    def resolve_redemption_id(claim: Any) -> str | None:
        return claim.redemption_id or None

    @staticmethod
    def resolve_order_id(claim: Any) -> str | None:
        return claim.order_external_id or None


class FulfilmentIn(InputSchema):
    status: Literal["shipped", "delivered", "cancelled"]
    tracking: str | None = Field(default=None, max_length=TRACKING_MAX_LENGTH)
    reason: str | None = Field(default=None, max_length=500)


class WalletVoucherOut(Schema):
    code: str
    campaign_id: str = Field(alias="campaign.key")
    name: str = Field(alias="campaign.name")
    discount: Json = Field(alias="campaign.discount")
    status: str = Field(description="active, inactive, not_started, expired or used_up.")
    uses_left: int | None
    valid_until: datetime | None = Field(alias="campaign.valid_until")

    @staticmethod
    def resolve_status(voucher: Any) -> str:
        return status_of(voucher, now())

    @staticmethod
    def resolve_uses_left(voucher: Any) -> int | None:
        if voucher.max_uses is None:
            return None
        return int(max(0, voucher.max_uses - voucher.uses - voucher.held))


class WalletOut(Schema):
    customer_id: str
    vouchers: list[WalletVoucherOut]
    gift_cards: list[GiftCardOut]
    store_credit: list[GiftCardOut]
    rewards: list[ClaimOut]
