"""The small checks every part of a definition is made of. Each names the JSON path of the
fault (`definition.pages[0].elements[2].title.ja`) and raises `InvalidDefinition` (422)."""

import re
import unicodedata
from collections.abc import Collection, Iterable
from contextvars import ContextVar
from typing import Any, NoReturn

from kizuna.feedback.errors import InvalidDefinition

ID_MAX_LENGTH = 128
TEXT_MAX_LENGTH = 5000
URL_MAX_LENGTH = 2000
# Hidden fields and variables are named as URL parameters and expression references are.
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
URL = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)
# Characters never seen in an id: control, format, surrogates, line and paragraph separators.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"})
ID_RULE = (
    f"1 to {ID_MAX_LENGTH} characters in Unicode NFC form, without control or invisible "
    "characters and without spaces at either end"
)


# The texts of the definition being checked, (path, text), collected by `localized` for the
# second pass (recall references are checked once every element is known).
collected_texts: ContextVar[list[tuple[str, str]] | None] = ContextVar(
    "kizuna_survey_texts", default=None
)


def fail(path: str, message: str, code: str = "invalid_definition") -> NoReturn:
    raise InvalidDefinition(f"{path}: {message}", code=code, field=path)


def obj(
    value: Any, path: str, *, required: Iterable[str] = (), optional: Iterable[str] = ()
) -> dict[str, Any]:
    """An object with these keys only; the required ones present."""
    if not isinstance(value, dict):
        fail(path, "Expected an object.")
    required = tuple(required)
    known = {*required, *optional}
    for key in value:
        if key not in known:
            allowed = ", ".join(sorted(known))
            fail(f"{path}.{key}", f"Unknown key {key!r}; the keys here are {allowed}.")
    for key in required:
        if key not in value:
            fail(f"{path}.{key}", f"{key!r} is required.", "required")
    return value


def items(value: Any, path: str, *, low: int = 0, high: int) -> list[Any]:
    if not isinstance(value, list):
        fail(path, "Expected a list.")
    if not low <= len(value) <= high:
        fail(path, f"Expected {low} to {high} items, got {len(value)}.")
    return value


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        fail(path, "Expected true or false.")
    return value


def integer(value: Any, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        fail(path, "Expected a whole number.")
    if not low <= value <= high:
        fail(path, f"Expected a number from {low} to {high}.", "out_of_range")
    return value


def choice(value: Any, path: str, allowed: Collection[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        fail(path, f"Expected one of {', '.join(allowed)}.")
    return value


def check_id(value: Any, path: str) -> str:
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= ID_MAX_LENGTH
        or value != value.strip()
        or not unicodedata.is_normalized("NFC", value)
        or any(unicodedata.category(char) in _INVISIBLE for char in value)
    ):
        fail(path, f"Ids are {ID_RULE}.", "invalid_id")
    return value


def check_name(value: Any, path: str) -> str:
    if not isinstance(value, str) or not NAME.fullmatch(value):
        fail(
            path,
            "Names are 1 to 64 letters, digits or '_', not starting with a digit.",
            "invalid_id",
        )
    return value


def check_url(value: Any, path: str) -> str:
    if not isinstance(value, str) or len(value) > URL_MAX_LENGTH or not URL.fullmatch(value):
        fail(path, "Expected an http or https URL of at most 2000 characters.")
    return value


def unique(seen: dict[str, str], value: str, path: str, kind: str) -> None:
    """Record an id, refusing one used already (`seen` maps ids to where they were)."""
    first = seen.get(value)
    if first is not None:
        fail(path, f"The {kind} id {value!r} is used already, at {first}.", "duplicate_id")
    seen[value] = path


def _text(value: Any, path: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        fail(path, "Expected text that is not empty.", "invalid_text")
    if len(value) > limit:
        fail(path, f"Texts are at most {limit} characters.", "invalid_text")
    return value


def localized(
    value: Any, path: str, languages: Collection[str], limit: int = TEXT_MAX_LENGTH
) -> dict[str, str]:
    """`{"default": text, "ja": text, ...}`: a default, shown in any language without its
    own text, and texts in the survey's languages."""
    if not isinstance(value, dict):
        fail(path, 'Expected texts by language: {"default": "...", "ja": "..."}.', "invalid_text")
    if "default" not in value:
        fail(f"{path}.default", "Every text has a default.", "invalid_text")
    for language, text in value.items():
        if language != "default" and language not in languages:
            fail(
                f"{path}.{language}",
                f"{language!r} is not one of the survey's languages ({', '.join(languages)}).",
                "invalid_text",
            )
        _text(text, f"{path}.{language}", limit)
    texts = collected_texts.get()
    if texts is not None:
        texts.extend((f"{path}.{language}", text) for language, text in value.items())
    return value
