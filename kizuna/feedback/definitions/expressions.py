"""Variable expressions: arithmetic over answers, hidden fields and earlier variables.

    expression := sum
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | atom
    atom       := number | "{" reference "}" | function "(" expression ("," expression)* ")"
                | "(" expression ")"
    reference  := answers.<element_id> | hidden.<name> | variables.<id>
    function   := min | max | abs | round | coalesce

`{answers.nps} * 10 + coalesce({variables.bonus}, 0)`. References are checked against the
definition: an answer must be a number (nps, csat, ces, rating, or text in the number
format), a variable must be declared before the one that uses it (so no two variables depend
on each other). The parsed tree is not stored; the text is, and the evaluator parses it the
same way (`parse_expression`)."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn

from kizuna.feedback.definitions.common import fail

MAX_LENGTH = 1000
MAX_DEPTH = 32
FUNCTIONS: dict[str, tuple[int, int]] = {  # name: (fewest, most arguments)
    "min": (1, 20),
    "max": (1, 20),
    "abs": (1, 1),
    "round": (1, 2),
    "coalesce": (1, 20),
}
_TOKEN = re.compile(
    r"\s*(?:(?P<number>[0-9]+(?:\.[0-9]+)?)|\{(?P<reference>[^{}]*)\}|(?P<name>[a-z_]+)"
    r"|(?P<symbol>[-+*/(),]))"
)


@dataclass(frozen=True)
class Number:
    value: Decimal


@dataclass(frozen=True)
class Reference:
    name: str  # "answers.q1"


@dataclass(frozen=True)
class Call:
    function: str
    arguments: tuple["Node", ...]


@dataclass(frozen=True)
class Operation:
    op: str  # + - * / and "neg"
    operands: tuple["Node", ...]


Node = Number | Reference | Call | Operation


class _Parser:
    def __init__(self, text: str, path: str, check_reference: Callable[[str, str], None]) -> None:
        self.tokens: list[tuple[str, str]] = []
        self.path = path
        self.check_reference = check_reference
        position = 0
        text = text.rstrip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                self.fail(f"Cannot read the expression at character {position + 1}.")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.index = 0

    def fail(self, message: str) -> NoReturn:
        fail(self.path, message, "invalid_expression")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, symbol: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            self.fail("The expression ends too soon.")
        if symbol is not None and token != ("symbol", symbol):
            self.fail(f"Expected {symbol!r}, found {token[1]!r}.")
        self.index += 1
        return token

    def expression(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            self.fail(f"Expressions nest at most {MAX_DEPTH} levels deep.")
        node = self.product(depth)
        while self.peek() in (("symbol", "+"), ("symbol", "-")):
            op = self.take()[1]
            node = Operation(op, (node, self.product(depth)))
        return node

    def product(self, depth: int) -> Node:
        node = self.unary(depth)
        while self.peek() in (("symbol", "*"), ("symbol", "/")):
            op = self.take()[1]
            node = Operation(op, (node, self.unary(depth)))
        return node

    def unary(self, depth: int) -> Node:
        if self.peek() in (("symbol", "-"), ("symbol", "+")):
            op = self.take()[1]
            if depth > MAX_DEPTH:
                self.fail(f"Expressions nest at most {MAX_DEPTH} levels deep.")
            operand = self.unary(depth + 1)
            return Operation("neg", (operand,)) if op == "-" else operand
        return self.atom(depth)

    def atom(self, depth: int) -> Node:
        kind, text = self.take()
        if kind == "number":
            return Number(Decimal(text))
        if kind == "reference":
            self.check_reference(text, self.path)
            return Reference(text)
        if kind == "name":
            if text not in FUNCTIONS:
                self.fail(f"Unknown function {text!r}; the functions are {', '.join(FUNCTIONS)}.")
            self.take("(")
            arguments = [self.expression(depth + 1)]
            while self.peek() == ("symbol", ","):
                self.take()
                arguments.append(self.expression(depth + 1))
            self.take(")")
            low, high = FUNCTIONS[text]
            if not low <= len(arguments) <= high:
                self.fail(f"{text} takes {low} to {high} arguments.")
            return Call(text, tuple(arguments))
        if (kind, text) == ("symbol", "("):
            node = self.expression(depth + 1)
            self.take(")")
            return node
        self.fail(f"Unexpected {text!r}.")


def parse_expression(text: Any, path: str, check_reference: Callable[[str, str], None]) -> Node:
    """The expression's tree, or 422 `invalid_expression` naming `path`."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_LENGTH:
        fail(path, f"An expression is text of 1 to {MAX_LENGTH} characters.", "invalid_expression")
    parser = _Parser(text, path, check_reference)
    node = parser.expression(1)
    if parser.peek() is not None:
        parser.fail(f"Unexpected {parser.tokens[parser.index][1]!r} after the expression.")
    return node


def references(node: Node) -> list[str]:
    if isinstance(node, Reference):
        return [node.name]
    if isinstance(node, Call):
        return [name for argument in node.arguments for name in references(argument)]
    if isinstance(node, Operation):
        return [name for operand in node.operands for name in references(operand)]
    return []
