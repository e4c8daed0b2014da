"""Request and response shapes of the customers, orders and events API (API.md)."""

import json
import re
from contextlib import suppress
from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from kizuna.core.text import ISO_DATE
from kizuna.customers.services import EXTERNAL_ID, MAX_ATTRIBUTES, MIN_YEAR

_DECIMAL = re.compile(r"[0-9]{1,14}(\.[0-9]{1,4})?")
# The start of an ISO 8601 (RFC 3339) date and time, or a date alone (which then lacks its
# offset): the rest is checked by parsing it.
_ISO_DATETIME_START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[Tt ][0-9]{2}:[0-9]{2}|\Z)")
_DATETIME_EXAMPLE = "2026-05-01T10:00:00+09:00"
_DATETIME = TypeAdapter(datetime)
MAX_JSON_BYTES = 16 * 1024


def _decimal_string(value: str) -> str:
    if not _DECIMAL.fullmatch(value):
        raise ValueError('must be a non-negative decimal string such as "12.50"')
    return value


def _external_id(value: str) -> str:
    if not EXTERNAL_ID.fullmatch(value):
        raise ValueError("must be 1 to 128 characters without spaces, '/', '?', '#', '%' or '\\'")
    return value


def _date_string(value: Any) -> Any:
    """Dates are 'YYYY-MM-DD' strings: not numbers (taken as Unix times), not datetimes."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise PydanticCustomError("date_type", "Input should be a date such as 1990-04-01")
    return value


def _aware_datetime(value: Any) -> datetime:
    """Times are ISO 8601 strings with an offset, from 1900 on: not numbers (which would be
    taken as Unix times), not dates, not local times."""
    parsed = value if isinstance(value, datetime) else None
    if isinstance(value, str) and _ISO_DATETIME_START.match(value):
        with suppress(ValidationError):
            parsed = _DATETIME.validate_python(value)
    if parsed is None:
        raise PydanticCustomError(
            "invalid_datetime",
            "Input should be an ISO 8601 date and time with an offset, such as {example}",
            {"example": _DATETIME_EXAMPLE},
        )
    if parsed.utcoffset() is None:
        raise PydanticCustomError(
            "datetime_without_offset",
            "Input should have an offset, such as {example}",
            {"example": _DATETIME_EXAMPLE},
        )
    if parsed.year < MIN_YEAR:
        raise PydanticCustomError(
            "invalid_datetime", "Input should be a time from {year} on", {"year": MIN_YEAR}
        )
    return parsed


def _scalar(value: Any) -> Any:
    if value is not None and not isinstance(value, str | bool | int | float):
        raise PydanticCustomError(
            "invalid_attribute_value",
            "Attribute values are strings, numbers, booleans or dates (YYYY-MM-DD).",
        )
    return value


def _few_attributes(value: Any) -> Any:
    """Counted before the keys and values are validated one by one."""
    if isinstance(value, dict) and len(value) > MAX_ATTRIBUTES:
        raise PydanticCustomError(
            "too_many_attributes",
            "A customer has at most {limit} attributes",
            {"limit": MAX_ATTRIBUTES},
        )
    return value


def _small_json(value: dict[str, Any]) -> dict[str, Any]:
    if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_JSON_BYTES:
        raise PydanticCustomError(
            "too_large",
            "Input should be at most {limit} KB of JSON",
            {"limit": MAX_JSON_BYTES // 1024},
        )
    return value


DecimalString = Annotated[
    str, Field(max_length=20, examples=["12.50"]), AfterValidator(_decimal_string)
]
ExternalId = Annotated[str, Field(max_length=128), AfterValidator(_external_id)]
SmallJson = Annotated[dict[str, Any], AfterValidator(_small_json)]
Text100 = Annotated[str, Field(max_length=100)]
Text200 = Annotated[str, Field(max_length=200)]
Text300 = Annotated[str, Field(max_length=300)]
Currency = Annotated[str, Field(min_length=3, max_length=3, examples=["USD"])]
IsoDate = Annotated[date, BeforeValidator(_date_string)]
IsoDateTime = Annotated[
    AwareDatetime, BeforeValidator(_aware_datetime), Field(examples=[_DATETIME_EXAMPLE])
]
AttributeValue = Annotated[str | bool | int | float | None, BeforeValidator(_scalar)]
Attributes = Annotated[
    dict[Annotated[str, Field(max_length=64)], AttributeValue],
    Field(max_length=MAX_ATTRIBUTES),
    BeforeValidator(_few_attributes),
]


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- customers


class ConsentIn(InputSchema):
    status: Literal["granted", "denied", "pending"]
    updated_at: IsoDateTime | None = None


class CustomerFields(InputSchema):
    email: Annotated[str, Field(max_length=254)] | None = None
    phone: Annotated[str, Field(max_length=32)] | None = None
    first_name: Text100 | None = None
    last_name: Text100 | None = None
    birthdate: IsoDate | None = None
    locale: Annotated[str, Field(max_length=35)] | None = None
    timezone: Annotated[str, Field(max_length=64)] | None = None
    attributes: Attributes | None = Field(
        default=None,
        description=f"At most {MAX_ATTRIBUTES} keys; null deletes a key.",
    )
    consents: dict[str, ConsentIn] | None = None


class CustomerCreateIn(CustomerFields):
    external_id: ExternalId


class CustomerUpsertIn(CustomerFields):
    pass


class CustomerPatchIn(CustomerFields):
    pass


class ConsentOut(Schema):
    status: str
    updated_at: datetime


class ProfileFieldsOut(Schema):
    """The profile fields every customer representation shares."""

    external_id: str
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    birthdate: date | None
    locale: str | None
    timezone: str | None


class CustomerOut(ProfileFieldsOut):
    attributes: dict[str, str | bool | int | float]
    consents: dict[str, ConsentOut]
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None = Field(
        description="When the customer's personal data was erased (POST "
        "/customers/{customer_id}/erase); null otherwise. An erased customer keeps a "
        "generated external_id (erased-...) and only the orders and refunds it had."
    )


class CustomerPage(Schema):
    data: list[CustomerOut]
    next_cursor: str | None


class TimelineEntryOut(Schema):
    id: str
    kind: str
    object_id: str
    occurred_at: datetime
    summary: dict[str, Any]


class TimelinePage(Schema):
    data: list[TimelineEntryOut]
    next_cursor: str | None


class AttributeDefinitionOut(Schema):
    key: str
    type: Literal["string", "number", "boolean", "date"] = Field(
        description="Fixed by the attribute's first write; later values must be of this type "
        "(a string attribute also takes strings that look like dates)."
    )
    created_at: datetime = Field(description="When the attribute was first written.")


class AttributeDefinitionPage(Schema):
    data: list[AttributeDefinitionOut]
    next_cursor: str | None


# ---------------------------------------------------------------- orders


class OrderItemIn(InputSchema):
    sku: Annotated[str, Field(min_length=1, max_length=128)]
    name: Text300 = ""
    category: Text200 = ""
    quantity: Annotated[StrictInt, Field(ge=1, le=1_000_000)]
    unit_price: DecimalString


class OrderIn(InputSchema):
    external_id: ExternalId
    customer_id: ExternalId
    email: Annotated[str, Field(max_length=254)] | None = Field(
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
    location: Text200 = ""
    occurred_at: IsoDateTime | None = None
    items: Annotated[list[OrderItemIn], Field(max_length=500)] = []
    metadata: SmallJson = {}


class OrderStatusIn(InputSchema):
    status: Literal["paid", "pending", "cancelled"]


class RefundItemIn(InputSchema):
    sku: Annotated[str, Field(min_length=1, max_length=128)]
    quantity: Annotated[StrictInt, Field(ge=1, le=1_000_000)]


class RefundIn(InputSchema):
    external_id: ExternalId
    items: Annotated[list[RefundItemIn], Field(min_length=1, max_length=500)] | None = None
    amount: DecimalString | None = None
    currency: Currency | None = None
    reason: Annotated[str, Field(max_length=500)] = ""
    occurred_at: IsoDateTime | None = None


class LoyaltyEffectOut(Schema):
    program_id: str
    points_earned: int
    points_pending: int
    balance: int


class OrderItemOut(Schema):
    sku: str
    name: str
    category: str
    quantity: int
    unit_price: str
    refunded_quantity: int


class RefundItemOut(Schema):
    sku: str
    quantity: int
    amount: str


class RefundOut(Schema):
    external_id: str
    order_id: str
    amount: str
    currency: str
    reason: str
    items: list[RefundItemOut]
    occurred_at: datetime
    created_at: datetime
    loyalty: list[LoyaltyEffectOut]


class OrderOut(Schema):
    external_id: str
    customer_id: str
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
    created_at: datetime
    updated_at: datetime
    loyalty: list[LoyaltyEffectOut]


class OrderPage(Schema):
    data: list[OrderOut]
    next_cursor: str | None


# ---------------------------------------------------------------- custom events


class EventIn(InputSchema):
    id: ExternalId
    name: Annotated[str, Field(min_length=1, max_length=100)]
    customer_id: ExternalId
    email: Annotated[str, Field(max_length=254)] | None = Field(
        default=None, description="Used only when the event creates a new customer."
    )
    properties: SmallJson = {}
    occurred_at: IsoDateTime | None = None


class EventOut(Schema):
    id: str
    name: str
    customer_id: str
    properties: dict[str, Any]
    occurred_at: datetime
    created_at: datetime
    loyalty: list[LoyaltyEffectOut]


# ---------------------------------------------------------------- import and export


class ImportErrorOut(Schema):
    row: int = Field(description="The row as a spreadsheet numbers it: the header is row 1.")
    external_id: str | None
    field: str | None = Field(description="The column at fault, e.g. email or attributes.vip.")
    code: str
    message: str


class ImportCountsOut(Schema):
    created: int
    updated: int
    unchanged: int
    rejected: int


class ImportFailureOut(Schema):
    code: str = Field(
        description="A problem with the file (e.g. invalid_encoding), or import_interrupted."
    )
    message: str


class CustomerImportOut(Schema):
    id: str
    filename: str
    format: Literal["csv", "xlsx"]
    source: Literal["api", "command"]
    status: Literal["queued", "running", "completed", "failed"] = Field(
        description="queued until a worker takes the run, running while its rows are "
        "imported, then completed, or failed (see failure)."
    )
    columns: list[str]
    total_rows: int = Field(description="Rows of customers in the file (blank rows skipped).")
    processed_rows: int = Field(
        description="Rows imported so far; counts and errors are as of the same point."
    )
    percent: int = Field(description="processed_rows as a percentage of total_rows (0 to 100).")
    counts: ImportCountsOut
    errors: list[ImportErrorOut] = Field(
        description="Why each rejected row was rejected (at most 1,000 entries are kept)."
    )
    errors_truncated: bool = Field(description="True when more errors occurred than are listed.")
    failure: ImportFailureOut | None = Field(description="Why a failed run stopped.")
    started_at: datetime = Field(
        description="When the file was uploaded, then when a worker started importing it."
    )
    finished_at: datetime | None


# ---------------------------------------------------------------- privacy


class TypedAttributeOut(Schema):
    key: str
    type: Literal["string", "number", "boolean", "date"]
    value: str | bool | int | float


class ProfileOut(ProfileFieldsOut):
    attributes: list[TypedAttributeOut] = Field(description="By key, each with its type.")
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None


class ConsentChangeOut(Schema):
    channel: str
    status: Literal["granted", "denied", "pending"]
    previous_status: Literal["granted", "denied", "pending"] | None
    source: str = Field(description="Where the change came from: api or import.")
    occurred_at: datetime
    recorded_at: datetime


class CustomerDataExportOut(Schema):
    """Everything the workspace holds about one customer. Lists are complete, however long
    (never paginated nor truncated), and oldest first."""

    exported_at: datetime
    profile: ProfileOut
    consents: dict[str, ConsentOut] = Field(description="The current consent per channel.")
    consent_history: list[ConsentChangeOut] = Field(
        description="Every consent change, oldest first."
    )
    orders: list[OrderOut] = Field(
        description="Every order with its items and refunds, as GET /orders/{external_id}, "
        "oldest first."
    )
    events: list[EventOut] = Field(description="Every custom event, oldest first.")
    timeline: list[TimelineEntryOut] = Field(description="Every timeline entry, oldest first.")


class ErasureOut(Schema):
    status: Literal["erased"]
    erasure_id: str = Field(
        description="The erasure's id, also in the payload of the customer.erased event."
    )
    erased_at: datetime
