"""Running a parsed expression against values, with SurveyJS's operators.

A `Scope` is where `{name}` is looked up: a dict of values (a survey's data, its variables
and calculated values; in a dynamic panel also `panel`, in a matrix row `row`, for a choice
`item` and `$item`). Names are found without regard to case; `{a.b}` reads `b` of `a`, but a
value whose own name holds the dot (`{a.b}` as one key) wins; `{a[0].b}` indexes an array
(negative from the end); `{x.length}` counts an array or a text, and is 0 when nothing is
there."""

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kizuna.feedback.surveyjs.expressions import values as js
from kizuna.feedback.surveyjs.expressions.parser import Array, Binary, Call, Const, Node, Unary, Var


@dataclass
class Scope:
    values: Mapping[str, Any]
    now: datetime
    # Functions the caller adds (or replaces): name (lower case) -> callable(args, nodes, scope).
    functions: dict[str, Any] = field(default_factory=dict)

    def with_values(self, values: Mapping[str, Any]) -> "Scope":
        return Scope(values, self.now, self.functions)

    def lookup(self, name: str) -> tuple[bool, Any]:
        path = [_item(part) for part in name.split(".")]
        found, value = _walk(self.values, path)
        if not found and name.endswith(".length"):
            return True, 0
        return found, value


def _item(part: str) -> tuple[str, int | None]:
    if part.endswith("]") and "[" in part:
        at = part.rfind("[")
        number = js.get_number(part[at + 1 : -1])
        if not math.isnan(number):
            return part[:at], int(number)
    return part, None


def _key(obj: Any, name: str) -> tuple[bool, Any]:
    if not name:
        return False, None
    if name == "length" and isinstance(obj, list | str):
        return True, len(obj)
    if not isinstance(obj, Mapping):
        return False, None
    if name in obj:
        return obj[name] is not None, obj[name]
    lowered = name.lower()
    for key, value in obj.items():
        if isinstance(key, str) and key.lower() == lowered:
            return value is not None, value
    return False, None


def _walk(obj: Any, path: list[tuple[str, int | None]]) -> tuple[bool, Any]:
    """Longest dotted name first, as VariableGetterContext searches (up to an index)."""
    if not path:
        return True, obj
    end = next((i for i, (_, index) in enumerate(path) if index is not None), len(path) - 1)
    for stop in range(end, -1, -1):
        name = ".".join(part for part, _ in path[: stop + 1])
        found, value = _key(obj, name)
        if not found:
            continue
        index = path[stop][1]
        if index is not None:
            if not isinstance(value, list):
                return False, None
            position = index + len(value) if index < 0 else index
            if not 0 <= position < len(value):
                return False, None
            value = value[position]
        return _walk(value, path[stop + 1 :])
    return False, None


def evaluate(node: Node | None, scope: Scope) -> Any:
    if node is None:
        return None
    if isinstance(node, Const):
        return node.value if node.quoted else js.convert_value(node.value)
    if isinstance(node, Var):
        found, value = scope.lookup(node.name)
        if not found:
            return _json_object(node.name)
        return js.convert_value(value) if node.convert else value
    if isinstance(node, Unary):
        value = evaluate(node.operand, scope)
        if node.op == "negate":
            return not js.truthy(value)
        return js.is_empty(value) == (node.op == "empty")
    if isinstance(node, Binary):
        return _binary(node, scope)
    if isinstance(node, Array):
        return [evaluate(item, scope) for item in node.items]
    return _call(node, scope)


def _json_object(name: str) -> Any:
    """A name that is not a value but reads as JSON members (`{"key": 1}`) is that object."""
    if len(name) < 2 or name.find(":") < 1:
        return None
    try:
        return json.loads("{" + name + "}")
    except ValueError:
        return None


def _call(node: Call, scope: Scope) -> Any:
    from kizuna.feedback.surveyjs.expressions.functions import FUNCTIONS

    name = node.name.lower()
    function = scope.functions.get(name) or FUNCTIONS.get(name)
    if function is None:
        return None  # SurveyJS logs an unknown function and yields nothing
    return function([evaluate(arg, scope) for arg in node.args], node.args, scope)


def _fit_for_arithmetic(value: Any, other: Any) -> Any:
    if not js.is_empty(value):
        return value
    if js.is_number_type(other):
        return 0
    if isinstance(value, str):
        return value
    if isinstance(other, str):
        return ""
    if isinstance(other, list):
        return []
    return 0


def _binary(node: Binary, scope: Scope) -> Any:
    left = evaluate(node.left, scope)
    right = evaluate(node.right, scope)
    if node.arithmetic:
        left = _fit_for_arithmetic(left, right)
        right = _fit_for_arithmetic(right, left)
    strict = _strict_operand(node.left, scope) or _strict_operand(node.right, scope)
    return OPERATORS[node.op](left, right, strict)


def _strict_operand(node: Node | None, scope: Scope) -> bool:
    return False  # strict comparison is asked only by questions SurveyJS does not import here


