"""SurveyJS expressions evaluated as survey-core evaluates them. The cases restate behaviour
that survey-library's own tests pin (packages/survey-core/tests/expressions/
expressionParserTest.ts, named in each comment); the values and wording are ours."""

from datetime import UTC, datetime
from typing import Any

import pytest

from kizuna.feedback.surveyjs.expressions import (
    ExpressionError,
    Scope,
    compiled,
    run,
    run_condition,
    variables,
)

NOW = datetime(2026, 3, 15, 14, 30, tzinfo=UTC)


def cond(text: str, values: dict[str, Any] | None = None) -> bool:
    return run_condition(text, Scope(values or {}, now=NOW))


def value(text: str, values: dict[str, Any] | None = None) -> Any:
    return run(text, Scope(values or {}, now=NOW))


CONDITIONS = [
    # "Run one condition": undefined compares false
    ("{a} > 5", {"a": 6}, True),
    ("{a} > 5", {"a": 5}, False),
    ("{a} > 5", {}, False),
    # "Run complex condition": precedence of and/or with parentheses
    (
        "{age} >= 21 and ({sex} = 'male' or {kids} > 1)",
        {"age": 21, "sex": "female", "kids": 2},
        True,
    ),
    (
        "{age} >= 21 and ({sex} = 'male' or {kids} > 1)",
        {"age": 20, "sex": "male", "kids": 2},
        False,
    ),
    # "Run condition with nested properties", and the forgiven missing parenthesis
    ("{age.min} >= 35 and ({age.max} <= 80", {"age": {"min": 36, "max": 40}}, True),
    ("{age.min} >= 35 and ({age.max} <= 80", {"age": {"min": 21, "max": 40}}, False),
    # "Condition check empty for undefined variables #323", "Check non equal, #377"
    ("{var1} empty", {}, True),
    ("{var1} < 3 or {var1} empty", {}, True),
    ("{var1} != 3", {}, True),
    ("{var1} != 3", {"var1": 3}, False),
    # "Condition check for undefined #518"
    ("{var1} == undefined", {}, True),
    ("{var1} != undefined", {"var1": "a"}, True),
    # numbers and numeric texts ("Compare object with string", "String as numbers")
    ("{value} = '1'", {"value": 1}, True),
    ("{value} = 1", {"value": "1"}, True),
    ("{value} = 1.0", {"value": "1"}, True),
    ("{value} > 9", {"value": "10"}, True),
    ("{value} > '9'", {"value": "10"}, True),  # "10" becomes 10; 10 > "9" compares numbers
    ("'10' > '9'", {}, False),  # two texts compare by characters, as in JavaScript
    # texts compare trimmed and without regard to case
    ("{a} = 'Yes'", {"a": " yes "}, True),
    ("{a} = abc", {"a": "abc"}, True),  # "string contancts without brackets"
    ("{a} = ab_cd", {"a": "abcd"}, False),
    # "000 == '000', '00' != '000', '0' != '000'"
    ("{val} == '000'", {"val": "000"}, True),
    ("{val} == '000'", {"val": "00"}, False),
    ("{val} == '000'", {"val": "0"}, True),
    ("{val} == '000'", {"val": 0}, True),
    # "True/False strings": booleans and their texts
    ("{a} = 'True'", {"a": True}, True),
    ("{a} = 'False'", {"a": False}, True),
    ("{a} = 'True'", {"a": "False"}, False),
    ("true = {isTrue}", {"isTrue": "false"}, False),
    # "notempty with 0 and false": 0 and false are answers
    ("{val} notempty", {"val": 0}, True),
    ("{val} notempty", {"val": False}, True),
    ("{val} notempty", {"val": []}, False),
    ("{val} empty", {"val": ""}, True),
    ("{val} empty", {"val": {"a": None, "b": ""}}, True),
    # arrays: = ignores order ("Support array"), contains ("issue#1366"), anyof/allof/noneof
    ("{a} equals [1, 2]", {"a": [2, 1]}, True),
    ("{a} = [1, 2]", {"a": [2]}, False),
    ("{a} = ['1', '2']", {"a": [2, 1]}, True),
    ("{value} contains ['a', 'b']", {"value": ["a", "b", "c"]}, True),
    ("{value} contains ['a', 'b']", {"value": ["a", "c"]}, False),
    ("{r} contains '1'", {"r": ["1"]}, True),
    ("{r} contains 1", {"r": ["1"]}, True),
    ("{a} notcontains 0", {"a": []}, True),  # "[] notcontains 0 returns false #10869"
    ("{a} notcontains 0", {"a": [0, 1]}, False),
    ("{val} contain 1", {}, False),  # "contain and noncontain for null arrays"
    ("{val} notcontain 1", {}, True),
    ("{str} contains '1'", {"str": "12345"}, True),  # text contains a text
    ("'AbcDEf' contains {val}", {"val": "bC"}, True),
    ("[] contains 'C1'", {}, False),
    ("{value} anyof ['a', 'b']", {"value": ["a", "c"]}, True),
    ("{value} anyof ['a', 'b']", {"value": []}, False),
    ("{value} anyof ['a', 'b']", {"value": None}, False),
    ("{value} anyof [7, 3, 0]", {"value": 0}, True),
    ("{value} anyof ['a', 'b', 'c']", {"value": "a"}, True),
    ("{value} noneof ['a', 'b']", {"value": []}, True),
    ("{value} noneof ['a', 'b']", {"value": ["c", "a"]}, False),
    ("{value} allof ['a', 'b']", {"value": ["a", "b", "c"]}, True),
    ("{value} allof ['a', 'b']", {"value": ["a", "c"]}, False),
    # "length for undefined arrays"
    ("{val.length} = 0", {}, True),
    ("{val.length} > 1", {"val": [1, 2]}, True),
    ("{val.length} < 4", {"val": None}, True),
    ("{t.length} = 3", {"t": "abc"}, True),
    # names: any symbol, dots inside a name, case-insensitive, indexes
    ("{complex name #$%?dd} = 1", {"complex name #$%?dd": 1}, True),
    ("{2-3+4} = 1", {"2-3+4": 1}, True),
    ("{a.b.c.d} = 1", {"a.b.c.d": 1}, True),
    ("{Q1} = 2", {"q1": 2}, True),
    ("{dp[0].x} = 'a'", {"dp": [{"x": "a"}]}, True),
    # "Compare two undefined variables"
    ("{v1} = {v2}", {}, True),
    ("{v1} <= {v2}", {}, True),
    ("{v1} < {v2}", {}, False),
    ("{v1} > {v2}", {"v1": 1}, False),
    # "Condition vs not boolean" and "Unary not !": ! binds to its factor
    ("!{b} and !{c}", {"b": "false", "c": False}, True),
    ("!{b} and !{c}", {"b": "true", "c": False}, False),
    ("(age({a}) >= 18) and !{b}", {"a": "2000-01-01", "b": False}, True),
    ("!({a} = 1)", {"a": 2}, True),
    # "Compare undefined object with string"
    ("{value} = 'undefined'", {}, True),
    # "Escape quotes, bug#786"
    ("{text} = 'I\\'m here'", {"text": "I'm here"}, True),
    # "Variable equals 0x1": hexadecimal texts are numbers
    ("{val} = 2", {"val": "0x2"}, True),
    # a condition holds when its value == true: 1 and "1" do, "true" text is made true first
    ("{a}", {"a": 1}, True),
    ("{a}", {"a": "yes"}, False),
    ("{a}", {"a": "true"}, True),
    # dates: a text compared with a date is read as a date ("Compare date with today")
    ("{d} < today()", {"d": "2026-03-14"}, True),
    ("{d} = today()", {"d": "2026-03-15"}, True),
    ("today(1) <= today(10)", {}, True),
    # text that is not an expression is false, not an error
    ("2 @ 2", {}, False),
]


