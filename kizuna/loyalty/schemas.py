"""Request and response shapes of the loyalty API (API.md, Loyalty). Policies, triggers,
effects and conditions are JSON objects checked by the services, which name every fault by
its path; the shapes here document them for clients."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, StrictBool, StrictInt, WithJsonSchema

from kizuna.core.ids import OBJECT_ID_MAX_LENGTH
from kizuna.core.schemas import Currency, ExternalId, InputSchema, IsoDateTime
from kizuna.customers.schemas import EventIn
from kizuna.loyalty.models import NAME_MAX_LENGTH, REASON_MAX_LENGTH, EntryType
from kizuna.orders.schemas import OrderIn

# An object id: its rule is in the document and checked by the services, which answer
# `invalid_id` (as for segments).
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
# Points that the services check, so that 1.5, "5" or true get the documented code
# (`invalid_points`), never a point by coercion.
Points = Annotated[Any, WithJsonSchema({"type": "integer"})]
Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX_LENGTH)]
Json = dict[str, Any]


class ProgramIn(InputSchema):
    id: ObjectId | None = None
    name: Name
    points_name: dict[str, str] = Field(
        default={"default": "points"},
        examples=[{"default": "points", "ja": "ポイント", "ko": "포인트"}],
    )
    currency: Currency
    timezone: Annotated[str, Field(max_length=64)] = "UTC"
    status: Literal["draft", "active", "paused"] = "draft"
    enrolment: Literal["automatic", "explicit"] = "automatic"
    pending: Json | None = Field(
        default=None, description='null, {"days": 14} or {"until_event": "order_delivered"}.'
    )
    expiry: Json = Field(
        default={"policy": "none"},
        description='{"policy": "none"}, {"policy": "rolling", "days"|"months": N, '
        '"reset_on_activity": bool} or {"policy": "fixed", "period": "month"|"quarter"|"year", '
        '"periods_after": N}.',
    )
    returns: Json = Field(default={"clawback": True, "allow_negative": False})


class ProgramPatch(InputSchema):
    name: Name | None = None
    points_name: dict[str, str] | None = None
    currency: Currency | None = None
    timezone: Annotated[str, Field(max_length=64)] | None = None
    status: Literal["draft", "active", "paused"] | None = None
    enrolment: Literal["automatic", "explicit"] | None = None
    pending: Json | None = None
    expiry: Json | None = None
    returns: Json | None = None


class ProgramOut(Schema):
    id: str = Field(alias="key")
    name: str
    points_name: dict[str, str]
    currency: str
    timezone: str
    status: str
    enrolment: str
    pending: Json | None
    expiry: Json
    returns: Json
    created_at: datetime
    updated_at: datetime


class MemberIn(InputSchema):
    customer_id: ExternalId


class MemberOut(Schema):
    program_id: str = Field(alias="program.key")
    customer_id: str = Field(alias="customer.external_id")
    enrolled_at: datetime
    points: int = Field(alias="active")
    pending: int
    tier: str | None

    @staticmethod
    def resolve_tier(account: Any) -> str | None:
        return account.tier_key


class RuleIn(InputSchema):
    id: ObjectId | None = None
    name: Name
    status: Literal["active", "inactive"] = "active"
    trigger: Json = Field(
        examples=[{"type": "order_paid"}, {"type": "event", "event": "review_posted"}]
    )
    condition: Json | None = None
    effect: Json = Field(
        examples=[
            {"type": "fixed", "points": 50},
            {"type": "proportional", "points": 1, "per": "1.00", "base": "total"},
        ]
    )
    priority: StrictInt = 100
    stop_after: StrictBool = False
    limits: list[Json] = []
    budget_points: StrictInt | None = None
    active_from: IsoDateTime | None = None
    active_until: IsoDateTime | None = None
    schedule: Json | None = None
    tier_multipliers: dict[str, str] = {}


class RulePatch(InputSchema):
    name: Name | None = None
    status: Literal["active", "inactive"] | None = None
    trigger: Json | None = None
    condition: Json | None = None
    effect: Json | None = None
    priority: StrictInt | None = None
    stop_after: StrictBool | None = None
    limits: list[Json] | None = None
    budget_points: StrictInt | None = None
    active_from: IsoDateTime | None = None
    active_until: IsoDateTime | None = None
    schedule: Json | None = None
    tier_multipliers: dict[str, str] | None = None


class RuleOut(Schema):
    id: str = Field(alias="key")
    program_id: str = Field(alias="program.key")
    name: str
    status: str
    trigger: Json
    condition: Json | None
    effect: Json
    priority: int
    stop_after: bool
    limits: list[Json]
    budget_points: int | None
    points_awarded: int = Field(description="Points the rule has given (its budget's meter).")
    active_from: datetime | None
    active_until: datetime | None
    schedule: Json | None
    tier_multipliers: dict[str, str]
    created_at: datetime
    updated_at: datetime


class TierIn(InputSchema):
    id: ObjectId | None = None
    name: Name
    rank: int = Field(description="1 is the lowest.")
    qualify: Json = Field(
        examples=[{"metric": "points_earned", "threshold": 1000, "window": "calendar_year"}]
    )
    grace_days: int = 0
    benefits: list[Any] | Json = []


class TierPatch(InputSchema):
    name: Name | None = None
    rank: int | None = None
    qualify: Json | None = None
    grace_days: int | None = None
    benefits: list[Any] | Json | None = None


class TierOut(Schema):
    id: str = Field(alias="key")
    program_id: str = Field(alias="program.key")
    name: str
    rank: int
    qualify: Json
    grace_days: int
    benefits: list[Any] | Json


class MilestoneIn(InputSchema):
    id: ObjectId | None = None
    name: Name
    goal: Json = Field(
        examples=[
            {"type": "count", "trigger": {"type": "order_paid"}, "target": 5, "within": "30d"}
        ]
    )
    points: int = 0
    badge: Json | None = None
    repeat: Literal["once", "per_period"] = "once"


class MilestoneOut(Schema):
    id: str = Field(alias="key")
    program_id: str = Field(alias="program.key")
    name: str
    goal: Json
    points: int
    badge: Json | None
    repeat: str


class AdjustmentIn(InputSchema):
    # The service checks both, so that a missing, blank or too long reason is
    # `reason_required` and points that are not a whole number `invalid_points`.
    model_config = ConfigDict(json_schema_extra={"required": ["points", "reason"]})

    points: Points = Field(description="A whole number; negative points remove points.")
    reason: Annotated[
        Any,
        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": REASON_MAX_LENGTH}),
    ] = None
    expires_at: IsoDateTime | None = None


class SourceOut(Schema):
    type: str
    id: str


class TransactionOut(Schema):
    id: str
    type: Literal[tuple(EntryType.values)]  # type: ignore[valid-type]
    points: int = Field(description="The change of the member's points (pending ones included).")
    pending_points: int = Field(description="The change of the pending points.")
    balance_after: int = Field(description="The active balance after the entry.")
    reason: str
    source: SourceOut
    rule_id: str | None
    created_at: datetime
    occurred_at: datetime
    expires_at: datetime | None

    @staticmethod
    def resolve_id(entry: Any) -> str:
        return str(entry.pk)

    @staticmethod
    def resolve_points(entry: Any) -> int:
        return int(
            entry.points
            if entry.type == EntryType.ACTIVATE
            else entry.points + entry.pending_points
        )

    @staticmethod
    def resolve_source(entry: Any) -> dict[str, str]:
        return {"type": entry.source_type, "id": entry.source_id}

    @staticmethod
    def resolve_rule_id(entry: Any) -> str | None:
        return entry.rule_key or None


class ExpiringOut(Schema):
    points: int
    expires_at: datetime


class PointsOut(Schema):
    active: int
    pending: int
    lifetime_earned: int
    spent: int
    expired: int
    expiring: list[ExpiringOut]


class ProgressOut(Schema):
    metric: str
    current: int | str
    target: int | str


class TierStandingOut(Schema):
    id: str | None
    name: str | None
    since: datetime | None
    until: datetime | None
    next_tier: str | None
    progress: ProgressOut | None


class MilestoneProgressOut(Schema):
    id: str
    progress: int
    target: int
    achieved_at: datetime | None


class MemberLoyaltyOut(Schema):
    program_id: str
    points: PointsOut
    tier: TierStandingOut | None
    milestones: list[MilestoneProgressOut]
    badges: list[Json]

    @staticmethod
    def resolve_program_id(view: Any) -> str:
        return str(view.account.program.key)

    @staticmethod
    def resolve_points(view: Any) -> dict[str, Any]:
        account = view.account
        return {
            "active": account.active,
            "pending": account.pending,
            "lifetime_earned": account.lifetime_earned,
            "spent": account.spent,
            "expired": account.expired,
            "expiring": view.expiring,
        }


class LoyaltyOut(Schema):
    data: list[MemberLoyaltyOut]


class SimulateIn(InputSchema):
    order: OrderIn | None = Field(default=None, description="An order as POST /orders takes it.")
    event: EventIn | None = Field(default=None, description="An event as POST /events takes it.")
    backtest: Json | None = Field(default=None, description='{"from": time, "to": time}')


class BreakdownOut(Schema):
    rule_id: str
    points: int
    reason: str


class SimulationOut(Schema):
    points: int | None = None
    pending: int | None = Field(
        default=None, description="Of the points, those that would wait (pending policy)."
    )
    breakdown: list[BreakdownOut] | None = None
    orders_considered: int | None = None
    customers_affected: int | None = None
    points_total: int | None = None
    points_by_month: list[Json] | None = None
    top_customers: list[Json] | None = None


class LoyaltyExportOut(Schema):
    """A loyalty account in the data export: its balances and every ledger entry."""

    program_id: str = Field(alias="program.key")
    enrolled_at: datetime
    active: int
    pending: int
    lifetime_earned: int
    spent: int
    expired: int
    tier: str | None
    transactions: list[TransactionOut]

    @staticmethod
    def resolve_tier(account: Any) -> str | None:
        return account.tier_key
