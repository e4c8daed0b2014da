"""Shapes every app's API shares: the error body, pages, and the input types that carry the
product's rules for ids, money, times and free-form JSON (defined once, here)."""

import json
import re
from contextlib import suppress
from datetime import date, datetime
from operator import attrgetter
from typing import Annotated, Any

from ninja import Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from kizuna.core.ids import (
    EXTERNAL_ID_MAX_LENGTH,
    EXTERNAL_ID_PATTERN,
    EXTERNAL_ID_RULE,
    OBJECT_ID,
    OBJECT_ID_MAX_LENGTH,
    is_external_id,
    normalize_id,
)
from kizuna.core.money import CURRENCIES, format_amount
from kizuna.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from kizuna.core.text import ISO_DATE
from kizuna.core.times import DATETIME_EXAMPLE, MIN_YEAR


class ErrorOut(Schema):
    code: str = Field(description="Machine-readable, stable: branch on this.")
    message: str = Field(description="A sentence for people.")
    field: str | None = Field(description="The input at fault, e.g. items[0].quantity.")
    details: list[dict[str, Any]]
    request_id: str


# Every operation may answer these with the error body: the API's own (400 to 500), and the
# server's, before or around Django (411 a chunked body the server cannot read, 414 and 431
# gunicorn's limits, 503 a request that ran past the worker timeout).
ERROR_STATUSES = frozenset(
    {400, 401, 403, 404, 405, 409, 411, 413, 414, 415, 422, 429, 431, 500, 503}
)


def with_errors(ok: dict[int, Any]) -> dict[Any, Any]:
    """The success schemas of an operation plus the error body for every error status."""
    return {**ok, ERROR_STATUSES: ErrorOut}


class PageParams(Schema):
    # The bounds are checked by the pagination (422 invalid_limit), and stated here for
    # clients generated from the document.
    limit: int | None = Field(
        default=None,
        description=f"1 to {MAX_LIMIT}; {DEFAULT_LIMIT} when absent.",
        json_schema_extra={"minimum": 1, "maximum": MAX_LIMIT},
    )
    cursor: str | None = Field(
        default=None,
        max_length=1000,
        # As the API writes them (base64url and a signature); any other is invalid_cursor.
        json_schema_extra={"pattern": "^[A-Za-z0-9_.-]+$"},
    )


class Page[T](Schema):
    """One page of a list: `next_cursor` fetches the next, null on the last page."""

    data: list[T]
    next_cursor: str | None


def page(rows: list[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"data": rows, "next_cursor": next_cursor}


def money(name: str, currency: str = "currency") -> Any:
    """A resolver that presents the Decimal attribute `name` as a string in the minor units
    of the currency at the dotted path `currency` ("12.50" in USD, "1200" in JPY)."""
    amount_of = attrgetter(name)
    currency_of = attrgetter(currency)

    def resolve(obj: Any) -> str:
        return format_amount(amount_of(obj), currency_of(obj))

    return staticmethod(resolve)


# ------------------------------------------------------------------ input types


class InputSchema(Schema):
    """Request bodies refuse fields they do not know."""

    model_config = ConfigDict(extra="forbid")


_DECIMAL = re.compile(r"[0-9]{1,14}(\.[0-9]{1,4})?")
# The start of an ISO 8601 (RFC 3339) date and time, or a date alone (which then lacks its
# offset): the rest is checked by parsing it.
_ISO_DATETIME_START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[Tt ][0-9]{2}:[0-9]{2}|\Z)")
_DATETIME = TypeAdapter(datetime)
MAX_JSON_BYTES = 16 * 1024


def _decimal_string(value: str) -> str:
    if not _DECIMAL.fullmatch(value):
        raise ValueError('must be a non-negative decimal string such as "12.50"')
    return value


def _normalized(value: Any) -> Any:
    return normalize_id(value) if isinstance(value, str) else value


def _external_id(value: str) -> str:
    if not is_external_id(value):
        raise ValueError(f"must be {EXTERNAL_ID_RULE}")
    return value


# The id rule in the OpenAPI document.
_ID_SCHEMA = {"minLength": 1, "maxLength": EXTERNAL_ID_MAX_LENGTH, "pattern": EXTERNAL_ID_PATTERN}


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
            {"example": DATETIME_EXAMPLE},
        )
    if parsed.utcoffset() is None:
        raise PydanticCustomError(
            "datetime_without_offset",
            "Input should have an offset, such as {example}",
            {"example": DATETIME_EXAMPLE},
        )
    if parsed.year < MIN_YEAR:
        raise PydanticCustomError(
            "invalid_datetime", "Input should be a time from {year} on", {"year": MIN_YEAR}
        )
    return parsed


