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
        found += _input(spec, value)
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


def _input(spec: dict[str, Any], value: Any) -> list[str]:
    kind = spec.get("inputType", "text")
    if kind == "email" and not EMAIL.match(str(value)):
        return ["invalid_format"]
    if kind in ("number", "range"):
        if not js.is_numeric(value):
            return ["invalid_format"]
        number = js.get_number(value)
        low: Any = spec.get("min")
        high: Any = spec.get("max")
        if (js.is_number_type(low) and number < low) or (js.is_number_type(high) and number > high):
            return ["out_of_range"]
    return []


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
