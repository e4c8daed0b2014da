"""Errors as SurveyJS finds them, as codes: a visible, enabled question that is required and
empty is `required` (and then no validator runs); otherwise its validators run on a value
that is not empty (the expression validator always):

| SurveyJS | code |
|---|---|
| required, isAllRowRequired | `required` |
| the other choice chosen without its text | `other_required` |
| numeric validator (not a number; out of range), number input | `invalid_format`, `out_of_range` |
| text validator: minLength, maxLength, allowDigits | `too_short`, `too_long`, `digits_not_allowed`|
| email validator, text input of type email | `invalid_format` |
| regex validator | `invalid_format` |
| answercount validator: minCount / maxCount | `too_few` / `too_many` |
| expression validator | `expression` |
"""

import re
from datetime import UTC, date, datetime
from typing import Any

from kizuna.feedback.surveyjs import source as sjs
from kizuna.feedback.surveyjs.expressions import values as js
from kizuna.feedback.surveyjs.state import Context, Run

EMAIL = re.compile(
    r"^(([^<>()\[\]\.,;:\s@\"]+(\.[^<>()\[\]\.,;:\s@\"]+)*)|(\".+\"))@"
    r"(([^<>()=\[\]\.,;:\s@\"]+\.)+[^<>()=\[\]\.,;:\s@\"]{2,})$",
    re.IGNORECASE,
)


def errors_of(
    state: Run,
    spec: dict[str, Any],
    value: Any,
    required: bool,
    context: Context | None = None,
    comment: Any = None,
) -> list[str]:
    if required and _empty(spec, value):
        return ["required"]
    found: list[str] = []
    if spec.get("type") == "matrix" and spec.get("isAllRowRequired") and not js.is_empty(value):
        answered = value if isinstance(value, dict) else {}
        rows = [r for r in sjs.choices(spec, "rows")]
        if any(js.is_empty(answered.get(r.id)) for r in rows):
            found.append("required")
    if sjs.has_other(spec) and _chose_other(value) and js.is_empty(comment):
        found.append("other_required")
    if spec.get("type") == "text" and not js.is_empty(value):
        found += _input(state, spec, value, context)
    for validator in spec.get("validators") or []:
        if isinstance(validator, dict):
            code = _validator(state, validator, value, context)
            if code:
                found.append(code)
    return list(dict.fromkeys(found))


def _empty(spec: dict[str, Any], value: Any) -> bool:
    if spec.get("type") == "boolean":
        return value is None
    return js.is_empty(value)


def _chose_other(value: Any) -> bool:
    return value == "other" or (isinstance(value, list) and "other" in value)


def _input(state: Run, spec: dict[str, Any], value: Any, context: Context | None) -> list[str]:
    kind = spec.get("inputType", "text")
    if kind == "email" and not EMAIL.match(str(value)):
        return ["invalid_format"]
    if kind in ("number", "range") and not js.is_numeric(value):
        return ["invalid_format"]
    if out_of_range(state, spec, value, context):
        return ["out_of_range"]
    return []


def out_of_range(
    state: Run, spec: dict[str, Any], value: Any, context: Context | None = None
) -> bool:
    """Below renderedMin or above renderedMax, for the inputs that have them (number, range,
    date, datetime-local, month, time, week): numbers as numbers, dates as dates, times,
    months and weeks as their text."""
    kind = spec.get("inputType", "text")
    if spec.get("type") != "text" or kind not in MIN_MAX_INPUTS or js.is_empty(value):
        return False
    low, high = (_bound(state, spec, key, context) for key in ("min", "max"))
    if kind in ("number", "range"):
        number = js.get_number(value)
        if number != number:
            return False
        low_n, high_n = _number(low), _number(high)
        return (low_n is not None and number < low_n) or (high_n is not None and number > high_n)
    if kind in DATE_INPUTS:
        day = _date(value)
        # a computed bound becomes the input's text first (a date input: the day only)
        low_d, high_d = (_date(b, day_only=kind == "date") for b in (low, high))
        return day is not None and (
            (low_d is not None and day < low_d) or (high_d is not None and day > high_d)
        )
    text = js.to_string(value)
    return (isinstance(low, str) and bool(low) and text < low) or (
        isinstance(high, str) and bool(high) and text > high
    )


MIN_MAX_INPUTS = ("number", "range", "date", "datetime-local", "month", "time", "week")
DATE_INPUTS = ("date", "datetime-local")


def _bound(state: Run, spec: dict[str, Any], key: str, context: Context | None) -> Any:
    """renderedMin/renderedMax: minValueExpression (maxValueExpression) when given, else
    `min` (`max`), itself an expression when it starts with `=`."""
    expression = spec.get(f"{key}ValueExpression")
    written = spec.get(key)
    given = isinstance(expression, str) and expression.strip()
    if not given and isinstance(written, str) and written.startswith("="):
        expression = written[1:]
    if isinstance(expression, str) and expression.strip():
        return state.value_of(expression, context)
    return written


def _number(bound: Any) -> float | None:
    if js.is_empty(bound) or isinstance(bound, bool) or not js.is_numeric(bound):
        return None
    return js.get_number(bound)


def _date(value: Any, day_only: bool = False) -> datetime | None:
    """A date as SurveyJS's createDate reads it: a date (at midnight), a date and time, or
    their ISO text."""
    # wall-clock times, compared as if in UTC
    if isinstance(value, datetime):
        wall = value.replace(tzinfo=UTC)
        return wall.replace(hour=0, minute=0, second=0, microsecond=0) if day_only else wall
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str) and value.strip():
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).replace(tzinfo=UTC)
        except ValueError:
            return None
    return None


def _validator(
    state: Run, validator: dict[str, Any], value: Any, context: Context | None
) -> str | None:
    kind = validator.get("type")
    if kind == "expression":
        expression = validator.get("expression")
        if (
            isinstance(expression, str)
            and expression.strip()
            and not state.holds(expression, context)
        ):
            return "expression"
        return None
    if js.is_empty(value):
        return None
    if kind == "numeric":
        if not js.is_numeric(value):
            return "invalid_format"
        number = js.get_number(value)
        low: Any = validator.get("minValue")
        high: Any = validator.get("maxValue")
        if (js.is_number_type(low) and low > number) or (js.is_number_type(high) and high < number):
            return "out_of_range"
    elif kind == "text":
        text = value if isinstance(value, str) else js.to_string(value)
        if validator.get("allowDigits") is False and re.search(r"\d+$", text):
            return "digits_not_allowed"
        low, high = validator.get("minLength") or 0, validator.get("maxLength") or 0
        if isinstance(low, int) and low > 0 and len(text) < low:
            return "too_short"
        if isinstance(high, int) and high > 0 and len(text) > high:
            return "too_long"
    elif kind == "email":
        if not EMAIL.match(js.to_string(value)):
            return "invalid_format"
    elif kind == "regex":
        pattern = validator.get("regex")
        if isinstance(pattern, str) and pattern:
            try:
                compiled = re.compile(
                    pattern,
                    re.IGNORECASE
                    if validator.get("caseInsensitive") or validator.get("insensitive")
                    else 0,
                )
            except re.error:
                return None
            if not compiled.search(js.to_string(value)):
                return "invalid_format"
    elif kind == "answercount" and isinstance(value, list):
        low, high = validator.get("minCount"), validator.get("maxCount")
        if isinstance(low, int) and low and len(value) < low:
            return "too_few"
        if isinstance(high, int) and high and len(value) > high:
            return "too_many"
    return None