@pytest.mark.parametrize(("text", "values", "expected"), CONDITIONS)
def test_condition(text: str, values: dict[str, Any], expected: bool) -> None:
    assert cond(text, values) is expected


VALUES = [
    ("{a} ^ 3 + {b} ^ 0.5", {"a": 10, "b": 400}, 1020),  # "ConditionRunner, ^ operator"
    ("({a} + {b}) * {c}", {"a": "2", "b": "3", "c": "4"}, 20),  # "String as numbers"
    ("{val1} + {val2}", {"val1": "1", "val2": "102"}, 103),
    (
        "{#val1} + {#val2}",
        {"val1": "1", "val2": "102"},
        "1102",
    ),  # "Disable converting string to number"
    ("3 * 0.6", {}, 1.8),  # "fix incorrect JavaScript multiplication"
    ("0.3 + 0.6", {}, 0.9),
    ("0.9 - 0.6", {}, 0.3),
    ("{a} + {b}", {"a": "0.1", "b": "0.2"}, 0.3),
    ("sum([0.3, 0.6]", {}, 0.9),
    ("avg([0.3, 0.6])", {}, 0.45),
    ("0.1 + 'abc'", {}, "0.1abc"),  # "Expression decimal + string"
    ("'aa' + '=='", {}, "aa=="),
    ("{a} + {b}", {"a": [1, 2, 3], "b": [4, 5]}, [1, 2, 3, 4, 5]),  # "Arrays and plus operations"
    ("{a} + ' '", {"a": ["a", "b", "c"]}, "a, b, c "),
    ("{a} + 4", {"a": [1, 2, 3]}, 10),
    ("{missing} + 1", {}, 1),  # an empty operand takes the other's kind: 0 beside a number
    ("{missing} + 'x'", {}, "x"),
    ("10 % 3", {}, 1),
    ("7 / 0", {}, None),  # division by zero gives nothing
    ("{val1[-1]} + {val1[-3]} + {val1[0]}", {"val1": [10, 20, 30, 40, 50]}, 90),
    ("0x1 + 0x2 + {x}", {"x": 3}, 6),
    ("7 * ((10 * 0.4) + (20 * 0.6))", {}, 112),
    ("iif({a} > 1, 'big', 'small')", {"a": 2}, "big"),
    ("iif({a} > 1, 'big', 'small')", {}, "small"),
    ("iif(false, 1)", {}, None),
    ("iif()", {}, None),  # "No params for iif function"
    ("sum(1, '2', [3, 4])", {}, 10),
    ("count([1, 2, null, 3])", {}, 3),
    ("min(3, 1, 2)", {}, 1),
    ("max(0, -1)", {}, 0),
    ("round(2.5)", {}, 3),
    ("round(1.005, 2)", {}, 1.01),
    ("trunc(2.789)", {}, 2),
    ("trunc(2.789, 2)", {}, 2.78),
    # *InArray over a dynamic panel's value ("ExpressionRunner: sumInArray ...")
    ("sumInArray({a}, 'x')", {"a": [{"x": 1}, {"x": 2}, {"y": 5}]}, 3),
    ("sumInArray({a}, 'x')", {"a": {"r1": {"x": "1.5"}, "r2": {"x": 2}}}, 3.5),
    ("sumInArray({a}, 'x', {y} = 'on')", {"a": [{"x": 1, "y": "on"}, {"x": 2}]}, 1),
    ("sumInArray({a}, 'x', '{y} = \\'on\\'')", {"a": [{"x": 1, "y": "on"}, {"x": 2}]}, 1),
    ("countInArray({a}, 'x')", {"a": [{"x": 1}, {"x": ""}, {"x": 0}]}, 2),
    ("avgInArray({a}, 'x')", {"a": [{"x": 1}, {"x": 2}]}, 1.5),
    ("minInArray({a}, 'x')", {"a": [{"x": 3}, {"x": "1"}]}, 1),
    ("maxInArray({a}, 'x', 'n')", {"a": [{"x": 3, "n": "three"}, {"x": 1, "n": "one"}]}, "three"),
    ("sumInArray({a}, 'x')", {}, 0),
    # dates, as of NOW (2026-03-15 14:30)
    ("age('2000-03-16')", {}, 25),
    ("age('2000-03-15')", {}, 26),
    ("age({b})", {}, None),
    ("diffDays('2021-01-01', '2021-02-02')", {}, 32),
    ("diffDays({d1}, '2021-02-02')", {}, 0),
    ("diffDays('2021-03-10T05:00:00', '2021-03-11T04:00:00')", {}, 1),
    ("dateDiff('2020-01-15', '2021-03-14', 'months')", {}, 13),
    ("year('2023-07-28')", {}, 2023),
    ("month('2023-07-28')", {}, 7),
    ("day('2023-07-28')", {}, 28),
    ("weekday('2023-07-28')", {}, 5),
    ("year()", {}, 2026),
    ("getYear('1999-12-31')", {}, 1999),
    ("currentYear()", {}, 2026),
    ("substring('abcdef', 1, 3)", {}, "bc"),
    ('{"key": "value"} = {"key": "value"}', {}, True),  # "Work with objects like constants"
    ("unknownFunction(1)", {}, None),
]


