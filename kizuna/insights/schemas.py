"""Request and response shapes of the conditions and segments API (API.md). Responses present
the models directly (resolvers for what is not a plain column)."""

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from kizuna.core.conditions import FieldSpec
from kizuna.core.schemas import InputSchema
from kizuna.customers.schemas import CustomerOut
from kizuna.insights.models import Segment, SegmentRefresh

CONDITION_DESCRIPTION = (
    'A condition: {"all": [...]}, {"any": [...]}, {"not": {...}} or a leaf {"field", "op", '
    '"value"} (fields over a window also take "within", event counts "event"). '
    "GET /conditions/fields lists the fields; docs/conditions.md is the reference. A fault "
    "is 422 invalid_condition, its field the JSON path of the fault."
)
CONDITION_EXAMPLE = {
    "all": [
        {"field": "customer.attributes.city", "op": "in", "value": ["Osaka", "Seoul"]},
        {
            "field": "customer.orders.total_spent",
            "within": "90d",
            "op": "gt",
            "value": "100.00",
        },
    ]
}


def condition_field(**kwargs: Any) -> Any:
    return Field(description=CONDITION_DESCRIPTION, examples=[CONDITION_EXAMPLE], **kwargs)


class SegmentIn(InputSchema):
    id: str | None = Field(
        default=None,
        max_length=64,
        description="Your id for the segment, [a-z0-9][a-z0-9_-]{0,63}; generated when absent.",
    )
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    condition: Any = condition_field()
    materialized: bool = Field(
        default=False,
        description="Keep a membership, refreshed on a schedule and on demand, and emit "
        "segment.entered and segment.left. A live segment is evaluated at query time.",
    )


class SegmentPatchIn(InputSchema):
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    condition: Any = condition_field(default=None)
    materialized: bool | None = None


class SegmentOut(Schema):
    id: str
    name: str
    description: str
    condition: Any = condition_field()
    materialized: bool
    size: int | None = Field(description="Members at the last refresh; null before the first.")
    refreshed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_id(segment: Segment) -> str:
        return segment.key


class SegmentRefreshOut(Schema):
    segment_id: str
    trigger: str
    size: int
    entered: int = Field(description="Customers who entered (0 for a live segment).")
    left: int = Field(description="Customers who left (0 for a live segment).")
    started_at: datetime
    finished_at: datetime
    duration_ms: int

    @staticmethod
    def resolve_segment_id(refresh: SegmentRefresh) -> str:
        return refresh.segment.key


class PreviewIn(InputSchema):
    condition: Any = condition_field()


class PreviewOut(Schema):
    count: int
    sample: list[CustomerOut] = Field(description="The first customers selected, oldest first.")


class ExtraKeyOut(Schema):
    name: str
    description: str


class ConditionFieldOut(Schema):
    name: str
    type: str = Field(
        description="string, number, integer, boolean, date, datetime, money, duration, "
        "or list[...] of one of these."
    )
    description: str
    example: dict[str, Any] = Field(description="A condition leaf using the field.")
    ops: list[str]
    in_memory: bool = Field(description="Evaluable in memory for one customer, order or event.")
    in_sql: bool = Field(
        description="Compilable to SQL: over customers (segments, audiences) for customer "
        "fields, over orders for order fields."
    )
    subject: str = Field(description="What the field describes: customer, order, item, event.")
    extras: list[ExtraKeyOut] = Field(description="Keys a leaf may add: within, event.")
    choices: list[str] | None = Field(description="The values the field takes, if fixed.")

    @staticmethod
    def resolve_type(spec: FieldSpec) -> str:
        return spec.type.name

    @staticmethod
    def resolve_example(spec: FieldSpec) -> dict[str, Any]:
        return dict(spec.example)

    @staticmethod
    def resolve_ops(spec: FieldSpec) -> list[str]:
        return list(spec.ops)

    @staticmethod
    def resolve_in_memory(spec: FieldSpec) -> bool:
        return spec.in_memory is not None

    @staticmethod
    def resolve_in_sql(spec: FieldSpec) -> bool:
        return spec.in_sql is not None

    @staticmethod
    def resolve_extras(spec: FieldSpec) -> list[dict[str, str]]:
        return [{"name": e.name, "description": e.description} for e in spec.extras]

    @staticmethod
    def resolve_choices(spec: FieldSpec) -> list[str] | None:
        return list(spec.choices) if spec.choices is not None else None


class ConditionFieldList(Schema):
    data: list[ConditionFieldOut]
