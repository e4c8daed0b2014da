"""Value types of condition fields, and the coercion of JSON values into them.

JSON has strings, numbers and booleans; the language has more types, written as JSON this way:

| type       | JSON                                   | in Python                 |
|------------|----------------------------------------|---------------------------|
| string     | a string (at most 1000 characters)     | str                       |
| number     | a number                               | int, or Decimal           |
| integer    | a number without a fraction            | int                       |
| boolean    | true or false                          | bool                      |
| money      | a decimal string, "100.00"             | Decimal                   |
| date       | "YYYY-MM-DD"                           | date                      |
| datetime   | ISO 8601 with an offset                | datetime (aware, UTC)     |
| duration   | "30d", "12w", "6m", "1y"               | Duration                  |
| list[T]    | a list of T                            | frozenset of T            |

Numbers are kept exact: a JSON float becomes the Decimal of its shortest representation, so
0.1 compares equal to the 0.1 a database holds."""

import calendar
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import total_ordering
from typing import Any

from kizuna.core.conditions.errors import InvalidCondition
from kizuna.core.text import ISO_DATE, UNSTORABLE

MAX_STRING = 1000
# Numbers beyond this are refused: the databases and Python compare them alike below it.
MAX_NUMBER = 10**15
MONEY = re.compile(r"-?[0-9]{1,14}(\.[0-9]{1,4})?")
DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})"
)
DURATION = re.compile(r"([1-9][0-9]{0,3})([dwmy])")
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
_UNIT_NAMES = {"d": "day", "w": "week", "m": "month", "y": "year"}


class Kind(StrEnum):
    STRING = "string"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    MONEY = "money"
    DATE = "date"
    DATETIME = "datetime"
    DURATION = "duration"


ORDERED = frozenset(
    {Kind.NUMBER, Kind.INTEGER, Kind.MONEY, Kind.DATE, Kind.DATETIME, Kind.DURATION}
)
NUMERIC = frozenset({Kind.NUMBER, Kind.INTEGER, Kind.MONEY})
TEMPORAL = frozenset({Kind.DATE, Kind.DATETIME})


@dataclass(frozen=True, slots=True)
class ValueType:
    kind: Kind
    is_list: bool = False

    @property
    def name(self) -> str:
        return f"list[{self.kind}]" if self.is_list else str(self.kind)

    @property
    def element(self) -> "ValueType":
        return ValueType(self.kind)

    def __str__(self) -> str:
        return self.name


STRING = ValueType(Kind.STRING)
NUMBER = ValueType(Kind.NUMBER)
INTEGER = ValueType(Kind.INTEGER)
BOOLEAN = ValueType(Kind.BOOLEAN)
MONEY_TYPE = ValueType(Kind.MONEY)
DATE = ValueType(Kind.DATE)
DATETIME_TYPE = ValueType(Kind.DATETIME)
DURATION_TYPE = ValueType(Kind.DURATION)


def list_of(element: ValueType) -> ValueType:
    return ValueType(element.kind, is_list=True)


TYPES: dict[str, ValueType] = {
    t.name: t for kind in Kind for t in (ValueType(kind), ValueType(kind, is_list=True))
}


@total_ordering
@dataclass(frozen=True, slots=True, eq=False)
class Duration:
    """A calendar span: days, weeks, months or years. Going back a month from 31 March lands on
    the last day of February. Compared with each other, durations count months as 30 days
    and years as 365."""

    amount: int
    unit: str

    @classmethod
    def parse(cls, text: str) -> "Duration":
        match = DURATION.fullmatch(text)
        if match is None:
            raise ValueError(text)
        return cls(int(match.group(1)), match.group(2))

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    @property
    def days(self) -> int:
        return self.amount * _UNIT_DAYS[self.unit]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Duration) and self.days == other.days

    def __hash__(self) -> int:
        return hash(self.days)

    def __lt__(self, other: "Duration") -> bool:
        return self.days < other.days

    def before[T: (date, datetime)](self, moment: T) -> T:
        """`moment` minus this span."""
        if self.unit in ("d", "w"):
            return moment - timedelta(days=self.days)
        months = self.amount * (12 if self.unit == "y" else 1)
        index = moment.year * 12 + moment.month - 1 - months
        year, month = divmod(index, 12)
        if year < 1:
            return moment.replace(year=1, month=1, day=1)
        month += 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day)

    def describe(self) -> str:
        name = _UNIT_NAMES[self.unit]
        return f"{self.amount} {name}{'' if self.amount == 1 else 's'}"


