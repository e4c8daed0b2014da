"""Values as SurveyJS (JavaScript) treats them: what is empty, what is equal, how numbers and
numeric strings compare and add.

Python stands in for JavaScript: None is null and undefined, a float NaN is NaN, a naive
datetime is a Date (wall-clock time, as the browser's local time would be), lists are arrays
and dicts objects. Whole-number floats are given back as ints, so that `4 / 2` is `2` in the
data as it is in JSON from SurveyJS."""

import math
import re
from datetime import date, datetime
from typing import Any

NAN = float("nan")
_JS_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|infinity)$", re.I)
_PARSE_FLOAT = re.compile(r"^[+-]?(?:\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|infinity)", re.I)
_PARSE_INT = re.compile(r"^[+-]?\d+")
_DIGITS = re.compile(r"^\d+$")


def is_number_type(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def tidy(value: Any) -> Any:
    """A whole float as an int (JavaScript does not tell 2.0 from 2)."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def is_empty(value: Any) -> bool:
    """Helpers.isValueEmpty: null, "", [], and an object whose every value is empty. 0 and
    false are values."""
    if isinstance(value, list):
        return not value
    if isinstance(value, dict):
        return all(is_empty(v) for v in value.values())
    if value is None or value == "":
        return True
    return isinstance(value, float) and math.isnan(value)


def truthy(value: Any) -> bool:
    """JavaScript truthiness: [] and {} are true, "" 0 NaN null false are not."""
    if value is None or value is False:
        return False
    if is_number_type(value):
        return not (value == 0 or (isinstance(value, float) and math.isnan(value)))
    if isinstance(value, str):
        return value != ""
    return True


def to_string(value: Any) -> str:
    """String(value)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return str(tidy(value)) if value.is_integer() else repr(value)
    if isinstance(value, list):
        return ",".join("" if v is None else to_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def to_number(value: Any) -> float | int:
    """Number(value): "" is 0, a text that is not a number NaN."""
    if value is None or value is False:
        return 0
    if value is True:
        return 1
    if is_number_type(value):
        return value
    if isinstance(value, datetime):
        return value.timestamp() * 1000
    if isinstance(value, list | dict):
        return to_number(to_string(value)) if not isinstance(value, dict) else NAN
    text = str(value).strip()
    if not text:
        return 0
    if text.lower().startswith("0x"):
        try:
            return int(text, 16)
        except ValueError:
            return NAN
    if _JS_NUMBER.match(text):
        return tidy(float(text))
    return NAN


def parse_float(value: Any) -> float:
    match = _PARSE_FLOAT.match(to_string(value).strip())
    return float(match.group()) if match else NAN


def parse_int(value: Any) -> float:
    match = _PARSE_INT.match(to_string(value).strip())
    return float(int(match.group())) if match else NAN


def get_number(value: Any) -> float:
    """Helpers.getNumber: numbers and texts that are wholly a number (a comma as the decimal
    point, 0x hexadecimal); NaN otherwise."""
    if isinstance(value, bool) or value is None:
        return NAN
    if is_number_type(value):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return NAN
        if text.startswith("0x"):
            return float(int(text, 16)) if len(text) <= 32 and _hex(text) else NAN
        if len(text) > 15 and _DIGITS.match(text):
            return NAN
        if not (text.rfind("-") > 0 or text.rfind("+") > 0) and any(c in text for c in "*^/%"):
            return NAN
        if text.count(",") == 1:
            text = text.replace(",", ".")
        if not _JS_NUMBER.match(text) or "infinity" in text.lower():
            return NAN
        return float(text)
    return NAN


def _hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text[2:]) and len(text) > 2


def is_numeric(value: Any) -> bool:
    return not math.isnan(get_number(value))


def convert_value(value: Any) -> Any:
    """What an operand makes of a text (Const/Variable getCorrectValue): "true"/"false" are
    booleans, a quoted text loses its quotes, a numeric text is a number unless it starts
    with 0 ("01" stays a text, "0.5" is 0.5)."""
    if not value or not isinstance(value, str):
        return value
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if len(value) > 1 and value[0] in "'\"" and value[-1] in "'\"":
        return value[1:-1]
    if is_numeric(value):
        if value[0] == "0" and not value.startswith("0x"):
            has_point = len(value) > 1 and value[1] in ".,"
            if (not has_point and len(value) > 1) or (has_point and len(value) < 2):
                return value
        return tidy(get_number(value))
    return value


def _convertible_to_number(value: Any) -> bool:
    """Helpers.isConvertibleToNumber: not null, not an array, and !isNaN(value)."""
    if value is None or isinstance(value, list | dict):
        return False
    return not math.isnan(to_number(value))


def _js_sort_key(value: Any) -> str:
    return "" if value is None else to_string(value)


def equals(x: Any, y: Any, ignore_order: bool = True) -> bool:
    """Helpers.isTwoValueEquals with SurveyJS's defaults: texts compared trimmed and without
    regard to case, numbers and numeric texts by value, arrays in any order (the = operator),
    [] equal to a missing value, "" equal to null."""
    if _strict_equal(x, y):
        return True
    if (isinstance(x, list) and not x and y is None) or (
        isinstance(y, list) and not y and x is None
    ):
        return True
    if (x is None and y == "") or (y is None and x == ""):
        return True
    if isinstance(x, str) and isinstance(y, str):
        return x.strip().lower() == y.strip().lower()
    if isinstance(x, datetime) and isinstance(y, datetime):
        return x == y
    if (
        _convertible_to_number(x)
        and _convertible_to_number(y)
        and parse_int(x) == parse_int(y)
        and parse_float(x) == parse_float(y)
    ):
        return True
    if is_empty(x) != is_empty(y):
        return False
    if isinstance(x, bool) and isinstance(y, str):
        return to_string(x) == y.lower()
    if isinstance(y, bool) and isinstance(x, str):
        return to_string(y) == x.lower()
    x_obj, y_obj = isinstance(x, list | dict), isinstance(y, list | dict)
    if not x_obj and not y_obj:
        return loose_equal(x, y)
    if not x_obj or not y_obj:
        return False
    if isinstance(x, list) and isinstance(y, list):
        if len(x) != len(y):
            return False
        if ignore_order:
            x, y = sorted(x, key=_js_sort_key), sorted(y, key=_js_sort_key)
        return all(equals(a, b, ignore_order) for a, b in zip(x, y, strict=True))
    if isinstance(x, dict) and isinstance(y, dict):
        if set(x) != set(y):
            return False
        return all(equals(x[k], y[k], ignore_order) for k in x)
    return False


def _strict_equal(x: Any, y: Any) -> bool:
    if x is None or y is None:
        return x is y
    if isinstance(x, bool) or isinstance(y, bool):
        return isinstance(x, bool) and isinstance(y, bool) and x == y
    if is_number_type(x) and is_number_type(y):
        return bool(x == y)
    if isinstance(x, str) and isinstance(y, str):
        return x == y
    return x is y


def loose_equal(x: Any, y: Any) -> bool:
    """JavaScript ==, for values that are not objects."""
    if x is None or y is None:
        return x is None and y is None
    if isinstance(x, datetime) or isinstance(y, datetime):
        return (
            to_number(x) == to_number(y)
            if not (isinstance(x, str) or isinstance(y, str))
            else to_string(x) == to_string(y)
        )
    if isinstance(x, str) and isinstance(y, str):
        return x == y
    return bool(to_number(x) == to_number(y))


def _primitive(value: Any) -> Any:
    if isinstance(value, list | dict):
        return to_string(value)
    return value


def less(x: Any, y: Any) -> bool:
    """JavaScript x < y: two texts by their characters, anything else as numbers (NaN is
    never less nor greater)."""
    x, y = _primitive(x), _primitive(y)
    if isinstance(x, str) and isinstance(y, str):
        return x < y
    if isinstance(x, datetime) and isinstance(y, datetime):
        return x < y
    a, b = to_number(x), to_number(y)
    return bool(a < b)


def js_plus(a: Any, b: Any) -> Any:
    """JavaScript a + b."""
    a, b = _primitive(a), _primitive(b)
    if (
        isinstance(a, str)
        or isinstance(b, str)
        or isinstance(a, datetime)
        or isinstance(b, datetime)
    ):
        return to_string(a) + to_string(b)
    return tidy(to_number(a) + to_number(b))


def count_decimals(value: Any) -> int:
    if is_numeric(value) and is_number_type(value) and math.floor(value) != value:
        text = to_string(value)
        return len(text.split(".")[1]) if "." in text and "e" not in text else 0
    return 0


def correct_plus_minus(a: Any, b: Any, result: Any) -> Any:
    digits = max(count_decimals(a), count_decimals(b))
    if digits > 0 and is_number_type(result) and math.isfinite(result):
        result = round(result, digits)
    return tidy(result)


def correct_multiply(a: Any, b: Any, result: Any) -> Any:
    digits = count_decimals(a) + count_decimals(b)
    if digits > 0 and is_number_type(result) and math.isfinite(result):
        result = round(result, digits)
    return tidy(result)


def sum_any(a: Any, b: Any) -> Any:
    """Helpers.sumAnyValues: numbers add (a text that is a number still joins as text), two
    arrays join, an array and a number add the array's numbers, an array and a text join."""
    if not is_numeric(a) or not is_numeric(b):
        if isinstance(a, list) and isinstance(b, list):
            return [*a, *b]
        if isinstance(a, list) or isinstance(b, list):
            arr, other = (a, b) if isinstance(a, list) else (b, a)
            if isinstance(other, str):
                joined = ", ".join(to_string(v) for v in arr)
                return joined + other if arr is a else other + joined
            if is_number_type(other):
                total: Any = 0
                for item in arr:
                    if is_number_type(item):
                        total = correct_plus_minus(total, item, total + item)
                return correct_plus_minus(total, other, total + other)
        return js_plus(a, b)
    if isinstance(a, str) or isinstance(b, str):
        return to_string(a) + to_string(b)
    return correct_plus_minus(a, b, a + b)


def as_date(value: Any) -> datetime | None:
    """A Date made from a value as survey-core's createDate does: a datetime as it is, a text
    YYYY-MM-DD as that day's midnight, an ISO date-time, a number as milliseconds."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)  # noqa: DTZ001 (wall-clock)
    if is_number_type(value):
        try:
            return datetime.fromtimestamp(value / 1000)  # noqa: DTZ006 (wall-clock)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        text = value.strip().replace("/", "-")
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed.replace(tzinfo=None)
    return None