def _small_json(value: dict[str, Any]) -> dict[str, Any]:
    if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_JSON_BYTES:
        raise PydanticCustomError(
            "too_large",
            "Input should be at most {limit} KB of JSON",
            {"limit": MAX_JSON_BYTES // 1024},
        )
    return value


DecimalString = Annotated[
    str,
    Field(
        max_length=20,
        examples=["12.50"],
        json_schema_extra={"pattern": f"^{_DECIMAL.pattern}$"},
    ),
    AfterValidator(_decimal_string),
]
ExternalId = Annotated[
    str,
    Field(max_length=EXTERNAL_ID_MAX_LENGTH, json_schema_extra=_ID_SCHEMA),
    BeforeValidator(_normalized),
    AfterValidator(_external_id),
]
# An id in a path (`/customers/{customer_id}`) or a query (`?customer_id=`), normalized to NFC
# as a body's ids are. An id that breaks the rule names no object: a lookup answers 404, and a
# service that would create the object (PUT) refuses it with 422 `invalid_external_id`.
PathId = Annotated[str, Field(json_schema_extra=_ID_SCHEMA), BeforeValidator(_normalized)]
# The id of a configured object (a program, a rule, a tier, a segment) in a path: its rule in
# the document; an id that breaks it names no object (404).
ObjectPathId = Annotated[
    str,
    Field(
        json_schema_extra={
            "minLength": 1,
            "maxLength": OBJECT_ID_MAX_LENGTH,
            "pattern": f"^{OBJECT_ID.pattern}$",
        }
    ),
]
# Import runs are numbered; any other id is 404 import_not_found, as a run that never existed.
ImportId = Annotated[str, WithJsonSchema({"type": "string", "pattern": "^[0-9]{1,18}$"})]
SmallJson = Annotated[dict[str, Any], AfterValidator(_small_json)]
# Checked by the money helpers (422 invalid_currency); the document lists the codes.
Currency = Annotated[
    str,
    Field(
        min_length=3,
        max_length=3,
        examples=["USD"],
        json_schema_extra={"enum": sorted(CURRENCIES)},
    ),
]
IsoDate = Annotated[date, BeforeValidator(_date_string)]
IsoDateTime = Annotated[
    AwareDatetime, BeforeValidator(_aware_datetime), Field(examples=[DATETIME_EXAMPLE])
]


# ---------------------------------------------------------------- bulk imports (ADR 0023)


class BulkImportErrorOut(Schema):
    row: int = Field(
        description="The row (CSV, XLSX: the header is row 1) or line (JSON lines) at fault."
    )
    id: str | None = Field(description="The row's external_id (orders) or id (events).")
    field: str | None = Field(description="The field at fault, e.g. items[0].quantity.")
    code: str
    message: str


class BulkImportCountsOut(Schema):
    created: int = Field(alias="created_count")
    unchanged: int = Field(
        alias="unchanged_count", description="Rows whose fact was stored already."
    )
    rejected: int = Field(alias="rejected_count")


class BulkImportFailureOut(Schema):
    code: str = Field(alias="failure_code")
    message: str = Field(alias="failure_message")


class BulkImportOut(Schema):
    id: str
    kind: str = Field(description="orders or events.")
    filename: str
    format: str = Field(alias="file_format", description="csv, xlsx or jsonl.")
    status: str = Field(description="queued, running, completed or failed (see failure).")
    emit_events: bool = Field(description="Whether the imported facts emit outbox events.")
    total_rows: int
    processed_rows: int = Field(description="Rows written so far; counts are as of then.")
    percent: int
    counts: BulkImportCountsOut
    errors: list[BulkImportErrorOut] = Field(description="At most 1,000 are kept.")
    errors_truncated: bool
    failure: BulkImportFailureOut | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_id(run: Any) -> str:
        return str(run.pk)

    @staticmethod
    def resolve_emit_events(run: Any) -> bool:
        return bool(run.options.get("emit_events"))

    @staticmethod
    def resolve_counts(run: Any) -> Any:
        return run

    @staticmethod
    def resolve_failure(run: Any) -> Any:
        return run if run.status == "failed" else None


def bulk_import_body(noun: str, example: str) -> dict[str, Any]:
    """The OpenAPI request body of `POST /<noun>/import`."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {
                                "type": "string",
                                "format": "binary",
                                "description": (
                                    "A .csv (UTF-8), .xlsx or .jsonl file of at most 50 MB and "
                                    f"500,000 {noun}. JSON lines: one body of POST /{noun} a "
                                    "line. CSV and XLSX: row 1 names the columns, the fields "
                                    f"of that body ({example} hold JSON). See "
                                    "docs/bulk-import.md."
                                ),
                            },
                            "emit_events": {
                                "type": "boolean",
                                "default": False,
                                "description": (
                                    "Emit outbox events for what is created, as the single "
                                    "endpoint does. Off by default: a history import is not "
                                    "news."
                                ),
                            },
                        },
                        "required": ["file"],
                    }
                }
            },
        }
    }