@pytest.mark.parametrize(("text", "values", "expected"), VALUES)
def test_value(text: str, values: dict[str, Any], expected: Any) -> None:
    assert value(text, values) == expected
    assert type(value(text, values)) is type(expected)


def test_today_and_current_date_follow_now() -> None:
    assert value("today()") == datetime(2026, 3, 15)
    assert value("today(-1)") == datetime(2026, 3, 14)
    assert value("currentDate()") == datetime(2026, 3, 15, 14, 30)
    assert value("dateAdd('2026-01-31', 1, 'months')") == datetime(2026, 2, 28)


def test_precedence_follows_the_grammar() -> None:
    # contains binds tighter than +, so this is 1 + ({a} contains 'x')
    assert value("1 + {a} contains 'x'", {"a": "x"}) == 2
    # and binds tighter than or
    assert cond("true or false and false") is True
    assert cond("(true or false) and false") is False
    # comparisons are looser than arithmetic
    assert cond("1 + 2 = 3") is True


def test_variables_lists_the_names_read() -> None:
    tree = compiled("{val1} - {val2} + myFunc({val3}, {val4.prop}) < {val5} and {val6}=1")
    assert variables(tree) == ["val1", "val2", "val3", "val4.prop", "val5", "val6"]


@pytest.mark.parametrize("text", ["", "{a} =", "2 @ 2", "{a} = 'open", "((", "{}"])
def test_text_that_is_no_expression_is_refused(text: str) -> None:
    with pytest.raises(ExpressionError):
        compiled(text)
