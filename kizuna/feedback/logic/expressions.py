"""The value of a variable's expression (the tree of definitions/expressions.py).

Numbers are exact decimals. A reference without a value (no answer, a hidden field that is
not a number, a variable without a value) has none, and so has any arithmetic over it and a
division by zero: `{answers.nps} * 10` has no value until nps is answered. `coalesce` gives
its first argument that has a value, `min` and `max` the least and greatest of the arguments
that have one (none when none has), `round(x, digits)` rounds half away from zero (digits 0
by default, 0 to 10)."""

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from kizuna.feedback.definitions.expressions import Call, Node, Number, Operation, Reference

# Results beyond this magnitude have no value (an overflow, not a number to show).
LIMIT = Decimal(10) ** 30


def number(value: Any) -> Decimal | None:
    """An answer's or hidden field's value as a number, or None: JSON numbers, and text that
    is a plain decimal number ("42", "-3.5")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if value == value and abs(value) != float("inf") else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 40 or not all(ch in "+-.0123456789" for ch in text):
            return None
        try:
            parsed = Decimal(text)
        except InvalidOperation:
            return None
        return parsed if parsed.is_finite() else None
    return None


def compute(node: Node, read: Callable[[str], Decimal | None]) -> Decimal | None:
    """The expression's value, `read` giving a reference's value (`answers.nps`)."""
    try:
        value = _value(node, read)
    except (InvalidOperation, ArithmeticError):
        return None
    if value is None or not value.is_finite() or abs(value) >= LIMIT:
        return None
    return value


def _value(node: Node, read: Callable[[str], Decimal | None]) -> Decimal | None:
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Reference):
        return read(node.name)
    if isinstance(node, Operation):
        operands = [_value(operand, read) for operand in node.operands]
        if any(operand is None for operand in operands):
            return None
        if node.op == "neg":
            return -operands[0]  # type: ignore[operator]
        left, right = operands[0], operands[1]
        assert left is not None and right is not None
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        if right == 0:
            return None
        return left / right
    assert isinstance(node, Call)
    return _call(node, read)


def _call(node: Call, read: Callable[[str], Decimal | None]) -> Decimal | None:
    if node.function == "coalesce":
        for argument in node.arguments:
            value = _value(argument, read)
            if value is not None:
                return value
        return None
    values = [_value(argument, read) for argument in node.arguments]
    if node.function in ("min", "max"):
        present = [value for value in values if value is not None]
        if not present:
            return None
        return min(present) if node.function == "min" else max(present)
    if values[0] is None:
        return None
    if node.function == "abs":
        return abs(values[0])
    # round(x, digits?)
    digits = values[1] if len(values) > 1 else Decimal(0)
    if digits is None or digits != digits.to_integral_value() or not 0 <= digits <= 10:
        return None
    return values[0].quantize(Decimal(1).scaleb(-int(digits)), rounding=ROUND_HALF_UP)


def to_json(value: Decimal | None) -> int | float | None:
    """A variable's value as a JSON number: an integer when whole."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def to_text(value: Decimal) -> str:
    """A number as recalled in a text: `12`, `12.5`, without exponent or trailing zeros."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")
