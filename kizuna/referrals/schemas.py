"""Request and response shapes of the referrals API (API.md, Rewards; docs/referrals.md).
Rewards, conversions, caps and code specs are JSON objects checked by the services, which
name every fault by its path; the shapes here document them for clients."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from kizuna.core.ids import OBJECT_ID_MAX_LENGTH
from kizuna.core.schemas import ExternalId, InputSchema, PageParams
from kizuna.referrals.models import NAME_MAX_LENGTH

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
CodeText = Annotated[str, Field(min_length=1, max_length=200, examples=["FRIEND-7KQ2MX4P"])]

REWARD_DOC = (
    '{"type": "points", "points": 500} (credited in loyalty_program_id), {"type": "voucher", '
    '"campaign_id": "welcome"} (one code of the campaign, tied to the customer) or {"type": '
    '"reward", "reward_id": "free-coffee"}; null: nothing for this side.'
)
CONVERSION_DOC = (
    '{"type": "first_order", "min_total"?: "20.00", "currency"?: "USD"}: the referee\'s first '
    'paid order of at least min_total; or {"type": "event", "event": "subscription_started"}.'
)
CAPS_DOC = (
    '[{"period": "day"|"week"|"month"|"year"|"all_time", "times": N}]: at most N referrals '
    "(pending or converted) per referrer per calendar period (UTC); more are rejected "
    "with the reason cap_reached."
)
CODE_DOC = '{"prefix"?: "FRIEND-", "length"?: 8}: how the customers\' codes look.'


class ReferralProgramIn(InputSchema):
    id: ObjectId | None = None
    name: Name
    status: Literal["active", "paused"] = "active"
    loyalty_program_id: ObjectId | None = None
    referrer_reward: Json | None = Field(default=None, description=REWARD_DOC)
    referee_reward: Json | None = Field(default=None, description=REWARD_DOC)
    conversion: Json = Field(description=CONVERSION_DOC)
    attribution: Literal["signup", "first_order", "both"] = "both"
    caps: list[Json] = Field(default_factory=list, description=CAPS_DOC)
    code: Json | None = Field(default=None, description=CODE_DOC)


class ReferralProgramPatch(InputSchema):
    name: Name | None = None
    status: Literal["active", "paused"] | None = None
    loyalty_program_id: ObjectId | None = None
    referrer_reward: Json | None = Field(default=None, description=REWARD_DOC)
    referee_reward: Json | None = Field(default=None, description=REWARD_DOC)
    conversion: Json | None = Field(default=None, description=CONVERSION_DOC)
    attribution: Literal["signup", "first_order", "both"] | None = None
    caps: list[Json] | None = Field(default=None, description=CAPS_DOC)
    code: Json | None = Field(default=None, description=CODE_DOC)


class ReferralProgramOut(Schema):
    id: str = Field(alias="key")
    name: str
    status: str
    loyalty_program_id: str | None
    referrer_reward: Json | None
    referee_reward: Json | None
    conversion: Json
    attribution: str
    caps: list[Json]
    code: Json = Field(alias="code_spec")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_loyalty_program_id(program: Any) -> str | None:
        loyalty = program.loyalty_program
        return loyalty.key if loyalty is not None else None


class ReferralCodeParams(Schema):
    program_id: ObjectId | None = Field(
        default=None, description="The referral program; optional when only one is active."
    )


class ReferralCodeOut(Schema):
    code: str
    program_id: str
    customer_id: str
    created_at: datetime

    @staticmethod
    def resolve_program_id(row: Any) -> str:
        return str(row.program.key)

    @staticmethod
    def resolve_customer_id(row: Any) -> str:
        return str(row.customer.external_id)


class ReferralIn(InputSchema):
    code: CodeText = Field(description="The referrer's code, in any case.")
    customer_id: ExternalId = Field(description="The referee, who signed up with the code.")


class ReferralParams(PageParams):
    role: Literal["referrer", "referee"] | None = Field(
        default=None, description="Only the referrals where the customer has this role."
    )
    status: Literal["pending", "converted", "rejected"] | None = None


class ReferralConversionOut(Schema):
    type: str
    id: str


class ReferralOut(Schema):
    id: str
    program_id: str
    code: str
    referrer_id: str
    referee_id: str
    channel: Literal["signup", "first_order"]
    status: Literal["pending", "converted", "rejected"]
    reason: str | None = Field(
        description="Why it was rejected: self_referral, circular_referral, duplicate_identity, "
        "existing_customer or cap_reached."
    )
    order_id: str | None = Field(description="The order that attributed the referee.")
    attributed_at: datetime
    converted_at: datetime | None
    conversion: ReferralConversionOut | None = Field(description="What converted it.")
    rewards: list[Json] = Field(
        description='What the conversion granted: [{"role": "referrer"|"referee", "type", ..., '
        '"status": "granted"|"skipped", "reason"?}].'
    )

    @staticmethod
    def resolve_id(referral: Any) -> str:
        return str(referral.pk)

    @staticmethod
    def resolve_program_id(referral: Any) -> str:
        return str(referral.program.key)

    @staticmethod
    def resolve_code(referral: Any) -> str:
        return str(referral.code.code)

    @staticmethod
    def resolve_referrer_id(referral: Any) -> str:
        return str(referral.referrer.external_id)

    @staticmethod
    def resolve_referee_id(referral: Any) -> str:
        return str(referral.referee.external_id)

    @staticmethod
    def resolve_reason(referral: Any) -> str | None:
        return referral.reason or None

    @staticmethod
    def resolve_order_id(referral: Any) -> str | None:
        return referral.order_id or None

    @staticmethod
    def resolve_conversion(referral: Any) -> dict[str, str] | None:
        if not referral.conversion_type:
            return None
        return {"type": referral.conversion_type, "id": referral.conversion_id}
