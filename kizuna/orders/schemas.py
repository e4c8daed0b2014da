"""Request and response shapes of the orders API (API.md). Response schemas present the
models directly; amounts are strings in the currency's minor units."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field, StrictInt

from kizuna.core.schemas import (
    Currency,
    DecimalString,
    ExternalId,
    InputSchema,
    IsoDateTime,
    SmallJson,
    money,
)
from kizuna.customers.schemas import Email, LoyaltyEffectOut, RefundLoyaltyEffectOut
from kizuna.orders import participants
from kizuna.orders.models import (
    CATEGORY_MAX_LENGTH,
    ITEM_NAME_MAX_LENGTH,
    LOCATION_MAX_LENGTH,
    REFUND_REASON_MAX_LENGTH,
    SKU_MAX_LENGTH,
)

Sku = Annotated[str, Field(min_length=1, max_length=SKU_MAX_LENGTH)]
Quantity = Annotated[StrictInt, Field(ge=1, le=1_000_000)]


class OrderItemIn(InputSchema):
    sku: Sku
    name: Annotated[str, Field(max_length=ITEM_NAME_MAX_LENGTH)] = ""
    category: Annotated[str, Field(max_length=CATEGORY_MAX_LENGTH)] = ""
    quantity: Quantity
    unit_price: DecimalString


class PaymentIn(InputSchema):
    method: Literal["card", "cash", "points", "gift_card", "store_credit", "other"]
    amount: DecimalString
    points: int | None = Field(
        default=None,
        ge=1,
        description="With the method points: how many points the customer spends; they are "
        "taken from the balance in the order's transaction (refused when short).",
    )
    program_id: ExternalId | None = Field(
        default=None,
        description="With the method points: the program whose points are spent; needed only "
        "when several live programs use the order's currency.",
    )


class PaymentOut(Schema):
    method: str
    amount: str
    points: int | None = None
    program_id: str | None = None


class OrderIn(InputSchema):
    external_id: ExternalId
    customer_id: ExternalId
    email: Email | None = Field(
        default=None, description="Used only when the order creates a new customer."
    )
    status: Literal["paid", "pending", "cancelled"] = "paid"
    currency: Currency
    total: DecimalString
    subtotal: DecimalString | None = None
    discount_total: DecimalString = "0"
    shipping_total: DecimalString = "0"
    tax_total: DecimalString = "0"
    prices_include_tax: bool = Field(
        default=False,
        description="True where item prices already include tax (tax_total is informative).",
    )
    channel: Literal["online", "store", "app"] = "online"
    location: Annotated[str, Field(max_length=LOCATION_MAX_LENGTH)] = ""
    occurred_at: IsoDateTime | None = None
    items: Annotated[list[OrderItemIn], Field(max_length=500)] = []
    metadata: SmallJson = {}
    payments: Annotated[list[PaymentIn], Field(max_length=20)] = Field(
        default=[],
        description="How the order was paid. Value paid with points, gift cards or store "
        "credit earns no points.",
    )


class OrderStatusIn(InputSchema):
    status: Literal["paid", "pending", "cancelled"]


class RefundItemIn(InputSchema):
    sku: Sku
    quantity: Quantity


class RefundIn(InputSchema):
    external_id: ExternalId
    items: Annotated[list[RefundItemIn], Field(min_length=1, max_length=500)] | None = None
    amount: DecimalString | None = None
    currency: Currency | None = None
    reason: Annotated[str, Field(max_length=REFUND_REASON_MAX_LENGTH)] = ""
    occurred_at: IsoDateTime | None = None


class OrderItemOut(Schema):
    sku: str
    name: str
    category: str
    quantity: int
    unit_price: str
    refunded_quantity: int

    resolve_unit_price = money("unit_price", currency="order.currency")


class RefundItemOut(Schema):
    sku: str
    quantity: int
    amount: str

    resolve_amount = money("amount", currency="refund.currency")


class RefundOut(Schema):
    external_id: str
    order_id: str = Field(alias="order.external_id")
    amount: str
    currency: str
    reason: str
    items: list[RefundItemOut]
    occurred_at: datetime
    created_at: datetime
    loyalty: list[RefundLoyaltyEffectOut]

    resolve_amount = money("amount")

    @staticmethod
    def resolve_loyalty(refund: Any) -> list[Any]:
        return participants.effects(refund, "loyalty")


class OrderOut(Schema):
    external_id: str
    customer_id: str = Field(alias="customer.external_id")
    status: str
    currency: str
    total: str
    subtotal: str
    discount_total: str
    shipping_total: str
    tax_total: str
    prices_include_tax: bool
    refunded_total: str
    channel: str
    location: str
    occurred_at: datetime
    items: list[OrderItemOut]
    refunds: list[RefundOut]
    metadata: dict[str, Any]
    payments: list[PaymentOut]
    created_at: datetime
    updated_at: datetime
    loyalty: list[LoyaltyEffectOut]

    resolve_total = money("total")
    resolve_subtotal = money("subtotal")
    resolve_discount_total = money("discount_total")
    resolve_shipping_total = money("shipping_total")
    resolve_tax_total = money("tax_total")
    resolve_refunded_total = money("refunded_total")

    @staticmethod
    def resolve_loyalty(order: Any) -> list[Any]:
        return participants.effects(order, "loyalty")