def _date_pair(left: Any, right: Any) -> tuple[Any, Any]:
    """convertValForDateCompare: a text compared with a date is read as a date (a day's
    midnight when the date has no time of day)."""
    if isinstance(right, datetime) and isinstance(left, str):
        parsed = js.as_date(left)
        if parsed is not None and right.time() == datetime.min.time():
            parsed = parsed.replace(hour=0, minute=0, second=0, microsecond=0)
        left = parsed
    if isinstance(left, datetime) and isinstance(right, str):
        if len(right) < 17:
            left = left.replace(second=0, microsecond=0)
        if len(right) < 14:
            left = left.replace(minute=0)
        if len(right) < 11:
            left = left.replace(hour=0)
    return left, right


def _dates(left: Any, right: Any) -> tuple[Any, Any]:
    left, right = _date_pair(left, right)
    right, left = _date_pair(right, left)
    return left, right


def equal(left: Any, right: Any, strict: bool = False) -> bool:
    left, right = _dates(left, right)
    left = None if left == "undefined" else left
    right = None if right == "undefined" else right
    return js.equals(left, right, ignore_order=not strict)


def greater(left: Any, right: Any, strict: bool = False) -> bool:
    if left is None or right is None:
        return False
    left, right = _dates(left, right)
    return js.less(right, left)


def less(left: Any, right: Any, strict: bool = False) -> bool:
    if left is None or right is None:
        return False
    left, right = _dates(left, right)
    return js.less(left, right)


def _contains_core(left: Any, right: Any, is_contains: bool) -> bool:
    if isinstance(left, list) and not left:
        return not is_contains
    if left is None or (not js.truthy(left) and left != 0 and left is not False):
        return False
    if not isinstance(left, list | str):
        left = js.to_string(left)
    if isinstance(left, str):
        if not js.truthy(right):
            return False
        found = js.to_string(right).lower() in left.lower()
        return found if is_contains else not found
    for wanted in right if isinstance(right, list) else [right]:
        if not any(js.equals(item, wanted, ignore_order=False) for item in left):
            return not is_contains
    return is_contains


def contains(left: Any, right: Any, strict: bool = False) -> bool:
    return _contains_core(left, right, True)


def notcontains(left: Any, right: Any, strict: bool = False) -> bool:
    if not js.truthy(left) and not js.is_empty(right):
        return True
    return _contains_core(left, right, False)


def anyof(left: Any, right: Any, strict: bool = False) -> bool:
    if js.is_empty(left) and js.is_empty(right):
        return True
    if js.is_empty(left):
        return False
    if js.is_empty(right):
        return True
    if not isinstance(left, list):
        return contains(right, left)
    if not isinstance(right, list):
        return contains(left, right)
    return any(contains(left, item) for item in right)


def allof(left: Any, right: Any, strict: bool = False) -> bool:
    if not js.truthy(left) and not js.is_empty(right):
        return False
    if not isinstance(right, list):
        return contains(left, right)
    return all(contains(left, item) for item in right)


def _numeric(op: Any) -> Any:
    def run(a: Any, b: Any, strict: bool = False) -> Any:
        return op(js.to_number(a), js.to_number(b), a, b)

    return run


def _div(x: float, y: float, a: Any, b: Any) -> Any:
    if not js.truthy(b):
        return None
    if y == 0 or math.isnan(y) or math.isnan(x):
        return js.NAN if y != 0 else (math.copysign(math.inf, x) if x else js.NAN)
    return js.tidy(x / y)


def _mod(x: float, y: float, a: Any, b: Any) -> Any:
    if not js.truthy(b):
        return None
    if math.isnan(x) or math.isnan(y) or y == 0:
        return js.NAN
    return js.tidy(math.fmod(x, y))


def _power(x: float, y: float, a: Any, b: Any) -> Any:
    try:
        return js.tidy(math.pow(x, y))
    except (OverflowError, ValueError):
        return js.NAN


OPERATORS: dict[str, Any] = {
    "or": lambda a, b, s=False: a if js.truthy(a) else b,
    "and": lambda a, b, s=False: b if js.truthy(a) else a,
    "plus": lambda a, b, s=False: js.sum_any(a, b),
    "minus": _numeric(lambda x, y, a, b: js.correct_plus_minus(a, b, x - y)),
    "mul": _numeric(lambda x, y, a, b: js.correct_multiply(a, b, x * y)),
    "div": _numeric(_div),
    "mod": _numeric(_mod),
    "power": _numeric(_power),
    "equal": equal,
    "notequal": lambda a, b, s=False: not equal(a, b, s),
    "greater": greater,
    "less": less,
    "greaterorequal": lambda a, b, s=False: equal(a, b) or greater(a, b),
    "lessorequal": lambda a, b, s=False: equal(a, b) or less(a, b),
    "contains": contains,
    "notcontains": notcontains,
    "anyof": anyof,
    "allof": allof,
    "noneof": lambda a, b, s=False: not anyof(a, b),
}
