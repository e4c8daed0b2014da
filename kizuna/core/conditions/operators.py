"""The operators, which field types each fits, what value each takes, and what each means for a
value that is there (a missing value makes every comparison false: see `evaluate`)."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kizuna.core.conditions.errors import InvalidCondition
from kizuna.core.conditions.types import (
    NUMERIC,
    TEMPORAL,
    Duration,
    Kind,
    ValueType,
    coerce,
    coerce_list,
    parse_duration,
)


class Shape(StrEnum):
    """What an operator's `value` is."""

    NONE = "none"  # no value (exists, not_exists)
    SCALAR = "scalar"  # one value of the field's type (of its element, for a list field)
    LIST = "list"  # a non-empty list of such values
    RANGE = "range"  # [low, high], low <= high
    TEXT = "text"  # a non-empty string (contains, starts_with... on a string field)
    DURATION = "duration"  # "30d", "12w", "6m", "1y"


@dataclass(frozen=True, slots=True)
class Operator:
    name: str
    shape: Shape
    description: str
    # True for the operators whose result is the negation of another one's on a present value
    # (ne, not_in, not_contains, none_in): the SQL compiler builds the positive form and
    # negates it under the presence guard.
    negates: str | None = None


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("eq", Shape.SCALAR, "equals the value"),
        Operator("ne", Shape.SCALAR, "is there and differs from the value", negates="eq"),
        Operator("gt", Shape.SCALAR, "is greater than the value"),
        Operator("gte", Shape.SCALAR, "is greater than or equal to the value"),
        Operator("lt", Shape.SCALAR, "is less than the value"),
        Operator("lte", Shape.SCALAR, "is less than or equal to the value"),
        Operator("in", Shape.LIST, "equals one of the values"),
        Operator("not_in", Shape.LIST, "is there and equals none of the values", negates="in"),
        Operator("contains", Shape.TEXT, "contains the text (a list: holds the value)"),
        Operator(
            "not_contains",
            Shape.TEXT,
            "is there and does not contain the text (a list: does not hold the value)",
            negates="contains",
        ),
        Operator("starts_with", Shape.TEXT, "starts with the text"),
        Operator("ends_with", Shape.TEXT, "ends with the text"),
        Operator("exists", Shape.NONE, "has a value"),
        Operator("not_exists", Shape.NONE, "has no value"),
        Operator("between", Shape.RANGE, "lies between low and high, both included"),
        Operator(
            "within_last",
            Shape.DURATION,
            "lies in the last span of time up to now (today, for dates)",
        ),
        Operator(
            "not_within_last",
            Shape.DURATION,
            "lies before the last span of time (longer ago than the duration)",
        ),
        Operator("before", Shape.SCALAR, "is earlier than the value"),
        Operator("after", Shape.SCALAR, "is later than the value"),
        Operator("any_in", Shape.LIST, "holds at least one of the values"),
        Operator("all_in", Shape.LIST, "holds every one of the values"),
        Operator("none_in", Shape.LIST, "holds none of the values", negates="any_in"),
    )
}

_PRESENCE = ("exists", "not_exists")
_EQUALITY = ("eq", "ne", "in", "not_in")
_ORDER = ("gt", "gte", "lt", "lte", "between")
_TEXT = ("contains", "not_contains", "starts_with", "ends_with")
_TIME = ("before", "after", "within_last", "not_within_last")
_LIST = ("contains", "not_contains", "any_in", "all_in", "none_in")


def ops_for(vtype: ValueType) -> tuple[str, ...]:
    """The operators that fit a type, in the order a rule editor shows them."""
    if vtype.is_list:
        return (*_LIST, *_PRESENCE)
    kind = vtype.kind
    if kind == Kind.STRING:
        return (*_EQUALITY, *_TEXT, *_PRESENCE)
    if kind == Kind.BOOLEAN:
        return ("eq", "ne", *_PRESENCE)
    if kind in TEMPORAL:
        return (*_EQUALITY, *_ORDER, *_TIME, *_PRESENCE)
    if kind in NUMERIC or kind == Kind.DURATION:
        return (*_EQUALITY, *_ORDER, *_PRESENCE)
    raise AssertionError(vtype)  # pragma: no cover


