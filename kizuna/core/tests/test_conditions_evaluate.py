"""In-memory evaluation: what each operator means, and the missing-value rule."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kizuna.core.conditions import (
    MISSING,
    Context,
    Duration,
    FieldSpec,
    Lazy,
    Registry,
    evaluate,
    list_of,
    ops_for,
    parse,
)
from kizuna.core.conditions.types import (
    BOOLEAN,
    DATE,
    DATETIME_TYPE,
    DURATION_TYPE,
    INTEGER,
    MONEY_TYPE,
    NUMBER,
    STRING,
    ValueType,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def registry_of(**types: ValueType) -> Registry:
    """A registry of fields `f.<name>` reading ctx fact `<name>`."""
    registry = Registry()

    def reader(name: str) -> Any:
        return lambda leaf: lambda ctx: ctx.get(name)

    for name, vtype in types.items():
        registry.register(
            FieldSpec(
                name=f"f.{name}",
                type=vtype,
                subject="f",
                description=name,
                example={},
                in_memory=reader(name),
            )
        )
    return registry


REGISTRY = registry_of(
    s=STRING,
    n=NUMBER,
    i=INTEGER,
    b=BOOLEAN,
    m=MONEY_TYPE,
    d=DATE,
    t=DATETIME_TYPE,
    u=DURATION_TYPE,
    ls=list_of(STRING),
)


def holds(data: Any, **facts: Any) -> bool:
    return evaluate(parse(data, registry=REGISTRY), Context(now=NOW, **facts))


def leaf(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"field": f"f.{field}", "op": op, "value": value}


@pytest.mark.parametrize(
    ("field", "op", "value", "fact", "expected"),
    [
        ("s", "eq", "Osaka", "Osaka", True),
        ("s", "eq", "Osaka", "osaka", False),  # exact, case-sensitive
        ("s", "ne", "Osaka", "Seoul", True),
        ("s", "in", ["Osaka", "Seoul"], "Seoul", True),
        ("s", "not_in", ["Osaka", "Seoul"], "Tokyo", True),
        ("s", "contains", "sak", "Osaka", True),
        ("s", "not_contains", "sak", "Osaka", False),
        ("s", "starts_with", "Os", "Osaka", True),
        ("s", "ends_with", "ka", "Osaka", True),
        ("s", "ends_with", "Ka", "Osaka", False),
        ("n", "gt", 0.1, Decimal("0.2"), True),
        ("n", "eq", 0.1, Decimal("0.1"), True),
        ("n", "between", [1, 3], 3, True),
        ("n", "between", [1, 3], Decimal("3.01"), False),
        ("i", "lte", 2, 2, True),
        ("m", "gt", "100.00", Decimal("100.01"), True),
        ("m", "eq", "100", Decimal("100.00"), True),
        ("b", "eq", True, True, True),
        ("b", "ne", True, False, True),
        ("d", "before", "2026-01-01", date(2025, 12, 31), True),
        ("d", "after", "2026-01-01", date(2026, 1, 1), False),
        ("d", "within_last", "30d", date(2026, 4, 1), True),
        ("d", "within_last", "30d", date(2026, 3, 31), False),
        ("d", "within_last", "30d", date(2026, 5, 2), False),  # the future is not 'last'
        ("d", "not_within_last", "30d", date(2026, 3, 31), True),
        ("d", "not_within_last", "30d", date(2026, 5, 2), False),
        ("t", "within_last", "1m", datetime(2026, 4, 1, 12, 0, tzinfo=UTC), True),
        ("t", "within_last", "1m", datetime(2026, 4, 1, 11, 59, tzinfo=UTC), False),
        ("t", "after", "2026-05-01T20:00:00+09:00", datetime(2026, 5, 1, 11, 1, tzinfo=UTC), True),
        ("u", "gt", "4w", Duration(1, "m"), True),  # a month counts 30 days
        ("u", "eq", "2w", Duration(14, "d"), True),
        ("ls", "contains", "TEA-1", frozenset({"TEA-1", "CUP-1"}), True),
        ("ls", "not_contains", "TEA-2", frozenset({"TEA-1"}), True),
        ("ls", "any_in", ["X", "CUP-1"], frozenset({"TEA-1", "CUP-1"}), True),
        ("ls", "all_in", ["TEA-1", "CUP-1"], frozenset({"TEA-1", "CUP-1", "Z"}), True),
        ("ls", "all_in", ["TEA-1", "X"], frozenset({"TEA-1", "CUP-1"}), False),
        ("ls", "none_in", ["X", "Y"], frozenset({"TEA-1"}), True),
        ("ls", "any_in", ["X"], frozenset(), False),
        ("ls", "none_in", ["X"], frozenset(), True),
    ],
)
def test_each_operator(field: str, op: str, value: Any, fact: Any, expected: bool) -> None:
    assert holds(leaf(field, op, value), **{field: fact}) is expected


@pytest.mark.parametrize(
    "data",
    [
        leaf("s", "eq", "Osaka"),
        leaf("s", "ne", "Osaka"),
        leaf("s", "not_in", ["Osaka"]),
        leaf("s", "not_contains", "O"),
        leaf("n", "lt", 5),
        leaf("d", "not_within_last", "1d"),
        leaf("ls", "none_in", ["x"]),
    ],
)
def test_a_comparison_with_a_missing_value_is_false_and_its_not_true(data: Any) -> None:
    assert holds(data) is False
    assert holds({"not": data}) is True


def test_exists_says_whether_the_value_is_there() -> None:
    assert holds(leaf("s", "exists"), s="") is True
    assert holds(leaf("s", "exists")) is False
    assert holds(leaf("s", "not_exists")) is True
    assert holds({"not": leaf("s", "not_exists")}, s="x") is True
    assert holds(leaf("s", "exists"), s=MISSING) is False


def test_groups() -> None:
    yes, no = leaf("b", "eq", True), leaf("b", "eq", False)
    assert holds({"all": []}) is True
    assert holds({"any": []}) is False
    assert holds({"all": [yes, yes]}, b=True) is True
    assert holds({"all": [yes, no]}, b=True) is False
    assert holds({"any": [no, yes]}, b=True) is True
    assert holds({"not": {"any": [no]}}, b=True) is True


def test_dates_within_last_count_from_today_in_the_workspace_time_zone() -> None:
    condition = parse(leaf("d", "within_last", "1d"), registry=REGISTRY)
    late_evening = datetime(2026, 5, 1, 20, 0, tzinfo=UTC)  # 2 May in Tokyo
    tokyo = Context(now=late_evening, tz=ZoneInfo("Asia/Tokyo"), d=date(2026, 5, 1))
    utc = Context(now=late_evening, d=date(2026, 4, 29))
    assert tokyo.today == date(2026, 5, 2)
    assert evaluate(condition, tokyo) is True
    assert evaluate(condition, utc) is False


def test_durations_go_back_in_calendar_months_and_years() -> None:
    assert Duration(1, "m").before(date(2026, 3, 31)) == date(2026, 2, 28)
    assert Duration(6, "m").before(date(2026, 5, 1)) == date(2025, 11, 1)
    assert Duration(1, "y").before(date(2024, 2, 29)) == date(2023, 2, 28)
    assert Duration(12, "w").before(date(2026, 5, 1)) == date(2026, 2, 6)
    assert Duration(9999, "y").before(date(2026, 5, 1)) == date(1, 1, 1)
    assert Duration(2, "m").before(NOW) == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_lazy_facts_load_once_and_only_when_read() -> None:
    calls: list[str] = []

    def load() -> str:
        calls.append("loaded")
        return "Osaka"

    never = parse(leaf("b", "eq", True), registry=REGISTRY)
    once = parse(
        {"all": [leaf("s", "eq", "Osaka"), leaf("s", "starts_with", "O")]}, registry=REGISTRY
    )
    context = Context(now=NOW, b=True, s=Lazy(load))
    assert evaluate(never, context) is True
    assert calls == []
    assert evaluate(once, context) is True
    assert evaluate(once, context) is True
    assert calls == ["loaded"]


def test_every_type_has_its_operators() -> None:
    assert ops_for(STRING) == (
        "eq", "ne", "in", "not_in", "contains", "not_contains", "starts_with", "ends_with",
        "exists", "not_exists",
    )  # fmt: skip
    assert "gt" not in ops_for(STRING)  # strings do not order: collations differ
    assert ops_for(BOOLEAN) == ("eq", "ne", "exists", "not_exists")
    assert {"within_last", "before", "between"} <= set(ops_for(DATE))
    assert "within_last" not in ops_for(MONEY_TYPE)
    assert ops_for(list_of(NUMBER)) == (
        "contains", "not_contains", "any_in", "all_in", "none_in", "exists", "not_exists",
    )  # fmt: skip