def _fail(message: str, path: str) -> InvalidCondition:
    return InvalidCondition(message, field=path)


def _string(raw: Any, path: str) -> str:
    if not isinstance(raw, str):
        raise _fail("Expected a string.", path)
    if len(raw) > MAX_STRING:
        raise _fail(f"Strings are at most {MAX_STRING} characters.", path)
    if UNSTORABLE.search(raw):
        raise _fail("Text may not contain NUL or unpaired surrogate characters.", path)
    return raw


def _number(raw: Any, path: str, *, integer: bool) -> int | Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise _fail("Expected an integer." if integer else "Expected a number.", path)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise _fail("Numbers must be finite.", path)
        if integer:
            if not raw.is_integer():
                raise _fail("Expected an integer.", path)
            raw = int(raw)
    if abs(raw) >= MAX_NUMBER:
        raise _fail(f"Numbers are smaller than {MAX_NUMBER:.0e} in magnitude.", path)
    return number_value(raw)


def number_value(raw: int | float) -> int | Decimal:
    """An exact Python number for a JSON number: ints stay ints, a float becomes the Decimal
    of its shortest representation (integral floats become ints)."""
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        return Decimal(repr(raw))
    return raw


def _money(raw: Any, path: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise _fail('Money amounts are decimal strings such as "100.00".', path)
    text = str(raw)
    if not MONEY.fullmatch(text):
        raise _fail(
            f'{text!r} is not a money amount: a decimal string such as "100.00", '
            "with at most 4 decimal places.",
            path,
        )
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimals
        raise _fail(f"{text!r} is not a decimal amount.", path) from exc


def parse_date(text: str) -> date | None:
    if not ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _date(raw: Any, path: str) -> date:
    value = parse_date(raw) if isinstance(raw, str) else None
    if value is None:
        raise _fail("Expected a date written YYYY-MM-DD.", path)
    return value


def _datetime(raw: Any, path: str) -> datetime:
    if not isinstance(raw, str) or not DATETIME.fullmatch(raw):
        raise _fail(
            "Expected a date and time with an offset, such as 2026-05-01T10:00:00+09:00.", path
        )
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise _fail(f"{raw!r} is not a real date and time.", path) from exc
    return value.astimezone(UTC)


def parse_duration(raw: Any, path: str) -> Duration:
    if not isinstance(raw, str) or not DURATION.fullmatch(raw):
        raise _fail(
            'Expected a duration: a number from 1 to 9999 and a unit, d, w, m or y ("30d", '
            '"12w", "6m", "1y").',
            path,
        )
    return Duration.parse(raw)


def coerce(vtype: ValueType, raw: Any, path: str) -> Any:
    """The Python value of a JSON `raw` for a scalar type (a list type's element)."""
    match vtype.kind:
        case Kind.STRING:
            return _string(raw, path)
        case Kind.NUMBER:
            return _number(raw, path, integer=False)
        case Kind.INTEGER:
            return _number(raw, path, integer=True)
        case Kind.BOOLEAN:
            if not isinstance(raw, bool):
                raise _fail("Expected true or false.", path)
            return raw
        case Kind.MONEY:
            return _money(raw, path)
        case Kind.DATE:
            return _date(raw, path)
        case Kind.DATETIME:
            return _datetime(raw, path)
        case Kind.DURATION:
            return parse_duration(raw, path)
    raise AssertionError(vtype)  # pragma: no cover


MAX_LIST = 1000


def coerce_list(vtype: ValueType, raw: Any, path: str) -> tuple[Any, ...]:
    """A non-empty JSON list of `vtype`'s elements, in order, without repeats."""
    if not isinstance(raw, list):
        raise _fail(f"Expected a list of {vtype.kind} values.", path)
    if not raw:
        raise _fail("The list is empty.", path)
    if len(raw) > MAX_LIST:
        raise _fail(f"Lists have at most {MAX_LIST} values.", path)
    values = [coerce(vtype.element, item, f"{path}[{i}]") for i, item in enumerate(raw)]
    return tuple(dict.fromkeys(values))
