"""Typed custom attributes: a value's type is fixed per workspace by the attribute's first
write (an `AttributeDefinition`), and later values must match it."""

import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace
from kizuna.customers.errors import AttributeTypeMismatch
from kizuna.customers.models import (
    ATTRIBUTE_KEY_MAX_LENGTH,
    AttributeDefinition,
    AttributeType,
    infer_attribute_type,
)

# Used with fullmatch: '$' alone would let a trailing newline through.
ATTRIBUTE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
ATTRIBUTE_KEY_RULE = (
    "Attribute names start with a letter and use letters, digits and '_' "
    f"(at most {ATTRIBUTE_KEY_MAX_LENGTH})."
)
MAX_ATTRIBUTES = 100
MAX_ATTRIBUTE_STRING = 1000
MAX_ATTRIBUTE_NUMBER = 1e15


def check_attribute_value(key: str, value: Any, declared: str | None, field: str) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationFailed("Numbers must be finite.", code="invalid_number", field=field)
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and abs(value) >= MAX_ATTRIBUTE_NUMBER
    ):
        raise ValidationFailed("The number is too large.", code="invalid_number", field=field)
    if not isinstance(value, str | bool | int | float):
        raise ValidationFailed(
            "Attribute values are strings, numbers, booleans or dates (YYYY-MM-DD).",
            code="invalid_attribute_value",
            field=field,
        )
    inferred = infer_attribute_type(value)
    if declared == AttributeType.STRING and inferred == AttributeType.DATE:
        inferred = AttributeType.STRING
    if declared is not None and declared != inferred:
        raise AttributeTypeMismatch(
            f"Attribute {key!r} holds {declared} values; got {inferred}.", field=field
        )
    if inferred == AttributeType.DATE and isinstance(value, str):
        try:
            date.fromisoformat(value)
        except ValueError as exc:
            raise ValidationFailed(
                f"{value!r} is not a real date.", code="invalid_date", field=field
            ) from exc
    if isinstance(value, str) and len(value) > MAX_ATTRIBUTE_STRING:
        raise ValidationFailed(
            f"Attribute strings are at most {MAX_ATTRIBUTE_STRING} characters.",
            code="too_long",
            field=field,
        )
    return value


def _merged(
    current: Mapping[str, Any], incoming: Mapping[str, Any], prefix: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The attributes after the merge and the values written, once the number of keys and
    their names are checked (no value checked yet)."""
    attributes_field = f"{prefix}attributes"
    too_many = ValidationFailed(
        f"A customer has at most {MAX_ATTRIBUTES} attributes.",
        code="too_many_attributes",
        field=attributes_field,
    )
    if len(incoming) > MAX_ATTRIBUTES:
        raise too_many
    for key in incoming:
        if not ATTRIBUTE_KEY.fullmatch(key):
            raise ValidationFailed(
                ATTRIBUTE_KEY_RULE,
                code="invalid_attribute_name",
                field=f"{attributes_field}.{key}",
            )
    merged = dict(current)
    written: dict[str, Any] = {}
    for key, value in incoming.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = written[key] = value
    if len(merged) > MAX_ATTRIBUTES:
        raise too_many
    return merged, written


def _check_written(written: Mapping[str, Any], declared: Mapping[str, str], prefix: str) -> None:
    for key, value in written.items():
        check_attribute_value(key, value, declared.get(key), f"{prefix}attributes.{key}")


def merge_attributes(
    workspace: Workspace, current: Mapping[str, Any], incoming: Mapping[str, Any], prefix: str = ""
) -> dict[str, Any]:
    """Merge `incoming` into `current` (None deletes a key). New keys get a type, which later
    writes must respect. Call inside a transaction: definitions are created as needed.

    Everything is checked before anything is written: the number of keys, the names, then
    the values against the types already declared. The missing definitions are then created
    in one statement, in key order, so that concurrent writers of the same new keys wait on
    each other in one order and never deadlock. Their types are read back (another writer
    may have defined a key first) and the values written to them are checked again."""
    merged, written = _merged(current, incoming, prefix)
    if not written:
        return merged
    definitions = AttributeDefinition.objects.for_workspace(workspace)
    declared: dict[str, str] = dict(
        definitions.filter(key__in=list(written)).values_list("key", "type")
    )
    _check_written(written, declared, prefix)
    missing = sorted(key for key in written if key not in declared)
    if missing:
        AttributeDefinition.objects.bulk_create(
            [
                AttributeDefinition(
                    workspace=workspace, key=key, type=infer_attribute_type(written[key])
                )
                for key in missing
            ],
            ignore_conflicts=True,
        )
        declared.update(definitions.filter(key__in=missing).values_list("key", "type"))
        _check_written({key: written[key] for key in missing}, declared, prefix)
    return merged


def merge_attributes_known(
    current: Mapping[str, Any], incoming: Mapping[str, Any], declared: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """`merge_attributes` against types known in memory (a bulk path that read them once):
    the merged attributes and the types the new keys take, which the caller declares."""
    merged, written = _merged(current, incoming, "")
    _check_written(written, declared, "")
    new = {key: str(infer_attribute_type(written[key])) for key in written if key not in declared}
    return merged, new


def declare_attributes(
    workspace: Workspace, types: Mapping[str, str], declared_at: datetime
) -> None:
    """Declare attributes with their types, as their first writes would have (a bulk path
    that writes history declares them before the customers that hold them)."""
    for key, kind in types.items():
        if not ATTRIBUTE_KEY.fullmatch(key) or kind not in AttributeType.values:
            raise ValidationFailed(
                f"{key!r}: {ATTRIBUTE_KEY_RULE} Types are {', '.join(AttributeType.values)}.",
                code="invalid_attribute_name",
                field=f"attributes.{key}",
            )
    AttributeDefinition.objects.bulk_create(
        [
            AttributeDefinition(workspace=workspace, key=key, type=kind, created_at=declared_at)
            for key, kind in types.items()
        ]
    )


def check_declared_values(attributes: Mapping[str, Any], declared: Mapping[str, str]) -> None:
    """Check values against the types declared for them (every key must be declared)."""
    for key, value in attributes.items():
        check_attribute_value(key, value, declared[key], f"attributes.{key}")
