"""What a JSON value must be before it reaches the database: one rule for every JSON column
(metadata, properties, attributes) on both databases.

PostgreSQL refuses NUL in text and numbers that are not finite (`1e400` parses as infinity in
Python, and `json`/`jsonb` refuse `Infinity`); lone surrogates cannot be encoded as UTF-8; very
deep nesting costs recursion in every reader. `check_json_value` walks a parsed value once and
raises a 422 naming the field at fault."""

import math
from typing import Any

from kizuna.core.errors import MalformedRequest, ValidationFailed
from kizuna.core.text import UNSTORABLE

# Objects and arrays nested deeper than this are refused: no document of the API needs more,
# and every reader of a deep value (Python, PostgreSQL, clients) recurses through it.
MAX_DEPTH = 32


class DuplicateKeys(dict[str, Any]):
    """An object in which a key appears twice: kept (the last value wins, as in `json`) so that
    the walk can name where it is; `check_json_value` refuses it."""

    duplicate: str = ""


def object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`object_pairs_hook` for `json.loads`: marks an object with a repeated key."""
    result: dict[str, Any] = dict(pairs)
    if len(result) == len(pairs):
        return result
    seen: set[str] = set()
    marked = DuplicateKeys(pairs)
    for key, _ in pairs:
        if key in seen:
            marked.duplicate = key
            break
        seen.add(key)
    return marked


def _child(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key


def check_json_value(value: Any, field: str = "", depth: int = 0) -> None:
    """Refuse what no database column can hold, anywhere in `value`: a number that is not
    finite (422 `invalid_number`), NUL or an unpaired surrogate in a string or a key (422
    `invalid_character`), nesting deeper than MAX_DEPTH (422 `too_deep`), and a key repeated
    in one object (400 `duplicate_key`, when the value came through `object_pairs`)."""
    if isinstance(value, str):
        if UNSTORABLE.search(value):
            raise ValidationFailed(
                "Text may not contain NUL (\\u0000) or unpaired surrogate (\\ud800-\\udfff) "
                "characters.",
                code="invalid_character",
                field=field or None,
            )
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationFailed(
                "Numbers must be finite and at most about 1.8e308; this one overflows.",
                code="invalid_number",
                field=field or None,
            )
    elif isinstance(value, dict):
        _check_depth(depth, field)
        if isinstance(value, DuplicateKeys):
            raise MalformedRequest(
                f"The key {value.duplicate!r} appears twice in one object; send it once.",
                code="duplicate_key",
                field=_child(field, value.duplicate),
            )
        for key, item in value.items():
            if UNSTORABLE.search(str(key)):
                check_json_value(str(key), field, depth)
            check_json_value(item, _child(field, key), depth + 1)
    elif isinstance(value, list | tuple):
        _check_depth(depth, field)
        for index, item in enumerate(value):
            check_json_value(item, f"{field}[{index}]", depth + 1)


def _check_depth(depth: int, field: str) -> None:
    if depth >= MAX_DEPTH:
        raise ValidationFailed(
            f"Objects and arrays may be nested at most {MAX_DEPTH} deep.",
            code="too_deep",
            field=field or None,
        )
