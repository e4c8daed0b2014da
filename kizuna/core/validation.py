"""Pydantic's validation errors as the API reports them: one detail per field, `{field,
code, message}`, the field in the API's path syntax (`items[0].quantity`). The API layer and
the file imports (which validate each row with the same schemas) share it."""

import functools
import types
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

from kizuna.core.errors import KizunaError

ABSENT: Any = object()

_SOURCES = frozenset({"body", "query", "path", "header", "form", "file", "cookie"})
ABSENT = object()


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, dict) and isinstance(part, str) and part in node:
        return node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return ABSENT


def loc_to_field(
    loc: list[Any] | tuple[Any, ...], body: Any = ABSENT, *, missing: bool = False
) -> str | None:
    """('body', 'payload', 'items', 0, 'quantity') -> 'items[0].quantity'.

    Validation locations also hold steps that are not in the input: the member tried in a
    union ('str', 'int', a model's name, a discriminator's value) and '[key]' for a dict's
    keys. With the parsed `body` at hand, a step that the input does not contain is such a
    step and is left out, except the last one of a `missing` error (the absent field)."""
    parts = list(loc)
    source = None
    if parts and parts[0] in _SOURCES:
        source = parts.pop(0)
        if source == "body" and parts and parts[0] == "payload":
            parts.pop(0)
    walk = source == "body" and body is not ABSENT
    node = body
    field = ""
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        if walk:
            child = _child(node, part)
            if child is not ABSENT:
                node = child
            elif not (last and missing):
                continue
        elif part == "[key]" or (
            isinstance(part, str) and part.startswith(("function-", "union[", "tagged-union"))
        ):
            continue
        if isinstance(part, int):
            field += f"[{part}]"
        else:
            field += ("." if field else "") + str(part)
    return field or None


_PYDANTIC_CODES = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "string_too_long": "too_long",
    "string_too_short": "too_short",
    "timezone_aware": "datetime_without_offset",
    "string_unicode": "invalid_character",
    "value_error": "validation_error",
}


def _friendly_code(kind: str) -> str:
    if kind in _PYDANTIC_CODES:
        return _PYDANTIC_CODES[kind]
    if kind.endswith(("_type", "_parsing")) or kind in {"is_instance_of", "model_attributes_type"}:
        return "invalid_type"
    if kind.startswith(("greater_than", "less_than")):
        return "out_of_range"
    if kind in {"literal_error", "enum"}:
        return "invalid_choice"
    if kind in {"too_long", "too_short"}:
        return f"list_{kind}"
    return kind


def _merge_alternatives(details: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One detail per field: the members of a union each report on the same value, so
    'a valid string', 'a valid boolean'... become one message listing what is accepted."""
    merged: dict[str | None, list[dict[str, Any]]] = {}
    for detail in details:
        merged.setdefault(detail["field"], []).append(detail)
    result = []
    for group in merged.values():
        if len(group) == 1:
            result.append(group[0])
            continue
        prefix = "Input should be "
        if all(d["message"].startswith(prefix) for d in group):
            options = list(dict.fromkeys(d["message"].removeprefix(prefix) for d in group))
            message = prefix + (
                options[0] if len(options) == 1 else ", ".join(options[:-1]) + " or " + options[-1]
            )
        else:
            message = "; ".join(dict.fromkeys(d["message"] for d in group))
        codes = {d["code"] for d in group}
        result.append(
            {
                "field": group[0]["field"],
                "code": codes.pop() if len(codes) == 1 else "invalid_type",
                "message": message,
            }
        )
    return result


def validation_details(errors: list[dict[str, Any]], body: Any = ABSENT) -> list[dict[str, Any]]:
    details = []
    for err in errors:
        kind = str(err.get("type", "invalid"))
        message = str(err.get("msg", "Invalid value."))
        custom = err.get("ctx", {}).get("error") if isinstance(err.get("ctx"), dict) else None
        if isinstance(custom, KizunaError):
            kind, message = custom.code, custom.message
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        details.append(
            {
                "field": loc_to_field(err.get("loc", ()), body, missing=kind == "missing"),
                "code": _friendly_code(kind),
                "message": message,
            }
        )
    return _merge_alternatives(details)


def _plain(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return plain_model(annotation)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if not args:
        return annotation
    plain_args = tuple(_plain(arg) for arg in args)
    if plain_args == args:
        return annotation
    if origin is typing.Annotated:
        return typing.Annotated[(plain_args[0], *annotation.__metadata__)]
    if origin in (typing.Union, types.UnionType):
        return typing.Union[plain_args]  # noqa: UP007
    return origin[plain_args if len(plain_args) > 1 else plain_args[0]]


@functools.cache
def plain_model(schema: type[BaseModel]) -> type[BaseModel]:
    """A pydantic model with the fields, types, constraints and configuration of `schema`
    (a django-ninja input schema), for validating many bodies: the same rules and the same
    errors, without the wrapper that ninja's schemas run around every validation (it
    validates a body twice so that ORM objects can be read too). Schemas with validators
    of their own are returned as they are."""
    if schema.__pydantic_decorators__.field_validators or (
        len(schema.__pydantic_decorators__.model_validators) > 1
    ):
        return schema
    fields: dict[str, Any] = {
        name: (_plain(field.rebuild_annotation()), field)
        for name, field in schema.model_fields.items()
    }
    config = ConfigDict(extra=schema.model_config.get("extra", "ignore"))
    return create_model(f"{schema.__name__}Row", __config__=config, **fields)