def coerce_value(op: Operator, vtype: ValueType, raw: Any, path: str) -> Any:
    """The Python value an operator takes on a field of `vtype`, from its JSON `raw`."""
    element = vtype.element
    match op.shape:
        case Shape.NONE:
            if raw is not None:
                raise InvalidCondition(f"{op.name} takes no value.", field=path)
            return None
        case Shape.SCALAR:
            return coerce(element, raw, path)
        case Shape.LIST:
            return coerce_list(element, raw, path)
        case Shape.TEXT:
            if vtype.is_list:
                return coerce(element, raw, path)
            text = coerce(element, raw, path)
            if not text:
                raise InvalidCondition(f"{op.name} needs a non-empty text.", field=path)
            return text
        case Shape.RANGE:
            if not isinstance(raw, list) or len(raw) != 2:
                raise InvalidCondition(
                    "between takes a list of two values, [low, high].", field=path
                )
            low = coerce(element, raw[0], f"{path}[0]")
            high = coerce(element, raw[1], f"{path}[1]")
            if low > high:
                raise InvalidCondition("low is greater than high.", field=f"{path}[1]")
            return (low, high)
        case Shape.DURATION:
            return parse_duration(raw, path)
    raise AssertionError(op)  # pragma: no cover


def to_json(op: Operator, vtype: ValueType, value: Any) -> Any:
    """The canonical JSON of a coerced value (used for display and tests)."""

    def one(v: Any) -> Any:
        if isinstance(v, Duration):
            return str(v)
        if vtype.kind == Kind.MONEY:
            return str(v)
        if hasattr(v, "isoformat"):
            return v.isoformat()
        return v

    if value is None:
        return None
    if isinstance(value, tuple):
        return [one(v) for v in value]
    return one(value)


# ------------------------------------------------------------------ meaning in memory

# A test gets a value that is there (never the missing marker) and the evaluation context
# (for 'now'), and says whether the leaf holds.
Test = Callable[[Any, Any], bool]


def memory_test(op: str, vtype: ValueType, value: Any) -> Test:
    """What `op` with `value` means for a present value of `vtype`, as a fast closure."""
    if vtype.is_list:
        return _list_test(op, value)
    match op:
        case "eq":
            return lambda v, ctx: v == value
        case "ne":
            return lambda v, ctx: v != value
        case "gt" | "after":
            return lambda v, ctx: v > value
        case "gte":
            return lambda v, ctx: v >= value
        case "lt" | "before":
            return lambda v, ctx: v < value
        case "lte":
            return lambda v, ctx: v <= value
        case "in":
            members = frozenset(value)
            return lambda v, ctx: v in members
        case "not_in":
            members = frozenset(value)
            return lambda v, ctx: v not in members
        case "between":
            low, high = value
            return lambda v, ctx: low <= v <= high
        case "contains":
            return lambda v, ctx: value in v
        case "not_contains":
            return lambda v, ctx: value not in v
        case "starts_with":
            return lambda v, ctx: v.startswith(value)
        case "ends_with":
            return lambda v, ctx: v.endswith(value)
        case "within_last" | "not_within_last":
            return _window_test(op, vtype, value)
    raise AssertionError(op)  # pragma: no cover


def _window_test(op: str, vtype: ValueType, duration: Any) -> Test:
    if vtype.kind == Kind.DATE:

        def bounds(ctx: Any) -> tuple[Any, Any]:
            today = ctx.today
            return duration.before(today), today
    else:

        def bounds(ctx: Any) -> tuple[Any, Any]:
            return duration.before(ctx.now), ctx.now

    if op == "within_last":

        def within(v: Any, ctx: Any) -> bool:
            start, end = bounds(ctx)
            return start <= v <= end

        return within

    def older(v: Any, ctx: Any) -> bool:
        return v < bounds(ctx)[0]

    return older


def _list_test(op: str, value: Any) -> Test:
    match op:
        case "contains":
            return lambda v, ctx: value in v
        case "not_contains":
            return lambda v, ctx: value not in v
        case "any_in":
            wanted = frozenset(value)
            return lambda v, ctx: not wanted.isdisjoint(v)
        case "all_in":
            wanted = frozenset(value)
            return lambda v, ctx: wanted.issubset(v)
        case "none_in":
            wanted = frozenset(value)
            return lambda v, ctx: wanted.isdisjoint(v)
    raise AssertionError(op)  # pragma: no cover


def fits(op: str, vtype: ValueType) -> bool:
    return op in ops_for(vtype)


__all__ = [
    "OPERATORS",
    "Operator",
    "Shape",
    "coerce_value",
    "fits",
    "memory_test",
    "ops_for",
    "to_json",
]
