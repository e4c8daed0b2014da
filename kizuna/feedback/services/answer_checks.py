"""The checks of one answer against its element, by type: what an answer may be whatever the
logic says (a known element, the right JSON shape, a known choice, a value in range, a text
within its length and format). Visibility, enablement and required answers are the logic's
(`kizuna.feedback.logic`); these checks are what the projection relies on to type its rows.

Every fault is 422 `InvalidAnswer` with `field` `answers.<element_id>` (for the text of an
`other` choice, `answers.<element_id>#other`) and a code naming the rule."""

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from kizuna.core.text import UNSTORABLE
from kizuna.feedback.definitions.elements import OTHER_ID, SCALES, TEXT_ANSWER_MAX
from kizuna.feedback.errors import InvalidAnswer

OTHER_SUFFIX = "#" + OTHER_ID
OTHER_TEXT_MAX = 1000
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def elements_of(definition: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The elements of a definition, in order."""
    for page in definition.get("pages", []):
        yield from page.get("elements", [])


def _fail(element_id: str, code: str, message: str) -> InvalidAnswer:
    return InvalidAnswer(
        f"answers.{element_id}: {message}", code=code, field=f"answers.{element_id}"
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _choice_ids(element: dict[str, Any]) -> set[str]:
    ids = {choice["id"] for choice in element.get("choices", [])}
    if element.get("other"):
        ids.add(OTHER_ID)
    return ids


def _scale(element: dict[str, Any], value: Any) -> None:
    low, high = SCALES.get(element["type"], (1, element.get("points", 10)))
    if not _is_int(value):
        raise _fail(element["id"], "invalid_answer", "An integer is expected.")
    if not low <= value <= high:
        raise _fail(element["id"], "out_of_range", f"An integer from {low} to {high}.")


def _one_choice(element: dict[str, Any], value: Any) -> None:
    if not isinstance(value, str):
        raise _fail(element["id"], "invalid_answer", "A choice id is expected.")
    if value not in _choice_ids(element):
        raise _fail(element["id"], "invalid_choice", f"{value!r} is not a choice of this element.")


def _choice_list(element: dict[str, Any], value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(element["id"], "invalid_answer", "A list of choice ids is expected.")
    known = _choice_ids(element)
    for item in value:
        if item not in known:
            raise _fail(
                element["id"], "invalid_choice", f"{item!r} is not a choice of this element."
            )
    if len(set(value)) != len(value):
        raise _fail(element["id"], "invalid_choice", "A choice is chosen once.")
    if element["type"] == "multiple_choice" and "max" in element and len(value) > element["max"]:
        raise _fail(element["id"], "out_of_range", f"At most {element['max']} choices.")


def _matrix(element: dict[str, Any], value: Any) -> None:
    if not isinstance(value, dict):
        raise _fail(element["id"], "invalid_answer", "An object {row_id: column_id} is expected.")
    rows = {row["id"] for row in element.get("rows", [])}
    columns = {column["id"] for column in element.get("choices", [])}
    for row, column in value.items():
        if row not in rows:
            raise _fail(element["id"], "invalid_choice", f"{row!r} is not a row of this matrix.")
        if not isinstance(column, str) or column not in columns:
            raise _fail(
                element["id"], "invalid_choice", f"{column!r} is not a column of row {row!r}."
            )


def number_of(value: Any) -> Decimal | None:
    """The number a text answer in the number format holds (a JSON number or its text)."""
    if _is_int(value) or isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,15}(\.[0-9]{1,6})?", value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover (the pattern admits only numbers)
            return None
    return None


def _text(element: dict[str, Any], value: Any) -> None:
    rules = element.get("validation", {})
    if rules.get("format") == "number":
        number = number_of(value)
        if number is None:
            raise _fail(element["id"], "invalid_format", "A number is expected.")
        if ("min" in rules and number < Decimal(str(rules["min"]))) or (
            "max" in rules and number > Decimal(str(rules["max"]))
        ):
            raise _fail(element["id"], "out_of_range", "The number is out of range.")
        return
    if not isinstance(value, str):
        raise _fail(element["id"], "invalid_answer", "A text is expected.")
    if UNSTORABLE.search(value):
        raise _fail(element["id"], "invalid_answer", "The text holds characters not stored.")
    longest = rules.get("max_length", TEXT_ANSWER_MAX)
    if len(value) > longest:
        raise _fail(element["id"], "too_long", f"At most {longest} characters.")
    if value and len(value) < rules.get("min_length", 0):
        raise _fail(element["id"], "too_short", f"At least {rules['min_length']} characters.")
    if value and rules.get("format") == "email" and not EMAIL.fullmatch(value):
        raise _fail(element["id"], "invalid_format", "An email address is expected.")
    if value and rules.get("format") == "url":
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise _fail(element["id"], "invalid_format", "An http or https URL is expected.")


def _date(element: dict[str, Any], value: Any) -> None:
    parsed = None
    if isinstance(value, str) and DATE.fullmatch(value):
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None:
        raise _fail(element["id"], "invalid_format", "A date YYYY-MM-DD is expected.")
    rules = element.get("validation", {})
    if ("min" in rules and value < rules["min"]) or ("max" in rules and value > rules["max"]):
        raise _fail(element["id"], "out_of_range", "The date is out of range.")


def _boolean(element: dict[str, Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise _fail(element["id"], "invalid_answer", "true or false is expected.")


def _statement(element: dict[str, Any], value: Any) -> None:
    raise _fail(element["id"], "unknown_element", "A statement takes no answer.")


CHECKS = {
    "nps": _scale,
    "csat": _scale,
    "ces": _scale,
    "rating": _scale,
    "single_choice": _one_choice,
    "dropdown": _one_choice,
    "multiple_choice": _choice_list,
    "ranking": _choice_list,
    "matrix": _matrix,
    "text": _text,
    "date": _date,
    "boolean": _boolean,
    "consent": _boolean,
    "statement": _statement,
}


def _chose_other(value: Any) -> bool:
    return value == OTHER_ID or (isinstance(value, list) and OTHER_ID in value)


def check_answers(definition: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers without the null ones (a null answer is no answer), after checking every
    other one against its element; 422 on the first fault."""
    elements = {element["id"]: element for element in elements_of(definition)}
    kept: dict[str, Any] = {}
    for key, value in answers.items():
        if value is None:
            continue
        if key not in elements and key.endswith(OTHER_SUFFIX):
            owner = elements.get(key[: -len(OTHER_SUFFIX)])
            if owner is None or not owner.get("other"):
                raise _fail(key, "unknown_element", "No element with an other choice by this id.")
            if (
                not isinstance(value, str)
                or len(value) > OTHER_TEXT_MAX
                or UNSTORABLE.search(value)
            ):
                raise _fail(
                    key,
                    "too_long" if isinstance(value, str) else "invalid_answer",
                    f"The other text is a text of at most {OTHER_TEXT_MAX} characters.",
                )
            if not _chose_other(answers.get(owner["id"])):
                raise _fail(key, "invalid_answer", "The other text goes with the choice other.")
            kept[key] = value
            continue
        element = elements.get(key)
        if element is None:
            raise _fail(key, "unknown_element", "No element by this id in this survey.")
        CHECKS[element["type"]](element, value)
        kept[key] = value
    return kept
