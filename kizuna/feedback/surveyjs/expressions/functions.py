"""The built-in functions of SurveyJS expressions, as survey-core defines them.

Each takes the evaluated arguments, the argument trees (the *InArray functions run their
condition argument once per array item) and the scope (for `now`). Dates are wall-clock
datetimes as of `scope.now` (the `now` of an evaluation): `today()` is its midnight."""

import calendar
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from kizuna.feedback.surveyjs.expressions import values as js
from kizuna.feedback.surveyjs.expressions.evaluator import Scope, evaluate
from kizuna.feedback.surveyjs.expressions.parser import Const, ExpressionError, Node, parse

Function = Callable[[list[Any], tuple[Node, ...], Scope], Any]


def _flat(value: Any, out: list[Any]) -> list[Any]:
    """getParamsAsArray: arrays flattened, null left out, numeric texts as numbers."""
    if value is None:
        return out
    if isinstance(value, list):
        for item in value:
            _flat(item, out)
    else:
        out.append(js.tidy(js.get_number(value)) if js.is_numeric(value) else value)
    return out


def _sum(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
    total: Any = 0
    for item in _flat(args, []):
        total = js.correct_plus_minus(total, item, js.sum_any(total, item))
    return total


def _min_max(is_min: bool) -> Function:
    def run(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
        best: Any = None
        for item in _flat(args, []):
            if best is None:
                best = item
            if (is_min and js.less(item, best)) or (not is_min and js.less(best, item)):
                best = item
        return best

    return run


def _count(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
    return len(_flat(args, []))


def _avg(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
    items = _flat(args, [])
    return js.tidy(js.to_number(_sum(args, nodes, scope)) / len(items)) if items else 0


def _round(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
    items = _flat(args, [])
    if items and js.is_numeric(items[0]):
        precision = items[1] if len(items) > 1 and js.truthy(items[1]) else 0
        if js.is_numeric(precision):
            p = 10 ** js.to_number(precision)
            n = js.to_number(items[0]) * p * (1 + 2.220446049250313e-16)
            return js.tidy(math.floor(n + 0.5) / p)
    return js.NAN


def _trunc(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
    items = _flat(args, [])
    if items and js.is_numeric(items[0]):
        precision = int(js.to_number(items[1])) if len(items) > 1 and js.truthy(items[1]) else 0
        number = js.to_number(items[0])
        factor = 10 ** max(precision, 0)
        return js.tidy(math.trunc(number * factor) / factor)
    return js.NAN


def _iif(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
    if len(args) < 2:
        return None
    return args[1] if js.truthy(args[0]) else (args[2] if len(args) > 2 else None)


def _in_array(
    args: list[Any], nodes: tuple[Node, ...]
) -> tuple[list[Any], str, str, Node | None] | None:
    """The array, the name read from each item, the name returned (min/max), the condition."""
    if not 2 <= len(args) <= 4 or not args[0] or not isinstance(args[0], list | dict):
        return None
    if not isinstance(args[1], str):
        return None
    data = list(args[0].values()) if isinstance(args[0], dict) else args[0]
    name = returned = args[1]
    at = 2
    if (
        len(args) > 2
        and isinstance(nodes[2], Const)
        and isinstance(args[2], str)
        and not any(c in args[2] for c in "{}><=!")
    ):
        returned, at = args[2], 3
    condition: Node | None = None
    if len(args) > at:
        if isinstance(args[at], str) and args[at]:
            try:
                condition = parse(args[at])
            except ExpressionError:
                condition = None
        else:
            condition = nodes[at]
    return data, name, returned, condition


def _items(
    args: list[Any], nodes: tuple[Node, ...], scope: Scope
) -> list[tuple[dict[str, Any], Any]]:
    """The (item, value) pairs an *InArray function counts: items with a value under the
    name that meet the condition, evaluated with the item's values (then the survey's)."""
    spec = _in_array(args, nodes)
    if spec is None:
        return []
    data, name, _, condition = spec
    picked = []
    for item in data:
        if not isinstance(item, dict) or js.is_empty(item.get(name)):
            continue
        if condition is not None:
            merged = {**scope.values, **item}
            if not js.loose_equal(evaluate(condition, scope.with_values(merged)), True):
                continue
        picked.append((item, item[name]))
    return picked


def _number_of(value: Any) -> Any:
    if isinstance(value, str):
        return js.tidy(js.get_number(value)) if js.is_numeric(value) else None
    return value


def _sum_in_array(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
    total: Any = 0
    for _, value in _items(args, nodes, scope):
        number = _number_of(value)
        if number is not None:
            total = js.correct_plus_minus(total, number, js.sum_any(total, number))
    return total


def _count_in_array(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
    return len(_items(args, nodes, scope))


def _avg_in_array(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
    count = _count_in_array(args, nodes, scope)
    return js.tidy(js.to_number(_sum_in_array(args, nodes, scope)) / count) if count else 0


def _min_max_in_array(is_min: bool) -> Function:
    def run(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
        spec = _in_array(args, nodes)
        if spec is None:
            return None
        best: Any = None
        best_item: dict[str, Any] | None = None
        for item, value in _items(args, nodes, scope):
            number = _number_of(value)
            if number is None:
                continue
            if best is None or (js.less(number, best) if is_min else js.less(best, number)):
                best, best_item = number, item
        if best_item is None:
            return None
        return best_item.get(spec[2]) if spec[2] != spec[1] else best

    return run


def _date_or_none(value: Any) -> datetime | None:
    return js.as_date(value) if value else None


def _today(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
    moment = scope.now.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    if len(args) == 1 and js.is_numeric(args[0]):
        moment += timedelta(days=js.to_number(args[0]))
    return moment


def _current_date(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
    return scope.now.replace(tzinfo=None)


def _months_between(first: datetime, second: datetime) -> int:
    months = (second.year - first.year) * 12 + second.month - first.month
    return months - 1 if second.day < first.day else months


def _date_diff(first: Any, second: Any, kind: str, scope: Scope) -> Any:
    if kind == "days":
        return _diff_days([first, second], (), scope)
    a = _date_or_none(first)
    b = _date_or_none(second) if second else _current_date([], (), scope)
    if a is None or b is None:
        return js.NAN
    months = _months_between(a, b)
    return months if kind == "months" else int(months / 12)


def _age(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
    if not args or not args[0]:
        return None
    kind = (args[1] if len(args) > 1 else "") or "years"
    return _date_diff(args[0], None, kind, scope)


def _date_diff_fn(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
    if len(args) < 2 or not args[0] or not args[1]:
        return None
    kind = (args[2] if len(args) > 2 else "") or "days"
    if kind in ("hours", "minutes", "seconds"):
        a, b = _date_or_none(args[0]), _date_or_none(args[1])
        if a is None or b is None:
            return js.NAN
        seconds = abs((b - a).total_seconds())
        return math.ceil(seconds / {"hours": 3600, "minutes": 60, "seconds": 1}[kind])
    return _date_diff(args[0], args[1], kind, scope)


def _diff_days(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
    if len(args) != 2 or not args[0] or not args[1]:
        return 0
    a, b = _date_or_none(args[0]), _date_or_none(args[1])
    if a is None or b is None:
        return js.NAN
    return abs((b.date() - a.date()).days)


def _date_add(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
    if len(args) < 2 or not args[0] or not args[1]:
        return None
    moment = _date_or_none(args[0])
    amount = js.to_number(args[1])
    if moment is None or math.isnan(amount):
        return None
    kind = args[2] if len(args) > 2 and args[2] else "days"
    if kind in ("months", "years"):
        months = moment.month - 1 + int(amount) * (12 if kind == "years" else 1)
        year, month = moment.year + months // 12, months % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day)
    return (
        moment + timedelta(**{kind: amount})
        if kind in ("days", "hours", "minutes", "seconds")
        else moment
    )


def _part(pick: Callable[[datetime], int]) -> Function:
    def run(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
        moment = _date_or_none(args[0]) if args and args[0] else _today([], (), scope)
        return pick(moment) if moment is not None else js.NAN

    return run


def _get_year(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
    if len(args) != 1 or not args[0]:
        return None
    moment = _date_or_none(args[0])
    return moment.year if moment else js.NAN


def _get_date(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
    return _date_or_none(args[0]) if args and args[0] else None


def _substring(args: list[Any], nodes: tuple[Node, ...], scope: Scope) -> Any:
    if len(args) < 2 or not isinstance(args[0], str) or not args[0]:
        return ""
    if not js.is_numeric(args[1]):
        return ""
    start = max(int(js.to_number(args[1])), 0)
    if len(args) > 2 and js.is_numeric(args[2]):
        end = max(int(js.to_number(args[2])), 0)
        start, end = min(start, end), max(start, end)
        return args[0][start:end]
    return args[0][start:]


FUNCTIONS: dict[str, Function] = {
    "sum": _sum,
    "min": _min_max(True),
    "max": _min_max(False),
    "count": _count,
    "avg": _avg,
    "round": _round,
    "trunc": _trunc,
    "suminarray": _sum_in_array,
    "mininarray": _min_max_in_array(True),
    "maxinarray": _min_max_in_array(False),
    "countinarray": _count_in_array,
    "avginarray": _avg_in_array,
    "iif": _iif,
    "getdate": _get_date,
    "age": _age,
    "datediff": _date_diff_fn,
    "dateadd": _date_add,
    "currentdate": _current_date,
    "today": _today,
    "getyear": _get_year,
    "currentyear": lambda args, nodes, scope: scope.now.year,
    "diffdays": _diff_days,
    "year": _part(lambda d: d.year),
    "month": _part(lambda d: d.month),
    "day": _part(lambda d: d.day),
    "weekday": _part(lambda d: (d.weekday() + 1) % 7),
    "substring": _substring,
    "isdisplaymode": lambda args, nodes, scope: False,
}
