"""Elements: the fourteen types, each with its own settings, checked strictly.

Every element has `id`, `type`, `title`, and may have `description`, `required`,
`visible_if`, `required_if` and `enable_if` (conditions, checked once every element of the
survey is known: see `survey.py`). What an element takes beyond those depends on its type
(ELEMENT_KEYS)."""

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from kizuna.core.conditions import parse_date
from kizuna.feedback.definitions.common import (
    TEXT_MAX_LENGTH,
    boolean,
    check_id,
    check_url,
    choice,
    fail,
    integer,
    items,
    localized,
    obj,
    unique,
)

SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
CHOICE_TYPES = ("single_choice", "multiple_choice", "dropdown", "ranking")
TYPES = (
    "nps",
    "csat",
    "ces",
    "rating",
    "single_choice",
    "multiple_choice",
    "dropdown",
    "ranking",
    "matrix",
    "text",
    "date",
    "boolean",
    "consent",
    "statement",
)
COMMON_KEYS = ("description", "required", "visible_if", "required_if", "enable_if")
LABELS = ("min_label", "max_label")
OTHER = ("other", "other_text")
ELEMENT_KEYS: dict[str, tuple[str, ...]] = {
    "nps": LABELS,
    "csat": LABELS,
    "ces": LABELS,
    "rating": ("points", "display", *LABELS),
    "single_choice": ("choices", "randomize", *OTHER),
    "multiple_choice": ("choices", "randomize", "min", "max", *OTHER),
    "dropdown": ("choices", "placeholder", *OTHER),
    "ranking": ("choices", "randomize"),
    "matrix": ("rows", "choices", "randomize"),
    "text": ("multiline", "placeholder", "validation"),
    "date": ("validation",),
    "boolean": ("true_text", "false_text"),
    "consent": ("label",),
    "statement": ("button",),
}
# The reserved choice id of the "other" answer of a choice element that offers one.
OTHER_ID = "other"
MAX_CHOICES = 500
MAX_ROWS = 100
MAX_COLUMNS = 20
TEXT_ANSWER_MAX = 10_000
FORMATS = ("email", "number", "url")
NUMBER_LIMIT = 10**15


@dataclass(frozen=True)
class ElementInfo:
    """What the rest of the definition may refer to: an element's id, type and path, its
    choice ids (columns of a matrix) and row ids, and what its answer is."""

    id: str
    type: str
    path: str
    choices: tuple[str, ...] = ()
    rows: tuple[str, ...] = ()
    text_format: str | None = None
    conditions: dict[str, Any] = field(default_factory=dict)  # path -> condition JSON

    @property
    def answered(self) -> bool:
        return self.type != "statement"

    @property
    def numeric(self) -> bool:
        return self.type in ("nps", "csat", "ces", "rating") or self.text_format == "number"


def check_element(value: Any, path: str, languages: Collection[str]) -> ElementInfo:
    base = value
    if not isinstance(base, dict):
        fail(path, "Expected an element object.")
    kind = base.get("type")
    if not isinstance(kind, str) or kind not in TYPES:
        fail(f"{path}.type", f"Element types are {', '.join(TYPES)}.", "invalid_element_type")
    obj(
        base,
        path,
        required=("id", "type", "title", *(("label",) if kind == "consent" else ())),
        optional=(*COMMON_KEYS, *ELEMENT_KEYS[kind]),
    )
    element_id = check_id(base["id"], f"{path}.id")
    localized(base["title"], f"{path}.title", languages)
    if "description" in base:
        localized(base["description"], f"{path}.description", languages)
    if kind == "statement":
        for key in ("required", "required_if"):
            if key in base:
                fail(f"{path}.{key}", "A statement takes no answer, so it is never required.")
    if "required" in base:
        boolean(base["required"], f"{path}.required")
    conditions = {
        f"{path}.{key}": base[key]
        for key in ("visible_if", "required_if", "enable_if")
        if key in base
    }
    for key in ("min_label", "max_label", "placeholder", "other_text", "true_text", "false_text"):
        if key in base:
            localized(base[key], f"{path}.{key}", languages, 200)
    for key in ("randomize", "multiline"):
        if key in base:
            boolean(base[key], f"{path}.{key}")
    info = ElementInfo(id=element_id, type=kind, path=path, conditions=conditions)
    checker = _CHECKS.get(kind)
    return checker(base, path, languages, info) if checker else info


def _choices(
    value: Any, path: str, languages: Collection[str], low: int, high: int, kind: str
) -> tuple[list[str], dict[str, Any]]:
    """Choice objects `{id, text, visible_if?}`: their ids and their conditions by path."""
    seen: dict[str, str] = {}
    conditions: dict[str, Any] = {}
    for i, item in enumerate(items(value, path, low=low, high=high)):
        at = f"{path}[{i}]"
        obj(item, at, required=("id", "text"), optional=("visible_if",))
        unique(seen, check_id(item["id"], f"{at}.id"), f"{at}.id", kind)
        localized(item["text"], f"{at}.text", languages, 1000)
        if "visible_if" in item:
            conditions[f"{at}.visible_if"] = item["visible_if"]
    return list(seen), conditions


def _with(info: ElementInfo, **changes: Any) -> ElementInfo:
    return ElementInfo(**{**info.__dict__, **changes})


