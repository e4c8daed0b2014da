"""The grammar of SurveyJS expressions, parsed into a small tree.

Precedence, loosest first (as survey-core's grammar has it; every level is left-associative):

    or  ||
    and &&
    = == != < > <= >= (and the words equal, notequal, less, greater, lessorequal, ...)
    + -
    * / %
    ^ power
    contains *= notcontains anyof allof noneof
    factor: ( expr ) | name(args) | ! factor | atom empty | atom notempty | atom | [args]
    atom:   null | undefined | true | false | number | 0xFF | word | 'text' | "text" | {name}

So `!{a} = 1` is `(!{a}) = 1`, `{a} + 1 anyof [2]` is `{a} + (1 anyof [2])`, an unquoted word
is a string (`{q} = yes`), and a missing closing parenthesis is forgiven, all as in SurveyJS.
Keywords are matched without regard to case."""

import re
from dataclasses import dataclass
from typing import Any


class ExpressionError(ValueError):
    """The text is not a SurveyJS expression; `position` is where parsing stopped."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


@dataclass(frozen=True)
class Const:
    value: Any
    quoted: bool = False  # a string written in quotes: never read as a number or boolean


@dataclass(frozen=True)
class Var:
    name: str
    convert: bool = True  # {#name} keeps the value as it is


@dataclass(frozen=True)
class Unary:
    op: str  # negate, empty, notempty
    operand: "Node"


@dataclass(frozen=True)
class Binary:
    op: str
    left: "Node | None"
    right: "Node | None"
    arithmetic: bool  # or, and, + - * / % ^: empty operands are first made to fit the other


@dataclass(frozen=True)
class Array:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple["Node", ...]


Node = Const | Var | Unary | Binary | Array | Call

_WS = re.compile(r"[ \t\n\r]*")
_WORD = re.compile(r"[a-zA-Z_]+(?:[0-9]+[a-zA-Z_]*)*")
_NUMBER = re.compile(r"-?(?:[0-9]+\.[0-9]+|[1-9][0-9]*|0)")
_HEX = re.compile(r"0x[0-9]+")
_OR = (("||", "or"), ("or", "or"))
_AND = (("&&", "and"), ("and", "and"))
_COMPARE = (
    ("<=", "lessorequal"),
    ("lessorequal", "lessorequal"),
    (">=", "greaterorequal"),
    ("greaterorequal", "greaterorequal"),
    ("==", "equal"),
    ("equals", "equal"),
    ("equal", "equal"),
    ("=", "equal"),
    ("!=", "notequal"),
    ("notequals", "notequal"),
    ("notequal", "notequal"),
    ("<", "less"),
    ("less", "less"),
    (">", "greater"),
    ("greater", "greater"),
)
_PLUS = (("+", "plus"), ("-", "minus"))
_TIMES = (("*", "mul"), ("/", "div"), ("%", "mod"))
_POWER = (("^", "power"), ("power", "power"))
_ARRAY_OPS = (
    ("*=", "contains"),
    ("contains", "contains"),
    ("contain", "contains"),
    ("notcontains", "notcontains"),
    ("notcontain", "notcontains"),
    ("anyof", "anyof"),
    ("allof", "allof"),
    ("noneof", "noneof"),
)
MAX_LENGTH = 10_000
MAX_DEPTH = 64


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    # -- helpers -------------------------------------------------------------------------
    def ws(self) -> None:
        match = _WS.match(self.text, self.pos)
        self.pos = match.end() if match else self.pos

    def literal(self, word: str) -> bool:
        """Match `word` here, case-insensitively (a prefix match, as a PEG literal is)."""
        end = self.pos + len(word)
        if self.text[self.pos : end].lower() == word:
            self.pos = end
            return True
        return False

    def operator(self, table: tuple[tuple[str, str], ...]) -> str | None:
        for sign, name in table:
            if self.literal(sign):
                return name
        return None

    def fail(self, message: str) -> ExpressionError:
        return ExpressionError(f"{message} at character {self.pos + 1}", self.pos)

    # -- levels --------------------------------------------------------------------------
    def binary_level(
        self, table: tuple[tuple[str, str], ...], operand: Any, arithmetic: bool, optional: bool
    ) -> Node | None:
        head = operand()
        while True:
            start = self.pos
            self.ws()
            op = self.operator(table)
            if op is None:
                self.pos = start
                return head
            self.ws()
            before = self.pos
            right = operand()
            if right is None and not optional:
                self.pos = start
                return head
            if right is None:
                self.pos = before
            head = Binary(op, head, right, arithmetic)

    def expression(self) -> Node | None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail("The expression nests too deep")
        self.ws()
        node = self.binary_level(_OR, self.logic_or, True, False)
        self.ws()
        self.depth -= 1
        return node

    def logic_or(self) -> Node | None:
        return self.binary_level(_AND, self.logic_and, True, False)

    def logic_and(self) -> Node | None:
        return self.binary_level(_COMPARE, self.comp_ops, False, False)

    def comp_ops(self) -> Node | None:
        return self.binary_level(_PLUS, self.plus_minus_ops, True, False)

    def plus_minus_ops(self) -> Node | None:
        return self.binary_level(_TIMES, self.mul_div_ops, True, False)

    def mul_div_ops(self) -> Node | None:
        return self.binary_level(_POWER, self.binary_func_op, True, False)

    def binary_func_op(self) -> Node | None:
        return self.binary_level(_ARRAY_OPS, self.factor, False, True)

    def factor(self) -> Node | None:
        start = self.pos
        if self.literal("("):
            self.ws()
            node = self.expression()
            if node is None:
                self.pos = start
                return None
            self.ws()
            self.literal(")")
            return node
        for attempt in (self.function, self.unary, self.atom, self.array):
            node = attempt()
            if node is not None:
                return node
            self.pos = start
        return None

    def function(self) -> Node | None:
        match = _WORD.match(self.text, self.pos)
        if not match or self.text[match.end() : match.end() + 1] != "(":
            return None
        self.pos = match.end() + 1
        args = self.sequence()
        self.literal(")")
        return Call(match.group(), args)

    def unary(self) -> Node | None:
        start = self.pos
        if self.literal("!") or self.literal("negate"):
            self.ws()
            operand = self.factor()
            if operand is not None:
                return Unary("negate", operand)
            self.pos = start
            return None
        atom = self.atom()
        if atom is None:
            return None
        self.ws()
        if self.literal("empty"):
            return Unary("empty", atom)
        if self.literal("notempty"):
            return Unary("notempty", atom)
        self.pos = start
        return None

    def array(self) -> Node | None:
        if not self.literal("["):
            return None
        items = self.sequence()
        if not self.literal("]"):
            return None
        return Array(items)

    def sequence(self) -> tuple[Node, ...]:
        first = self.expression()
        if first is None:
            return ()
        items = [first]
        while True:
            start = self.pos
            self.ws()
            if not self.literal(","):
                self.pos = start
                break
            self.ws()
            node = self.expression()
            if node is None:
                self.pos = start
                break
            items.append(node)
        return tuple(items)

    def atom(self) -> Node | None:
        self.ws()
        for word in ("undefined", "null"):
            if self.literal(word):
                return Const(None)
        for word, value in (("true", True), ("false", False)):
            if self.literal(word):
                return Const(value)
        hexa = _HEX.match(self.text, self.pos)
        if hexa:
            self.pos = hexa.end()
            return Const(int(hexa.group()[2:], 16))
        number = _NUMBER.match(self.text, self.pos)
        if number:
            self.pos = number.end()
            digits = number.group()
            return Const(float(digits) if "." in digits else int(digits))
        letters = _WORD.match(self.text, self.pos)
        if letters:
            self.pos = letters.end()
            return Const(letters.group())
        for quote in ("'", '"'):
            if self.literal(quote + quote):
                return Const("", quoted=True)
            if self.text.startswith(quote, self.pos):
                return self.quoted(quote)
        if self.text.startswith("{", self.pos):
            end = self.text.find("}", self.pos + 1)
            name = self.text[self.pos + 1 : end] if end > 0 else ""
            if not name or "{" in name:
                return None
            self.pos = end + 1
            if len(name) > 1 and name[0] == "#":
                return Var(name[1:], convert=False)
            return Var(name)
        return None

    def quoted(self, quote: str) -> Node | None:
        """A quoted text: no quote of either kind inside, except escaped (\\' or \\")."""
        i = self.pos + 1
        chars: list[str] = []
        while i < len(self.text):
            ch = self.text[i]
            if ch == "\\" and self.text[i + 1 : i + 2] in ("'", '"'):
                chars.append(self.text[i + 1])
                i += 2
                continue
            if ch in "'\"":
                break
            chars.append(ch)
            i += 1
        if i >= len(self.text) or self.text[i] != quote or not chars:
            return None
        self.pos = i + 1
        return Const("".join(chars), quoted=True)


def parse(text: str) -> Node:
    """Parse a SurveyJS expression; ExpressionError when the whole text is not one."""
    if not isinstance(text, str):
        raise ExpressionError("An expression is a string", 0)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"An expression is at most {MAX_LENGTH} characters", MAX_LENGTH)
    parser = _Parser(text)
    node = parser.expression()
    if node is None or parser.pos != len(text):
        raise parser.fail("Unexpected text")
    return node


def variables(node: Node | None) -> list[str]:
    """The names in braces that a tree reads, in order."""
    found: list[str] = []

    def walk(n: Node | None) -> None:
        if isinstance(n, Var):
            found.append(n.name)
        elif isinstance(n, Unary):
            walk(n.operand)
        elif isinstance(n, Binary):
            walk(n.left)
            walk(n.right)
        elif isinstance(n, Array | Call):
            for item in n.items if isinstance(n, Array) else n.args:
                walk(item)

    walk(node)
    return found


def calls(node: Node | None) -> list[str]:
    """The names of the functions a tree calls, in order."""
    found: list[str] = []

    def walk(n: Node | None) -> None:
        if isinstance(n, Call):
            found.append(n.name)
        if isinstance(n, Unary):
            walk(n.operand)
        elif isinstance(n, Binary):
            walk(n.left)
            walk(n.right)
        elif isinstance(n, Array | Call):
            for item in n.items if isinstance(n, Array) else n.args:
                walk(item)

    walk(node)
    return found
