"""Keyset pagination with opaque cursors: stable under inserts, constant cost per page."""

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from django.db.models import Model, Q, QuerySet

from kizuna.core.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if limit < 1 or limit > MAX_LIMIT:
        raise ValidationFailed(
            f"limit must be between 1 and {MAX_LIMIT}.", code="invalid_limit", field="limit"
        )
    return limit


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"dt"}:
        return datetime.fromisoformat(value["dt"])
    return value


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != size:
            raise ValueError("wrong shape")
        return [_decode_value(v) for v in values]
    except (ValueError, binascii.Error, TypeError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            "The cursor is not one this API returned.", code="invalid_cursor", field="cursor"
        ) from exc


def keyset_page[M: Model](
    queryset: QuerySet[M],
    *,
    fields: tuple[str, ...],
    descending: bool,
    cursor: str | None,
    limit: int | None,
) -> tuple[list[M], str | None]:
    """One page of `queryset` ordered by `fields` (the last must be unique, e.g. the pk)."""
    size = check_limit(limit)
    prefix = "-" if descending else ""
    queryset = queryset.order_by(*[prefix + f for f in fields])
    if cursor:
        values = decode_cursor(cursor, len(fields))
        op = "lt" if descending else "gt"
        condition = Q()
        for i, field in enumerate(fields):
            step = Q(**{f"{field}__{op}": values[i]})
            for j in range(i):
                step &= Q(**{fields[j]: values[j]})
            condition |= step
        queryset = queryset.filter(condition)
    rows = list(queryset[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, f) for f in fields])
    return rows, next_cursor