def _choice_element(
    value: dict[str, Any], path: str, languages: Collection[str], info: ElementInfo
) -> ElementInfo:
    low = 2 if info.type == "ranking" else 1
    if "choices" not in value:
        fail(f"{path}.choices", "A choice element lists its choices.", "required")
    ids, conditions = _choices(
        value["choices"], f"{path}.choices", languages, low, MAX_CHOICES, "choice"
    )
    other = boolean(value.get("other", False), f"{path}.other")
    if "other_text" in value and not other:
        fail(f"{path}.other_text", 'other_text is the label of the "other" answer: set other.')
    if other:
        if OTHER_ID in ids:
            at = f"{path}.choices[{ids.index(OTHER_ID)}].id"
            fail(at, 'The choice id "other" is the element\'s "other" answer.', "duplicate_id")
        ids.append(OTHER_ID)
    if info.type == "multiple_choice":
        count = len(ids)
        low_pick = integer(value.get("min", 0), f"{path}.min", 0, count)
        high_pick = integer(value.get("max", count), f"{path}.max", 1, count)
        if low_pick > high_pick:
            fail(f"{path}.min", "min is at most max.", "out_of_range")
    return _with(info, choices=tuple(ids), conditions={**info.conditions, **conditions})


def _matrix(
    value: dict[str, Any], path: str, languages: Collection[str], info: ElementInfo
) -> ElementInfo:
    for key in ("rows", "choices"):
        if key not in value:
            fail(f"{path}.{key}", "A matrix has rows and choices (its columns).", "required")
    rows, row_conditions = _choices(value["rows"], f"{path}.rows", languages, 1, MAX_ROWS, "row")
    columns, column_conditions = _choices(
        value["choices"], f"{path}.choices", languages, 2, MAX_COLUMNS, "column"
    )
    if column_conditions:
        fail(next(iter(column_conditions)), "Columns of a matrix are always shown.")
    return _with(
        info,
        rows=tuple(rows),
        choices=tuple(columns),
        conditions={**info.conditions, **row_conditions},
    )


def _rating(
    value: dict[str, Any], path: str, languages: Collection[str], info: ElementInfo
) -> ElementInfo:
    if "points" not in value:
        fail(f"{path}.points", "A rating has 3 to 10 points.", "required")
    integer(value["points"], f"{path}.points", 3, 10)
    if "display" in value:
        choice(value["display"], f"{path}.display", ("stars", "numbers"))
    return info


def _number(value: Any, path: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        fail(path, "Expected a number.")
    if not -NUMBER_LIMIT <= value <= NUMBER_LIMIT:
        fail(path, f"Numbers lie between -{NUMBER_LIMIT} and {NUMBER_LIMIT}.", "out_of_range")
    return value


def _text(
    value: dict[str, Any], path: str, languages: Collection[str], info: ElementInfo
) -> ElementInfo:
    if "validation" not in value:
        return info
    at = f"{path}.validation"
    rules = obj(
        value["validation"], at, optional=("format", "min_length", "max_length", "min", "max")
    )
    text_format = choice(rules["format"], f"{at}.format", FORMATS) if "format" in rules else None
    low = integer(rules.get("min_length", 0), f"{at}.min_length", 0, TEXT_ANSWER_MAX)
    high = integer(rules.get("max_length", TEXT_ANSWER_MAX), f"{at}.max_length", 1, TEXT_ANSWER_MAX)
    if low > high:
        fail(f"{at}.min_length", "min_length is at most max_length.", "out_of_range")
    for key in ("min", "max"):
        if key in rules and text_format != "number":
            fail(f"{at}.{key}", f'{key} bounds a number: set "format": "number".')
    if (
        "min" in rules
        and "max" in rules
        and _number(rules["min"], f"{at}.min") > _number(rules["max"], f"{at}.max")
    ):
        fail(f"{at}.min", "min is at most max.", "out_of_range")
    for key in ("min", "max"):
        if key in rules:
            _number(rules[key], f"{at}.{key}")
    return _with(info, text_format=text_format)


def _date(
    value: dict[str, Any], path: str, languages: Collection[str], info: ElementInfo
) -> ElementInfo:
    if "validation" not in value:
        return info
    at = f"{path}.validation"
    rules = obj(value["validation"], at, optional=("min", "max"))
    for key in ("min", "max"):
        if key in rules and (not isinstance(rules[key], str) or parse_date(rules[key]) is None):
            fail(f"{at}.{key}", "Expected a date such as 2026-04-01.")
    if "min" in rules and "max" in rules and rules["min"] > rules["max"]:
        fail(f"{at}.min", "min is at most max.", "out_of_range")
    return info


def _consent(
    value: dict[str, Any], path: str, languages: Collection[str], info: ElementInfo
) -> ElementInfo:
    localized(value["label"], f"{path}.label", languages, TEXT_MAX_LENGTH)
    return info


def _statement(
    value: dict[str, Any], path: str, languages: Collection[str], info: ElementInfo
) -> ElementInfo:
    if "button" in value:
        at = f"{path}.button"
        button = obj(value["button"], at, required=("text",), optional=("url",))
        localized(button["text"], f"{at}.text", languages, 200)
        if "url" in button:
            check_url(button["url"], f"{at}.url")
    return info


_CHECKS = {
    **{kind: _choice_element for kind in CHOICE_TYPES},
    "matrix": _matrix,
    "rating": _rating,
    "text": _text,
    "date": _date,
    "consent": _consent,
    "statement": _statement,
}
