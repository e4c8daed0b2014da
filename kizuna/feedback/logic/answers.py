"""Whether one answer fits its element: the error codes of one value (docs/survey-logic.md).

`problems` checks what does not depend on the other answers (the type, the range, the
length, the format, a choice the element does not have, the text of an `other` answer);
`hidden_choice_problems` what does: a choice or matrix row that is not shown for the answers.
`answered` tells an answer from none (null, blank text, an empty list or object)."""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kizuna.core.conditions import parse_date
from kizuna.feedback.definitions.common import URL
from kizuna.feedback.definitions.elements import OTHER_ID, SCALES, TEXT_ANSWER_MAX
from kizuna.feedback.logic.expressions import number
from kizuna.feedback.logic.plan import Element

EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(?:\.[^@\s.]+)+")
OTHER_SUFFIX = "#other"


@dataclass(frozen=True)
class Problem:
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    # Which message tells it best (invalid_email for an invalid_format of an email).
    message_key: str | None = None


def other_key(element_id: str) -> str:
    """The key of the text typed for an element's `other` answer."""
    return f"{element_id}{OTHER_SUFFIX}"


def answered(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | dict):
        return bool(value)
    return True


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def chose_other(element: Element, value: Any) -> bool:
    if not element.other:
        return False
    if isinstance(value, list):
        return OTHER_ID in value
    return value == OTHER_ID


def problems(element: Element, value: Any, other_text: Any = None) -> list[Problem]:
    """What is wrong with an answer (present, not blank) whatever the other answers."""
    check = _CHECKS.get(element.type)
    if check is None:  # a statement takes no answer
        return [Problem("invalid_type")]
    found = check(element, value)
    if not found and chose_other(element, value):
        if not isinstance(other_text, str) or not other_text.strip():
            found.append(Problem("other_text_required"))
        elif len(other_text) > TEXT_ANSWER_MAX:
            found.append(Problem("too_long", {"max": TEXT_ANSWER_MAX}))
    return found


def hidden_choice_problems(
    element: Element, value: Any, choices: set[str], rows: set[str]
) -> list[Problem]:
    """An answer naming a choice (a matrix row) that is not shown for the answers."""
    if element.type in ("single_choice", "dropdown"):
        chosen = [value]
    elif element.type in ("multiple_choice", "ranking"):
        chosen = list(value)
    elif element.type == "matrix":
        return [Problem("invalid_choice")] if any(row not in rows for row in value) else []
    else:
        return []
    return [Problem("invalid_choice")] if any(item not in choices for item in chosen) else []


def _scale(element: Element, value: Any) -> list[Problem]:
    low, high = SCALES.get(element.type, (1, int(element.source.get("points", 5))))
    if not _is_integer(value):
        return [Problem("invalid_type")]
    if not low <= value <= high:
        return [Problem("out_of_range", {"min": low, "max": high})]
    return []


def _single(element: Element, value: Any) -> list[Problem]:
    if not isinstance(value, str):
        return [Problem("invalid_type")]
    return [] if value in element.info.choices else [Problem("invalid_choice")]


def _multiple(element: Element, value: Any) -> list[Problem]:
    if not _strings(value):
        return [Problem("invalid_type")]
    if len(set(value)) != len(value) or any(v not in element.info.choices for v in value):
        return [Problem("invalid_choice")]
    if element.type == "multiple_choice":
        low = int(element.source.get("min", 0))
        high = int(element.source.get("max", len(element.info.choices)))
        if not low <= len(value) <= high:
            return [Problem("out_of_range", {"min": low, "max": high})]
    return []


def _matrix(element: Element, value: Any) -> list[Problem]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        return [Problem("invalid_type")]
    if any(
        row not in element.info.rows or column not in element.info.choices
        for row, column in value.items()
    ):
        return [Problem("invalid_choice")]
    return []


def _text(element: Element, value: Any) -> list[Problem]:
    rules = element.validation
    text_format = rules.get("format")
    if text_format == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return _number_range(rules, number(value))
    if not isinstance(value, str):
        return [Problem("invalid_type")]
    low = int(rules.get("min_length", 0))
    high = int(rules.get("max_length", TEXT_ANSWER_MAX))
    if len(value) < low:
        return [Problem("too_short", {"min": low})]
    if len(value) > high:
        return [Problem("too_long", {"max": high})]
    if text_format == "email" and not EMAIL.fullmatch(value.strip()):
        return [Problem("invalid_format", message_key="invalid_email")]
    if text_format == "url" and not URL.fullmatch(value.strip()):
        return [Problem("invalid_format", message_key="invalid_url")]
    if text_format == "number":
        parsed = number(value)
        if parsed is None:
            return [Problem("invalid_format", message_key="invalid_number")]
        return _number_range(rules, parsed)
    return []


def _number_range(rules: dict[str, Any], value: Any) -> list[Problem]:
    if value is None:
        return [Problem("invalid_format", message_key="invalid_number")]
    low, high = rules.get("min"), rules.get("max")
    if (low is not None and value < number(low)) or (high is not None and value > number(high)):
        return [Problem("out_of_range", _bounds(low, high))]
    return []


def _bounds(low: Any, high: Any) -> dict[str, Any]:
    return {"min": "" if low is None else low, "max": "" if high is None else high}


def _date(element: Element, value: Any) -> list[Problem]:
    if not isinstance(value, str):
        return [Problem("invalid_type")]
    parsed = parse_date(value)
    if not isinstance(parsed, date):
        return [Problem("invalid_format", message_key="invalid_date")]
    rules = element.validation
    low, high = rules.get("min"), rules.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        return [Problem("out_of_range", _bounds(low, high))]
    return []


def _boolean(element: Element, value: Any) -> list[Problem]:
    return [] if isinstance(value, bool) else [Problem("invalid_type")]


_CHECKS = {
    "nps": _scale,
    "csat": _scale,
    "ces": _scale,
    "rating": _scale,
    "single_choice": _single,
    "dropdown": _single,
    "multiple_choice": _multiple,
    "ranking": _multiple,
    "matrix": _matrix,
    "text": _text,
    "date": _date,
    "boolean": _boolean,
    "consent": _boolean,
}
