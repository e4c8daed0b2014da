"""Request and response shapes of the vouchers API (API.md, Rewards, vouchers,
redemptions). Discounts, code specs, usage and conditions are JSON objects checked by the
services, which name every fault by its path; the shapes here document them for clients."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field, WithJsonSchema

from kizuna.core.ids import OBJECT_ID_MAX_LENGTH
from kizuna.core.schemas import (
    BulkImportOut,
    Currency,
    DecimalString,
    ExternalId,
    InputSchema,
    IsoDateTime,
    money,
)
from kizuna.vouchers.models import NAME_MAX_LENGTH, REASON_MAX_LENGTH

Json = dict[str, Any]
ObjectId = Annotated[
    str,
    Field(
        json_schema_extra={
            "minLength": 1,
            "maxLength": OBJECT_ID_MAX_LENGTH,
            "pattern": r"^[a-z0-9][a-z0-9_-]{0,63}$",
        }
    ),
]
Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX_LENGTH)]
Reason = Annotated[str, Field(max_length=REASON_MAX_LENGTH)]
# Checked by the services, so that a wrong count gets the documented code (invalid_count).
Count = Annotated[Any, WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 1_000_000})]
CodeText = Annotated[str, Field(min_length=1, max_length=200, examples=["HOSHI-2468-KXRP"])]

DISCOUNT_DOC = (
    '{"type": "amount", "amount": "5.00", "currency": "USD"}, {"type": "percent", "percent": '
    '10, "max_discount"?: "20.00", "currency"?: "USD"}, {"type": "unit", "amount": "2.00", '
    '"currency": "USD", "item_condition": {...}} or {"type": "free_shipping"}.'
)
CODE_DOC = (
    '{"prefix"?, "postfix"?, "charset"?, "length"?} or {"prefix"?, "postfix"?, "charset"?, '
    '"pattern": "HOSHI-####-????"}: # a digit, ? a letter, * any character of the charset '
    "(default ABCDEFGHJKMNPQRSTUVWXYZ23456789), anything else itself."
)


class CampaignIn(InputSchema):
    id: ObjectId | None = None
    name: Name
    status: Literal["active", "paused"] = "active"
    discount: Json = Field(description=DISCOUNT_DOC)
    code: Json | None = Field(default=None, description=CODE_DOC)
    usage: Json | None = Field(
        default=None,
        description='{"per_code": 1, "per_customer": null}: uses of each code (1: single use, '
        "null: unlimited; default 1) and of the campaign by one customer (null: any).",
    )
    valid_from: IsoDateTime | None = None
    valid_until: IsoDateTime | None = None
    condition: Json | None = Field(
        default=None, description="An order condition (docs/conditions.md): customer and order."
    )
    customer_id: ExternalId | None = Field(
        default=None, description="Every code of the campaign belongs to this customer."
    )


class CampaignPatch(InputSchema):
    name: Name | None = None
    status: Literal["active", "paused"] | None = None
    discount: Json | None = None
    code: Json | None = None
    usage: Json | None = None
    valid_from: IsoDateTime | None = None
    valid_until: IsoDateTime | None = None
    condition: Json | None = None
    customer_id: ExternalId | None = None


class UsageOut(Schema):
    per_code: int | None
    per_customer: int | None


class CampaignOut(Schema):
    id: str = Field(alias="key")
    name: str
    status: str
    discount: Json
    code: Json = Field(alias="code_spec")
    usage: UsageOut
    valid_from: datetime | None
    valid_until: datetime | None
    condition: Json | None
    customer_id: str | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_usage(campaign: Any) -> Any:
        return {"per_code": campaign.per_code, "per_customer": campaign.per_customer}

    @staticmethod
    def resolve_customer_id(campaign: Any) -> str | None:
        customer = campaign.customer
        return customer.external_id if customer is not None else None


class CodesIn(InputSchema):
    count: Count = Field(description="How many codes to generate (1 to 1,000,000).")


class FailureOut(Schema):
    code: str = Field(alias="failure_code")
    message: str = Field(alias="failure_message")


class CodeGenerationOut(Schema):
    id: str
    type: Literal["generation"] = "generation"
    campaign_id: str
    status: str = Field(description="queued, running, completed or failed (see failure).")
    requested: int
    created: int = Field(description="Codes stored so far.")
    collisions: int = Field(description="Drawn codes that existed already and were redrawn.")
    percent: int
    failure: FailureOut | None
    url: str = Field(description="Where to follow the run.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_id(run: Any) -> str:
        return str(run.pk)

    @staticmethod
    def resolve_campaign_id(run: Any) -> str:
        return str(run.campaign.key)

    @staticmethod
    def resolve_failure(run: Any) -> Any:
        return run if run.status == "failed" else None

    @staticmethod
    def resolve_url(run: Any) -> str:
        return f"/api/v1/voucher-campaigns/{run.campaign.key}/generations/{run.pk}"


class CodeImportOut(BulkImportOut):
    type: Literal["import"] = "import"
    campaign_id: str
    url: str = Field(description="Where to follow the run.")

    @staticmethod
    def resolve_campaign_id(run: Any) -> str:
        return str(run.options.get("campaign_id"))

    @staticmethod
    def resolve_url(run: Any) -> str:
        return f"/api/v1/voucher-campaigns/{run.options.get('campaign_id')}/imports/{run.pk}"


class QrOut(Schema):
    png: str
    svg: str


class VoucherPublicOut(Schema):
    """What a publishable key sees of a code the visitor may use."""

    code: str
    status: Literal["active"]
    name: str
    discount: Json
    valid_from: datetime | None
    valid_until: datetime | None
    qr: QrOut


class VoucherOut(Schema):
    """What a server key sees of any code of its workspace."""

    code: str
    status: str = Field(description="active, inactive, not_started, expired or used_up.")
    campaign_id: str
    name: str
    discount: Json
    valid_from: datetime | None
    valid_until: datetime | None
    condition: Json | None
    customer_id: str | None = Field(description="The customer the code belongs to, or null.")
    max_uses: int | None = Field(description="null: unlimited.")
    uses: int
    held: int = Field(description="Uses reserved by pending redemptions.")
    uses_left: int | None
    per_customer: int | None
    source: str = Field(description="generated or imported.")
    created_at: datetime
    qr: QrOut


class GiftCardIn(InputSchema):
    code: CodeText | None = Field(default=None, description="Drawn when left out.")
    kind: Literal["gift_card", "store_credit"] = Field(
        default="gift_card",
        description="gift_card: spendable by whoever holds the code; store_credit: one "
        "customer's (customer_id required).",
    )
    amount: DecimalString
    currency: Currency
    customer_id: ExternalId | None = None
    expires_at: IsoDateTime | None = None
    reason: Reason | None = None


class GiftCardOut(Schema):
    code: str
    kind: str
    currency: str
    balance: str
    initial_amount: str
    customer_id: str | None
    status: str = Field(description="active or expired.")
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime

    resolve_balance = money("balance")
    resolve_initial_amount = money("initial_amount")

    @staticmethod
    def resolve_customer_id(card: Any) -> str | None:
        customer = card.customer
        return customer.external_id if customer is not None else None


class TopUpIn(InputSchema):
    amount: DecimalString
    currency: Currency | None = Field(default=None, description="The card's, if given.")
    reason: Reason | None = None


class AdjustmentIn(InputSchema):
    amount: Annotated[
        str,
        Field(
            max_length=21,
            examples=["-5.00"],
            json_schema_extra={"pattern": r"^-?[0-9]{1,14}(\.[0-9]{1,4})?$"},
        ),
    ] = Field(description="Signed: negative takes value off the card.")
    reason: Reason = Field(description="Why (required).")


class SourceOut(Schema):
    type: str
    id: str


class EntryOut(Schema):
    id: str
    type: str = Field(description="issue, top_up, spend, refund, expire or adjust.")
    amount: str = Field(description="Signed: a spend or an expiry is negative.")
    currency: str
    balance_after: str
    reason: str
    source: SourceOut | None
    occurred_at: datetime
    created_at: datetime

    resolve_amount = money("amount")
    resolve_balance_after = money("balance_after")

    @staticmethod
    def resolve_id(entry: Any) -> str:
        return str(entry.pk)

    @staticmethod
    def resolve_source(entry: Any) -> Any:
        if not entry.source_id:
            return None
        return {"type": entry.source_type, "id": entry.source_id}


class TopUpOut(Schema):
    card: GiftCardOut
    transaction: EntryOut


class MovementsOut(Schema):
    issued: str
    topped_up: str
    spent: str
    refunded: str
    expired: str
    adjusted: str = Field(description="Signed.")


class LiabilityRowOut(Schema):
    currency: str
    kind: str
    outstanding: str = Field(description="What the cards of this currency and kind held then.")
    cards_issued: int
    movements: MovementsOut


class LiabilityOut(Schema):
    at: datetime
    since: datetime | None
    data: list[LiabilityRowOut]


class GiftCardExportOut(GiftCardOut):
    """A gift card or store credit in the customer's data export, with its ledger."""

    transactions: list[EntryOut]


class VoucherExportOut(Schema):
    """A voucher code in the customer's data export."""

    code: str
    campaign_id: str = Field(alias="campaign.key")
    uses: int
    max_uses: int | None
    created_at: datetime
