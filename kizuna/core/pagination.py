"""Keyset pagination with opaque cursors: stable under inserts, constant cost per page.

A cursor is the sort key of the last row of a page, JSON in URL-safe base64, signed so that a
client cannot forge a position; the values are checked against the model's fields again before
they reach a query."""

import base64
import binascii
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core import signing
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import (
    DateTimeField,
    Field,
    ForeignKey,
    ForeignObjectRel,
    Model,
    Q,
    QuerySet,
)

from kizuna.core.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
_SALT = "kizuna.core.pagination"


def _signer() -> signing.Signer:
    # '.' is not in the URL-safe base64 alphabet, so the cursor stays URL-safe.
    return signing.Signer(salt=_SALT, sep=".")


def _invalid_cursor() -> ValidationFailed:
    return ValidationFailed(
        "The cursor is not one this API returned.", code="invalid_cursor", field="cursor"
    )


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
    if isinstance(value, UUID):
        return str(value)
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"dt"}:
        return datetime.fromisoformat(value["dt"])
    return value


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":")).encode()
    return _signer().sign(base64.urlsafe_b64encode(raw).decode().rstrip("="))


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        body = _signer().unsign(cursor)
    except signing.BadSignature as exc:
        raise _invalid_cursor() from exc
    try:
        padded = body + "=" * (-len(body) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != size:
            raise ValueError("wrong shape")
        return [_decode_value(v) for v in values]
    except (ValueError, binascii.Error, TypeError, UnicodeDecodeError) as exc:
        raise _invalid_cursor() from exc


def _model_field(model: type[Model], path: str) -> Field[Any, Any] | None:
    """The concrete field `path` ('occurred_at', 'pk', 'customer__id') ends at, or None."""
    names = path.split("__")
    for i, name in enumerate(names):
        try:
            field: Any = model._meta.pk if name == "pk" else model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if isinstance(field, ForeignObjectRel) or not isinstance(field, Field):
            return None
        if i == len(names) - 1:
            if isinstance(field, ForeignKey):
                return field.target_field
            return None if field.is_relation else field
        if field.related_model is None or isinstance(field.related_model, str):
            return None
        model = field.related_model
    return None


def _check_values(model: type[Model], fields: tuple[str, ...], values: list[Any]) -> list[Any]:
    """Turn the decoded values into the fields' Python types; a value of the wrong type (a
    cursor of another list, say) is an invalid cursor, never an error deep in the query."""
    checked = []
    for path, value in zip(fields, values, strict=True):
        field = _model_field(model, path)
        if field is None:
            checked.append(value)
            continue
        if value is None or isinstance(value, dict | list):
            raise _invalid_cursor()
        try:
            python = field.to_python(value)
        except (DjangoValidationError, ValueError, TypeError, OverflowError) as exc:
            raise _invalid_cursor() from exc
        if isinstance(field, DateTimeField) and (
            not isinstance(python, datetime) or python.tzinfo is None
        ):
            raise _invalid_cursor()
        checked.append(python)
    return checked


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
    if cursor is not None:  # an empty cursor is not one the API returned
        values = _check_values(queryset.model, fields, decode_cursor(cursor, len(fields)))
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
